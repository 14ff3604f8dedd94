"""What a reader follows (articles, threads, studies, tags, people) and when they last read each article."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class FollowTarget(enum.StrEnum):
    """The kinds of thing a reader can follow."""

    ARTICLE = "article"
    THREAD = "thread"
    STUDY = "study"
    TAG = "tag"
    PERSON = "person"


class Follow(db.Model):
    """One reader following one thing; `target` is its id (or, for a tag, the tag itself)."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "target_type", "target"),
                      Index("ix_follows_target", "target_type", "target"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[FollowTarget] = mapped_column(value_enum(FollowTarget, "follow_target"))
    target: Mapped[str] = mapped_column(String(120))
    # True when starting or replying to a thread followed it, rather than the reader's own choice.
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleVisit(db.Model):
    """When a reader last read an article, and the moment their "new since your last visit" counts from."""

    __tablename__ = "article_visits"
    __table_args__ = (UniqueConstraint("user_id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    # Annotations newer than this carry a "new" marker during the current visit.
    new_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
