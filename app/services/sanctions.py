"""Account sanctions by admins: suspension, roles and trust, each logged; the accounts list they act from."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Action, ModerationLog, Role, User
from app.models.base import utcnow
from app.services.accounts import end_all_sessions, parse_role, set_role
from app.services.errors import Conflict, Forbidden, ServiceError
from app.services.moderation import clean_reason, record
from app.services.moderation_queue import PAGE_SIZE, AuthorHistory, author_histories
from app.services.pagination import Page, paginate
from app.text.sanitize import clean_text


def _check_admin(actor: User | None, user: User) -> None:
    """Refuse an account change unless `actor` is an active admin other than `user` (None: the command line)."""
    if actor is None:
        return
    if not actor.is_admin:
        raise Forbidden("Only admins can change accounts.")
    if actor.id == user.id:
        raise Forbidden("You cannot suspend yourself or change your own role or trust.")


def _active_admins_besides(user: User) -> int:
    active = or_(User.suspended_until.is_(None), User.suspended_until <= utcnow())
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.id != user.id, User.suspended_indefinitely.is_(False), active))


def _keep_an_active_admin(user: User, change: str) -> None:
    """Refuse `change` when `user` is the last admin whose account is not suspended."""
    if user.is_admin and _active_admins_besides(user) == 0:
        raise Forbidden(f"{user.display_name} is the last active admin: make another account admin before you "
                        f"{change}.")


def suspend(user: User, actor: User | None, reason: str, until: datetime | date | None = None) -> ModerationLog:
    """Suspend `user` until `until` (a date means its start, UTC) or indefinitely; end their sessions and tokens.

    `actor` None is an operator at the command line. Raises Forbidden unless `actor` is another active
    admin or when `user` is the last active admin, ServiceError without a reason or with a past date.
    """
    _check_admin(actor, user)
    reason = clean_reason(reason, required=True)
    if isinstance(until, date) and not isinstance(until, datetime):
        until = datetime.combine(until, time(), UTC)
    if until is not None and until <= utcnow():
        raise ServiceError("The end of the suspension must be in the future.", "until")
    _keep_an_active_admin(user, "suspending this one")
    old = suspension_state(user)
    user.suspended_until = until
    user.suspended_indefinitely = until is None
    user.suspension_reason = reason
    end_all_sessions(user)
    return record(actor, Action.SUSPEND, target_user_id=user.id, old=old, new=suspension_state(user), reason=reason)


def lift_suspension(user: User, actor: User | None, reason: str = "") -> ModerationLog:
    """End `user`'s suspension now (`actor` None: the command line); raise Conflict when they are not suspended."""
    _check_admin(actor, user)
    if not user.is_suspended:
        raise Conflict(f"{user.display_name} is not suspended.")
    old = suspension_state(user)
    user.suspended_until = None
    user.suspended_indefinitely = False
    user.suspension_reason = None
    return record(actor, Action.LIFT_SUSPENSION, target_user_id=user.id, old=old, new="active",
                  reason=clean_reason(reason))


def change_role(user: User, actor: User | None, role: Role | str, reason: str = "") -> ModerationLog:
    """Give `user` another role (their sessions end; a suspension stays); `actor` None is the command line.

    Raises Conflict when the role is already theirs, Forbidden when `actor` is not another active
    admin or when it would leave no active admin.
    """
    _check_admin(actor, user)
    role = parse_role(role.value if isinstance(role, Role) else role)
    if user.role == role:
        raise Conflict(f"{user.display_name} is already {role.value}.")
    if role != Role.ADMIN:
        _keep_an_active_admin(user, "changing this one's role")
    old = user.role.value
    set_role(user, role)
    return record(actor, Action.SET_ROLE, target_user_id=user.id, old=old, new=role.value, reason=clean_reason(reason))


def set_trusted(user: User, actor: User, trusted: bool, reason: str = "") -> ModerationLog:
    """Mark `user` trusted (their annotations skip pre-moderation) or withdraw it."""
    _check_admin(actor, user)
    if user.trusted == trusted:
        raise Conflict(f"{user.display_name} is already {'trusted' if trusted else 'not trusted'}.")
    user.trusted = trusted
    db.session.flush()
    return record(actor, Action.TRUST if trusted else Action.UNTRUST, target_user_id=user.id,
                  old="untrusted" if trusted else "trusted", new="trusted" if trusted else "untrusted",
                  reason=clean_reason(reason))


def suspension_state(user: User) -> str:
    """Describe an account's suspension for the log: "active", "suspended indefinitely" or until when."""
    if not user.is_suspended:
        return "active"
    if user.suspended_indefinitely or user.suspended_until is None:
        return "suspended indefinitely"
    return f"suspended until {user.suspended_until:%Y-%m-%d %H:%M} UTC"


@dataclass
class UserRow:
    """An account as the Users tab lists it."""

    user: User
    history: AuthorHistory


def users_page(query: str = "", page: int = 1) -> Page[UserRow]:
    """Return one page of accounts matching `query` (name or email), with their history, in three queries."""
    stmt = select(User)
    query = clean_text(query or "")[:100]
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like)))
    users = paginate(stmt.order_by(User.display_name, User.id), page, PAGE_SIZE)
    histories = author_histories({u.id for u in users.items})
    return replace(users, items=[UserRow(u, histories.get(u.id, AuthorHistory())) for u in users.items])
