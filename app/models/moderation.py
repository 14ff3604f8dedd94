"""Flags raised by readers, the append-only moderation log with its vocabulary, and notifications to authors.

The `Action` vocabulary lives beside the log that records it, so that every service (moderation,
notifications, sanctions) reads it from the model rather than from one another.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class FlagReason(enum.StrEnum):
    """Why a reader flagged an annotation; the order is the severity order in the queue (worst first)."""

    PATIENT_DATA = "patient_data"
    ABUSIVE = "abusive"
    MISREPRESENTS_EVIDENCE = "misrepresents_evidence"
    UNDISCLOSED_INTEREST = "undisclosed_interest"
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class Flag(db.Model):
    """One reader's flag on one annotation (a reader flags an annotation once)."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("annotation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[FlagReason] = mapped_column(
        value_enum(FlagReason, "flag_reason", length=30))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a moderator decides on the annotation; resolved flags no longer count.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # This flag hid the annotation automatically (counted against the flagger's daily allowance).
    hid_annotation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821


class Action(enum.StrEnum):
    """Everything the moderation log records: status changes and account sanctions."""

    APPROVE = "approve"
    HIDE = "hide"
    RESTORE = "restore"
    REMOVE = "remove"
    DISMISS_FLAGS = "dismiss_flags"
    AUTO_HIDE = "auto_hide"
    RESUBMIT = "resubmit"
    HOLD_EDIT = "hold_edit"
    SUSPEND = "suspend"
    LIFT_SUSPENSION = "lift_suspension"
    SET_ROLE = "set_role"
    TRUST = "trust"
    UNTRUST = "untrust"
    # A site moderator or admin opened a journal club's flagged annotation in the panel.
    READ_GROUP = "read_group"


ACTION_LABELS = {
    Action.APPROVE: "Approved", Action.HIDE: "Hidden", Action.RESTORE: "Restored", Action.REMOVE: "Removed",
    Action.DISMISS_FLAGS: "Flags dismissed", Action.AUTO_HIDE: "Hidden automatically",
    Action.RESUBMIT: "Resubmitted by the author", Action.HOLD_EDIT: "Edit held for review",
    Action.SUSPEND: "Account suspended",
    Action.LIFT_SUSPENSION: "Suspension lifted", Action.SET_ROLE: "Role changed",
    Action.TRUST: "Marked trusted", Action.UNTRUST: "Trust withdrawn",
    Action.READ_GROUP: "Group annotation read (flagged)",
}


class ModerationLog(db.Model):
    """An append-only record of every moderation decision and account sanction."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for decisions taken by the system (automatic hiding after flags).
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                     index=True)
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # The journal club whose annotation the entry is about (decisions in groups name their group).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), nullable=True,
                                                 index=True)
    action: Mapped[str] = mapped_column(String(40))
    old_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    new_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])  # noqa: F821
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])  # noqa: F821
    group: Mapped[Group | None] = relationship()  # noqa: F821


@event.listens_for(ModerationLog, "before_update")
@event.listens_for(ModerationLog, "before_delete")
def _log_is_append_only(_mapper, _connection, target: ModerationLog) -> None:
    raise RuntimeError(f"The moderation log is append-only (entry {target.id}).")


class Notification(db.Model):
    """A message to a user about an event: shown in the app, and emailed at once or in a digest.

    `event_key` names the event (a new annotation, a mention, an accepted answer) so that a person
    hears about one event once, whatever the number of reasons they have to hear about it.
    `delivery` is the person's choice for the event's type when it happened; digests collect the
    ones marked "daily" or "weekly" that no digest has carried yet (`digested_at`).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),
                      UniqueConstraint("user_id", "event_key"),
                      Index("ix_notifications_digest", "delivery", "digested_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    event_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    delivery: Mapped[str] = mapped_column(String(10), default="app", server_default="app")
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    annotation: Mapped[Annotation | None] = relationship()  # noqa: F821
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])  # noqa: F821
