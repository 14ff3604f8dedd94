"""Public profiles, and the people search behind the @mention combobox."""
from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import routes  # noqa: E402,F401
