"""Study pages, the studies index, import and export."""
from flask import Blueprint

bp = Blueprint("studies", __name__)

from app.studies import helpers, lookup, routes  # noqa: E402,F401
