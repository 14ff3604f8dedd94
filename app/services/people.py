"""People: public profiles and the search behind the @mention combobox.

A profile shows what its owner chose to make public (name, profession, affiliation, competing
interests, ORCID iD) and their public annotations on published articles; nothing private, pending,
hidden, removed or deleted. Anonymous visitors find only people with public annotations (as in the
API); signed-in readers, who can mention anyone, find every account.
"""
from __future__ import annotations

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, User
from app.services.pagination import Page, paginate
from app.services.visibility import public_clause

PER_PAGE = 20
SEARCH_LIMIT = 8


def _public_work():
    return (select(Annotation).join(Article, Article.id == Annotation.article_id)
            .where(public_clause(), Annotation.deleted_at.is_(None), Article.status == ArticleStatus.PUBLISHED))


def find(user_id: int, viewer: User | None) -> User | None:
    """Return the person whose profile `viewer` may see, or None."""
    signed_in = viewer is not None and getattr(viewer, "is_authenticated", False)
    condition = [User.id == user_id]
    if not signed_in:
        condition.append(exists(_public_work().where(Annotation.author_id == User.id).with_only_columns(
            Annotation.id)))
    return db.session.scalar(select(User).where(*condition))


def public_annotations(person: User, page: int) -> Page:
    """Return one page of the person's public annotations, newest first, with their articles."""
    stmt = (_public_work().where(Annotation.author_id == person.id)
            .options(joinedload(Annotation.article))
            .order_by(Annotation.created_at.desc(), Annotation.id.desc()))
    return paginate(stmt, page, PER_PAGE)


def search(query: str, viewer: User, limit: int = SEARCH_LIMIT) -> list[User]:
    """Return up to `limit` active accounts whose name contains `query` (names starting with it first)."""
    text = " ".join((query or "").split())[:60].lower()
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(User.display_name)
    starts = or_(name.like(f"{escaped}%", escape="\\"), name.like(f"% {escaped}%", escape="\\"))
    rows = db.session.scalars(
        select(User).where(name.like(f"%{escaped}%", escape="\\"), User.id != viewer.id,
                           User.suspended_indefinitely.is_(False))
        .order_by(starts.desc(), User.display_name, User.id).limit(limit * 2)).all()
    return [user for user in rows if not user.is_suspended][:limit]
