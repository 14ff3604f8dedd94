"""Flags: readers report an annotation to the moderators; enough of them hide it until a moderator decides.

A reader flags another person's annotation once, with a reason. Annotation.open_flags counts the
unresolved flags (each from a different reader, by the unique constraint) and is kept in step here
with an atomic increment, so concurrent flags are all counted. When it reaches FLAGS_TO_HIDE, or at
once for a patient-data report from a flagger with standing, the annotation is hidden automatically
through the moderation state machine (logged with no moderator).

One flag that hides at once is power, so throwaway accounts must not hold it: a patient-data flag
hides immediately only when it comes from a moderator or from an account at least
FLAG_HIDE_MIN_ACCOUNT_DAYS old with FLAG_HIDE_MIN_APPROVED approved public annotations. Anyone
else's patient-data flag leaves the annotation visible, at the top of the flagged queue, marked
urgent. And no reader's flags hide more than FLAG_AUTO_HIDES_PER_DAY annotations in 24 hours: past
that, their flags still count and queue, but hide nothing by themselves.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Action, Annotation, AnnotationStatus, Flag, FlagReason, User
from app.models.base import utcnow
from app.security.audit import security_log
from app.security.permissions import Permission, can, suspension_message
from app.services import moderation
from app.services.errors import Conflict, Forbidden, ServiceError
from app.services.premoderation import published_public_count
from app.services.visibility import can_read
from app.text.sanitize import clean_text

MAX_NOTE_LENGTH = 1000
REASON_LABELS = {
    FlagReason.PATIENT_DATA: "Contains patient-identifiable data",
    FlagReason.ABUSIVE: "Abusive or harassing",
    FlagReason.MISREPRESENTS_EVIDENCE: "Misrepresents the evidence",
    FlagReason.UNDISCLOSED_INTEREST: "Undisclosed competing interest",
    FlagReason.SPAM: "Spam or advertising",
    FlagReason.OFF_TOPIC: "Off topic",
    FlagReason.OTHER: "Other (explain in the note)",
}
ALREADY_FLAGGED = "You have already flagged this annotation; the moderators will review it."


def parse_reason(value: str | FlagReason | None) -> FlagReason:
    """Return the FlagReason named by `value`; raise ServiceError (field "reason") otherwise."""
    try:
        return FlagReason(str(value.value if isinstance(value, FlagReason) else value or "").strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in FlagReason)
        raise ServiceError(f"Choose why you are flagging this annotation ({names}).", "reason") from None


def threshold() -> int:
    """Return how many open flags from different readers hide an annotation automatically (0: never)."""
    return int(current_app.config.get("FLAGS_TO_HIDE", 3))


def check_can_flag(annotation: Annotation, user: User | None) -> None:
    """Raise Forbidden with the reason when `user` may not flag `annotation` (suspended, own, unreadable)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("Please sign in to flag an annotation.")
    if not can(user, Permission.FLAG):
        raise Forbidden(suspension_message(user) if user.is_suspended else "You may not flag annotations.")
    if annotation.author_id == user.id:
        raise Forbidden("You cannot flag your own annotation.")
    if annotation.is_deleted or not can_read(user, annotation):
        raise Forbidden("You can only flag an annotation you can read.")


def existing_flag(annotation: Annotation, user: User) -> Flag | None:
    """Return `user`'s flag on `annotation`, if they raised one."""
    return db.session.scalar(select(Flag).where(Flag.annotation_id == annotation.id, Flag.user_id == user.id))


def flag(annotation: Annotation, user: User, reason: str | FlagReason, note: str = "") -> Flag:
    """Record `user`'s flag on `annotation` and hide it automatically when the threshold is reached.

    Raises Forbidden (see check_can_flag), ServiceError for an unknown reason, an "other" flag without
    a note or a note over 1000 characters, and Conflict when `user` already flagged it.
    """
    check_can_flag(annotation, user)
    reason = parse_reason(reason)
    note = clean_text(note or "")
    if reason == FlagReason.OTHER and not note:
        raise ServiceError("Say in the note what is wrong when the reason is \"other\".", "note")
    if len(note) > MAX_NOTE_LENGTH:
        raise ServiceError(f"The note is too long ({len(note)} characters; {MAX_NOTE_LENGTH} at most).", "note")
    if existing_flag(annotation, user) is not None:
        raise Conflict(ALREADY_FLAGGED)
    now = utcnow()
    item = Flag(annotation_id=annotation.id, user_id=user.id, reason=reason, note=note, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:
        raise Conflict(ALREADY_FLAGGED) from None
    # Atomic increment, and a change of modified_at so that a moderator deciding on what they saw
    # before this flag arrived gets a conflict and sees it.
    db.session.execute(update(Annotation).where(Annotation.id == annotation.id)
                       .values(open_flags=Annotation.open_flags + 1, modified_at=now),
                       execution_options={"synchronize_session": False})
    db.session.refresh(annotation)
    _hide_if_needed(annotation, item, user)
    return item


def has_standing(user: User) -> bool:
    """Tell whether `user`'s patient-data flag hides at once: a moderator, or an account old enough with approvals."""
    if user.is_moderator:
        return True
    config = current_app.config
    old_enough = utcnow() - user.created_at >= timedelta(days=int(config["FLAG_HIDE_MIN_ACCOUNT_DAYS"]))
    return old_enough and published_public_count(user.id) >= int(config["FLAG_HIDE_MIN_APPROVED"])


def automatic_hides_today(user: User) -> int:
    """Count the annotations `user`'s flags hid automatically in the last 24 hours."""
    return db.session.scalar(select(func.count(Flag.id)).where(
        Flag.user_id == user.id, Flag.hid_annotation.is_(True), Flag.created_at >= utcnow() - timedelta(days=1)))


def _hide_if_needed(annotation: Annotation, flag: Flag, user: User) -> None:
    if annotation.status != AnnotationStatus.PUBLISHED:
        return
    limit = threshold()
    if flag.reason == FlagReason.PATIENT_DATA and has_standing(user):
        why = "Hidden automatically: a reader reported that it may contain patient data"
    elif limit > 0 and annotation.open_flags >= limit:
        why = f"Hidden automatically after {annotation.open_flags} flags"
    else:
        return
    allowance = int(current_app.config["FLAG_AUTO_HIDES_PER_DAY"])
    if not user.is_moderator and automatic_hides_today(user) >= allowance:
        security_log.warning("automatic hide withheld: the flagger reached %s today user=%s annotation=%s",
                             allowance, user.id, annotation.id)
        return
    moderation.transition(annotation, Action.AUTO_HIDE, None, reason=why)
    flag.hid_annotation = True
    db.session.flush()
