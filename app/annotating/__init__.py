"""Annotating in the browser: the no-JavaScript forms, replies, edits, deletions, permalinks, flags, helpful
votes and accepted answers."""
from flask import Blueprint

bp = Blueprint("annotating", __name__)

from app.annotating import conversation, routes  # noqa: E402,F401
