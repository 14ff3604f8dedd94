"""The JSON API under /api (W3C Web Annotation Data Model and Protocol; described at /api/openapi.json)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.api import errors as _errors  # noqa: E402
from app.api.auth import check_request  # noqa: E402

_errors.init_blueprint(bp)
bp.before_request(check_request)

from app.api import annotations as _annotations  # noqa: E402,F401
from app.api import conversation as _conversation  # noqa: E402,F401
from app.api import groups as _groups  # noqa: E402,F401
from app.api import moderation as _moderation  # noqa: E402,F401
from app.api import routes  # noqa: E402,F401
from app.api import search as _search  # noqa: E402,F401
from app.api import studies as _studies  # noqa: E402,F401
