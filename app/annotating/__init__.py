"""Annotating in the browser: the no-JavaScript forms, replies, edits, deletions, permalinks and flags."""
from flask import Blueprint

bp = Blueprint("annotating", __name__)

from app.annotating import routes  # noqa: E402,F401
