"""The sender behind `flask notifications send`: outbox rows out to the SMTP server, each at most once.

For each due row: compose the message (withheld rows stop here), claim the row (`sending`, committed,
so no other sender takes it), hand the message to the server, mark it `sent` (committed). A server
that refuses or is away leaves the row `pending` for a later attempt, after a doubling wait; after
MAIL_MAX_ATTEMPTS it is kept as `failed`. A crash between the server accepting a message and the
row being marked leaves it `sending`; such a row is never sent again (after MAIL_CLAIM_TIMEOUT_SECONDS
it becomes `unconfirmed`), so nobody receives an email twice, and its Message-ID, derived from the
row's key, is the same at every attempt.

Like a view, this module commits: each step is its own transaction so that a failure in one row
never undoes another.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.mail import transport as transports
from app.mail.compose import Withheld, compose
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.outbox import Status, backoff

log = logging.getLogger("postil.mail")


@dataclass
class Report:
    """What one pass over the outbox did."""

    sent: int = 0
    withheld: int = 0
    retrying: int = 0
    failed: int = 0
    unconfirmed: int = 0

    def __str__(self) -> str:
        return (f"sent {self.sent}, withheld {self.withheld}, to retry {self.retrying}, failed {self.failed}, "
                f"unconfirmed {self.unconfirmed}")


def expire_claims(now: datetime) -> int:
    """Mark rows left `sending` longer than the claim timeout as `unconfirmed` (never sent again); commit."""
    limit = now - timedelta(seconds=int(current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"]))
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == Status.SENDING, OutboxMessage.claimed_at < limit)
        .values(status=Status.UNCONFIRMED, last_error="The sender stopped before confirming; possibly sent, "
                                                      "so not sent again."))
    db.session.commit()
    if result.rowcount:
        log.warning("%d outbox messages were left unconfirmed by an interrupted sender", result.rowcount)
    return result.rowcount


def due_ids(now: datetime, limit: int) -> list[int]:
    """Return the ids of pending rows whose time has come, oldest first."""
    ids = list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == Status.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)))
    db.session.commit()
    return ids


def claim(row_id: int, now: datetime) -> bool:
    """Take a pending row for sending (commit); return False when another sender has it."""
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.status == Status.PENDING)
        .values(status=Status.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def mark_sent(row_id: int) -> None:
    """Record that the server accepted the row's message (commit)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                       .values(status=Status.SENT, sent_at=utcnow(), last_error=""))
    db.session.commit()


def _mark_withheld(row_id: int, reason: str) -> None:
    db.session.rollback()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                       .values(status=Status.WITHHELD, last_error=reason[:500]))
    db.session.commit()


def _mark_failed_attempt(row_id: int, error: str, now: datetime) -> str:
    """Put a claimed row back for a later attempt, or give it up after the last; return its new status."""
    row = db.session.get(OutboxMessage, row_id)
    config = current_app.config
    if row.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
        row.status = Status.FAILED
    else:
        row.status = Status.PENDING
        row.next_attempt_at = now + backoff(row.attempts, int(config["MAIL_RETRY_BASE_SECONDS"]))
    row.last_error = error[:500]
    db.session.commit()
    return row.status


def run_once(transport=None, now: datetime | None = None, limit: int = 200) -> Report:
    """Deliver every due outbox row once; return what happened."""
    transport = transport or transports.from_config()
    now = now or utcnow()
    report = Report(unconfirmed=expire_claims(now))
    for row_id in due_ids(now, limit):
        row = db.session.get(OutboxMessage, row_id)
        try:
            message = compose(row)
        except Withheld as reason:
            _mark_withheld(row_id, str(reason))
            report.withheld += 1
            continue
        if not claim(row_id, now):
            continue
        try:
            transport.send(message)
        except transports.DeliveryError as exc:
            status = _mark_failed_attempt(row_id, str(exc), now)
            log.warning("email %s not delivered (%s): %s", row_id, status, exc)
            if status == Status.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
            continue
        mark_sent(row_id)
        report.sent += 1
    return report


def run_forever(interval: float, stop: threading.Event | None = None) -> None:
    """Deliver due rows every `interval` seconds until `stop` is set (or the process is stopped)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            report = run_once()
            if report.sent or report.failed or report.retrying:
                log.info("outbox pass: %s", report)
        except Exception:  # noqa: BLE001 - a bad pass is logged; the loop keeps the outbox moving
            db.session.rollback()
            log.exception("outbox pass failed")
        stop.wait(interval)
