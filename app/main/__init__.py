"""Reading: the article list and article pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import assets, routes  # noqa: E402,F401
