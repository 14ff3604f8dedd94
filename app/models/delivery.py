"""How each person wants to hear about each type of event, and the outbox of email waiting to be sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class NotificationPreference(db.Model):
    """A person's choice for one event type; without a row the type's default applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(30))
    delivery: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(db.Model):
    """One email to send, written in the same transaction as the change it reports.

    `key` names the event for this recipient, so an event is emailed to a person at most once;
    the Message-ID is derived from it and stays the same across retries. The sender claims a row
    (`sending`) before talking to the mail server and marks it `sent` after; a row left `sending`
    by a crash is never sent again (`unconfirmed`), so nobody gets the same email twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key"), Index("ix_outbox_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160))
    # "notification" (one event), "digest" (several) or "account" (transactional, not optional).
    category: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    # For account email to an address without an account yet (an invitation).
    to_address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"),
                                                        nullable=True)
    # Digests: the notification ids they carry; account email: subject, text and html.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
