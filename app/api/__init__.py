"""The JSON API under /api (W3C Web Annotation conventions)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.api import routes  # noqa: E402,F401
