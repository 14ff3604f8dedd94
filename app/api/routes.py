"""API routes: articles, their annotations (W3C Web Annotation Protocol style), people, and the API description.

Every list is served with a fixed number of queries whatever its length: the article with its
references, one count and one page of annotations with their authors and studies joined.
"""
from __future__ import annotations

import json

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.api import bp, openapi, payloads, w3c
from app.api.auth import api_permission, current_api_user, rate_limit_key
from app.api.errors import api_abort
from app.api.serializers import serialize_annotation, serialize_article, serialize_article_summary, serialize_person
from app.extensions import db, limiter
from app.models import Annotation, Article, ArticleStatus, Citation, User
from app.security.permissions import Permission, can_edit_annotation
from app.services import annotations as annotation_service
from app.services import articles as article_service
from app.services.moderation import initial_status
from app.services.visibility import can_read, readable_clause

PAGE_SIZE = 200
ANNOTATION_MEDIA_TYPE = f'application/ld+json; profile="{w3c.ANNO_CONTEXT}"'
NOT_READABLE = "There is no annotation here, or you may not read it."


def _listed(viewer: User | None):
    """Return the SQL condition for annotations listed to `viewer`: readable and not deleted."""
    return and_(readable_clause(viewer), Annotation.deleted_at.is_(None))


def _ld_response(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type=ANNOTATION_MEDIA_TYPE,
                    headers=headers)


def _conditional(response: Response) -> Response:
    response.add_etag()
    return response.make_conditional(request)


def _limit(config_key: str):
    return lambda: current_app.config[config_key]


@bp.after_request
def _vary_by_caller(response: Response) -> Response:
    # The same URL answers differently per caller (private annotations, moderation fields).
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response


@bp.get("/openapi.json")
def openapi_document():
    """Describe the whole API (OpenAPI 3.1)."""
    return jsonify(openapi.document())


@bp.get("/context.jsonld")
def jsonld_context():
    """Serve the JSON-LD context that defines Postil's extra annotation fields."""
    response = jsonify({"@context": w3c.postil_context()})
    response.mimetype = "application/ld+json"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/articles")
def list_articles():
    """List published articles with how many annotations the caller may read on each."""
    viewer = current_api_user()
    counts = (select(Annotation.article_id, func.count(Annotation.id).label("n"))
              .where(_listed(viewer)).group_by(Annotation.article_id).subquery())
    rows = db.session.execute(
        select(Article, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.article_id == Article.id)
        .where(Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.created_at.desc(), Article.id.desc())
    ).all()
    return jsonify({"items": [serialize_article_summary(article, count) for article, count in rows]})


@bp.get("/articles/<slug>")
def get_article(slug: str):
    """Return a published article: its canonical text (what selectors count in) and its references."""
    article = article_service.get_published_or_404(slug)
    return jsonify(serialize_article(article, article_service.references_of(article)))


def _page_number() -> int:
    raw = request.args.get("page", "0")
    if not raw.isdigit():
        api_abort(400, "`page` must be a whole number from 0.", "invalid_page")
    return int(raw)


def _page(article: Article, viewer: User | None, number: int, total: int) -> dict:
    rows = db.session.scalars(
        select(Annotation).where(Annotation.article_id == article.id, _listed(viewer))
        .options(joinedload(Annotation.author), joinedload(Annotation.study), selectinload(Annotation.accepted_answer))
        .order_by(Annotation.created_at, Annotation.id)
        .offset(number * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    page_iri = url_for("api.list_annotations", slug=article.slug, page=number, _external=True)
    page = {"id": page_iri, "type": "AnnotationPage", "startIndex": number * PAGE_SIZE,
            "items": [serialize_annotation(a, viewer) for a in rows]}
    if (number + 1) * PAGE_SIZE < total:
        page["next"] = url_for("api.list_annotations", slug=article.slug, page=number + 1, _external=True)
    if number > 0:
        page["prev"] = url_for("api.list_annotations", slug=article.slug, page=number - 1, _external=True)
    return page


@bp.get("/articles/<slug>/annotations")
def list_annotations(slug: str):
    """Return the annotations (and replies) the caller may read: the collection, or one page with ?page=N."""
    article = article_service.get_published_or_404(slug)
    viewer = current_api_user()
    total = db.session.scalar(select(func.count(Annotation.id))
                              .where(Annotation.article_id == article.id, _listed(viewer)))
    last = max(0, (total - 1) // PAGE_SIZE)
    collection_iri = url_for("api.list_annotations", slug=article.slug, _external=True)
    headers = {"Link": '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"', "Allow": "GET, POST, HEAD, OPTIONS"}
    if "page" in request.args:
        number = _page_number()
        if number > last:
            api_abort(404, f"There is no page {number}; the last page is {last}.")
        page = {"@context": w3c.ANNO_CONTEXT, **_page(article, viewer, number, total),
                "partOf": {"id": collection_iri, "total": total}}
        return _conditional(_ld_response(page, headers=headers))
    collection = {
        "@context": [w3c.ANNO_CONTEXT, w3c.LDP_CONTEXT],
        "id": collection_iri,
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": f"Annotations on “{article.title}”",
        "total": total,
        "first": _page(article, viewer, 0, total),
        "last": url_for("api.list_annotations", slug=article.slug, page=last, _external=True),
    }
    return _conditional(_ld_response(collection, headers=headers))


@bp.post("/articles/<slug>/annotations")
@api_permission(Permission.ANNOTATE)
@limiter.limit(_limit("RATELIMIT_ANNOTATIONS"), key_func=rate_limit_key)
def create_annotation(slug: str):
    """Create an annotation on a passage, or a reply, from a posted W3C Web Annotation."""
    article = article_service.get_published_or_404(slug)
    author = current_api_user()
    new = payloads.new_annotation(payloads.json_object(), article, author)
    annotation = annotation_service.create(
        article, author, body=new.body, selector=new.selector, parent=new.parent, kind=new.kind, tags=new.tags,
        study_id=new.study_id, visibility=new.visibility, status=initial_status(author, new.visibility))
    db.session.commit()
    iri = w3c.annotation_iri(annotation.id)
    return _ld_response(serialize_annotation(annotation, author), 201, headers={"Location": iri})


def _readable_annotation_or_404(annotation_id: int, viewer: User | None) -> Annotation:
    annotation = db.session.scalar(
        select(Annotation).where(Annotation.id == annotation_id)
        .options(joinedload(Annotation.author), joinedload(Annotation.study),
                 joinedload(Annotation.article).selectinload(Article.citations).selectinload(Citation.study)))
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or not can_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    return annotation


def _editable_annotation_or_error(annotation_id: int) -> Annotation:
    user = current_api_user()
    annotation = _readable_annotation_or_404(annotation_id, user)
    if not can_edit_annotation(user, annotation):
        api_abort(403, "Only the author of an annotation can change or delete it.")
    return annotation


@bp.get("/annotations/<int:annotation_id>")
def get_annotation(annotation_id: int):
    """Return one annotation the caller may read (404 otherwise, whether or not it exists)."""
    viewer = current_api_user()
    annotation = _readable_annotation_or_404(annotation_id, viewer)
    return _conditional(_ld_response(serialize_annotation(annotation, viewer),
                                     headers={"Allow": "GET, PATCH, DELETE, HEAD, OPTIONS"}))


@bp.patch("/annotations/<int:annotation_id>")
@api_permission(Permission.ANNOTATE)
def edit_annotation(annotation_id: int):
    """Change the text, tags or kind of one's own annotation."""
    annotation = _editable_annotation_or_error(annotation_id)
    changes = payloads.annotation_changes(payloads.json_object(), annotation)
    annotation_service.edit(annotation, **changes)
    db.session.commit()
    return _ld_response(serialize_annotation(annotation, current_api_user()))


@bp.delete("/annotations/<int:annotation_id>")
@api_permission(Permission.ANNOTATE)
def delete_annotation(annotation_id: int):
    """Delete one's own annotation (softly: replies to it stay)."""
    annotation = _editable_annotation_or_error(annotation_id)
    annotation_service.delete(annotation)
    db.session.commit()
    return Response(status=204)


@bp.get("/users/<int:user_id>")
def get_person(user_id: int):
    """Return an author's public profile; only people whose annotations the caller can read are found."""
    viewer = current_api_user()
    visible_work = exists(
        select(Annotation.id).join(Article, Article.id == Annotation.article_id)
        .where(Annotation.author_id == User.id, Article.status == ArticleStatus.PUBLISHED, _listed(viewer)))
    conditions = [visible_work] + ([User.id == viewer.id] if viewer is not None else [])
    person = db.session.scalar(select(User).where(User.id == user_id, or_(*conditions)))
    if person is None:
        api_abort(404, "There is no author here whose annotations you can read.")
    return jsonify(serialize_person(person))

