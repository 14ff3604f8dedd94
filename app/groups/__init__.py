"""Journal clubs in the browser: the groups page, a group's page, members, invitations, sessions, prompts,
attendance, the discussion export and each member's CPD record."""
from flask import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/groups")

from app.groups import routes, sessions  # noqa: E402,F401
