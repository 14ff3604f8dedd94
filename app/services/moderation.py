"""Moderation: pre-moderation by trust, the status state machine with its log, the queues and account sanctions.

Every change of an annotation's moderation status goes through `transition()`, which checks the
transition table, applies the change with a conditional UPDATE (optimistic concurrency: it only
matches the row as the caller saw it, so two moderators acting at once cannot overwrite each other,
across processes too), and writes one append-only ModerationLog row.

Decisions taken here:
- Removal is final. The body shown everywhere becomes REDACTED_BODY; the original text is kept in an
  AnnotationRevision row that only admins see, so nothing a user wrote is ever lost, and the log keeps
  the reason.
- Every moderator decision (approve, hide, restore, remove, dismiss flags) resolves the open flags.
  Hence a hidden annotation with open flags is one hidden automatically and still awaiting a decision.
- Approving a hidden annotation and restoring it are the same change; the panel offers "restore" on
  hidden items and "approve" on pending ones.
- An annotation hidden automatically awaits a decision: "hide" then confirms the hiding with the
  moderator's reason (hidden → hidden, flags resolved); "restore" or "dismiss flags" publish it again.
- Pre-moderation covers edits too: when an author whose new annotations would still wait for a
  moderator changes a published public annotation, it goes back to the queue (published → pending,
  logged as "edit held for review") and others no longer see it until a moderator approves the new
  text (replies stay, under a stub). Showing the earlier text meanwhile would need a second body per
  annotation and would show readers words the author has withdrawn; holding the annotation is the
  rule new annotations already follow.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import case, event, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationRevision,
    AnnotationStatus,
    Article,
    Citation,
    Flag,
    FlagReason,
    ModerationLog,
    Role,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.services.errors import Conflict, Forbidden, ServiceError
from app.text.sanitize import clean_text, render_markdown

REDACTED_BODY = "[removed by a moderator]"
MAX_REASON_LENGTH = 1000
PAGE_SIZE = 50


class Action(enum.StrEnum):
    """Everything the moderation log records: status changes and account sanctions."""

    APPROVE = "approve"
    HIDE = "hide"
    RESTORE = "restore"
    REMOVE = "remove"
    DISMISS_FLAGS = "dismiss_flags"
    AUTO_HIDE = "auto_hide"
    RESUBMIT = "resubmit"
    HOLD_EDIT = "hold_edit"
    SUSPEND = "suspend"
    LIFT_SUSPENSION = "lift_suspension"
    SET_ROLE = "set_role"
    TRUST = "trust"
    UNTRUST = "untrust"


ACTION_LABELS = {
    Action.APPROVE: "Approved", Action.HIDE: "Hidden", Action.RESTORE: "Restored", Action.REMOVE: "Removed",
    Action.DISMISS_FLAGS: "Flags dismissed", Action.AUTO_HIDE: "Hidden automatically",
    Action.RESUBMIT: "Resubmitted by the author", Action.HOLD_EDIT: "Edit held for review",
    Action.SUSPEND: "Account suspended",
    Action.LIFT_SUSPENSION: "Suspension lifted", Action.SET_ROLE: "Role changed",
    Action.TRUST: "Marked trusted", Action.UNTRUST: "Trust withdrawn",
}

S = AnnotationStatus
# action -> {status before: status after}. A status missing from an action's row makes it illegal.
TRANSITIONS: dict[Action, dict[AnnotationStatus, AnnotationStatus]] = {
    Action.APPROVE: {S.PENDING: S.PUBLISHED, S.HIDDEN: S.PUBLISHED},
    # From hidden only while hidden automatically: the moderator confirms the hiding with their reason.
    Action.HIDE: {S.PENDING: S.HIDDEN, S.PUBLISHED: S.HIDDEN, S.HIDDEN: S.HIDDEN},
    Action.RESTORE: {S.HIDDEN: S.PUBLISHED},
    Action.REMOVE: {S.PENDING: S.REMOVED, S.PUBLISHED: S.REMOVED, S.HIDDEN: S.REMOVED},
    # Needs open flags; a hidden annotation has open flags only when it was hidden automatically.
    Action.DISMISS_FLAGS: {S.PUBLISHED: S.PUBLISHED, S.HIDDEN: S.PUBLISHED, S.PENDING: S.PENDING},
    Action.AUTO_HIDE: {S.PUBLISHED: S.HIDDEN},
    Action.RESUBMIT: {S.HIDDEN: S.PENDING},
    # An author still under pre-moderation edited a published annotation: the new text waits.
    Action.HOLD_EDIT: {S.PUBLISHED: S.PENDING},
}
# What a moderator may ask for (the panel and the API); the other rows are the system's and the author's.
MODERATOR_ACTIONS = (Action.APPROVE, Action.HIDE, Action.RESTORE, Action.REMOVE, Action.DISMISS_FLAGS)
# A moderator may not clear their own annotation; hiding or removing it is allowed.
NOT_ON_OWN = frozenset({Action.APPROVE, Action.RESTORE, Action.DISMISS_FLAGS})
REASON_REQUIRED = frozenset({Action.HIDE, Action.REMOVE})


def _needs_open_flags(action: Action, status: AnnotationStatus) -> bool:
    """Tell whether `action` from `status` applies only while flags are open (a decision is awaited)."""
    return action == Action.DISMISS_FLAGS or (action == Action.HIDE and status == S.HIDDEN)
QUEUE_STATES = ("pending", "flagged", "hidden")


@event.listens_for(ModerationLog, "before_update")
@event.listens_for(ModerationLog, "before_delete")
def _log_is_append_only(_mapper, _connection, target: ModerationLog) -> None:
    raise RuntimeError(f"The moderation log is append-only (entry {target.id}).")


# --- Pre-moderation by trust ---------------------------------------------------------------------

def premoderation_count() -> int | None:
    """Return how many public annotations of a new account wait for a moderator (None: all of them)."""
    raw = str(current_app.config.get("PREMODERATION_COUNT", "3")).strip().lower()
    return None if raw == "all" else int(raw)


def initial_status(author: User, visibility: Visibility) -> AnnotationStatus:
    """Decide whether a new annotation by `author` is published at once or waits as pending."""
    if visibility == Visibility.PRIVATE or author.is_moderator:
        return AnnotationStatus.PUBLISHED
    count = premoderation_count()
    if count is None:
        return AnnotationStatus.PENDING
    if count == 0 or author.trusted:
        return AnnotationStatus.PUBLISHED
    return AnnotationStatus.PUBLISHED if published_public_count(author.id) >= count else AnnotationStatus.PENDING


def published_public_count(author_id: int) -> int:
    """Count the author's public annotations that are published (approved, or never held)."""
    return db.session.scalar(select(func.count(Annotation.id)).where(
        Annotation.author_id == author_id, Annotation.visibility == Visibility.PUBLIC,
        Annotation.status == AnnotationStatus.PUBLISHED))


def _trust_if_earned(author: User) -> None:
    """Mark `author` trusted once as many public annotations as pre-moderation asks for are published."""
    count = premoderation_count()
    if author.trusted or not count or published_public_count(author.id) < count:
        return
    author.trusted = True
    _log(None, Action.TRUST, target_user_id=author.id, old="untrusted", new="trusted",
         reason=f"Trusted automatically after {count} approved annotations")


# --- The state machine ---------------------------------------------------------------------------

def parse_action(value: str | Action, allowed=MODERATOR_ACTIONS) -> Action:
    """Return the Action named by `value`; raise ServiceError (field "action") unless it is in `allowed`."""
    try:
        action = Action(str(value.value if isinstance(value, Action) else value).strip().lower())
    except ValueError:
        action = None
    if action not in allowed:
        names = ", ".join(a.value for a in allowed)
        raise ServiceError(f"Unknown moderation action {str(value)[:40]!r}: choose one of {names}.", "action")
    return action


def parse_modified(value: str | datetime | None) -> datetime | None:
    """Return the `modified` timestamp a moderator saw as an aware datetime; raise ServiceError when malformed."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ServiceError("if_modified must be the annotation's `modified` timestamp (ISO 8601).",
                               "if_modified") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _modified_matches(seen: datetime):
    """SQL condition: the row's modified_at is the one seen; a whole-second value (the API's) matches its second."""
    if seen.microsecond:
        return Annotation.modified_at == seen
    return (Annotation.modified_at >= seen) & (Annotation.modified_at < seen + timedelta(seconds=1))


def clean_reason(reason: str | None, required: bool = False) -> str:
    """Return the reason as plain text; raise ServiceError (field "reason") when missing or too long."""
    text = clean_text(reason or "")
    if required and not text:
        raise ServiceError("Give a reason: the author is shown it.", "reason")
    if len(text) > MAX_REASON_LENGTH:
        raise ServiceError(f"The reason is too long ({len(text)} characters; {MAX_REASON_LENGTH} at most).",
                           "reason")
    return text


def allowed_actions(annotation: Annotation, viewer: User) -> list[Action]:
    """Return the moderator actions `viewer` may take on `annotation` in its current state (for buttons)."""
    own = annotation.author_id == viewer.id
    return [a for a in MODERATOR_ACTIONS
            if annotation.status in TRANSITIONS[a]
            and not (own and a in NOT_ON_OWN)
            and (not _needs_open_flags(a, annotation.status) or annotation.open_flags > 0)
            and not (a == Action.APPROVE and annotation.status == S.HIDDEN)]


def _check_actor(annotation: Annotation, action: Action, actor: User | None) -> None:
    if action == Action.AUTO_HIDE:
        if actor is not None:
            raise Forbidden("Only the system hides an annotation automatically.")
        return
    if actor is None:
        raise Forbidden("This change needs a person to make it.")
    if action in (Action.RESUBMIT, Action.HOLD_EDIT):
        if actor.id != annotation.author_id:
            raise Forbidden("Only the author resubmits an annotation, by editing it.")
        return
    if not actor.is_moderator:
        raise Forbidden("Only moderators can do this.")
    if annotation.visibility == Visibility.PRIVATE:
        raise Forbidden("Private notes are for their author alone and are not moderated.")
    if action in NOT_ON_OWN and actor.id == annotation.author_id:
        raise Forbidden("You cannot approve, restore or dismiss flags on your own annotation: "
                        "another moderator has to decide.")


def _illegal(annotation: Annotation, action: Action) -> Conflict:
    if annotation.status == S.REMOVED:
        return Conflict("This annotation has been removed; removal is final.")
    if action == Action.DISMISS_FLAGS:
        return Conflict("This annotation has no open flags to dismiss.")
    if action == Action.HIDE and annotation.status == S.HIDDEN:
        return Conflict("This annotation is already hidden by a moderator.")
    if action == Action.RESUBMIT and annotation.resubmitted:
        return Conflict("This annotation was already resubmitted since the moderator's decision.")
    return Conflict(f"Cannot {action.value.replace('_', ' ')} an annotation that is {annotation.status.value}.")


STALE_MESSAGE = ("Annotation {id} changed since you loaded it (someone else may have acted on it). "
                 "Nothing was changed: reload to see its current state.")


def _transition_values(action: Action, new: S, reason: str, now: datetime) -> dict:
    """Return the column values that `action` writes when it moves an annotation to status `new`."""
    values: dict = {"status": new, "modified_at": now}
    if action in MODERATOR_ACTIONS:
        values.update(open_flags=0, resubmitted=False)
    if action == Action.RESUBMIT:
        values["resubmitted"] = True
    if new in (S.HIDDEN, S.REMOVED):
        values["moderation_reason"] = reason
    elif new == S.PUBLISHED:
        values["moderation_reason"] = None
    if new == S.REMOVED:
        values.update(body=REDACTED_BODY, body_html=render_markdown(REDACTED_BODY))
    return values


def transition(annotation: Annotation, action: Action | str, actor: User | None, reason: str = "",
               if_modified: datetime | str | None = None) -> ModerationLog:
    """Apply `action` to `annotation` on behalf of `actor` (None: the system) and log it; flush, don't commit.

    Raises ServiceError for an unknown action or a missing reason, Forbidden when `actor` may not do it,
    and Conflict when the action is illegal from the current status or the annotation changed since
    `if_modified` (its modified_at as the actor saw it). Bumps the article's display revision and
    notifies the author of approvals, hiding, restoring and removal.
    """
    action = parse_action(action, allowed=tuple(TRANSITIONS))
    _check_actor(annotation, action, actor)
    old = annotation.status
    new = TRANSITIONS[action].get(old)
    if new is None or (_needs_open_flags(action, old) and annotation.open_flags <= 0) or (
            action == Action.RESUBMIT and annotation.resubmitted):
        raise _illegal(annotation, action)
    reason = clean_reason(reason, required=action in REASON_REQUIRED)
    seen = parse_modified(if_modified)
    now = utcnow()
    is_decision = action in MODERATOR_ACTIONS
    values = _transition_values(action, new, reason, now)
    original = (annotation.body, annotation.body_html)

    # Compare-and-set: the row must still be as the actor saw it, so a concurrent decision makes this fail.
    stmt = update(Annotation).where(Annotation.id == annotation.id, Annotation.status == old)
    if seen is not None:
        stmt = stmt.where(_modified_matches(seen))
    if _needs_open_flags(action, old):
        stmt = stmt.where(Annotation.open_flags > 0)
    if action == Action.RESUBMIT:
        stmt = stmt.where(Annotation.resubmitted.is_(False))
    result = db.session.execute(stmt.values(**values), execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        raise Conflict(STALE_MESSAGE.format(id=annotation.id))
    db.session.refresh(annotation)

    if is_decision:
        db.session.execute(update(Flag).where(Flag.annotation_id == annotation.id, Flag.resolved_at.is_(None))
                           .values(resolved_at=now, resolved_by_id=actor.id))
    if new == S.REMOVED:
        # The original text stays, for admins only: nothing a user wrote is lost.
        db.session.add(AnnotationRevision(annotation_id=annotation.id, body=original[0], body_html=original[1],
                                          created_at=now))
    entry = _log(actor, action, annotation=annotation, old=old.value, new=new.value, reason=reason)

    from app.services import notifications
    from app.services.articles import bump_display

    bump_display(annotation.article_id)
    notifications.moderation_outcome(annotation, action, old, reason)
    if new == S.PUBLISHED and old == S.PENDING:
        if annotation.parent_id is not None:
            notifications.notify_reply(annotation)
        if annotation.visibility == Visibility.PUBLIC:
            _trust_if_earned(annotation.author)
    db.session.flush()
    return entry


def hold_edit_if_premoderated(annotation: Annotation, author: User) -> bool:
    """Send an edited published public annotation back to the queue when its author is still under
    pre-moderation (their new annotations would wait); return whether it was."""
    if (annotation.status != S.PUBLISHED or annotation.visibility != Visibility.PUBLIC
            or initial_status(author, Visibility.PUBLIC) != S.PENDING):
        return False
    transition(annotation, Action.HOLD_EDIT, author,
               reason="Edited by an author whose annotations are still reviewed before they are published")
    return True


def resubmit_if_hidden(annotation: Annotation, author: User) -> bool:
    """Send an edited hidden annotation back to the queue, once per moderator decision; return whether it was."""
    if annotation.status != S.HIDDEN or annotation.resubmitted:
        return False
    transition(annotation, Action.RESUBMIT, author, reason="Edited by the author after it was hidden")
    return True


def _log(actor: User | None, action: Action, annotation: Annotation | None = None, target_user_id: int | None = None,
         old: str | None = None, new: str | None = None, reason: str = "") -> ModerationLog:
    entry = ModerationLog(moderator_id=actor.id if actor else None, action=action.value,
                          annotation_id=annotation.id if annotation else None,
                          target_user_id=target_user_id if target_user_id else (
                              annotation.author_id if annotation else None),
                          old_status=old, new_status=new, reason=reason or "", created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


# --- Queues --------------------------------------------------------------------------------------

def _live():
    return Annotation.deleted_at.is_(None)


def waiting_clause():
    """Return the SQL condition for items waiting for a moderator: pending, or with open flags."""
    return _live() & (Annotation.status != S.REMOVED) & or_(Annotation.status == S.PENDING, Annotation.open_flags > 0)


def waiting_count() -> int:
    """Count items waiting for a moderator (pending, flagged, hidden automatically), in one query."""
    return db.session.scalar(select(func.count(Annotation.id)).where(waiting_clause()))


def _state_clause(state: str):
    if state == "pending":
        return _live() & (Annotation.status == S.PENDING)
    if state == "flagged":
        return _live() & (Annotation.status != S.REMOVED) & (Annotation.open_flags > 0)
    if state == "hidden":
        return _live() & (Annotation.status == S.HIDDEN)
    raise ServiceError(f"Unknown queue {state[:20]!r}: choose one of {', '.join(QUEUE_STATES)}.", "state")


def _urgent():
    """SQL condition: readers can still see the annotation and an open flag reports patient data in it."""
    return (Annotation.status == S.PUBLISHED) & (
        select(Flag.id).where(Flag.annotation_id == Annotation.id, Flag.resolved_at.is_(None),
                              Flag.reason == FlagReason.PATIENT_DATA).exists())


def _severity_rank():
    """SQL expression ranking a flag reason by FlagReason's declaration order (0 = worst)."""
    return case({reason: rank for rank, reason in enumerate(FlagReason)}, value=Flag.reason, else_=99)


@dataclass
class AuthorHistory:
    """How an author's public annotations have fared."""

    published: int = 0
    pending: int = 0
    hidden: int = 0
    removed: int = 0


@dataclass
class QueueItem:
    """An annotation as a moderator reviews it, with everything the decision needs."""

    annotation: Annotation
    flags: list[Flag] = field(default_factory=list)
    history: AuthorHistory = field(default_factory=AuthorHistory)
    parent: Annotation | None = None
    quote: str | None = None

    @property
    def hidden_automatically(self) -> bool:
        return self.annotation.status == S.HIDDEN and self.annotation.open_flags > 0

    @property
    def urgent(self) -> bool:
        """Tell whether readers still see it although an open flag reports patient data (shown first)."""
        return self.annotation.status == S.PUBLISHED and any(
            f.reason == FlagReason.PATIENT_DATA and f.resolved_at is None for f in self.flags)

    @property
    def worst_flag(self) -> FlagReason | None:
        order = list(FlagReason)
        open_flags = [f for f in self.flags if f.resolved_at is None]
        return min((f.reason for f in open_flags), key=order.index) if open_flags else None


@dataclass
class QueuePage:
    """One page of a queue, with the size of every queue for the tabs."""

    state: str
    items: list[QueueItem]
    total: int
    page: int
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def queue_counts() -> dict[str, int]:
    """Return the number of items in each queue, in one query."""
    row = db.session.execute(select(*[
        func.coalesce(func.sum(case((_state_clause(state), 1), else_=0)), 0) for state in QUEUE_STATES])).one()
    return dict(zip(QUEUE_STATES, (int(v) for v in row), strict=True))


def queue(state: str, page: int = 1) -> QueuePage:
    """Return one page of the pending, flagged or hidden queue in a fixed number of queries.

    Pending: oldest first. Flagged: urgent first (still visible with an open patient-data flag), then most open flags,
    then the worst reason (FlagReason order), then the oldest. Hidden: most recently changed first.
    """
    clause = _state_clause(state)
    page = max(1, int(page or 1))
    stmt = select(Annotation).where(clause).options(*_review_options())
    if state == "pending":
        stmt = stmt.order_by(Annotation.modified_at, Annotation.id)
    elif state == "flagged":
        worst = (select(func.min(_severity_rank())).where(Flag.annotation_id == Annotation.id,
                                                           Flag.resolved_at.is_(None)).scalar_subquery())
        stmt = stmt.order_by(case((_urgent(), 0), else_=1), Annotation.open_flags.desc(), worst,
                             Annotation.modified_at, Annotation.id)
    else:
        stmt = stmt.order_by(Annotation.modified_at.desc(), Annotation.id.desc())
    rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique().all()
    counts = queue_counts()
    return QueuePage(state=state, items=review_items(rows), total=counts[state], page=page, counts=counts)


def review_items(rows: list[Annotation], all_flags: bool = False) -> list[QueueItem]:
    """Wrap annotations with their flags, author history and context, in three queries whatever their number."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    flag_stmt = (select(Flag).where(Flag.annotation_id.in_(ids)).options(joinedload(Flag.user))
                 .order_by(_severity_rank(), Flag.created_at))
    if not all_flags:
        flag_stmt = flag_stmt.where(Flag.resolved_at.is_(None))
    flags: dict[int, list[Flag]] = {}
    for flag in db.session.scalars(flag_stmt):
        flags.setdefault(flag.annotation_id, []).append(flag)
    histories = author_histories({a.author_id for a in rows})
    context_ids = {a.parent_id for a in rows if a.parent_id} | {a.root_id for a in rows if a.root_id}
    context = {}
    if context_ids:
        context = {a.id: a for a in db.session.scalars(
            select(Annotation).where(Annotation.id.in_(context_ids)).options(joinedload(Annotation.author)))}
    items = []
    for a in rows:
        root = context.get(a.root_id) if a.root_id else a
        items.append(QueueItem(annotation=a, flags=flags.get(a.id, []),
                               history=histories.get(a.author_id, AuthorHistory()),
                               parent=context.get(a.parent_id) if a.parent_id else None,
                               quote=root.exact if root is not None else None))
    return items


def author_histories(author_ids: set[int]) -> dict[int, AuthorHistory]:
    """Return each author's counts of public annotations by status, in one query."""
    if not author_ids:
        return {}
    rows = db.session.execute(select(Annotation.author_id, Annotation.status, func.count(Annotation.id))
                              .where(Annotation.author_id.in_(author_ids),
                                     Annotation.visibility == Visibility.PUBLIC)
                              .group_by(Annotation.author_id, Annotation.status)).all()
    histories: dict[int, AuthorHistory] = {}
    for author_id, status, count in rows:
        setattr(histories.setdefault(author_id, AuthorHistory()), AnnotationStatus(status).value, count)
    return histories


def _review_options() -> tuple:
    # Everything a review page or the API serialiser reads, loaded with the rows (no query per item).
    return (joinedload(Annotation.author), joinedload(Annotation.study),
            joinedload(Annotation.article).selectinload(Article.citations).selectinload(Citation.study))


def get_for_review_or_404(annotation_id: int) -> Annotation:
    """Return any annotation whatever its status (moderators only), or answer 404."""
    from flask import abort

    annotation = db.session.scalar(select(Annotation).where(Annotation.id == annotation_id)
                                   .options(*_review_options()))
    # A private note is for its author alone: it never needs a moderator, so it is not there for one.
    if annotation is None or annotation.visibility == Visibility.PRIVATE:
        abort(404, description="There is no annotation with this number.")
    return annotation


def history_of(annotation: Annotation) -> list[ModerationLog]:
    """Return the log entries about `annotation`, oldest first."""
    return list(db.session.scalars(select(ModerationLog).where(ModerationLog.annotation_id == annotation.id)
                                   .options(joinedload(ModerationLog.moderator))
                                   .order_by(ModerationLog.created_at, ModerationLog.id)))


@dataclass
class BulkResult:
    """What a bulk action did: the ids changed, and those refused with the reason."""

    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def bulk_transition(selection: dict[int, str | None], action: Action | str, actor: User,
                    reason: str = "") -> BulkResult:
    """Apply one action to several annotations ({id: modified seen}), each in a savepoint.

    An item that changed meanwhile, sent without the modified time seen, or on which the action is not
    allowed, is left alone and reported; the others are changed. Raises ServiceError for an unknown
    action, a missing reason or no selection.
    """
    action = parse_action(action)
    clean_reason(reason, required=action in REASON_REQUIRED)
    if not selection:
        raise ServiceError("Select at least one annotation first.", "ids")
    # A private note is not there for a moderator: it is answered exactly as a missing id is.
    found = {a.id: a for a in db.session.scalars(select(Annotation).where(
        Annotation.id.in_(list(selection)), Annotation.visibility != Visibility.PRIVATE))}
    result = BulkResult()
    for annotation_id, seen in selection.items():
        annotation = found.get(annotation_id)
        if annotation is None:
            result.refused.append((annotation_id, "it no longer exists"))
            continue
        if not seen:
            result.refused.append((annotation_id, "it was not on the page you acted from; reload and try again"))
            continue
        try:
            with db.session.begin_nested():
                transition(annotation, action, actor, reason, if_modified=seen)
        except ServiceError as exc:
            db.session.expire(annotation)
            result.refused.append((annotation_id, exc.message))
        else:
            result.done.append(annotation_id)
    return result


# --- The log -------------------------------------------------------------------------------------

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


def log_page(filters: LogFilters, page: int = 1, per_page: int = PAGE_SIZE) -> tuple[list[ModerationLog], int]:
    """Return one page of log entries matching `filters`, newest first, and the number of matches."""
    stmt = _log_query(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.options(joinedload(ModerationLog.moderator), joinedload(ModerationLog.target_user))
                              .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
                              .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return list(rows), total


def log_entries(filters: LogFilters):
    """Yield every log entry matching `filters`, oldest first, in batches (for the CSV export)."""
    stmt = (_log_query(filters).options(joinedload(ModerationLog.moderator), joinedload(ModerationLog.target_user))
            .order_by(ModerationLog.created_at, ModerationLog.id))
    yield from db.session.scalars(stmt.execution_options(yield_per=500))


def log_actors() -> list[User]:
    """Return the people who appear as actors in the log, by name (for the filter)."""
    ids = select(ModerationLog.moderator_id).where(ModerationLog.moderator_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name)))


# --- Accounts ------------------------------------------------------------------------------------

# Account changes made at the command line have no acting account; the log names them so.
COMMAND_LINE_ACTIONS = frozenset({Action.SUSPEND, Action.LIFT_SUSPENSION, Action.SET_ROLE})


def actor_name(entry: ModerationLog) -> str:
    """Name who acted in a log entry: the person, "Command line" for an operator, or "System"."""
    if entry.moderator is not None:
        return entry.moderator.display_name
    return "Command line" if entry.action in COMMAND_LINE_ACTIONS else "System"


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
    from app.services.accounts import end_all_sessions

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
    return _log(actor, Action.SUSPEND, target_user_id=user.id, old=old, new=suspension_state(user), reason=reason)


def lift_suspension(user: User, actor: User | None, reason: str = "") -> ModerationLog:
    """End `user`'s suspension now (`actor` None: the command line); raise Conflict when they are not suspended."""
    _check_admin(actor, user)
    if not user.is_suspended:
        raise Conflict(f"{user.display_name} is not suspended.")
    old = suspension_state(user)
    user.suspended_until = None
    user.suspended_indefinitely = False
    user.suspension_reason = None
    return _log(actor, Action.LIFT_SUSPENSION, target_user_id=user.id, old=old, new="active",
                reason=clean_reason(reason))


def change_role(user: User, actor: User | None, role: Role | str, reason: str = "") -> ModerationLog:
    """Give `user` another role (their sessions end; a suspension stays); `actor` None is the command line.

    Raises Conflict when the role is already theirs, Forbidden when `actor` is not another active
    admin or when it would leave no active admin.
    """
    from app.services.accounts import parse_role, set_role

    _check_admin(actor, user)
    role = parse_role(role.value if isinstance(role, Role) else role)
    if user.role == role:
        raise Conflict(f"{user.display_name} is already {role.value}.")
    if role != Role.ADMIN:
        _keep_an_active_admin(user, "changing this one's role")
    old = user.role.value
    set_role(user, role)
    return _log(actor, Action.SET_ROLE, target_user_id=user.id, old=old, new=role.value, reason=clean_reason(reason))


def set_trusted(user: User, actor: User, trusted: bool, reason: str = "") -> ModerationLog:
    """Mark `user` trusted (their annotations skip pre-moderation) or withdraw it."""
    _check_admin(actor, user)
    if user.trusted == trusted:
        raise Conflict(f"{user.display_name} is already {'trusted' if trusted else 'not trusted'}.")
    user.trusted = trusted
    db.session.flush()
    return _log(actor, Action.TRUST if trusted else Action.UNTRUST, target_user_id=user.id,
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


def users_page(query: str = "", page: int = 1) -> tuple[list[UserRow], int]:
    """Return one page of accounts matching `query` (name or email), with their history, in three queries."""
    stmt = select(User)
    query = clean_text(query or "")[:100]
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    users = db.session.scalars(stmt.order_by(User.display_name, User.id).limit(PAGE_SIZE)
                               .offset((max(1, page) - 1) * PAGE_SIZE)).all()
    histories = author_histories({u.id for u in users})
    return [UserRow(u, histories.get(u.id, AuthorHistory())) for u in users], total
