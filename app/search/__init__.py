"""The search page: /search, and the header box on every page that leads to it."""
from flask import Blueprint

bp = Blueprint("search", __name__)

from app.search import routes  # noqa: E402,F401
