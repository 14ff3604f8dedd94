"""What a journal club's member reads about it: the articles it discusses with what is new, a session's
discussion, and their own CPD record of a session.

Everything here goes through app.services.visibility (readable_clause, the group's layer), so a
member who left reads nothing of the group any more, and nobody else ever does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    Article,
    ArticleStatus,
    ArticleVisit,
    Citation,
    Group,
    GroupSession,
    SessionAttendance,
    User,
)
from app.services.group_sessions import ends_at, prompts_of
from app.services.layers import group_layer
from app.services.reading import Discussion, discussion
from app.services.visibility import readable_clause


@dataclass(frozen=True)
class DiscussedArticle:
    """An article the group discusses: its live group annotations, those new to the reader, its sessions."""

    article: Article
    annotations: int
    new: int
    sessions: tuple[GroupSession, ...] = ()


def discussed_articles(group: Group, viewer: User, sessions: list[GroupSession]) -> list[DiscussedArticle]:
    """Return the articles with group annotations or sessions, latest activity first (one query).

    "New" counts the group annotations by others written since the reader last opened the article
    (all of them when they never did).
    """
    mine = ArticleVisit
    new = case((and_(Annotation.author_id != viewer.id,
                     or_(mine.last_seen_at.is_(None), Annotation.created_at > mine.last_seen_at)), 1), else_=0)
    rows = db.session.execute(
        select(Article, func.count(Annotation.id), func.coalesce(func.sum(new), 0), func.max(Annotation.created_at))
        .join(Annotation, Annotation.article_id == Article.id)
        .outerjoin(mine, and_(mine.article_id == Article.id, mine.user_id == viewer.id))
        .where(Annotation.group_id == group.id, Annotation.deleted_at.is_(None), readable_clause(viewer),
               Article.status == ArticleStatus.PUBLISHED)
        .group_by(Article.id, mine.last_seen_at)).all()
    by_article: dict[int, tuple] = {article.id: (article, count, int(fresh), latest)
                                    for article, count, fresh, latest in rows}
    for session in sessions:
        if session.article_id not in by_article and session.article.status == ArticleStatus.PUBLISHED:
            by_article[session.article_id] = (session.article, 0, 0, session.created_at)
    sessions_by_article: dict[int, list[GroupSession]] = {}
    for session in sessions:
        sessions_by_article.setdefault(session.article_id, []).append(session)
    ordered = sorted(by_article.values(), key=lambda row: row[3], reverse=True)
    return [DiscussedArticle(article, count, fresh, tuple(sessions_by_article.get(article.id, ())))
            for article, count, fresh, _latest in ordered]


def session_discussion(session: GroupSession, viewer: User, annotate_url: str) -> Discussion:
    """Return the group's discussion of the session's article as the viewer reads it (prompts first)."""
    return discussion(session.article, viewer, annotate_url=annotate_url, layer=group_layer(session.group))


@dataclass
class CpdRecord:
    """A member's continuing professional development record of one session."""

    member: User
    session: GroupSession
    group: Group
    article: Article
    ends_at: datetime
    attended_at: datetime | None
    studies: list[Citation] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    prompts: list[Annotation] = field(default_factory=list)
    answered_prompts: int = 0

    @property
    def attended(self) -> bool:
        return self.attended_at is not None

    @property
    def hours(self) -> float:
        """Return the CPD credit claimable for attending: hours, to the quarter hour (none without attendance)."""
        if not self.attended:
            return 0.0
        return round(self.session.duration_minutes / 60 * 4) / 4


def cpd_record(session: GroupSession, member: User) -> CpdRecord:
    """Gather `member`'s CPD record of `session`: attendance, the article's cited studies, their annotations."""
    attendance = db.session.scalar(select(SessionAttendance.marked_at).where(
        SessionAttendance.session_id == session.id, SessionAttendance.user_id == member.id))
    article = session.article
    studies = sorted(article.citations, key=lambda c: c.position)
    written = list(db.session.scalars(
        select(Annotation).where(Annotation.article_id == article.id, Annotation.group_id == session.group_id,
                                 Annotation.author_id == member.id, Annotation.deleted_at.is_(None),
                                 readable_clause(member))
        .order_by(Annotation.created_at, Annotation.id)))
    prompts = prompts_of(session)
    prompt_ids = {p.id for p in prompts}
    answered = {a.root_id for a in written if a.root_id in prompt_ids}
    return CpdRecord(member=member, session=session, group=session.group, article=article, ends_at=ends_at(session),
                     attended_at=attendance, studies=studies, annotations=written, prompts=prompts,
                     answered_prompts=len(answered))


def quote_of(annotation: Annotation, by_id: dict[int, Annotation] | None = None) -> str:
    """Return the passage an annotation (or its thread) is on."""
    if annotation.parent_id is None:
        return annotation.exact or annotation.original_exact or ""
    root = (by_id or {}).get(annotation.root_id) or db.session.get(Annotation, annotation.root_id)
    return (root.exact or root.original_exact or "") if root is not None else ""


def is_question(annotation: Annotation) -> bool:
    """Tell whether an annotation opens a question thread."""
    return annotation.parent_id is None and annotation.kind == AnnotationKind.QUESTION
