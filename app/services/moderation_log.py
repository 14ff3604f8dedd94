"""The moderation log's reading side: filters, pages, the CSV export's rows, the actors.

Entries are written by `moderation.record()` only; the model refuses updates and deletes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Action, ModerationLog, User
from app.services.errors import ServiceError
from app.services.groups import moderated_group_ids
from app.services.moderation import parse_action
from app.services.moderation_queue import PAGE_SIZE
from app.services.pagination import Page, paginate


@dataclass
class LogFilters:
    """Filters of the log: an actor id or "system", an action, a date range (inclusive)."""

    moderator: int | str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    annotation_id: int | None = None
    target_user_id: int | None = None


def parse_log_filters(args) -> LogFilters:
    """Read log filters from a query string; malformed values raise ServiceError naming the field."""
    filters = LogFilters()
    moderator = (args.get("moderator") or "").strip()
    if moderator == "system":
        filters.moderator = "system"
    elif moderator:
        filters.moderator = _int_arg(moderator, "moderator")
    action = (args.get("action") or "").strip()
    if action:
        filters.action = parse_action(action, allowed=tuple(Action)).value
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(filters, name, date.fromisoformat(raw))
            except ValueError:
                raise ServiceError("Dates look like 2025-03-31.", name) from None
    for name in ("annotation_id", "target_user_id"):
        raw = (args.get(name) or "").strip()
        if raw:
            setattr(filters, name, _int_arg(raw, name))
    return filters


def _int_arg(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(f"{name.replace('_', ' ').capitalize()} must be a number.", name) from None


def _log_query(filters: LogFilters):
    stmt = select(ModerationLog)
    if filters.moderator == "system":
        stmt = stmt.where(ModerationLog.moderator_id.is_(None))
    elif filters.moderator:
        stmt = stmt.where(ModerationLog.moderator_id == filters.moderator)
    if filters.action:
        stmt = stmt.where(ModerationLog.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(ModerationLog.created_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        stmt = stmt.where(ModerationLog.created_at < end)
    if filters.annotation_id:
        stmt = stmt.where(ModerationLog.annotation_id == filters.annotation_id)
    if filters.target_user_id:
        stmt = stmt.where(ModerationLog.target_user_id == filters.target_user_id)
    return stmt


def _scoped(stmt, viewer: User | None):
    """Keep the entries `viewer` may read: all for site moderators, their groups' for a group's moderators."""
    if viewer is None or viewer.is_moderator:
        return stmt
    return stmt.where(ModerationLog.group_id.in_(moderated_group_ids(viewer)))


def _loaded(stmt):
    return stmt.options(joinedload(ModerationLog.moderator), joinedload(ModerationLog.target_user),
                        joinedload(ModerationLog.group))


def log_page(filters: LogFilters, page: int = 1, per_page: int = PAGE_SIZE, *,
             viewer: User | None = None) -> Page[ModerationLog]:
    """Return one page of log entries matching `filters` that `viewer` may read, newest first."""
    stmt = (_loaded(_scoped(_log_query(filters), viewer))
            .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc()))
    return paginate(stmt, page, per_page)


def log_entries(filters: LogFilters, *, viewer: User | None = None):
    """Yield every log entry matching `filters` that `viewer` may read, oldest first, in batches (CSV)."""
    stmt = (_loaded(_scoped(_log_query(filters), viewer))
            .order_by(ModerationLog.created_at, ModerationLog.id))
    yield from db.session.scalars(stmt.execution_options(yield_per=500))


# Account changes made at the command line have no acting account; the log names them so.
COMMAND_LINE_ACTIONS = frozenset({Action.SUSPEND, Action.LIFT_SUSPENSION, Action.SET_ROLE})


def actor_name(entry: ModerationLog) -> str:
    """Name who acted in a log entry: the person, "Command line" for an operator, or "System"."""
    if entry.moderator is not None:
        return entry.moderator.display_name
    return "Command line" if entry.action in COMMAND_LINE_ACTIONS else "System"


def log_actors() -> list[User]:
    """Return the people who appear as actors in the log, by name (for the filter)."""
    ids = select(ModerationLog.moderator_id).where(ModerationLog.moderator_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name)))

