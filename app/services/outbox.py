"""The outbox: email waiting to be sent, written in the same transaction as the change it reports.

Web requests never talk to a mail server: they add rows here, and `flask notifications send`
(app.mail.worker) delivers them, retrying with backoff when the server refuses or is away. Each row
has a `key` naming its event for its recipient, unique, so an event is emailed to a person once.

`queue_account_email` is the one function for transactional email (sign-up confirmation, group
invitations): not subject to notification preferences, never carrying an unsubscribe link.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Notification, OutboxMessage, User
from app.models.base import utcnow
from app.services.errors import ServiceError


class Category:
    """What an outbox row carries."""

    NOTIFICATION = "notification"
    DIGEST = "digest"
    ACCOUNT = "account"


class Status:
    """Where an outbox row stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    # Not sent, on purpose: the content is no longer readable, or the person stopped this email.
    WITHHELD = "withheld"
    # Given up after too many attempts; kept, with the last error, for an admin to look at.
    FAILED = "failed"
    # Left "sending" by a crash: possibly sent, so never sent again.
    UNCONFIRMED = "unconfirmed"


MAX_KEY = 160


def _add(row: OutboxMessage) -> OutboxMessage | None:
    """Add `row` unless its key is already queued; return it, or None when it was."""
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == row.key)):
        return None
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # queued by a concurrent transaction
        return None
    return row


def queue_notification(note: Notification) -> OutboxMessage | None:
    """Queue the email for one notification ("email at once"); flush, don't commit."""
    key = f"notification:{note.event_key or note.id}:{note.user_id}"[:MAX_KEY]
    return _add(OutboxMessage(key=key, category=Category.NOTIFICATION, user_id=note.user_id,
                              notification_id=note.id, payload={}, created_at=utcnow(), next_attempt_at=utcnow()))


def queue_digest(user_id: int, period: str, notification_ids: list[int]) -> OutboxMessage | None:
    """Queue one digest email carrying `notification_ids`; flush, don't commit."""
    key = f"digest:{period}:{user_id}:{max(notification_ids)}"
    return _add(OutboxMessage(key=key, category=Category.DIGEST, user_id=user_id,
                              payload={"period": period, "notifications": sorted(notification_ids)},
                              created_at=utcnow(), next_attempt_at=utcnow()))


def queue_account_email(*, key: str, subject: str, text: str, html: str | None = None, user: User | None = None,
                        to_address: str | None = None) -> OutboxMessage | None:
    """Queue a transactional email to an account or an address, once per `key`; flush, don't commit.

    Not subject to notification preferences and sent without an unsubscribe link. `key` names the
    event (e.g. "confirm-email:<token id>"); queuing the same key again does nothing and returns None.
    Raises ServiceError when there is no recipient or no subject or text.
    """
    if user is None and not to_address:
        raise ServiceError("An account email needs a recipient.")
    if not subject.strip() or not text.strip():
        raise ServiceError("An account email needs a subject and a text.")
    return _add(OutboxMessage(key=f"account:{key}"[:MAX_KEY], category=Category.ACCOUNT,
                              user_id=user.id if user else None, to_address=to_address,
                              payload={"subject": subject, "text": text, "html": html},
                              created_at=utcnow(), next_attempt_at=utcnow()))


def backoff(attempts: int, base_seconds: int, cap_seconds: int = 6 * 3600) -> timedelta:
    """Return how long to wait before attempt number `attempts + 1`: doubling from `base_seconds`, capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def counts() -> dict[str, int]:
    """Count outbox rows by status (for `flask notifications status`)."""
    rows = db.session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id))
                              .group_by(OutboxMessage.status)).all()
    return {status: n for status, n in rows}
