"""Accepted answers: the asker of a question (or a moderator) marks one reply in its thread as the answer.

The question is a top-level annotation of kind "question"; the answer must be a reply in that
thread that the person choosing can read, not deleted. Choosing another reply replaces the answer;
withdrawing leaves the question unanswered again. Readers see "Answered" only while they may read
the accepted reply (a reply hidden later stops counting for them).
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import Annotation, AnnotationKind, User
from app.models.base import utcnow
from app.services import notifications
from app.services.articles import bump_display
from app.services.errors import BadRequest, Conflict, Forbidden
from app.services.visibility import can_read, readable_clause

NOT_A_QUESTION = "Only a question can have an accepted answer, and this annotation is not a question."
NOT_ASKER = "Only the person who asked this question, or a moderator, can choose its answer."
OTHER_THREAD = "This reply belongs to another thread: choose a reply to this question."


def can_choose(user: User | None, question: Annotation) -> bool:
    """Tell whether `user` may choose the answer to `question` (its asker or a moderator, not suspended)."""
    from app.security.permissions import Permission, can

    if not can(user, Permission.ANNOTATE):
        return False
    return question.author_id == user.id or user.is_moderator


def question_of(reply: Annotation) -> Annotation:
    """Return the question whose thread holds `reply`; raise BadRequest when it is not a reply to a question."""
    root = db.session.get(Annotation, reply.root_id) if reply.parent_id is not None else None
    if root is None or root.kind != AnnotationKind.QUESTION:
        raise BadRequest("Only a reply to a question can be accepted as its answer.")
    return root


def accept(question: Annotation, reply: Annotation, actor: User) -> Annotation:
    """Make `reply` the accepted answer of `question`; flush, don't commit.

    Raises BadRequest when `question` is not a question or `reply` is not in its thread (or is deleted),
    Forbidden when `actor` is neither its asker nor a moderator, Conflict when it is the answer already.
    """
    if question.parent_id is not None or question.kind != AnnotationKind.QUESTION:
        raise BadRequest(NOT_A_QUESTION)
    if reply.parent_id is None or (reply.root_id or reply.parent_id) != question.id:
        raise BadRequest(OTHER_THREAD)
    if reply.is_deleted or not can_read(actor, reply):
        raise BadRequest("This reply cannot be the answer: it was deleted or is not visible.")
    if not can_choose(actor, question):
        raise Forbidden(NOT_ASKER)
    if question.accepted_answer_id == reply.id:
        raise Conflict("This reply is already the accepted answer.")
    question.accepted_answer_id = reply.id
    question.accepted_at = utcnow()
    db.session.flush()
    bump_display(question.article_id)
    notifications.answer_accepted(question, reply, actor)
    return question


def withdraw(question: Annotation, actor: User) -> Annotation:
    """Leave `question` without an accepted answer; raise Forbidden or Conflict as `accept` does."""
    if question.parent_id is not None or question.kind != AnnotationKind.QUESTION:
        raise BadRequest(NOT_A_QUESTION)
    if not can_choose(actor, question):
        raise Forbidden(NOT_ASKER)
    if question.accepted_answer_id is None:
        raise Conflict("This question has no accepted answer to withdraw.")
    question.accepted_answer_id = None
    question.accepted_at = None
    db.session.flush()
    bump_display(question.article_id)
    return question


def visible_answer(question: Annotation, viewer: User | None) -> Annotation | None:
    """Return the accepted answer of `question` if `viewer` may read it, else None."""
    answer = question.accepted_answer if question.accepted_answer_id else None
    if answer is None or answer.is_deleted or not can_read(viewer, answer):
        return None
    return answer


def answered_clause(viewer: User | None) -> ColumnElement[bool]:
    """Return the SQL condition for questions with an accepted answer `viewer` may read."""
    answer = aliased(Annotation)
    return exists(select(answer.id).where(answer.id == Annotation.accepted_answer_id, answer.deleted_at.is_(None),
                                          readable_clause(viewer, answer)))
