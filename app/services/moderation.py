"""Moderation's state machine: every change of an annotation's moderation status, one at a time or in bulk.

Every change of an annotation's moderation status goes through `transition()`, which checks the
transition table, applies the change with a conditional UPDATE (optimistic concurrency: it only
matches the row as the caller saw it, so two moderators acting at once cannot overwrite each other,
across processes too), and writes one append-only ModerationLog row (`record()`, which account
sanctions use too).

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

The queues live in `moderation_queue`, the log's reading side in `moderation_log`, pre-moderation in
`premoderation` and account sanctions in `sanctions`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Action,
    Annotation,
    AnnotationRevision,
    AnnotationStatus,
    Flag,
    ModerationLog,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.services import notifications
from app.services.articles import bump_display
from app.services.errors import Conflict, Forbidden, ServiceError
from app.services.moderation_scope import can_moderate, read_is_logged
from app.services.premoderation import initial_status, premoderation_count, published_public_count
from app.services.search import index as search_index
from app.text.sanitize import clean_text, render_markdown

REDACTED_BODY = "[removed by a moderator]"
MAX_REASON_LENGTH = 1000

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
    if annotation.visibility == Visibility.PRIVATE:
        raise Forbidden("Private notes are for their author alone and are not moderated.")
    if not can_moderate(actor, annotation):
        if annotation.visibility == Visibility.GROUP:
            raise Forbidden("Only the group's owner and moderators decide on its annotations (site moderators "
                            "too while one is flagged).")
        raise Forbidden("Only moderators can do this.")
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
        # The compare-and-set UPDATE bypassed the ORM: the search index must forget the redacted words.
        search_index.refresh(db.session, annotation_ids=[annotation.id])
    entry = record(actor, action, annotation=annotation, old=old.value, new=new.value, reason=reason)
    bump_display(annotation.article_id)
    notifications.moderation_outcome(annotation, action, old, reason)
    if new == S.PUBLISHED and old == S.PENDING:
        notifications.annotation_published(annotation)
        if annotation.visibility == Visibility.PUBLIC:
            _trust_if_earned(annotation.author)
    db.session.flush()
    return entry


def hold_edit_if_premoderated(annotation: Annotation, author: User) -> bool:
    """Send an edited published annotation back to the queue when its author's new annotations in its
    audience would wait (the site's pre-moderation, or a journal club's for its new members); return
    whether it was. The club's moderators decide on a club's, as on its new annotations."""
    if (annotation.status != S.PUBLISHED or annotation.visibility == Visibility.PRIVATE
            or initial_status(author, annotation.visibility, annotation.group) != S.PENDING):
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


# --- The log and trust -----------------------------------------------------------------------------

def _trust_if_earned(author: User) -> None:
    """Mark `author` trusted once as many public annotations as pre-moderation asks for are published."""
    count = premoderation_count()
    if author.trusted or not count or published_public_count(author.id) < count:
        return
    author.trusted = True
    record(None, Action.TRUST, target_user_id=author.id, old="untrusted", new="trusted",
           reason=f"Trusted automatically after {count} approved annotations")


def record(actor: User | None, action: Action, annotation: Annotation | None = None,
           target_user_id: int | None = None, old: str | None = None, new: str | None = None,
           reason: str = "") -> ModerationLog:
    """Append one entry to the moderation log (`actor` None: the system); flush, don't commit."""
    entry = ModerationLog(moderator_id=actor.id if actor else None, action=action.value,
                          annotation_id=annotation.id if annotation else None,
                          group_id=annotation.group_id if annotation else None,
                          target_user_id=target_user_id if target_user_id else (
                              annotation.author_id if annotation else None),
                          old_status=old, new_status=new, reason=reason or "", created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def log_group_read(viewer: User, annotation: Annotation) -> ModerationLog | None:
    """Log a site moderator's opening of a journal club's flagged annotation in the panel; flush.

    Returns None, writing nothing, when `viewer` moderates the annotation's group (their own work).
    """
    if not read_is_logged(viewer, annotation):
        return None
    return record(viewer, Action.READ_GROUP, annotation=annotation, old=annotation.status.value,
                  new=annotation.status.value,
                  reason=f"Opened in the moderation panel while flagged ({annotation.open_flags} open flags)")


# --- Bulk decisions --------------------------------------------------------------------------------

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
    # What the actor does not moderate (a private note, another group's annotation) is answered exactly
    # as a missing id is.
    found = {a.id: a for a in db.session.scalars(select(Annotation).where(Annotation.id.in_(list(selection))))
             if can_moderate(actor, a)}
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

