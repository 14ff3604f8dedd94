"""What Postil knows about the trustworthiness of a study: notices about it and readers' appraisals.

A study may be retracted, corrected or given an expression of concern long after an article cites it;
each such notice is a row, with where it came from, so that a badge can say when and link to it.
A critique of evidence may carry one structured appraisal (a risk-of-bias tool, one of its domains and a
judgement); the study page aggregates them.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class NoticeKind(enum.StrEnum):
    """What a notice says about a study, worst first."""

    RETRACTION = "retraction"
    EXPRESSION_OF_CONCERN = "expression_of_concern"
    CORRECTION = "correction"


class StudyNotice(db.Model):
    """A retraction, expression of concern or correction published about a study.

    `notice_key` identifies the notice itself (its DOI when it has one, otherwise an id from its
    source), so that importing the same notice twice, from one source or two, stores it once.
    """

    __tablename__ = "study_notices"
    __table_args__ = (UniqueConstraint("study_id", "kind", "notice_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(value_enum(NoticeKind, "notice_kind", length=30))
    notice_key: Mapped[str] = mapped_column(String(255))
    notice_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(60))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study: Mapped[Study] = relationship(back_populates="notices")  # noqa: F821

    def __repr__(self) -> str:
        return f"<StudyNotice {self.id} {self.kind.value} study={self.study_id}>"


class Appraisal(db.Model):
    """One reader's structured risk-of-bias judgement, carried by a critique-of-evidence annotation.

    The vocabularies (tools, domains, judgements, GRADE factors) live in app.bibliography.appraisal;
    the values are validated there before they are stored.
    """

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), unique=True)
    tool: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(40))
    # The reader's own name for the domain when the tool is "other".
    domain_text: Mapped[str | None] = mapped_column(String(200), nullable=True)
    judgement: Mapped[str] = mapped_column(String(20))
    grade_factor: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    annotation: Mapped[Annotation] = relationship(back_populates="appraisal")  # noqa: F821
