"""Annotations on articles, replies to them, and their edit history."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum
from app.text.kinds import AnnotationKind

# The longest IRI kept from a client (`canonical`, `via`): what browsers and servers reliably handle.
IRI_MAX_LENGTH = 2048


class AnnotationStatus(enum.StrEnum):
    """Moderation status."""

    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REMOVED = "removed"


class Visibility(enum.StrEnum):
    """Who may read an annotation."""

    PUBLIC = "public"
    PRIVATE = "private"
    # Members of the annotation's group (Annotation.group_id) only.
    GROUP = "group"


class Annotation(db.Model):
    """A comment anchored to a passage of an article, or a reply to another annotation."""

    __tablename__ = "annotations"
    # By article and creation time: what is new to a reader since their last visit (app.services.visits).
    # By article and row version: what changed since a page last read (app.services.reading).
    __table_args__ = (Index("ix_annotations_article_status", "article_id", "status"),
                      Index("ix_annotations_article_created", "article_id", "created_at"),
                      Index("ix_annotations_article_version", "article_id", "row_version"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="RESTRICT"), nullable=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="RESTRICT"), nullable=True,
                                                index=True)
    kind: Mapped[AnnotationKind] = mapped_column(value_enum(AnnotationKind, "annotation_kind"),
                                                 default=AnnotationKind.COMMENT)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="SET NULL"), nullable=True)
    visibility: Mapped[Visibility] = mapped_column(value_enum(Visibility, "annotation_visibility"),
                                                   default=Visibility.PUBLIC)
    # Set exactly when visibility is GROUP: the journal club whose members may read it.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="RESTRICT"), nullable=True,
                                                 index=True)
    status: Mapped[AnnotationStatus] = mapped_column(
        value_enum(AnnotationStatus, "annotation_status"), default=AnnotationStatus.PUBLISHED
    )
    # Selectors relative to the article's current version (top-level annotations only).
    exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    prefix: Mapped[str | None] = mapped_column(Text, nullable=True)
    suffix: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The quote as first written (its full selectors are the annotation's first AnchorRecord).
    original_exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The wording its author last vouched for: the original until they confirm a change or re-attach.
    confirmed_exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_version: Mapped[int] = mapped_column(Integer, default=1)
    anchor_version: Mapped[int] = mapped_column(Integer, default=1)
    # anchored, moved, reworded, changed or orphaned (app.text.anchoring.STATES).
    anchor_state: Mapped[str] = mapped_column(String(20), default="anchored")
    # Shown to the author of a hidden annotation.
    moderation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An author may resubmit a hidden annotation by editing it once per moderator decision.
    resubmitted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Unresolved flags, kept in step by the moderation service for queue ordering.
    open_flags: Mapped[int] = mapped_column(Integer, default=0)
    # W3C Web Annotation provenance sent by an API client, kept as sent: `canonical` names the
    # annotation's authoritative IRI wherever it was first made; `via` the IRI it was copied from
    # (the `id` it arrived with).
    canonical: Mapped[str | None] = mapped_column(String(IRI_MAX_LENGTH), nullable=True)
    via: Mapped[str | None] = mapped_column(String(IRI_MAX_LENGTH), nullable=True)
    # "Helpful" votes, kept in step with helpful_votes by the helpful service (pages read no COUNT).
    helpful_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # On a question: the reply its asker (or a moderator) accepted as the answer.
    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set by the database whenever the row is written, and when its author's name or profile changes
    # (migration 0016 says how): the outline of a page reads again only the rows past its mark.
    row_version: Mapped[int] = mapped_column(BigInteger, server_default="0", server_onupdate=FetchedValue())

    author: Mapped[User] = relationship(foreign_keys=[author_id])  # noqa: F821
    accepted_answer: Mapped[Annotation | None] = relationship(foreign_keys=[accepted_answer_id], remote_side=[id],
                                                              lazy="select")
    article: Mapped[Article] = relationship()  # noqa: F821
    study: Mapped[Study | None] = relationship()  # noqa: F821
    # Joined so that every page naming an annotation's group (badges, exports) needs no query per item.
    group: Mapped[Group | None] = relationship(lazy="joined")  # noqa: F821
    revisions: Mapped[list[AnnotationRevision]] = relationship(
        back_populates="annotation", order_by="AnnotationRevision.id", cascade="all, delete-orphan"
    )
    anchor_records: Mapped[list[AnchorRecord]] = relationship(
        back_populates="annotation", order_by="AnchorRecord.id", cascade="all, delete-orphan"
    )
    # Joined so that every page listing annotations shows the appraisal chip without another query.
    appraisal: Mapped[Appraisal | None] = relationship(  # noqa: F821
        back_populates="annotation", uselist=False, lazy="joined", cascade="all, delete-orphan")

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def vouched_exact(self) -> str:
        """Return the wording its author last vouched for (the original quote unless they confirmed another)."""
        return self.confirmed_exact or self.original_exact or self.exact or ""

    def __repr__(self) -> str:
        return f"<Annotation {self.id} {self.kind.value} {self.status.value}>"


class AnnotationRevision(db.Model):
    """A previous body of an edited annotation."""

    __tablename__ = "annotation_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    annotation: Mapped[Annotation] = relationship(back_populates="revisions")


class AnchorEvent(enum.StrEnum):
    """Why an anchor record was written."""

    WRITTEN = "written"  # the annotation was created on these selectors
    REVISION = "revision"  # an article revision re-anchored it
    CONFIRMED = "confirmed"  # its author (or an admin) vouched for the current wording
    REATTACHED = "reattached"  # its author (or an admin) attached it to another passage
    MIGRATED = "migrated"  # the selectors it had when anchor history began


class AnchorRecord(db.Model):
    """Where an annotation stood in one article version: selectors as cut then, and its state.

    Never updated: the first record holds the selectors the annotation was written on, and each
    revision, confirmation or re-attachment adds one.
    """

    __tablename__ = "anchor_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    article_version: Mapped[int] = mapped_column(Integer)
    event: Mapped[AnchorEvent] = mapped_column(value_enum(AnchorEvent, "anchor_event"))
    state: Mapped[str] = mapped_column(String(20))
    exact: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text, default="")
    suffix: Mapped[str] = mapped_column(Text, default="")
    # None when the passage was not found (orphaned).
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    annotation: Mapped[Annotation] = relationship(back_populates="anchor_records")


class HelpfulVote(db.Model):
    """One reader finding one annotation helpful (a reader votes once; the author never)."""

    __tablename__ = "helpful_votes"
    __table_args__ = (UniqueConstraint("annotation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
