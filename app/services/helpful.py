""""Helpful" votes: one per reader per annotation, never on one's own, withdrawable.

Only annotations the voter may read can be voted on, and the count lives on the annotation
(`helpful_count`), shown only where the annotation itself is shown, so a count never reveals
private or hidden content. Each change marks the article page stale (the count is on it).
"""
from __future__ import annotations

from sqlalchemy import Select, delete, select, update

from app.extensions import db
from app.models import Annotation, HelpfulVote, User
from app.models.base import utcnow
from app.services.articles import bump_display
from app.services.errors import Conflict, Forbidden

ALREADY = "You already marked this annotation as helpful."
NOT_VOTED = "You have not marked this annotation as helpful, so there is nothing to withdraw."
OWN = "You cannot mark your own annotation as helpful."
DELETED = "This annotation was deleted by its author."


def has_voted(annotation_id: int, user_id: int) -> bool:
    """Tell whether the user found the annotation helpful."""
    return db.session.scalar(select(HelpfulVote.id).where(HelpfulVote.annotation_id == annotation_id,
                                                          HelpfulVote.user_id == user_id)) is not None


def voted_ids(user_id: int, article_id: int) -> set[int]:
    """Return the ids of the article's annotations the user found helpful (one query)."""
    return set(db.session.scalars(voted_statement(user_id, article_id)))


def voted_statement(user_id: int, article_id: int) -> Select:
    """Return the query of `voted_ids` (the page cache re-runs it to see whether a reader's votes changed)."""
    return select(HelpfulVote.annotation_id).join(Annotation, Annotation.id == HelpfulVote.annotation_id).where(
        HelpfulVote.user_id == user_id, Annotation.article_id == article_id)


def vote(annotation: Annotation, voter: User) -> int:
    """Record the voter's "helpful" (caller checked they may read it); return the new count.

    Raises Forbidden on one's own annotation and Conflict on a second vote or a deleted annotation.
    """
    if annotation.author_id == voter.id:
        raise Forbidden(OWN)
    if annotation.is_deleted:
        raise Conflict(DELETED)
    if has_voted(annotation.id, voter.id):
        raise Conflict(ALREADY)
    db.session.add(HelpfulVote(annotation_id=annotation.id, user_id=voter.id, created_at=utcnow()))
    db.session.execute(update(Annotation).where(Annotation.id == annotation.id)
                       .values(helpful_count=Annotation.helpful_count + 1),
                       execution_options={"synchronize_session": False})
    return _after_change(annotation)


def withdraw(annotation: Annotation, voter: User) -> int:
    """Take back the voter's "helpful"; return the new count; raise Conflict when there was none."""
    result = db.session.execute(delete(HelpfulVote).where(HelpfulVote.annotation_id == annotation.id,
                                                          HelpfulVote.user_id == voter.id))
    if result.rowcount == 0:
        raise Conflict(NOT_VOTED)
    db.session.execute(update(Annotation).where(Annotation.id == annotation.id)
                       .values(helpful_count=Annotation.helpful_count - 1),
                       execution_options={"synchronize_session": False})
    return _after_change(annotation)


def _after_change(annotation: Annotation) -> int:
    db.session.flush()
    db.session.refresh(annotation, ["helpful_count"])
    bump_display(annotation.article_id)
    return annotation.helpful_count
