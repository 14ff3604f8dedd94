"""Article authoring for admins: create, edit, preview, revisions and diffs."""
from flask import Blueprint

bp = Blueprint("authoring", __name__)

from app.authoring import routes  # noqa: E402,F401
