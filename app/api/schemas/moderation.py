"""Flags, the moderators' queue, their decisions and the log, as the API takes and serves them."""
from __future__ import annotations

from app.api.schemas.base import (
    COUNT,
    DATE_INPUT,
    ID,
    IRI,
    NOT_BLANK,
    NULLABLE_TIME,
    TIME,
    TIMESTAMP_INPUT,
    nullable,
    page_from,
    ref,
    string,
)
from app.models import Action, AnnotationStatus, FlagReason
from app.services import moderation, moderation_queue
from app.services.flags import MAX_NOTE_LENGTH

ACTIONS = [a.value for a in moderation.MODERATOR_ACTIONS]
_NEEDS_REASON = [a.value for a in moderation.REASON_REQUIRED]
_NOTE_FOR_OTHER = "must say what is wrong when the reason is \"other\"."
_REASON_NEEDED = "is required to hide or remove: the author is shown it."
_PAGING = {"page": COUNT, "total": COUNT, "next": IRI, "prev": IRI}
_PERSON_REF = {"type": ["object", "null"], "required": ["id", "name"], "properties": {"id": ID, "name": string()}}

QUEUE_QUERY = {
    "state": {"enum": list(moderation_queue.QUEUE_STATES), "default": "pending", "description": "Which queue."},
    "page": page_from(0, moderation_queue.PAGE_SIZE),
}
LOG_QUERY = {
    "moderator": {"anyOf": [ID, {"const": "system"}],
                  "description": "An actor's user id, or `system` for automatic decisions.",
                  "x-errors": {"anyOf": "must be a user id or \"system\"."}},
    "action": {"enum": [a.value for a in Action], "description": "One action."},
    "date_from": {**DATE_INPUT, "description": "From this day (UTC), inclusive."},
    "date_to": {**DATE_INPUT, "description": "To this day (UTC), inclusive."},
    "annotation_id": {**ID, "description": "About this annotation."},
    "target_user_id": {**ID, "description": "About this account."},
    "page": page_from(0, moderation_queue.PAGE_SIZE),
}

SCHEMAS = {
    "FlagInput": {
        "type": "object", "required": ["reason"],
        "properties": {"reason": {"enum": [r.value for r in FlagReason],
                                  "description": "Severity order, worst first. `patient_data` from a "
                                                 "moderator or an established reader hides the annotation "
                                                 "at once; from others it leads the moderators' queue."},
                       "note": string("For the moderators; required when `reason` is `other`.",
                                      maxLength=MAX_NOTE_LENGTH)},
        "if": {"required": ["reason"], "properties": {"reason": {"const": FlagReason.OTHER.value}}},
        "then": {"required": ["note"],
                 "properties": {"note": {"pattern": NOT_BLANK, "x-errors": {"pattern": _NOTE_FOR_OTHER}}},
                 "x-errors": {"required": _NOTE_FOR_OTHER}},
        "x-errors": {"type": "must be a JSON object."},
    },
    "Flag": {
        "type": "object", "required": ["id", "annotation", "reason", "note", "created"],
        "properties": {"id": ID, "annotation": IRI, "reason": {"enum": [r.value for r in FlagReason]},
                       "note": string(), "created": TIME, "resolved": NULLABLE_TIME, "flagger": _PERSON_REF},
    },
    "ModerationItem": {
        "type": "object",
        "required": ["id", "annotation", "status", "modified", "flags", "author", "article", "actions"],
        "properties": {
            "id": ID,
            "annotation": ref("Annotation"),
            "status": {"enum": [s.value for s in AnnotationStatus]},
            "modified": {**TIME, "description": "Send it back as `if_modified` with a decision."},
            "hidden_automatically": {"type": "boolean"},
            "urgent": {"type": "boolean", "description": "Readers still see it and an open flag reports patient "
                                                     "data in it: decide on it first."},
            "resubmitted": {"type": "boolean", "description": "The author edited it after it was hidden."},
            "open_flags": COUNT,
            "flags": {"type": "array", "items": ref("Flag")},
            "author": {"type": "object", "required": ["id", "name", "trusted", "suspended", "history"],
                       "properties": {"id": ID, "name": string(), "profession": string(), "affiliation": string(),
                                      "competing_interests": string(), "trusted": {"type": "boolean"},
                                      "suspended": {"type": "boolean"},
                                      "history": {"type": "object", "properties": {
                                          s: COUNT for s in ("published", "pending", "hidden", "removed")}}}},
            "article": {"type": "object", "required": ["slug", "title", "url"],
                        "properties": {"slug": string(), "title": string(), "url": IRI}},
            "quote": {"type": ["string", "null"], "description": "The passage (a reply's thread's passage)."},
            "actions": {"type": "array", "items": {"enum": ACTIONS},
                        "description": "The decisions the caller may take now."},
            "log": ref("ModerationLogEntry"),
        },
    },
    "ModerationQueue": {
        "type": "object", "required": ["state", "counts", "items", "page", "total"],
        "properties": {"state": {"enum": list(moderation_queue.QUEUE_STATES)},
                       "counts": {"type": "object", "properties": {s: COUNT for s in moderation_queue.QUEUE_STATES}},
                       "items": {"type": "array", "items": ref("ModerationItem"),
                                 "maxItems": moderation_queue.PAGE_SIZE},
                       **_PAGING},
    },
    "ModerationDecision": {
        "type": "object", "required": ["action", "if_modified"],
        "properties": {
            "action": {"enum": ACTIONS, "description": "approve: pending/hidden → published; hide: pending/"
                                                       "published → hidden (reason required, shown to the "
                                                       "author); restore: hidden → published; remove: → "
                                                       "removed, final, text redacted (reason required); "
                                                       "dismiss_flags: resolves open flags and publishes an "
                                                       "annotation hidden automatically."},
            "reason": string(maxLength=moderation.MAX_REASON_LENGTH),
            "if_modified": {**TIMESTAMP_INPUT,
                            "description": "The item's `modified` as you saw it: 409 if it changed since."},
        },
        "if": {"required": ["action"], "properties": {"action": {"enum": _NEEDS_REASON}}},
        "then": {"required": ["reason"],
                 "properties": {"reason": {"pattern": NOT_BLANK, "x-errors": {"pattern": _REASON_NEEDED}}},
                 "x-errors": {"required": _REASON_NEEDED}},
        "x-errors": {"type": "must be a JSON object."},
    },
    "ModerationLogEntry": {
        "type": "object", "required": ["id", "created", "action", "reason"],
        "properties": {"id": ID, "created": TIME,
                       "action": {"enum": [a.value for a in Action]},
                       "moderator": {**_PERSON_REF, "description": "Who acted; null for the system."},
                       "annotation_id": nullable(ID), "target_user": _PERSON_REF,
                       "old_status": nullable(string()), "new_status": nullable(string()),
                       "reason": string()},
    },
    "ModerationLogPage": {
        "type": "object", "required": ["items", "page", "total"],
        "properties": {"items": {"type": "array", "items": ref("ModerationLogEntry"),
                                 "maxItems": moderation_queue.PAGE_SIZE}, **_PAGING},
    },
}
