"""Journal club sessions: scheduling on an article, the agenda, prompts pinned to passages, attendance.

A session is stored in UTC and shown to each reader in their own time zone (app.text.clock). Its
prompts are question annotations in the group, written by an owner or moderator on a passage that
must be in the article, and listed first in the group's layer of the article page. Members mark
their attendance from a quarter of an hour before the start; the CPD record reads it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    Group,
    GroupMembership,
    GroupRole,
    GroupSession,
    SessionAttendance,
    SessionPrompt,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.services import annotations, groups, notifications
from app.services.errors import Conflict, ServiceError
from app.text.clock import describe
from app.text.sanitize import clean_text, render_markdown

MAX_TITLE_LENGTH = 200
MAX_AGENDA_LENGTH = 5000
MIN_MINUTES, MAX_MINUTES = 10, 480
MAX_PROMPTS = 20
# Attendance opens this long before the start (members arriving early).
ATTENDANCE_OPENS = timedelta(minutes=15)
SESSION_KIND = "group_session"


@dataclass(frozen=True)
class SessionPlan:
    """What an owner or moderator plans (already parsed: `starts_at` is an aware UTC datetime)."""

    title: str
    starts_at: datetime
    duration_minutes: int = 60
    agenda: str = ""


def _clean_plan(plan: SessionPlan, article: Article, now: datetime) -> SessionPlan:
    title = clean_text(plan.title or "") or article.title[:MAX_TITLE_LENGTH]
    if len(title) > MAX_TITLE_LENGTH:
        raise ServiceError(f"The title is too long: {len(title)} characters, {MAX_TITLE_LENGTH} at most.", "title")
    if plan.starts_at <= now:
        raise ServiceError("This session would start in the past: choose a date and time still to come.", "starts_at")
    if not MIN_MINUTES <= int(plan.duration_minutes) <= MAX_MINUTES:
        raise ServiceError(f"A session lasts from {MIN_MINUTES} to {MAX_MINUTES} minutes.", "duration_minutes")
    agenda = (plan.agenda or "").replace("\r\n", "\n").strip()
    if len(agenda) > MAX_AGENDA_LENGTH:
        raise ServiceError(f"The agenda is too long: {len(agenda):,} characters, {MAX_AGENDA_LENGTH:,} at most.",
                           "agenda")
    return SessionPlan(title, plan.starts_at, int(plan.duration_minutes), agenda)


def schedule(group: Group, actor: User, article: Article, plan: SessionPlan, now: datetime | None = None
             ) -> GroupSession:
    """Schedule a session of `group` on `article` (owner or moderator) and tell the members; flush.

    Raises Forbidden, Conflict (archived group) or ServiceError naming the field (a start in the past).
    """
    groups.require_role(group, actor, GroupRole.MODERATOR)
    groups.require_writable(group)
    plan = _clean_plan(plan, article, now or utcnow())
    session = GroupSession(group_id=group.id, article_id=article.id, title=plan.title, starts_at=plan.starts_at,
                           duration_minutes=plan.duration_minutes, agenda=plan.agenda,
                           agenda_html=render_markdown(plan.agenda) if plan.agenda else "",
                           created_by_id=actor.id, created_at=utcnow())
    db.session.add(session)
    db.session.flush()
    _tell_members(session, actor)
    return session


def fingerprint(session: GroupSession) -> str:
    """Return a short digest of what an editor of the session sees (title, start, length, agenda)."""
    seen = "\x1f".join((session.title, session.starts_at.isoformat(), str(session.duration_minutes), session.agenda))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def reschedule(session: GroupSession, actor: User, plan: SessionPlan, now: datetime | None = None,
               seen: str | None = None) -> bool:
    """Change the title, time, length or agenda of a session that has not started (owner or moderator); flush.

    Its article stays: the prompts are pinned to its passages. The members are told when the time or
    the length changed; returns whether it did. `seen` is the `fingerprint` the editor started from:
    a session changed since by someone else is not overwritten (Conflict, field "seen"). Raises
    Forbidden, Conflict (started, changed meanwhile, or the group archived) or ServiceError naming
    the field (a start in the past), changing nothing.
    """
    group = db.session.get(Group, session.group_id)
    groups.require_role(group, actor, GroupRole.MODERATOR)
    groups.require_writable(group)
    now = now or utcnow()
    # Read under the row's lock (PostgreSQL; SQLite's writers hold the database's), so that two saves at
    # once cannot both find the session as their editors saw it.
    db.session.execute(select(GroupSession.id).where(GroupSession.id == session.id).with_for_update())
    db.session.refresh(session)
    if has_started(session, now):
        raise Conflict("This session has already started: it stays in the group's record as it was.")
    if seen is not None and seen != fingerprint(session):
        raise Conflict(f"Someone else changed this session while you were editing it. It now reads “{session.title}”, "
                       f"{session.duration_minutes} minutes, from {describe(session.starts_at, actor.time_zone)}. "
                       "Your changes are not saved; they are still below: compare, then save again.", "seen")
    plan = _clean_plan(plan, session.article, now)
    moved = (plan.starts_at, plan.duration_minutes) != (session.starts_at, session.duration_minutes)
    session.title, session.starts_at, session.duration_minutes = plan.title, plan.starts_at, plan.duration_minutes
    session.agenda, session.agenda_html = plan.agenda, render_markdown(plan.agenda) if plan.agenda else ""
    db.session.flush()
    if moved:
        _tell_members(session, actor, moved=True)
    return moved


def _tell_members(session: GroupSession, actor: User, moved: bool = False) -> None:
    """Notify every other member that the session is scheduled (or `moved`), with the time in their own time zone."""
    people = db.session.execute(
        select(User.id, User.time_zone).join(GroupMembership, GroupMembership.user_id == User.id)
        .where(GroupMembership.group_id == session.group_id, User.id != actor.id)).all()
    group = db.session.get(Group, session.group_id)
    done = "moved" if moved else "scheduled"
    # Each new time is news once: told again if the session moves again.
    key = (f"group-session:{session.id}:{session.starts_at:%Y%m%dT%H%M}:{session.duration_minutes}" if moved
           else f"group-session:{session.id}")
    for user_id, zone_name in people:
        when = describe(session.starts_at, zone_name)
        notifications.notify(user_id, SESSION_KIND,
                             f"{actor.display_name} {done} a session of “{group.name}”: “{session.title}”, "
                             f"{when if not moved else f'now {when}'} ({session.duration_minutes} minutes).",
                             actor_id=actor.id, event_key=key)


def find(group: Group, session_id: int) -> GroupSession | None:
    """Return the group's session with this number (its article loaded), or None."""
    return db.session.scalar(select(GroupSession).where(GroupSession.group_id == group.id,
                                                        GroupSession.id == session_id)
                             .options(joinedload(GroupSession.article)))


def upcoming(group: Group, now: datetime | None = None, limit: int = 20) -> list[GroupSession]:
    """Return the group's sessions still to end, soonest first."""
    now = now or utcnow()
    rows = db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                              .options(joinedload(GroupSession.article)).order_by(GroupSession.starts_at)).all()
    return [s for s in rows if ends_at(s) > now][:limit]


def past(group: Group, now: datetime | None = None, limit: int = 20) -> list[GroupSession]:
    """Return the group's sessions that have ended, latest first."""
    now = now or utcnow()
    rows = db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                              .options(joinedload(GroupSession.article))
                              .order_by(GroupSession.starts_at.desc())).all()
    return [s for s in rows if ends_at(s) <= now][:limit]


def sessions_of(group: Group) -> list[GroupSession]:
    """Return all the group's sessions, soonest first, with their articles and prompts (three queries)."""
    return list(db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                                   .options(joinedload(GroupSession.article),
                                            selectinload(GroupSession.prompts).joinedload(SessionPrompt.annotation))
                                   .order_by(GroupSession.starts_at)).unique())


@dataclass(frozen=True)
class AttendanceFacts:
    """How many attended each session, and which of them one person attended."""

    counts: dict[int, int]
    attended: frozenset[int]


def attendance_facts(session_ids: list[int], user_id: int) -> AttendanceFacts:
    """Return the attendance of several sessions, and `user_id`'s, in one query."""
    if not session_ids:
        return AttendanceFacts({}, frozenset())
    rows = db.session.execute(select(SessionAttendance.session_id, SessionAttendance.user_id)
                              .where(SessionAttendance.session_id.in_(session_ids))).all()
    counts: dict[int, int] = {}
    for session_id, _user in rows:
        counts[session_id] = counts.get(session_id, 0) + 1
    return AttendanceFacts(counts, frozenset(s for s, u in rows if u == user_id))


def ends_at(session: GroupSession) -> datetime:
    """Return when a session ends."""
    return session.starts_at + timedelta(minutes=session.duration_minutes)


def has_started(session: GroupSession, now: datetime | None = None) -> bool:
    """Tell whether the session has started (its discussion export and CPD record are available from then)."""
    return session.starts_at <= (now or utcnow())


def cancel(session: GroupSession, actor: User, now: datetime | None = None) -> None:
    """Cancel a session that has not started (owner or moderator); its prompts stay as group questions."""
    group = db.session.get(Group, session.group_id)
    groups.require_role(group, actor, GroupRole.MODERATOR)
    if has_started(session, now):
        raise Conflict("This session has already started: it stays in the group's record.")
    db.session.execute(delete(SessionPrompt).where(SessionPrompt.session_id == session.id))
    db.session.delete(session)
    db.session.flush()


# --- Prompts --------------------------------------------------------------------------------------

def add_prompt(session: GroupSession, actor: User, *, exact: str, question: str, prefix: str = "",
               suffix: str = "") -> Annotation:
    """Pin a question to a passage of the session's article, in the group (owner or moderator); flush.

    Raises ServiceError (field "exact") when the passage is not in the article, and the errors of
    annotations.create for the question.
    """
    group = db.session.get(Group, session.group_id)
    groups.require_role(group, actor, GroupRole.MODERATOR)
    groups.require_writable(group)
    count = db.session.scalar(select(func.count(SessionPrompt.id)).where(SessionPrompt.session_id == session.id))
    if count >= MAX_PROMPTS:
        raise ServiceError(f"A session has {MAX_PROMPTS} prompts at most.", "exact")
    article = db.session.get(Article, session.article_id)
    try:
        selector = annotations.anchor(article, exact, None, None, prefix or "", suffix or "")
    except ServiceError as exc:
        raise ServiceError(f"{exc.message} A prompt is pinned to words of “{article.title}”: copy them from the "
                           "article.", "exact") from None
    prompt = annotations.create(article, actor, body=question, selector=selector, kind=AnnotationKind.QUESTION,
                                visibility=Visibility.GROUP, group=group, status=AnnotationStatus.PUBLISHED)
    db.session.add(SessionPrompt(session_id=session.id, annotation_id=prompt.id, position=count + 1))
    db.session.flush()
    return prompt


def prompts_of(session: GroupSession) -> list[Annotation]:
    """Return the session's prompts in order (deleted ones left out)."""
    return [p.annotation for p in session.prompts if not p.annotation.is_deleted]


def prompt_ids(group_id: int, article_id: int) -> dict[int, GroupSession]:
    """Return the group's prompts on the article, by annotation id, with their session (one query)."""
    rows = db.session.execute(select(SessionPrompt.annotation_id, GroupSession)
                              .join(GroupSession, GroupSession.id == SessionPrompt.session_id)
                              .where(GroupSession.group_id == group_id, GroupSession.article_id == article_id)
                              .order_by(GroupSession.starts_at, SessionPrompt.position)).all()
    return {annotation_id: session for annotation_id, session in rows}


# --- Attendance -----------------------------------------------------------------------------------

def set_attendance(session: GroupSession, user: User, attended: bool, now: datetime | None = None) -> bool:
    """Mark or withdraw `user`'s attendance (members, from a quarter of an hour before the start); flush."""
    group = db.session.get(Group, session.group_id)
    groups.require_role(group, user, GroupRole.MEMBER)
    now = now or utcnow()
    if session.starts_at - ATTENDANCE_OPENS > now:
        raise Conflict("Attendance can be marked from 15 minutes before the session starts.")
    row = attendance(session, user.id)
    if attended and row is None:
        db.session.add(SessionAttendance(session_id=session.id, user_id=user.id, marked_at=now))
    elif not attended and row is not None:
        db.session.delete(row)
    db.session.flush()
    return attended


def attendance(session: GroupSession, user_id: int) -> SessionAttendance | None:
    """Return `user_id`'s attendance of the session, or None."""
    return db.session.scalar(select(SessionAttendance).where(SessionAttendance.session_id == session.id,
                                                             SessionAttendance.user_id == user_id))


def attendees(session: GroupSession) -> list[User]:
    """Return the members who marked their attendance, by name."""
    return list(db.session.scalars(select(User).join(SessionAttendance, SessionAttendance.user_id == User.id)
                                   .where(SessionAttendance.session_id == session.id)
                                   .order_by(func.lower(User.display_name))))
