"""Studies (structured references) and the citations that link articles to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Study(db.Model):
    """A cited work, CSL-JSON compatible, with Postil's evidence fields."""

    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citation_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    csl_type: Mapped[str] = mapped_column(String(40), default="article-journal")
    title: Mapped[str] = mapped_column(Text)
    title_normalised: Mapped[str] = mapped_column(Text, default="", index=True)
    authors: Mapped[list] = mapped_column(JSON, default=list)
    container_title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    container_title_short: Mapped[str | None] = mapped_column(String(120), nullable=True)
    issued_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    volume: Mapped[str | None] = mapped_column(String(40), nullable=True)
    issue: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pages: Mapped[str | None] = mapped_column(String(60), nullable=True)
    doi: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    pmid: Mapped[str | None] = mapped_column(String(16), unique=True, nullable=True)
    pmcid: Mapped[str | None] = mapped_column(String(20), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    abstract: Mapped[str | None] = mapped_column(Text, nullable=True)
    genre: Mapped[str | None] = mapped_column(String(80), nullable=True)
    design: Mapped[str | None] = mapped_column(String(40), nullable=True)
    population: Mapped[str | None] = mapped_column(Text, nullable=True)
    sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key_findings: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    retraction_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    citations: Mapped[list[Citation]] = relationship(back_populates="study")
    # Pages showing many studies load their notices in one query (app.services.notices.preload_notices).
    notices: Mapped[list[StudyNotice]] = relationship(  # noqa: F821
        back_populates="study", cascade="all, delete-orphan", order_by="StudyNotice.id")

    def __repr__(self) -> str:
        return f"<Study {self.id} {self.citation_key}>"


class Citation(db.Model):
    """An article citing a study: the key used in the Markdown and its Vancouver number."""

    __tablename__ = "citations"
    __table_args__ = (
        UniqueConstraint("article_id", "study_id"),
        UniqueConstraint("article_id", "key"),
        UniqueConstraint("article_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)

    article: Mapped[Article] = relationship(back_populates="citations")  # noqa: F821
    study: Mapped[Study] = relationship(back_populates="citations")
