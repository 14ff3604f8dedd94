"""Notifications for signed-in users, and the page where a reader flags an annotation."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import routes  # noqa: E402,F401
