"""Notifications for signed-in users: moderation outcomes and replies."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import routes  # noqa: E402,F401
