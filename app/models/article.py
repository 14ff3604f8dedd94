"""Articles (literature commentaries) and their revisions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class ArticleStatus(enum.StrEnum):
    """Only published articles are visible to readers."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Article(db.Model):
    """A commentary: Markdown source plus what is derived from it once, at write time."""

    __tablename__ = "articles"
    # "Which articles are published" is asked by every search, many times: an index answers it
    # without reading the articles' large rows.
    __table_args__ = (Index("ix_articles_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    standfirst: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    commented_work_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    body_source: Mapped[str] = mapped_column(Text)
    # Rendered HTML and its canonical plain text, computed when the body is saved.
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ArticleStatus] = mapped_column(
        value_enum(ArticleStatus, "article_status"),
        default=ArticleStatus.PUBLISHED,
    )
    # Bumped by every change a reader would see on the page; part of the page cache key.
    display_rev: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    citations: Mapped[list[Citation]] = relationship(  # noqa: F821
        back_populates="article", order_by="Citation.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", order_by="ArticleRevision.version", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Article {self.slug} v{self.version}>"


class ArticleRevision(db.Model):
    """The full source of one version of an article, kept for diffs and re-anchoring."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body_source: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="revisions")
