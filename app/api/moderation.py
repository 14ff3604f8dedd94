"""Moderation in the API: flagging an annotation, the moderators' queue, decisions with optimistic concurrency, the log.

Decisions carry `if_modified`, the annotation's `modified` as the moderator saw it; when the
annotation changed since, the answer is 409 and nothing changes. The API's `modified` is given to
the second, so a value without a fractional part matches any change within that second, while the
status the moderator acted on is always checked as well.
"""
from __future__ import annotations

from flask import jsonify, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import bp, w3c
from app.api.auth import api_permission, current_api_user, rate_limit_key
from app.api.contract import Response as Documented
from app.api.contract import json_body, operation, query_args
from app.api.errors import api_abort
from app.api.schemas.moderation import LOG_QUERY, QUEUE_QUERY
from app.api.serializers import serialize_annotation
from app.extensions import db, limiter
from app.models import Annotation, ArticleStatus, Flag, ModerationLog, User
from app.security.loaders import get_annotation_for_review_or_404
from app.security.permissions import Permission
from app.services import flags as flag_service
from app.services import moderation
from app.services import moderation_log as log_service
from app.services import moderation_queue as queue_service
from app.services.pagination import Page
from app.services.visibility import can_read

NOT_READABLE = "There is no annotation here, or you may not read it."


def _paging(endpoint: str, page: Page, **args) -> dict:
    """Return the page's number (from 0, as the API counts) and links to its neighbours."""
    links = {"page": page.page - 1, "total": page.total}
    if page.has_next:
        links["next"] = url_for(endpoint, page=page.page, _external=True, **args)
    if page.has_prev:
        links["prev"] = url_for(endpoint, page=page.page - 2, _external=True, **args)
    return links


def serialize_flag(flag: Flag, slug: str, with_flagger: bool) -> dict:
    """Return a flag on an annotation of article `slug`; the flagger's identity only for moderators."""
    data = {"id": flag.id, "annotation": w3c.annotation_iri(slug, flag.annotation_id), "reason": flag.reason.value,
            "note": flag.note or "", "created": w3c.timestamp(flag.created_at),
            "resolved": w3c.timestamp(flag.resolved_at)}
    if with_flagger:
        data["flagger"] = {"id": flag.user_id, "name": flag.user.display_name}
    return data


def _serialize_author(user: User, history: queue_service.AuthorHistory) -> dict:
    return {"id": user.id, "name": user.display_name, "profession": user.profession or "",
            "affiliation": user.affiliation or "", "competing_interests": user.interests_statement,
            "trusted": user.trusted, "suspended": user.is_suspended,
            "history": {"published": history.published, "pending": history.pending, "hidden": history.hidden,
                        "removed": history.removed}}


def serialize_item(item: queue_service.QueueItem, viewer: User) -> dict:
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
        "flags": [serialize_flag(f, a.article.slug, with_flagger=True) for f in item.flags],
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
@operation("Flag an annotation one can read and did not write, once. Enough flags from different readers (or one "
           "patient_data flag from a moderator or an established reader) hide it until a moderator decides; a "
           "reader's flags hide a limited number of annotations a day.",
           {201: Documented("Flagged.", "Flag")}, body="FlagInput", errors=(404, 409, 429),
           operation_id="flagAnnotation")
def flag_annotation(annotation_id: int):
    """Flag an annotation the caller can read and did not write, once."""
    viewer = current_api_user()
    annotation = db.session.scalar(select(Annotation).where(Annotation.id == annotation_id)
                                   .options(joinedload(Annotation.article)))
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or not can_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    flag_service.check_can_flag(annotation, viewer)  # who may flag comes before what the body says
    data = json_body()
    flag = flag_service.flag(annotation, viewer, data["reason"], data.get("note", ""))
    db.session.commit()
    return jsonify(serialize_flag(flag, annotation.article.slug, with_flagger=False)), 201


@bp.get("/moderation/queue")
@api_permission(Permission.MODERATE)
@operation("Moderators: the items of one queue. pending: oldest first; flagged: most flags, then worst reason "
           "first; hidden: latest first.", {200: Documented("The queue page.", "ModerationQueue")},
           query=QUEUE_QUERY, errors=(403,), operation_id="moderationQueue")
def moderation_queue():
    """Return one page (from 0) of the pending, flagged or hidden queue, in the panel's order."""
    query = query_args()
    viewer = current_api_user()
    page = queue_service.queue(query["state"], query["page"] + 1, viewer=viewer, panel=False)
    return jsonify({"state": query["state"], "counts": page.counts,
                    "items": [serialize_item(i, viewer) for i in page.items],
                    **_paging("api.moderation_queue", page, state=query["state"])})


@bp.post("/moderation/annotations/<int:annotation_id>")
@api_permission(Permission.MODERATE)
@operation("Moderators: decide on an annotation. 403 on one's own annotation for approve, restore and dismiss_flags; "
           "409 when it changed since `if_modified` or the action does not apply to its current status.",
           {200: Documented("The annotation's new state and the log entry.", "ModerationItem")},
           body="ModerationDecision", errors=(403, 404, 409), operation_id="moderateAnnotation")
def moderate_annotation(annotation_id: int):
    """Approve, hide, restore, remove or dismiss the flags of an annotation; 409 if it changed since `if_modified`."""
    viewer = current_api_user()
    annotation = get_annotation_for_review_or_404(annotation_id, panel=False)  # 404 for private notes too
    data = json_body()
    action = moderation.parse_action(data["action"])
    entry = moderation.transition(annotation, action, viewer, data.get("reason", ""), if_modified=data["if_modified"])
    db.session.commit()
    item = queue_service.review_items([db.session.get(Annotation, annotation_id)])[0]
    return jsonify({**serialize_item(item, viewer), "log": serialize_log_entry(entry)})


@bp.get("/moderation/log")
@api_permission(Permission.MODERATE)
@operation("Moderators: the append-only log of decisions and account sanctions, newest first.",
           {200: Documented("One page of the log.", "ModerationLogPage")}, query=LOG_QUERY, errors=(403,),
           operation_id="moderationLog")
def moderation_log():
    """Return one page (from 0) of the moderation log, newest first, with the panel's filters."""
    query = query_args()
    filters = log_service.LogFilters(**{name: query.get(name) for name in LOG_QUERY if name != "page"})
    page = log_service.log_page(filters, query["page"] + 1, viewer=current_api_user())
    args = {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in query.items() if name != "page" and value is not None}
    return jsonify({"items": [serialize_log_entry(e) for e in page.items],
                    **_paging("api.moderation_log", page, **args)})
