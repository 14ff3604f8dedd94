"""Following (articles, threads, studies, tags, people) and the My activity page."""
from flask import Blueprint

bp = Blueprint("following", __name__)

from app.following import routes  # noqa: E402,F401
