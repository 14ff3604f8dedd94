"""Permissions by name: who may do what, checked in one place.

A suspended account reads only, whatever its role: every permission writes something (an
annotation, a flag, a moderation decision, an account change, an article), so suspension
withdraws them all. A suspended moderator or admin is, until the suspension ends, a reader who
may not write; `User.is_moderator` and `User.is_admin` say the same for templates and services.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.models import Annotation, Role, User


class Permission(enum.Enum):
    """Named capabilities granted by role."""

    ANNOTATE = "annotate"
    FLAG = "flag"
    MODERATE = "moderate"
    ADMINISTER = "administer"
    EDIT_ARTICLES = "edit_articles"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.READER: frozenset({Permission.ANNOTATE, Permission.FLAG}),
    Role.MODERATOR: frozenset({Permission.ANNOTATE, Permission.FLAG, Permission.MODERATE}),
    Role.ADMIN: frozenset(Permission),
}
# What suspension withdraws: every permission (a suspended account of any role reads only).
WRITE_PERMISSIONS = frozenset(Permission)


def can(user: User | None, permission: Permission) -> bool:
    """Tell whether `user` holds `permission` right now (a suspended account holds none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if permission in WRITE_PERMISSIONS and user.is_suspended:
        return False
    return permission in _GRANTS[user.role]


def require(permission: Permission, refusal: str = "You do not have permission to do this.") -> Callable:
    """Decorate a view: Flask-Login's `login_required` first, then 403 (`refusal`) to those lacking `permission`.

    The one way to gate a page: `@login_required` where signing in is enough, `@require(...)` where a
    permission is needed. A suspended account is told why it may not write.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                if permission in WRITE_PERMISSIONS and current_user.is_suspended:
                    abort(403, description=suspension_message(current_user))
                abort(403, description=refusal)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def suspension_message(user: User) -> str:
    """Explain a suspension to the suspended user."""
    until = "indefinitely" if user.suspended_indefinitely or not user.suspended_until else (
        f"until {user.suspended_until:%d %b %Y %H:%M} UTC")
    reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
    withdrawn = "post, flag or edit" if user.role == Role.READER else (
        "post, flag, edit, moderate or administer" if user.role == Role.ADMIN else "post, flag, edit or moderate")
    return f"Your account is suspended {until}: you can read but not {withdrawn}.{reason}"


def can_edit_annotation(user: User | None, annotation: Annotation) -> bool:
    """Only the author edits or deletes an annotation, and not while suspended."""
    return can(user, Permission.ANNOTATE) and annotation.author_id == user.id
