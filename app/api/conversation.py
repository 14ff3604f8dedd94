"""The conversation in the API: follows, notification preferences, notifications, helpful votes, accepted answers.

It reuses the services the browser uses, so a rule (one vote per reader, the asker or a moderator
chooses the answer, an answer from the same thread) is checked once for both. Errors: 400 for what
does not exist or cannot be used, 403 when the caller may not, 404 for what they may not read, 409
for a second follow or vote.
"""
from __future__ import annotations

from flask import Response, jsonify, url_for

from app.api import bp, protocol, w3c
from app.api.auth import api_permission, api_signed_in, current_api_user
from app.api.contract import Response as Documented
from app.api.contract import json_body, operation, query_args
from app.api.errors import api_abort
from app.api.schemas import JSON_LD
from app.api.schemas.conversation import NOTIFICATIONS_PER_PAGE, NOTIFICATIONS_QUERY
from app.api.serializers import serialize_annotation
from app.extensions import db
from app.models import Annotation, ArticleStatus, Follow
from app.security.permissions import Permission
from app.services import answers, follows, helpful, notifications
from app.services import preferences as prefs
from app.services.errors import BadRequest
from app.services.visibility import can_read

NOT_READABLE = "There is no annotation here, or you may not read it."


def _readable(annotation_id: int) -> Annotation:
    """Return an annotation the caller may read on a published article (404 otherwise)."""
    viewer = current_api_user()
    annotation = db.session.get(Annotation, annotation_id)
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or not can_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    return annotation


# --- Follows ------------------------------------------------------------------------------------------

def serialize_follow(entry: follows.Followed) -> dict:
    """Return one followed target."""
    row = entry.follow
    link = url_for(entry.url_args[0], **entry.url_args[1], _external=True) if entry.url_args else None
    return {"id": row.id, "type": row.target_type.value, "target": row.target, "name": entry.name, "url": link,
            "automatic": row.automatic, "created": w3c.timestamp(row.created_at)}


@bp.get("/follows")
@api_signed_in
@operation("What the caller follows.", {200: Documented("Followed things.", "FollowList")},
           operation_id="listFollows")
def list_follows():
    """List what the caller follows."""
    listing = follows.listing(current_api_user())
    return jsonify({"items": [serialize_follow(e) for entries in listing.values() for e in entries]})


@bp.post("/follows")
@api_permission(Permission.ANNOTATE)
@operation("Follow an article, thread, study, tag or person.", {201: Documented("Followed.", "Follow")},
           body="FollowInput", errors=(409,), operation_id="createFollow")
def create_follow():
    """Follow an article, thread, study, tag or person."""
    data = json_body()
    user = current_api_user()
    row = follows.follow(user, data["type"], data["target"])
    db.session.commit()
    entry = next(e for entries in follows.listing(user).values() for e in entries if e.follow.id == row.id)
    return jsonify(serialize_follow(entry)), 201


@bp.delete("/follows/<int:follow_id>")
@api_permission(Permission.ANNOTATE)
@operation("Stop following.", {204: Documented("No longer followed.")}, errors=(404,), operation_id="deleteFollow")
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
@api_signed_in
@operation("How the caller hears about each event type.",
           {200: Documented("The choices, defaults filled in.", "Preferences")}, operation_id="getPreferences")
def get_preferences():
    """Return how the caller hears about each event type."""
    return jsonify(_preferences_body(current_api_user()))


@bp.patch("/notifications/preferences")
@api_signed_in
@operation("Change some choices (event type → delivery) and auto-following of threads.",
           {200: Documented("All the choices now.", "Preferences")}, body="PreferencesInput",
           operation_id="updatePreferences")
def update_preferences():
    """Change some of the caller's choices (event type → delivery) and whether they auto-follow threads."""
    data = json_body()
    user = current_api_user()
    prefs.set_choices(user, data.get("preferences", {}), auto_follow=data.get("auto_follow"))
    db.session.commit()
    return jsonify(_preferences_body(user))


def serialize_notification(note) -> dict:
    """Return one notification with its read state."""
    annotation = note.annotation
    return {"id": note.id, "kind": note.kind, "event_type": prefs.event_type_of(note.kind), "message": note.message,
            "annotation": w3c.annotation_iri(annotation.article.slug, annotation.id) if annotation else None,
            "created": w3c.timestamp(note.created_at), "read": note.read_at is not None,
            "read_at": w3c.timestamp(note.read_at)}


@bp.get("/notifications")
@api_signed_in
@operation(f"The caller's notifications, newest first, {NOTIFICATIONS_PER_PAGE} a page, with the unread count.",
           {200: Documented("A page of notifications.", "NotificationList")}, query=NOTIFICATIONS_QUERY,
           operation_id="listNotifications")
def list_notifications():
    """List the caller's notifications, newest first, with read/unread and the unread count."""
    user = current_api_user()
    page = notifications.page_of(user, query_args()["page"], NOTIFICATIONS_PER_PAGE)

    def page_url(number: int | None) -> str | None:
        return url_for("api.list_notifications", page=number, _external=True) if number else None

    return jsonify({"items": [serialize_notification(n) for n in page.items],
                    "unread": notifications.unread_count(user), "page": page.page, "pages": page.pages,
                    "total": page.total, "next": page_url(page.next_num), "prev": page_url(page.prev_num)})


@bp.post("/notifications/read")
@api_signed_in
@operation("Mark every notification of the caller read.", {200: Documented("How many were unread.", "MarkedRead")},
           operation_id="readNotifications")
def read_notifications():
    """Mark every notification of the caller read."""
    marked = notifications.mark_all_read(current_api_user())
    db.session.commit()
    return jsonify({"marked": marked})


# --- Helpful and accepted answers --------------------------------------------------------------------

def _helpful_body(annotation: Annotation, voted: bool) -> dict:
    return {"annotation": w3c.annotation_iri(annotation.article.slug, annotation.id),
            "helpful_count": annotation.helpful_count, "voted": voted}


@bp.post("/annotations/<int:annotation_id>/helpful")
@api_permission(Permission.ANNOTATE)
@operation("Mark an annotation helpful (once; not one's own).", {201: Documented("Marked.", "Helpful")},
           errors=(404, 409), operation_id="voteHelpful")
def vote_helpful(annotation_id: int):
    """Mark an annotation helpful (once; never one's own)."""
    annotation = _readable(annotation_id)
    helpful.vote(annotation, current_api_user())
    db.session.commit()
    return jsonify(_helpful_body(annotation, True)), 201


@bp.delete("/annotations/<int:annotation_id>/helpful")
@api_permission(Permission.ANNOTATE)
@operation("Withdraw one's “helpful”.", {200: Documented("Withdrawn.", "Helpful")}, errors=(404, 409),
           operation_id="withdrawHelpful")
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
    tail = str(value).rstrip("/").rsplit("/", 1)[-1]
    if tail.isdigit() and len(tail) <= 10:
        return int(tail)
    raise BadRequest("`answer` must be the IRI (or id) of a reply in the question's thread.", "answer")


_QUESTION = Documented("The question, with `answer` (postil:answer) set or removed.", "Annotation", JSON_LD)


@bp.put("/annotations/<int:annotation_id>/answer")
@api_permission(Permission.ANNOTATE)
@operation("Accept a reply in the thread as the question's answer (its asker or a moderator).", {200: _QUESTION},
           body="AnswerInput", errors=(404, 409), operation_id="acceptAnswer")
def accept_answer(annotation_id: int):
    """Choose the reply that answers a question (its asker or a moderator); return the question."""
    question = _readable(annotation_id)
    reply_id = _answer_id(json_body()["answer"])
    viewer = current_api_user()
    reply = db.session.get(Annotation, reply_id)
    if reply is None or reply.is_deleted or not can_read(viewer, reply):
        raise BadRequest("There is no reply with this IRI that you can read.", "answer")
    answers.accept(question, reply, viewer)
    db.session.commit()
    return protocol.ld_response(serialize_annotation(question, viewer))


@bp.delete("/annotations/<int:annotation_id>/answer")
@api_permission(Permission.ANNOTATE)
@operation("Leave the question without an accepted answer.", {200: _QUESTION}, errors=(404, 409),
           operation_id="withdrawAnswer")
def withdraw_answer(annotation_id: int):
    """Leave a question without an accepted answer; return the question."""
    question = _readable(annotation_id)
    viewer = current_api_user()
    answers.withdraw(question, viewer)
    db.session.commit()
    return protocol.ld_response(serialize_annotation(question, viewer))
