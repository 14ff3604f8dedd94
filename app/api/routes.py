"""API routes: the description, the JSON-LD context, articles and people; and what every API answer gets.

Every GET answer carries an ETag and honours If-None-Match (304); the W3C resources add their own
headers (app/api/protocol.py). Every list is served with a fixed number of queries whatever its length.
"""
from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import exists, func, or_, select

from app.api import bp, openapi, protocol, w3c
from app.api.annotations import listed
from app.api.auth import current_api_user
from app.api.contract import Response as Documented
from app.api.contract import operation
from app.api.errors import api_abort
from app.api.schemas import JSON_LD
from app.api.serializers import serialize_article, serialize_article_summary, serialize_person
from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, User
from app.security.loaders import get_published_article_or_404
from app.services import articles as article_service


@bp.after_request
def _vary_by_caller(response: Response) -> Response:
    # The same URL answers differently per caller (private annotations, moderation fields).
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response


@bp.after_request
def _conditional_get(response: Response) -> Response:
    # Every representation gets an entity tag; a client that already holds it gets 304 and no body.
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        if response.get_etag() == (None, None):
            response.add_etag()
        response.make_conditional(request)
    return response


bp.after_request(protocol.add_headers)


@bp.get("/openapi.json")
@operation("This description of the API.", {200: Documented("The OpenAPI document.", "OpenAPI")},
           operation_id="openapi", public=True)
def openapi_document():
    """Describe the whole API (OpenAPI 3.1)."""
    return jsonify(openapi.document())


@bp.get("/context.jsonld")
@operation("The JSON-LD context of Postil's extra annotation fields.",
           {200: Documented("The context.", "JsonLdContext", JSON_LD)}, operation_id="jsonldContext", public=True)
def jsonld_context():
    """Serve the JSON-LD context that defines Postil's extra annotation fields."""
    response = jsonify({"@context": w3c.postil_context()})
    response.mimetype = "application/ld+json"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/articles")
@operation("Published articles, newest first.", {200: Documented("The articles.", "ArticleList")},
           operation_id="listArticles")
def list_articles():
    """List published articles with how many annotations the caller may read on each."""
    viewer = current_api_user()
    counts = (select(Annotation.article_id, func.count(Annotation.id).label("n"))
              .where(listed(viewer)).group_by(Annotation.article_id).subquery())
    rows = db.session.execute(
        select(Article, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.article_id == Article.id)
        .where(Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.created_at.desc(), Article.id.desc())
    ).all()
    return jsonify({"items": [serialize_article_summary(article, count) for article, count in rows]})


@bp.get("/articles/<slug>")
@operation("A published article with its canonical text and references. `Link` names its annotation container "
           "(rel http://www.w3.org/ns/oa#annotationService).",
           {200: Documented("The article.", "Article", headers=("Link",))}, errors=(404,),
           operation_id="getArticle")
def get_article(slug: str):
    """Return a published article: its canonical text (what selectors count in) and its references."""
    article = get_published_article_or_404(slug)
    response = jsonify(serialize_article(article, article_service.references_of(article)))
    response.headers["Link"] = f'<{w3c.container_iri(slug)}>; rel="{protocol.ANNOTATION_SERVICE}"'
    return response


@bp.get("/users/<int:user_id>")
@operation("An author's public profile (found only if the caller can read one of their annotations).",
           {200: Documented("The author.", "Person")}, errors=(404,), operation_id="getPerson")
def get_person(user_id: int):
    """Return an author's public profile; only people whose annotations the caller can read are found."""
    viewer = current_api_user()
    visible_work = exists(
        select(Annotation.id).join(Article, Article.id == Annotation.article_id)
        .where(Annotation.author_id == User.id, Article.status == ArticleStatus.PUBLISHED, listed(viewer)))
    conditions = [visible_work] + ([User.id == viewer.id] if viewer is not None else [])
    person = db.session.scalar(select(User).where(User.id == user_id, or_(*conditions)))
    if person is None:
        api_abort(404, "There is no author here whose annotations you can read.")
    return jsonify(serialize_person(person))
