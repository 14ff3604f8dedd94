"""Digests: gather the notifications people chose to receive daily or weekly into one email each.

`build(period)` takes every notification marked for that period and not yet carried by a digest,
queues one outbox row per person, and marks the notifications as carried, in one transaction: run
twice, it queues nothing new. What the digest shows is decided when it is sent (app.mail.compose).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification
from app.models.base import utcnow
from app.services import outbox
from app.services.errors import BadRequest
from app.services.preferences import DIGESTS, Delivery


def parse_period(value: str) -> Delivery:
    """Return the digest period named by `value` ("daily" or "weekly"); raise BadRequest otherwise."""
    try:
        period = Delivery(value)
    except ValueError:
        period = None
    if period not in DIGESTS:
        raise BadRequest(f"A digest is daily or weekly, not {str(value)[:20]!r}.")
    return period


def build(period: str) -> int:
    """Queue a digest for everyone with notifications waiting for `period`; return how many; flush, don't commit."""
    period = parse_period(period)
    rows = db.session.execute(select(Notification.id, Notification.user_id).where(
        Notification.delivery == period.value, Notification.digested_at.is_(None))
        .order_by(Notification.user_id, Notification.id)).all()
    waiting: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        waiting[row.user_id].append(row.id)
    queued = 0
    now = utcnow()
    for user_id, ids in waiting.items():
        if outbox.queue_digest(user_id, period.value, ids) is not None:
            queued += 1
        db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(digested_at=now))
    db.session.flush()
    return queued
