"""In-app notifications: moderation outcomes, replies, and revisions that moved an author's passage.

Notifications are rows written in the same transaction as the change they report, so a decision
that is rolled back leaves no message behind. Email is not sent.
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Action, Annotation, AnnotationStatus, Notification, User
from app.models.base import utcnow
from app.services.pagination import Page, paginate
from app.services.visibility import can_read

PAGE_SIZE = 50
QUOTE_LENGTH = 80


class Kind:
    """The kinds of notification (stored as plain strings)."""

    APPROVED = "approved"
    HIDDEN = "hidden"
    RESTORED = "restored"
    REMOVED = "removed"
    REPLY = "reply"
    # The article was revised under an annotation (app.services.anchoring).
    REWORDED = "reworded"
    CHANGED = "changed"
    ORPHANED = "orphaned"


# Kinds whose notification leads to the page where the author confirms or re-attaches.
ANCHOR_KINDS = (Kind.REWORDED, Kind.CHANGED, Kind.ORPHANED)


def notify(user_id: int, kind: str, message: str, annotation_id: int | None = None) -> Notification:
    """Queue an in-app message for `user_id`; flush, don't commit."""
    note = Notification(user_id=user_id, kind=kind, message=message, annotation_id=annotation_id,
                        created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    return note


def _where(annotation: Annotation) -> str:
    """Name an annotation for its author: the article and the start of the quoted passage."""
    title = annotation.article.title
    what = "reply" if annotation.parent_id else "annotation"
    quote = annotation.exact or ""
    if len(quote) > QUOTE_LENGTH:
        quote = quote[:QUOTE_LENGTH].rstrip() + "…"
    return f"your {what} on “{title}”" + (f" (“{quote}”)" if quote else "")


def moderation_outcome(annotation: Annotation, action, old_status: AnnotationStatus, reason: str) -> None:
    """Tell the author what a moderator (or the system) decided about their annotation, when it concerns them."""
    where = _where(annotation)
    status = annotation.status
    reason_text = f" Reason: {reason}" if reason else ""
    if Action(action) == Action.AUTO_HIDE:
        notify(annotation.author_id, Kind.HIDDEN,
               f"{where[0].upper()}{where[1:]} is hidden until a moderator reviews it.{reason_text} "
               "You can edit it once to resubmit it.", annotation.id)
    elif status == AnnotationStatus.HIDDEN:
        verb = "reviewed the flags on {where} and kept it hidden" if old_status == AnnotationStatus.HIDDEN else (
            "hid {where}")
        notify(annotation.author_id, Kind.HIDDEN,
               f"A moderator {verb.format(where=where)}.{reason_text} You can edit it once to resubmit it for "
               "review.", annotation.id)
    elif status == AnnotationStatus.REMOVED:
        notify(annotation.author_id, Kind.REMOVED, f"A moderator removed {where}; removal is final.{reason_text}",
               annotation.id)
    elif status == AnnotationStatus.PUBLISHED and old_status == AnnotationStatus.PENDING:
        notify(annotation.author_id, Kind.APPROVED,
               f"A moderator approved {where}. It is now visible to everyone.{reason_text}", annotation.id)
    elif status == AnnotationStatus.PUBLISHED and old_status == AnnotationStatus.HIDDEN:
        notify(annotation.author_id, Kind.RESTORED,
               f"A moderator reviewed {where} and made it visible again.{reason_text}", annotation.id)


def anchor_changed(annotation: Annotation, state: str) -> None:
    """Tell the author that a revision reworded, changed or lost the passage their annotation is on."""
    where = _where_written(annotation)
    version = annotation.article.version
    if state == Kind.REWORDED:
        text = (f"Version {version} of the article rewords the passage of {where}. It stays attached, with a "
                "“reworded” badge, until you confirm the new wording or re-attach it.")
    elif state == Kind.CHANGED:
        text = (f"Version {version} of the article changed the figures, units, negations or comparisons in the "
                f"passage of {where}. It is no longer shown on the passage: confirm the new wording, edit your "
                "annotation or re-attach it.")
    else:
        text = (f"Version {version} of the article no longer contains the passage of {where}. It is listed "
                "under the article with the words you wrote it on: re-attach it to a passage.")
    notify(annotation.author_id, state, text, annotation.id)


def _where_written(annotation: Annotation) -> str:
    """Name an annotation by the words it was written on (the current ones may be gone)."""
    quote = annotation.vouched_exact
    if len(quote) > QUOTE_LENGTH:
        quote = quote[:QUOTE_LENGTH].rstrip() + "…"
    return f"your annotation on “{annotation.article.title}” (“{quote}”)"


def notify_reply(reply: Annotation) -> None:
    """Tell the parent's author about `reply`: not themselves, only if they may read it, only once."""
    parent = db.session.get(Annotation, reply.parent_id) if reply.parent_id else None
    if parent is None or parent.author_id == reply.author_id:
        return
    parent_author = db.session.get(User, parent.author_id)
    if not can_read(parent_author, reply):
        return
    already = db.session.scalar(select(Notification.id).where(
        Notification.user_id == parent.author_id, Notification.kind == Kind.REPLY,
        Notification.annotation_id == reply.id).limit(1))
    if already:
        return
    author = db.session.get(User, reply.author_id)
    notify(parent.author_id, Kind.REPLY,
           f"{author.display_name} replied to {_where(parent)}.", reply.id)


def unread_count(user: User) -> int:
    """Count `user`'s unread notifications (one query)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def page_of(user: User, page: int = 1) -> Page[Notification]:
    """Return one page of `user`'s notifications, newest first."""
    return paginate(select(Notification).where(Notification.user_id == user.id)
                    .order_by(Notification.created_at.desc(), Notification.id.desc()), page, PAGE_SIZE)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of `user` read; return how many were."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
