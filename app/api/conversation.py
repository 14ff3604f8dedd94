"""The conversation in the API: follows, notification preferences, notifications, helpful votes, accepted answers.

Self-contained: its schemas and operations are registered in app.api.openapi from here, and it
reuses the services the browser uses, so a rule (one vote per reader, the asker or a moderator
chooses the answer, an answer from the same thread) is checked once for both. Errors: 400 for what
does not exist or cannot be used, 403 when the caller may not, 404 for what they may not read, 409
for a second follow or vote.
"""
from __future__ import annotations

import json

from flask import Response, jsonify, request, url_for

from app.api import bp, openapi, payloads, w3c
from app.api.auth import api_login_required, api_permission, current_api_user
from app.api.errors import api_abort
from app.api.serializers import serialize_annotation
from app.extensions import db
from app.models import Annotation, ArticleStatus, Follow
from app.security.permissions import Permission
from app.services import answers, follows, helpful, notifications
from app.services import preferences as prefs
from app.services.errors import BadRequest
from app.services.pagination import page_number
from app.services.visibility import can_read

NOT_READABLE = "There is no annotation here, or you may not read it."
PER_PAGE = 50


def _readable(annotation_id: int) -> Annotation:
    viewer = current_api_user()
    annotation = db.session.get(Annotation, annotation_id)
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or not can_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    return annotation


def _object() -> dict:
    return payloads.json_object()


# --- Follows ------------------------------------------------------------------------------------------

def serialize_follow(entry: follows.Followed) -> dict:
    """Return one followed target."""
    row = entry.follow
    link = url_for(entry.url_args[0], **entry.url_args[1], _external=True) if entry.url_args else None
    return {"id": row.id, "type": row.target_type.value, "target": row.target, "name": entry.name, "url": link,
            "automatic": row.automatic, "created": w3c.timestamp(row.created_at)}


@bp.get("/follows")
@api_login_required
def list_follows():
    """List what the caller follows."""
    listing = follows.listing(current_api_user())
    return jsonify({"items": [serialize_follow(e) for entries in listing.values() for e in entries]})


@bp.post("/follows")
@api_permission(Permission.ANNOTATE)
def create_follow():
    """Follow an article, thread, study, tag or person."""
    data = _object()
    user = current_api_user()
    row = follows.follow(user, data.get("type"), data.get("target"))
    db.session.commit()
    entry = next(e for entries in follows.listing(user).values() for e in entries if e.follow.id == row.id)
    return jsonify(serialize_follow(entry)), 201


@bp.delete("/follows/<int:follow_id>")
@api_permission(Permission.ANNOTATE)
def delete_follow(follow_id: int):
    """Stop following (only one's own follows exist for the caller)."""
    row = db.session.get(Follow, follow_id)
    if row is None or row.user_id != current_api_user().id:
        api_abort(404, "You follow nothing with this id.")
    db.session.delete(row)
    db.session.commit()
    return Response(status=204)


# --- Notification preferences and notifications -----------------------------------------------------

def _preferences_body(user) -> dict:
    return {"preferences": {key: delivery.value for key, delivery in prefs.choices_of(user.id).items()},
            "auto_follow": bool(user.auto_follow),
            "event_types": [{"key": e.key, "label": e.label, "description": e.description,
                             "default": e.default.value} for e in prefs.EVENT_TYPES.values()]}


@bp.get("/notifications/preferences")
@api_login_required
def get_preferences():
    """Return how the caller hears about each event type."""
    return jsonify(_preferences_body(current_api_user()))


@bp.patch("/notifications/preferences")
@api_login_required
def update_preferences():
    """Change some of the caller's choices (event type → delivery) and whether they auto-follow threads."""
    data = _object()
    choices = data.get("preferences", {})
    if not isinstance(choices, dict):
        raise BadRequest("`preferences` must be an object mapping event types to a delivery.")
    auto_follow = data.get("auto_follow")
    if auto_follow is not None and not isinstance(auto_follow, bool):
        raise BadRequest("`auto_follow` must be true or false.")
    user = current_api_user()
    prefs.set_choices(user, choices, auto_follow=auto_follow)
    db.session.commit()
    return jsonify(_preferences_body(user))


def serialize_notification(note) -> dict:
    """Return one notification with its read state."""
    return {"id": note.id, "kind": note.kind, "event_type": prefs.event_type_of(note.kind), "message": note.message,
            "annotation": w3c.annotation_iri(note.annotation_id) if note.annotation_id else None,
            "created": w3c.timestamp(note.created_at), "read": note.read_at is not None,
            "read_at": w3c.timestamp(note.read_at)}


@bp.get("/notifications")
@api_login_required
def list_notifications():
    """List the caller's notifications, newest first, with read/unread and the unread count."""
    user = current_api_user()
    page = notifications.page_of(user, page_number(request.args.get("page")), PER_PAGE)

    def page_url(number: int | None) -> str | None:
        return url_for("api.list_notifications", page=number, _external=True) if number else None

    return jsonify({"items": [serialize_notification(n) for n in page.items],
                    "unread": notifications.unread_count(user), "page": page.page, "pages": page.pages,
                    "total": page.total,
                    "next": page_url(page.next_num), "prev": page_url(page.prev_num)})


@bp.post("/notifications/read")
@api_login_required
def read_notifications():
    """Mark every notification of the caller read."""
    marked = notifications.mark_all_read(current_api_user())
    db.session.commit()
    return jsonify({"marked": marked})


# --- Helpful and accepted answers --------------------------------------------------------------------

def _helpful_body(annotation: Annotation, voted: bool) -> dict:
    return {"annotation": w3c.annotation_iri(annotation.id), "helpful_count": annotation.helpful_count,
            "voted": voted}


@bp.post("/annotations/<int:annotation_id>/helpful")
@api_permission(Permission.ANNOTATE)
def vote_helpful(annotation_id: int):
    """Mark an annotation helpful (once; never one's own)."""
    annotation = _readable(annotation_id)
    helpful.vote(annotation, current_api_user())
    db.session.commit()
    return jsonify(_helpful_body(annotation, True)), 201


@bp.delete("/annotations/<int:annotation_id>/helpful")
@api_permission(Permission.ANNOTATE)
def withdraw_helpful(annotation_id: int):
    """Withdraw one's "helpful"."""
    annotation = _readable(annotation_id)
    helpful.withdraw(annotation, current_api_user())
    db.session.commit()
    return jsonify(_helpful_body(annotation, False))


def _answer_id(value) -> int:
    """Read the answer as an annotation IRI or id; raise BadRequest otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        tail = value.rstrip("/").rsplit("/", 1)[-1]
        if tail.isdigit():
            return int(tail)
    raise BadRequest("`answer` must be the IRI (or id) of a reply in the question's thread.")


@bp.put("/annotations/<int:annotation_id>/answer")
@api_permission(Permission.ANNOTATE)
def accept_answer(annotation_id: int):
    """Choose the reply that answers a question (its asker or a moderator); return the question."""
    question = _readable(annotation_id)
    reply_id = _answer_id(_object().get("answer"))
    viewer = current_api_user()
    reply = db.session.get(Annotation, reply_id)
    if reply is None or reply.is_deleted or not can_read(viewer, reply):
        raise BadRequest("There is no reply with this IRI that you can read.")
    answers.accept(question, reply, viewer)
    db.session.commit()
    return Response(_ld(serialize_annotation(question, viewer)), content_type=_LD)


@bp.delete("/annotations/<int:annotation_id>/answer")
@api_permission(Permission.ANNOTATE)
def withdraw_answer(annotation_id: int):
    """Leave a question without an accepted answer; return the question."""
    question = _readable(annotation_id)
    viewer = current_api_user()
    answers.withdraw(question, viewer)
    db.session.commit()
    return Response(_ld(serialize_annotation(question, viewer)), content_type=_LD)


_LD = f'application/ld+json; profile="{w3c.ANNO_CONTEXT}"'


def _ld(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


# --- The OpenAPI description ---------------------------------------------------------------------------

_TIME = {"type": ["string", "null"], "format": "date-time"}
_IRI_OR_NULL = {"type": ["string", "null"], "format": "uri"}
_DELIVERY = {"enum": [d.value for d in prefs.Delivery],
             "description": "app: in the app only; instant: email at once; daily/weekly: in a digest email; "
                            "off: not at all. Every choice but off also shows in the app."}
openapi.SCHEMAS.update({
    "Follow": {"type": "object", "required": ["id", "type", "target", "name", "url", "automatic", "created"],
               "properties": {"id": {"type": "integer"}, "type": {"enum": [t.value for t in follows.FollowTarget]},
                              "target": {"type": "string", "description": "The id of the followed thing, or the tag."},
                              "name": {"type": "string"}, "url": _IRI_OR_NULL,
                              "automatic": {"type": "boolean",
                                            "description": "Followed on starting or replying to a thread."},
                              "created": {"type": "string", "format": "date-time"}}},
    "FollowList": {"type": "object", "required": ["items"],
                   "properties": {"items": {"type": "array", "items": openapi.ref("Follow")}}},
    "FollowInput": {"type": "object", "required": ["type", "target"],
                    "properties": {"type": {"enum": [t.value for t in follows.FollowTarget]},
                                   "target": {"type": ["string", "integer"],
                                              "description": "An article, thread (its top annotation), study or "
                                                             "person id, or a tag."}}},
    "Preferences": {"type": "object", "required": ["preferences", "auto_follow", "event_types"],
                    "properties": {
                        "preferences": {"type": "object", "additionalProperties": _DELIVERY,
                                        "propertyNames": {"enum": list(prefs.EVENT_TYPES)}},
                        "auto_follow": {"type": "boolean"},
                        "event_types": {"type": "array", "items": {
                            "type": "object", "required": ["key", "label", "description", "default"],
                            "properties": {"key": {"type": "string"}, "label": {"type": "string"},
                                           "description": {"type": "string"}, "default": _DELIVERY}}}}},
    "PreferencesInput": {"type": "object",
                         "properties": {"preferences": {"type": "object", "additionalProperties": _DELIVERY},
                                        "auto_follow": {"type": "boolean"}}},
    "Notification": {"type": "object",
                     "required": ["id", "kind", "event_type", "message", "annotation", "created", "read", "read_at"],
                     "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                                    "event_type": {"type": "string"}, "message": {"type": "string"},
                                    "annotation": _IRI_OR_NULL, "created": {"type": "string", "format": "date-time"},
                                    "read": {"type": "boolean"}, "read_at": _TIME}},
    "NotificationList": {"type": "object",
                         "required": ["items", "unread", "page", "pages", "total", "next", "prev"],
                         "properties": {"items": {"type": "array", "items": openapi.ref("Notification")},
                                        "unread": {"type": "integer"}, "page": {"type": "integer"},
                                        "pages": {"type": "integer"}, "total": {"type": "integer"},
                                        "next": _IRI_OR_NULL, "prev": _IRI_OR_NULL}},
    "MarkedRead": {"type": "object", "required": ["marked"], "properties": {"marked": {"type": "integer"}}},
    "Helpful": {"type": "object", "required": ["annotation", "helpful_count", "voted"],
                "properties": {"annotation": {"type": "string", "format": "uri"},
                               "helpful_count": {"type": "integer", "minimum": 0}, "voted": {"type": "boolean"}}},
    "AnswerInput": {"type": "object", "required": ["answer"],
                    "properties": {"answer": {"type": ["string", "integer"],
                                              "description": "The IRI (or id) of a reply in the question's thread."}}},
})
_ANN = {"name": "annotation_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _json_body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": openapi.ref(name)}}}


_ANNOTATION_LD = openapi.json_response("The question, with `answer` (postil:answer) set or removed.", "Annotation",
                                       "application/ld+json")
openapi.PATHS.update({
    "/api/follows": {
        "get": {"operationId": "listFollows", "summary": "What the caller follows.",
                "responses": {"200": openapi.json_response("Followed things.", "FollowList"), **openapi.errors(401)}},
        "post": {"operationId": "createFollow", "summary": "Follow an article, thread, study, tag or person.",
                 "requestBody": _json_body("FollowInput"),
                 "responses": {"201": openapi.json_response("Followed.", "Follow"),
                               **openapi.errors(400, 401, 403, 409, 415)}}},
    "/api/follows/{follow_id}": {"delete": {
        "operationId": "deleteFollow", "summary": "Stop following.",
        "parameters": [{"name": "follow_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"204": {"description": "No longer followed."}, **openapi.errors(400, 401, 403, 404)}}},
    "/api/notifications": {"get": {
        "operationId": "listNotifications", "summary": "The caller's notifications, newest first, 50 a page.",
        "parameters": [{"name": "page", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": openapi.json_response("A page of notifications.", "NotificationList"),
                      **openapi.errors(401)}}},
    "/api/notifications/read": {"post": {
        "operationId": "readNotifications", "summary": "Mark every notification of the caller read.",
        "responses": {"200": openapi.json_response("How many were unread.", "MarkedRead"),
                      **openapi.errors(400, 401)}}},
    "/api/notifications/preferences": {
        "get": {"operationId": "getPreferences", "summary": "How the caller hears about each event type.",
                "responses": {"200": openapi.json_response("The choices, defaults filled in.", "Preferences"),
                              **openapi.errors(401)}},
        "patch": {"operationId": "updatePreferences",
                  "summary": "Change some choices (event type → delivery) and auto-following of threads.",
                  "requestBody": _json_body("PreferencesInput"),
                  "responses": {"200": openapi.json_response("All the choices now.", "Preferences"),
                                **openapi.errors(400, 401, 415)}}},
    "/api/annotations/{annotation_id}/helpful": {
        "post": {"operationId": "voteHelpful", "summary": "Mark an annotation helpful (once; not one's own).",
                 "parameters": [_ANN],
                 "responses": {"201": openapi.json_response("Marked.", "Helpful"),
                               **openapi.errors(400, 401, 403, 404, 409)}},
        "delete": {"operationId": "withdrawHelpful", "summary": "Withdraw one's “helpful”.",
                   "parameters": [_ANN],
                   "responses": {"200": openapi.json_response("Withdrawn.", "Helpful"),
                                 **openapi.errors(400, 401, 403, 404, 409)}}},
    "/api/annotations/{annotation_id}/answer": {
        "put": {"operationId": "acceptAnswer",
                "summary": "Accept a reply in the thread as the question's answer (its asker or a moderator).",
                "parameters": [_ANN], "requestBody": _json_body("AnswerInput"),
                "responses": {"200": _ANNOTATION_LD, **openapi.errors(400, 401, 403, 404, 409, 415)}},
        "delete": {"operationId": "withdrawAnswer", "summary": "Leave the question without an accepted answer.",
                   "parameters": [_ANN],
                   "responses": {"200": _ANNOTATION_LD, **openapi.errors(400, 401, 403, 404, 409)}}},
})
