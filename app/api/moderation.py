"""Moderation in the API: flagging an annotation, the moderators' queue, decisions with optimistic concurrency, the log.

Decisions carry `if_modified`, the annotation's `modified` as the moderator saw it; when the
annotation changed since, the answer is 409 and nothing changes. The API's `modified` is given to
the second, so a value without a fractional part matches any change within that second, while the
status the moderator acted on is always checked as well.
"""
from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import bp, openapi, payloads, w3c
from app.api.auth import api_permission, current_api_user, rate_limit_key
from app.api.errors import api_abort
from app.api.serializers import serialize_annotation
from app.extensions import db, limiter
from app.models import Annotation, ArticleStatus, Flag, ModerationLog, User
from app.security.permissions import Permission
from app.services import flags as flag_service
from app.services import moderation
from app.services.errors import ServiceError
from app.services.visibility import can_read

NOT_READABLE = "There is no annotation here, or you may not read it."


def _string_field(data: dict, name: str, required: bool = False) -> str:
    value = data.get(name)
    if value is None or (required and value == ""):
        if required:
            raise ServiceError(f"`{name}` is required.", name)
        return ""
    if not isinstance(value, str):
        raise ServiceError(f"`{name}` must be a string.", name)
    return value


def _page_number() -> int:
    raw = request.args.get("page", "0")
    if not raw.isdigit():
        api_abort(400, "`page` must be a whole number from 0.", "invalid_page")
    return int(raw)


def _paging(endpoint: str, page: int, total: int, per_page: int, **args) -> dict:
    links = {"page": page, "total": total}
    if (page + 1) * per_page < total:
        links["next"] = url_for(endpoint, page=page + 1, _external=True, **args)
    if page > 0:
        links["prev"] = url_for(endpoint, page=page - 1, _external=True, **args)
    return links


def serialize_flag(flag: Flag, with_flagger: bool) -> dict:
    """Return a flag; the flagger's identity only for moderators."""
    data = {"id": flag.id, "annotation": w3c.annotation_iri(flag.annotation_id), "reason": flag.reason.value,
            "note": flag.note or "", "created": w3c.timestamp(flag.created_at),
            "resolved": w3c.timestamp(flag.resolved_at)}
    if with_flagger:
        data["flagger"] = {"id": flag.user_id, "name": flag.user.display_name}
    return data


def _serialize_author(user: User, history: moderation.AuthorHistory) -> dict:
    return {"id": user.id, "name": user.display_name, "profession": user.profession or "",
            "affiliation": user.affiliation or "", "competing_interests": user.interests_statement,
            "trusted": user.trusted, "suspended": user.is_suspended,
            "history": {"published": history.published, "pending": history.pending, "hidden": history.hidden,
                        "removed": history.removed}}


def serialize_item(item: moderation.QueueItem, viewer: User) -> dict:
    """Return a queue item: the annotation as moderators see it, its flags, author, article and context."""
    a = item.annotation
    return {
        "id": a.id,
        "annotation": serialize_annotation(a, viewer),
        "status": a.status.value,
        "modified": w3c.timestamp(a.modified_at),
        "hidden_automatically": item.hidden_automatically,
        "urgent": item.urgent,
        "resubmitted": a.resubmitted,
        "open_flags": a.open_flags,
        "flags": [serialize_flag(f, with_flagger=True) for f in item.flags],
        "author": _serialize_author(a.author, item.history),
        "article": {"slug": a.article.slug, "title": a.article.title, "url": w3c.article_iri(a.article.slug)},
        "quote": item.quote,
        "actions": [action.value for action in moderation.allowed_actions(a, viewer)],
    }


def serialize_log_entry(entry: ModerationLog) -> dict:
    """Return one moderation log entry."""
    return {"id": entry.id, "created": w3c.timestamp(entry.created_at), "action": entry.action,
            "moderator": ({"id": entry.moderator_id, "name": entry.moderator.display_name}
                          if entry.moderator else None),
            "annotation_id": entry.annotation_id,
            "target_user": ({"id": entry.target_user_id, "name": entry.target_user.display_name}
                            if entry.target_user else None),
            "old_status": entry.old_status, "new_status": entry.new_status, "reason": entry.reason}


@bp.post("/annotations/<int:annotation_id>/flags")
@api_permission(Permission.FLAG)
@limiter.limit("30 per hour", key_func=rate_limit_key)
def flag_annotation(annotation_id: int):
    """Flag an annotation the caller can read and did not write, once."""
    viewer = current_api_user()
    annotation = db.session.scalar(select(Annotation).where(Annotation.id == annotation_id)
                                   .options(joinedload(Annotation.article)))
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or not can_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    data = payloads.json_object()
    flag = flag_service.flag(annotation, viewer, _string_field(data, "reason", required=True),
                             _string_field(data, "note"))
    db.session.commit()
    return jsonify(serialize_flag(flag, with_flagger=False)), 201


@bp.get("/moderation/queue")
@api_permission(Permission.MODERATE)
def moderation_queue():
    """Return one page (from 0) of the pending, flagged or hidden queue, in the panel's order."""
    state = request.args.get("state", "pending")
    if state not in moderation.QUEUE_STATES:
        api_abort(400, f"`state` must be one of {', '.join(moderation.QUEUE_STATES)}.", "invalid_state")
    page = _page_number()
    result = moderation.queue(state, page + 1)
    viewer = current_api_user()
    return jsonify({"state": state, "counts": result.counts, "items": [serialize_item(i, viewer) for i in result.items],
                    **_paging("api.moderation_queue", page, result.total, moderation.PAGE_SIZE, state=state)})


@bp.post("/moderation/annotations/<int:annotation_id>")
@api_permission(Permission.MODERATE)
def moderate_annotation(annotation_id: int):
    """Approve, hide, restore, remove or dismiss the flags of an annotation; 409 if it changed since `if_modified`."""
    viewer = current_api_user()
    annotation = moderation.get_for_review_or_404(annotation_id)  # 404 for private notes too
    data = payloads.json_object()
    action = moderation.parse_action(_string_field(data, "action", required=True))
    # if_modified is required: a decision is always about the state the moderator saw.
    entry = moderation.transition(annotation, action, viewer, _string_field(data, "reason"),
                                  if_modified=_string_field(data, "if_modified", required=True))
    db.session.commit()
    item = moderation.review_items([moderation.get_for_review_or_404(annotation_id)])[0]
    return jsonify({**serialize_item(item, viewer), "log": serialize_log_entry(entry)})


@bp.get("/moderation/log")
@api_permission(Permission.MODERATE)
def moderation_log():
    """Return one page (from 0) of the moderation log, newest first, with the panel's filters."""
    filters = moderation.parse_log_filters(request.args)
    page = _page_number()
    entries, total = moderation.log_page(filters, page + 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return jsonify({"items": [serialize_log_entry(e) for e in entries],
                    **_paging("api.moderation_log", page, total, moderation.PAGE_SIZE, **args)})


# --- The OpenAPI description ---------------------------------------------------------------------

_S = openapi._string
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_ACTIONS = [a.value for a in moderation.MODERATOR_ACTIONS]
_PAGING = {"page": {"type": "integer", "minimum": 0}, "total": {"type": "integer", "minimum": 0},
           "next": {"type": "string", "format": "uri"}, "prev": {"type": "string", "format": "uri"}}
_REF_PERSON = {"type": ["object", "null"], "required": ["id", "name"],
               "properties": {"id": {"type": "integer"}, "name": _S()}}

openapi.SCHEMAS.update({
    "FlagInput": {
        "type": "object", "required": ["reason"],
        "properties": {"reason": {"enum": [r.value for r in flag_service.REASON_LABELS],
                                  "description": "Severity order, worst first. `patient_data` from a "
                                                 "moderator or an established reader hides the annotation "
                                                 "at once; from others it leads the moderators' queue."},
                       "note": _S("For the moderators; required when `reason` is `other`.", maxLength=1000)},
    },
    "Flag": {
        "type": "object", "required": ["id", "annotation", "reason", "note", "created"],
        "properties": {"id": {"type": "integer"}, "annotation": {"type": "string", "format": "uri"},
                       "reason": _S(), "note": _S(), "created": _TIME, "resolved": _NULLABLE_TIME,
                       "flagger": _REF_PERSON},
    },
    "ModerationItem": {
        "type": "object",
        "required": ["id", "annotation", "status", "modified", "flags", "author", "article", "actions"],
        "properties": {
            "id": {"type": "integer"},
            "annotation": openapi.ref("Annotation"),
            "status": {"enum": ["pending", "published", "hidden", "removed"]},
            "modified": {**_TIME, "description": "Send it back as `if_modified` with a decision."},
            "hidden_automatically": {"type": "boolean"},
            "urgent": {"type": "boolean", "description": "Readers still see it and an open flag reports patient "
                                                     "data in it: decide on it first."},
            "resubmitted": {"type": "boolean", "description": "The author edited it after it was hidden."},
            "open_flags": {"type": "integer"},
            "flags": {"type": "array", "items": openapi.ref("Flag")},
            "author": {"type": "object", "required": ["id", "name", "history"],
                       "properties": {"id": {"type": "integer"}, "name": _S(), "profession": _S(),
                                      "affiliation": _S(), "competing_interests": _S(),
                                      "trusted": {"type": "boolean"}, "suspended": {"type": "boolean"},
                                      "history": {"type": "object",
                                                  "description": "The author's public annotations by status.",
                                                  "properties": {k: {"type": "integer"} for k in (
                                                      "published", "pending", "hidden", "removed")}}}},
            "article": {"type": "object", "required": ["slug", "title", "url"],
                        "properties": {"slug": _S(), "title": _S(), "url": {"type": "string", "format": "uri"}}},
            "quote": {"type": ["string", "null"], "description": "The passage (a reply's thread's passage)."},
            "actions": {"type": "array", "items": {"enum": _ACTIONS},
                        "description": "The decisions the caller may take now."},
            "log": openapi.ref("ModerationLogEntry"),
        },
    },
    "ModerationQueue": {
        "type": "object", "required": ["state", "counts", "items", "page", "total"],
        "properties": {"state": {"enum": list(moderation.QUEUE_STATES)},
                       "counts": {"type": "object", "properties": {s: {"type": "integer"}
                                                                   for s in moderation.QUEUE_STATES}},
                       "items": {"type": "array", "items": openapi.ref("ModerationItem"),
                                 "maxItems": moderation.PAGE_SIZE},
                       **_PAGING},
    },
    "ModerationDecision": {
        "type": "object", "required": ["action", "if_modified"],
        "properties": {
            "action": {"enum": _ACTIONS, "description": "approve: pending/hidden → published; hide: pending/"
                                                        "published → hidden (reason required, shown to the "
                                                        "author); restore: hidden → published; remove: → "
                                                        "removed, final, text redacted (reason required); "
                                                        "dismiss_flags: resolves open flags and publishes an "
                                                        "annotation hidden automatically."},
            "reason": _S(maxLength=moderation.MAX_REASON_LENGTH),
            "if_modified": {**_TIME, "description": "The item's `modified` as you saw it: 409 if it changed."},
        },
    },
    "ModerationLogEntry": {
        "type": "object", "required": ["id", "created", "action", "reason"],
        "properties": {"id": {"type": "integer"}, "created": _TIME,
                       "action": {"enum": [a.value for a in moderation.Action]},
                       "moderator": {**_REF_PERSON, "description": "Who acted; null for the system."},
                       "annotation_id": {"type": ["integer", "null"]}, "target_user": _REF_PERSON,
                       "old_status": {"type": ["string", "null"]}, "new_status": {"type": ["string", "null"]},
                       "reason": _S()},
    },
    "ModerationLogPage": {
        "type": "object", "required": ["items", "page", "total"],
        "properties": {"items": {"type": "array", "items": openapi.ref("ModerationLogEntry")}, **_PAGING},
    },
})

_ID = {"name": "annotation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PAGE = {"name": "page", "in": "query", "required": False, "description": "Page number, from 0 (50 per page).",
         "schema": {"type": "integer", "minimum": 0}}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


openapi.PATHS.update({
    "/api/annotations/{annotation_id}/flags": {"post": {
        "operationId": "flagAnnotation",
        "summary": "Flag an annotation one can read and did not write, once. Enough flags from different "
                   "readers (or one patient_data flag from a moderator or an established reader) hide it "
                   "until a moderator decides; a reader's flags hide a limited number of annotations a day.",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": openapi.ref("FlagInput")}}},
        "responses": {"201": openapi.json_response("Flagged.", "Flag"),
                      **openapi.errors(400, 401, 403, 404, 409, 415, 422, 429)}}},
    "/api/moderation/queue": {"get": {
        "operationId": "moderationQueue",
        "summary": "Moderators: the items of one queue. pending: oldest first; flagged: urgent (patient data) "
                   "first, then most flags, then worst "
                   "reason first; hidden: latest first.",
        "parameters": [_query("state", "Which queue.", {"enum": list(moderation.QUEUE_STATES),
                                                        "default": "pending"}), _PAGE],
        "responses": {"200": openapi.json_response("The queue page.", "ModerationQueue"),
                      **openapi.errors(400, 401, 403)}}},
    "/api/moderation/annotations/{annotation_id}": {"post": {
        "operationId": "moderateAnnotation",
        "summary": "Moderators: decide on an annotation. 403 on one's own annotation for approve, restore and "
                   "dismiss_flags; 409 when it changed since `if_modified` or the action does not apply to its "
                   "current status.",
        "parameters": [_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": openapi.ref("ModerationDecision")}}},
        "responses": {"200": openapi.json_response("The annotation's new state and the log entry.",
                                                   "ModerationItem"),
                      **openapi.errors(400, 401, 403, 404, 409, 415, 422)}}},
    "/api/moderation/log": {"get": {
        "operationId": "moderationLog",
        "summary": "Moderators: the append-only log of decisions and account sanctions, newest first.",
        "parameters": [
            _query("moderator", "An actor's user id, or `system` for automatic decisions.", {"type": "string"}),
            _query("action", "One action.", {"enum": [a.value for a in moderation.Action]}),
            _query("date_from", "From this day (UTC), inclusive.", {"type": "string", "format": "date"}),
            _query("date_to", "To this day (UTC), inclusive.", {"type": "string", "format": "date"}),
            _query("annotation_id", "About this annotation.", {"type": "integer"}),
            _query("target_user_id", "About this account.", {"type": "integer"}),
            _PAGE],
        "responses": {"200": openapi.json_response("One page of the log.", "ModerationLogPage"),
                      **openapi.errors(400, 401, 403, 422)}}},
})
