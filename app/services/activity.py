"""My activity: what came back to a reader — replies in their threads, open questions, followed content, mentions.

Each section is one query whatever the amount of data, and shows only what the reader may read.
"New" counts from the reader's last visit to the article (or, for what they follow, from when they
started following it, whichever is later).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, cast, func, not_, select
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    ArticleStatus,
    ArticleVisit,
    Follow,
    FollowTarget,
    Notification,
    Study,
    User,
)
from app.services import answers
from app.services.notifications import Kind, visible_clause
from app.services.visibility import readable_clause

LIMIT = 50


@dataclass
class Activity:
    """The sections of the My activity page."""

    threads: list[tuple[Annotation, int]]
    open_questions: list[Annotation]
    articles: list[tuple[Article, int]]
    studies: list[tuple[Study, int]]
    mentions: list[Notification]


def _visit(user: User, article_id):
    return and_(ArticleVisit.user_id == user.id, ArticleVisit.article_id == article_id)


def threads_with_new_replies(user: User) -> list[tuple[Annotation, int]]:
    """Return the reader's threads with replies by others since their last visit, with how many."""
    reply = aliased(Annotation)
    since = func.coalesce(ArticleVisit.last_seen_at, Annotation.created_at)
    rows = db.session.execute(
        select(Annotation.id, func.count(reply.id).label("n"), func.max(reply.created_at).label("latest"))
        .join(reply, reply.root_id == Annotation.id)
        .join(Article, Article.id == Annotation.article_id)
        .outerjoin(ArticleVisit, _visit(user, Annotation.article_id))
        .where(Annotation.author_id == user.id, Annotation.parent_id.is_(None), Annotation.deleted_at.is_(None),
               Annotation.status != AnnotationStatus.REMOVED, Article.status == ArticleStatus.PUBLISHED,
               reply.author_id != user.id, reply.deleted_at.is_(None), readable_clause(user, reply),
               reply.created_at > since)
        .group_by(Annotation.id).order_by(func.max(reply.created_at).desc()).limit(LIMIT)).all()
    return _with_annotations([(row.id, row.n) for row in rows])


def _with_annotations(pairs: list[tuple[int, int]]) -> list[tuple[Annotation, int]]:
    if not pairs:
        return []
    loaded = {a.id: a for a in db.session.scalars(select(Annotation).where(Annotation.id.in_([i for i, _ in pairs]))
                                                  .options(selectinload(Annotation.article)))}
    return [(loaded[i], n) for i, n in pairs if i in loaded]


def open_questions(user: User) -> list[Annotation]:
    """Return the reader's questions without an accepted answer they can read, newest first."""
    return list(db.session.scalars(
        select(Annotation).join(Article, Article.id == Annotation.article_id)
        .where(Annotation.author_id == user.id, Annotation.parent_id.is_(None),
               Annotation.kind == AnnotationKind.QUESTION, Annotation.deleted_at.is_(None),
               Annotation.status != AnnotationStatus.REMOVED, Article.status == ArticleStatus.PUBLISHED,
               not_(answers.answered_clause(user)))
        .options(selectinload(Annotation.article))
        .order_by(Annotation.created_at.desc(), Annotation.id.desc()).limit(LIMIT)))


def _new_for(user: User, since_follow) -> tuple:
    """Conditions for annotations by others, readable by `user`, newer than their visit and their follow."""
    since = func.coalesce(ArticleVisit.last_seen_at, since_follow)
    return (Annotation.author_id != user.id, Annotation.deleted_at.is_(None), readable_clause(user),
            Annotation.created_at > since, Annotation.created_at > since_follow)


def followed_articles(user: User) -> list[tuple[Article, int]]:
    """Return the followed articles with annotations new to the reader, with how many."""
    rows = db.session.execute(
        select(Article, func.count(Annotation.id))
        .join(Follow, and_(Follow.user_id == user.id, Follow.target_type == FollowTarget.ARTICLE,
                           Follow.target == cast(Article.id, String)))
        .join(Annotation, Annotation.article_id == Article.id)
        .outerjoin(ArticleVisit, _visit(user, Article.id))
        .where(Article.status == ArticleStatus.PUBLISHED, *_new_for(user, Follow.created_at))
        .group_by(Article.id).order_by(func.max(Annotation.created_at).desc()).limit(LIMIT)).all()
    return [(article, n) for article, n in rows]


def followed_studies(user: User) -> list[tuple[Study, int]]:
    """Return the followed studies with annotations linking them that are new to the reader, with how many."""
    rows = db.session.execute(
        select(Study, func.count(Annotation.id))
        .join(Follow, and_(Follow.user_id == user.id, Follow.target_type == FollowTarget.STUDY,
                           Follow.target == cast(Study.id, String)))
        .join(Annotation, Annotation.study_id == Study.id)
        .join(Article, and_(Article.id == Annotation.article_id, Article.status == ArticleStatus.PUBLISHED))
        .outerjoin(ArticleVisit, _visit(user, Annotation.article_id))
        .where(*_new_for(user, Follow.created_at))
        .group_by(Study.id).order_by(func.max(Annotation.created_at).desc()).limit(LIMIT)).all()
    return [(study, n) for study, n in rows]


def mentions(user: User) -> list[Notification]:
    """Return the latest mentions of the reader that they may still read."""
    return list(db.session.scalars(
        select(Notification).where(visible_clause(user), Notification.kind == Kind.MENTION)
        .options(selectinload(Notification.annotation).selectinload(Annotation.article))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(LIMIT)))


def of(user: User) -> Activity:
    """Return every section of the reader's activity page."""
    return Activity(threads=threads_with_new_replies(user), open_questions=open_questions(user),
                    articles=followed_articles(user), studies=followed_studies(user), mentions=mentions(user))
