"""Follows, notification preferences, notifications, helpful votes and accepted answers in the API."""
from __future__ import annotations

from app.api.schemas.base import (
    COUNT,
    ID,
    IRI,
    NOT_BLANK,
    NOT_SPACE,
    NULLABLE_TIME,
    TIME,
    nullable,
    page_from,
    ref,
    string,
)
from app.models import FollowTarget
from app.services.preferences import EVENT_TYPES, Delivery

NOTIFICATIONS_PER_PAGE = 50
# The longest follow target a client may send: a tag (app.services.annotations.MAX_TAG_LENGTH) or an id.
MAX_TARGET_LENGTH = 100

DELIVERY = {"enum": [d.value for d in Delivery],
            "description": "app: in the app only; instant: email at once; daily/weekly: in a digest email; "
                           "off: not at all. Every choice but off also shows in the app."}
TARGET_TYPE = {"enum": [t.value for t in FollowTarget]}

NOTIFICATIONS_QUERY = {"page": page_from(1, NOTIFICATIONS_PER_PAGE)}

SCHEMAS = {
    "Follow": {
        "type": "object", "required": ["id", "type", "target", "name", "url", "automatic", "created"],
        "properties": {"id": ID, "type": TARGET_TYPE,
                       "target": string("The id of the followed thing, or the tag."), "name": string(),
                       "url": nullable(IRI),
                       "automatic": {"type": "boolean", "description": "Followed on starting or replying to a thread."},
                       "created": TIME},
    },
    "FollowList": {"type": "object", "required": ["items"],
                   "properties": {"items": {"type": "array", "items": ref("Follow")}}},
    "FollowInput": {
        "type": "object", "required": ["type", "target"],
        "properties": {"type": TARGET_TYPE,
                       "target": {"anyOf": [string(minLength=1, maxLength=MAX_TARGET_LENGTH, pattern=NOT_BLANK), ID],
                                  "description": "An article, thread (its top annotation), study or person id, "
                                                 "or a tag."}},
    },
    "Preferences": {
        "type": "object", "required": ["preferences", "auto_follow", "event_types"],
        "properties": {
            "preferences": {"type": "object", "additionalProperties": DELIVERY,
                            "propertyNames": {"enum": list(EVENT_TYPES)}},
            "auto_follow": {"type": "boolean"},
            "event_types": {"type": "array", "items": {
                "type": "object", "required": ["key", "label", "description", "default"],
                "properties": {"key": {"enum": list(EVENT_TYPES)}, "label": string(), "description": string(),
                               "default": DELIVERY}}},
        },
    },
    "PreferencesInput": {
        "type": "object",
        "properties": {"preferences": {"type": "object", "additionalProperties": DELIVERY,
                                       "propertyNames": {"enum": list(EVENT_TYPES)},
                                       "description": "Event type → delivery; types left out keep their choice."},
                       "auto_follow": {"type": "boolean"}},
    },
    "Notification": {
        "type": "object",
        "required": ["id", "kind", "event_type", "message", "annotation", "created", "read", "read_at"],
        "properties": {"id": ID, "kind": string(), "event_type": {"enum": list(EVENT_TYPES)}, "message": string(),
                       "annotation": nullable(IRI), "created": TIME, "read": {"type": "boolean"},
                       "read_at": NULLABLE_TIME},
    },
    "NotificationList": {
        "type": "object", "required": ["items", "unread", "page", "pages", "total", "next", "prev"],
        "properties": {"items": {"type": "array", "items": ref("Notification"), "maxItems": NOTIFICATIONS_PER_PAGE},
                       "unread": COUNT, "page": {"type": "integer", "minimum": 1}, "pages": COUNT, "total": COUNT,
                       "next": nullable(IRI), "prev": nullable(IRI)},
    },
    "MarkedRead": {"type": "object", "required": ["marked"], "properties": {"marked": COUNT}},
    "Helpful": {"type": "object", "required": ["annotation", "helpful_count", "voted"],
                "properties": {"annotation": IRI, "helpful_count": COUNT, "voted": {"type": "boolean"}}},
    "AnswerInput": {
        "type": "object", "required": ["answer"],
        "properties": {"answer": {"anyOf": [string(minLength=1, maxLength=2048, pattern=f"^{NOT_SPACE}+$"), ID],
                                  "description": "The IRI (or id) of a reply in the question's thread."}},
    },
}
