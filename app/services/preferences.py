"""How each person hears about each type of event: the event types, the choices, and the defaults.

This table is the one source for the event types: the settings page, the API, the unsubscribe
links and the delivery of every notification read it. A notification's `kind` (what happened,
in detail) maps to one event type (what a person chooses about); kinds this module does not know,
such as those other features add later, count as "other updates".
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import NotificationPreference, User
from app.models.base import utcnow
from app.services.errors import BadRequest


class Delivery(enum.StrEnum):
    """What happens to a notification of a type: every choice but "off" shows it in the app."""

    APP = "app"
    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


DELIVERY_LABELS = {
    Delivery.APP: "In the app only",
    Delivery.INSTANT: "Email at once",
    Delivery.DAILY: "Daily digest email",
    Delivery.WEEKLY: "Weekly digest email",
    Delivery.OFF: "Off",
}
DIGESTS = (Delivery.DAILY, Delivery.WEEKLY)


@dataclass(frozen=True)
class EventType:
    """A type of event a person chooses how to hear about."""

    key: str
    label: str
    description: str
    default: Delivery


EVENT_TYPES: dict[str, EventType] = {e.key: e for e in (
    EventType("reply", "Replies", "Someone replies to your annotation, or in a thread you follow.", Delivery.INSTANT),
    EventType("mention", "Mentions", "Someone @mentions you in an annotation or a reply.", Delivery.INSTANT),
    EventType("followed", "Followed content",
              "A new annotation on an article, study, tag or person you follow.", Delivery.DAILY),
    EventType("answer", "Answers", "An answer is accepted on your question, or your reply is accepted as the answer.",
              Delivery.INSTANT),
    EventType("anchoring", "Your annotated passages",
              "An article revision rewords, changes the figures of, or removes the passage one of your annotations "
              "is on.", Delivery.INSTANT),
    EventType("moderation", "Moderation", "A moderator decides about one of your annotations.", Delivery.APP),
    EventType("evidence", "Study notices",
              "A study you cited or follow is retracted or gets an expression of concern.", Delivery.INSTANT),
    EventType("updates", "Other updates", "Other news about your annotations.", Delivery.APP),
)}
OTHER = "updates"

# Notification kinds (app.services.notifications.Kind) and the event type each belongs to.
KIND_EVENT_TYPE = {
    "reply": "reply", "thread_reply": "reply", "mention": "mention", "followed": "followed",
    "answer_accepted": "answer", "answer_chosen": "answer",
    "approved": "moderation", "hidden": "moderation", "restored": "moderation", "removed": "moderation",
    "retraction": "evidence", "concern": "evidence", "correction": "evidence",
    "reworded": "anchoring", "changed": "anchoring", "orphaned": "anchoring",
    # Journal clubs: an invitation (also emailed as an account email) and a session scheduled.
    "group_invitation": "updates", "group_session": "updates",
}


def event_type_of(kind: str) -> str:
    """Return the event type a notification kind belongs to ("updates" for kinds not listed)."""
    return KIND_EVENT_TYPE.get(kind, OTHER)


def choices_of(user_id: int) -> dict[str, Delivery]:
    """Return the person's choice for every event type, defaults filled in (one query)."""
    rows = db.session.execute(select(NotificationPreference.event_type, NotificationPreference.delivery)
                              .where(NotificationPreference.user_id == user_id)).all()
    chosen = {row.event_type: row.delivery for row in rows}
    return {key: Delivery(chosen.get(key, event.default)) for key, event in EVENT_TYPES.items()}


def delivery_for(user_id: int, event_type: str) -> Delivery:
    """Return how the person wants to hear about `event_type` now."""
    chosen = db.session.scalar(select(NotificationPreference.delivery).where(
        NotificationPreference.user_id == user_id, NotificationPreference.event_type == event_type))
    default = EVENT_TYPES.get(event_type, EVENT_TYPES[OTHER]).default
    return Delivery(chosen) if chosen else default


def parse_delivery(event_type: str, value) -> Delivery:
    """Return the Delivery named by `value`; raise BadRequest naming the event type and the choices."""
    if event_type not in EVENT_TYPES:
        raise BadRequest(f"Unknown event type {str(event_type)[:40]!r}: use one of {', '.join(EVENT_TYPES)}.",
                         "preferences")
    try:
        return Delivery(value)
    except ValueError:
        raise BadRequest(f"{EVENT_TYPES[event_type].label}: {str(value)[:40]!r} is not a choice; use one of "
                         f"{', '.join(d.value for d in Delivery)}.", event_type) from None


def set_choices(user: User, choices: dict, auto_follow: bool | None = None) -> dict[str, Delivery]:
    """Save the person's choices (only the event types given); raise BadRequest before changing anything."""
    parsed = {event_type: parse_delivery(event_type, value) for event_type, value in choices.items()}
    rows = {row.event_type: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    now = utcnow()
    for event_type, delivery in parsed.items():
        row = rows.get(event_type)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, event_type=event_type, delivery=delivery.value,
                                                  updated_at=now))
        elif row.delivery != delivery.value:
            row.delivery, row.updated_at = delivery.value, now
    if auto_follow is not None:
        user.auto_follow = bool(auto_follow)
    db.session.flush()
    return choices_of(user.id)


def stop_email(user: User, scope: str) -> list[str]:
    """Stop email for one event type, or for every type sent in the daily or weekly digest; return the types changed.

    Notifications stay in the app. `scope` is an event type or "daily"/"weekly".
    """
    current = choices_of(user.id)
    if scope in EVENT_TYPES:
        targets = [scope] if current[scope] not in (Delivery.APP, Delivery.OFF) else []
    elif scope in (Delivery.DAILY, Delivery.WEEKLY):
        targets = [key for key, delivery in current.items() if delivery == scope]
    else:
        raise BadRequest("This unsubscribe link names nothing Postil sends.")
    set_choices(user, {key: Delivery.APP for key in targets})
    return targets
