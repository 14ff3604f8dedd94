"""Each article's W3C annotation container and the annotations in it (see app/api/protocol.py).

Canonical IRIs: the container `/api/articles/<slug>/annotations/`, an annotation
`/api/articles/<slug>/annotations/<id>`. The earlier addresses (the container without its final
"/", an annotation at `/api/annotations/<id>`) answer in the same way, so clients written for them
keep working; every answer names the canonical IRI.

A list costs a fixed number of queries whatever its length: the article with its references, one
count, one page of annotations with their authors and studies joined.
"""
from __future__ import annotations

from flask import Response, current_app, request
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.api import bp, payloads, protocol, w3c
from app.api.auth import api_permission, current_api_user, rate_limit_key
from app.api.contract import Response as Documented
from app.api.contract import json_body, operation, query_args
from app.api.errors import api_abort
from app.api.schemas import JSON_LD
from app.api.schemas.annotations import PAGE_SIZE
from app.api.schemas.base import page_from
from app.api.serializers import serialize_annotation
from app.database.engine import begin_writing, reads_before_writing, running_again
from app.extensions import db, limiter
from app.models import Annotation, AnnotationStatus, Article, ArticleStatus, Citation, User, Visibility
from app.security.loaders import get_published_article_or_404
from app.security.permissions import Permission, can, can_edit_annotation
from app.services import annotations as annotation_service
from app.services.pagination import paginate
from app.services.premoderation import initial_status
from app.services.visibility import can_read, readable_clause

NOT_READABLE = "There is no annotation here, or you may not read it."
# Rule -> endpoint suffix: the canonical rule first, then the earlier address that still answers.
CONTAINER_RULES = {"/articles/<slug>/annotations/": "", "/articles/<slug>/annotations": "_without_slash"}
ANNOTATION_RULES = {"/articles/<slug>/annotations/<int:annotation_id>": "",
                    "/annotations/<int:annotation_id>": "_by_id"}

CONTAINER_QUERY = {
    "page": page_from(0, PAGE_SIZE, default=False) | {
        "description": f"Return only this AnnotationPage (from 0, {PAGE_SIZE} per page)."},
    "iris": {"enum": [0, 1], "default": 0,
             "description": "1: pages list the annotations' IRIs only (the form PreferContainedIRIs asks for)."},
}
PREFER = {"type": "string", "description": "return=representation; include=\"" + protocol.PREFER_MINIMAL + "\" "
          "(no annotations embedded), \"" + protocol.PREFER_IRIS + "\" (IRIs only) or \""
          + protocol.PREFER_DESCRIPTIONS + "\" (the default)."}
IF_MATCH = {"type": "string", "description": "The ETag you last fetched: 412 if the annotation changed since."}


def _route(rules: dict[str, str], method: str, view_name: str):
    """Register the decorated view for `method` on every rule (the canonical one named `view_name`)."""

    def register(view):
        for rule, suffix in rules.items():
            bp.add_url_rule(rule, endpoint=view_name + suffix, view_func=view, methods=[method],
                            provide_automatic_options=False)
        return view

    return register


def listed(viewer: User | None):
    """Return the SQL condition for annotations listed to `viewer`: readable and not deleted."""
    return and_(readable_clause(viewer), Annotation.deleted_at.is_(None))


def may_read(viewer: User | None, annotation: Annotation) -> bool:
    """Tell whether `viewer` may open `annotation` by its IRI: readable, or under review for moderators.

    Moderators review pending, flagged and hidden public annotations (the API's queue lists them), so
    their IRIs open for them too. Private notes are their author's alone and never moderated; a
    journal club's annotations are read by site moderators only in the panel, while flagged (logged);
    removed ones are final and redacted, and stay out of reach as for everyone.
    """
    if can_read(viewer, annotation):
        return True
    return (viewer is not None and can(viewer, Permission.MODERATE) and annotation.visibility == Visibility.PUBLIC
            and annotation.status != AnnotationStatus.REMOVED)


# --- The container ---------------------------------------------------------------------------------

def _page(article: Article, viewer: User | None, number: int, total: int, iris: bool) -> dict:
    flavour = {"iris": 1} if iris else {}
    stmt = (select(Annotation.id) if iris else select(Annotation).options(
        joinedload(Annotation.author), joinedload(Annotation.study), selectinload(Annotation.accepted_answer)))
    stmt = (stmt.where(Annotation.article_id == article.id, listed(viewer))
            .order_by(Annotation.created_at, Annotation.id))
    rows = paginate(stmt, page=number + 1, per_page=PAGE_SIZE, total=total)  # W3C pages count from 0
    items = ([w3c.annotation_iri(article.slug, i) for i in rows.items] if iris
             else [serialize_annotation(a, viewer) for a in rows.items])
    page = {"id": w3c.container_iri(article.slug, page=number, **flavour), "type": "AnnotationPage",
            "partOf": {"id": w3c.container_iri(article.slug, **flavour), "total": total},
            "startIndex": rows.offset, "items": items}
    if rows.has_next:
        page["next"] = w3c.container_iri(article.slug, page=number + 1, **flavour)
    if rows.has_prev:
        page["prev"] = w3c.container_iri(article.slug, page=number - 1, **flavour)
    return page


def container_representation(article: Article, viewer: User | None) -> tuple[dict, dict]:
    """Return the container (or the page) the request asks for, and the headers naming it."""
    query, preference = query_args(), protocol.Preference(_prefer_header())
    # ?iris= in the URL (a collection's own IRI) decides; otherwise the client's preference does.
    iris = query["iris"] == 1 or ("iris" not in request.args and preference.iris)
    flavour = {"iris": 1} if iris else {}
    total = db.session.scalar(select(func.count(Annotation.id))
                              .where(Annotation.article_id == article.id, listed(viewer)))
    last = max(0, (total - 1) // PAGE_SIZE)
    if "page" in query:
        if query["page"] > last:
            api_abort(404, f"There is no page {query['page']}; the last page is {last}.")
        page = {"@context": w3c.ANNO_CONTEXT, **_page(article, viewer, query["page"], total, iris)}
        return page, {"Content-Location": page["id"]}
    collection = {
        "@context": [w3c.ANNO_CONTEXT, w3c.LDP_CONTEXT],
        "id": w3c.container_iri(article.slug, **flavour),
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": f"Annotations on “{article.title}”",
        "total": total,
        "first": (w3c.container_iri(article.slug, page=0, **flavour) if preference.minimal
                  else _page(article, viewer, 0, total, iris)),
        "last": w3c.container_iri(article.slug, page=last, **flavour),
    }
    headers = {"Content-Location": collection["id"]}
    if preference.applied:
        headers["Preference-Applied"] = "return=representation"
    return collection, headers


def _prefer_header() -> str | None:
    # Pages already carry the client's choice in their IRI; the protocol asks clients not to send Prefer.
    return None if "page" in request.args else request.headers.get("Prefer")


_CONTAINER_READ = dict(query=CONTAINER_QUERY, request_headers={"Prefer": PREFER}, resource=protocol.CONTAINER,
                       errors=(404,))


@_route(CONTAINER_RULES, "GET", "list_annotations")
@operation("An article's annotation container (W3C Web Annotation Protocol): the annotations and replies the "
           "caller may read, oldest first; or one of its pages with ?page=N.",
           {200: Documented("The container with its first page embedded (or only linked, with Prefer: "
                            "...PreferMinimalContainer), or the page asked for. `Content-Location` names it.",
                            {"oneOf": [{"$ref": "#/components/schemas/AnnotationCollection"},
                                       {"$ref": "#/components/schemas/AnnotationPage"}]}, JSON_LD,
                            headers=("Content-Location",))},
           operation_id="listAnnotations", **_CONTAINER_READ)
def list_annotations(slug: str):
    """Return the container, or one page of it, as the caller's preferences and query ask."""
    article = get_published_article_or_404(slug)
    data, headers = container_representation(article, current_api_user())
    return protocol.ld_response(data, headers=headers)


@_route(CONTAINER_RULES, "OPTIONS", "container_options")
@operation("What the container allows (Allow, Accept-Post), with the ETag of its representation.",
           {200: Documented("The container's headers; no body.")}, **_CONTAINER_READ)
def container_options(slug: str):
    """Answer OPTIONS on a container with its headers and the ETag of what GET would return."""
    article = get_published_article_or_404(slug)
    data, _ = container_representation(article, current_api_user())
    response = Response(status=200)
    response.set_etag(protocol.etag_of(data))
    return response


def _limit(config_key: str):
    return lambda: current_app.config[config_key]


@_route(CONTAINER_RULES, "POST", "create_annotation")
@reads_before_writing
@api_permission(Permission.ANNOTATE)
@limiter.limit(_limit("RATELIMIT_ANNOTATIONS"), key_func=rate_limit_key, exempt_when=running_again)
@operation("Annotate a passage, or reply to an annotation. Rate limited per account.",
           {201: Documented("Created; `Location` is its IRI. Its `status` is `pending` while a new account's "
                            "public annotations await a moderator.", "Annotation", JSON_LD,
                            headers=("Location", "Content-Location"))},
           body="AnnotationInput", errors=(404, 429), operation_id="createAnnotation", resource=protocol.CONTAINER)
def create_annotation(slug: str):
    """Create an annotation on a passage, or a reply, from a posted W3C Web Annotation."""
    # A creation reads the article's text and name, not its references.
    article = get_published_article_or_404(slug, references=False)
    author = current_api_user()
    new = payloads.new_annotation(json_body(), article, author)
    prepared = annotation_service.prepare(
        article, author, body=new.body, selector=new.selector, parent=new.parent, kind=new.kind, tags=new.tags,
        study_id=new.study_id, visibility=new.visibility, group=new.group,
        status=initial_status(author, new.visibility, new.group))
    # The W3C protocol keeps a client's provenance IRIs; they are the API's alone, so set here.
    prepared.canonical, prepared.via = new.canonical, new.via
    # Everything above only read: the write lock is taken from here to the commit.
    if begin_writing():
        annotation_service.confirm_reads(prepared, article, author, new.group, parent=new.parent)
    annotation = annotation_service.save(prepared, article, author)
    # Serialised before the commit, which expires what the session holds: nothing is read again after it.
    iri = w3c.annotation_iri(article.slug, annotation.id)
    data = serialize_annotation(annotation, author)
    db.session.commit()
    return protocol.ld_response(data, 201, headers={"Location": iri, "Content-Location": iri})


# --- One annotation ------------------------------------------------------------------------------

def _annotation_or_404(annotation_id: int, slug: str | None, viewer: User | None,
                       for_update: bool = False) -> Annotation:
    if for_update:
        # Take the row's lock before reading it, so that If-Match is compared with what is really
        # current: a concurrent editor waits here rather than overwriting (PostgreSQL; SQLite
        # writers are already serialised by BEGIN IMMEDIATE).
        db.session.execute(select(Annotation.id).where(Annotation.id == annotation_id).with_for_update())
    annotation = db.session.scalar(
        select(Annotation).where(Annotation.id == annotation_id)
        .options(joinedload(Annotation.author), joinedload(Annotation.study),
                 joinedload(Annotation.article).selectinload(Article.citations).selectinload(Citation.study))
        .execution_options(populate_existing=True))
    if (annotation is None or annotation.is_deleted or annotation.article.status != ArticleStatus.PUBLISHED
            or (slug is not None and annotation.article.slug != slug) or not may_read(viewer, annotation)):
        api_abort(404, NOT_READABLE)
    return annotation


def _current_for_change(annotation_id: int, slug: str | None) -> tuple[Annotation, User]:
    """Load the annotation the caller means to change: 404, 403 (not theirs) or 412 (If-Match is stale)."""
    user = current_api_user()
    annotation = _annotation_or_404(annotation_id, slug, user, for_update=True)
    if not can_edit_annotation(user, annotation):
        api_abort(403, "Only the author of an annotation can change or delete it.")
    protocol.require_current(serialize_annotation(annotation, user))
    return annotation, user


def _annotation_response(annotation: Annotation, viewer: User | None) -> Response:
    iri = w3c.annotation_iri(annotation.article.slug, annotation.id)
    return protocol.ld_response(serialize_annotation(annotation, viewer), headers={"Content-Location": iri})


_ANNOTATION = dict(resource=protocol.ANNOTATION, errors=(404,))
_CHANGE = dict(resource=protocol.ANNOTATION, errors=(403, 404, 409, 412), request_headers={"If-Match": IF_MATCH})


@_route(ANNOTATION_RULES, "GET", "get_annotation")
@operation("One annotation the caller may read (moderators also open pending and hidden ones).",
           {200: Documented("The annotation.", "Annotation", JSON_LD, headers=("Content-Location",))},
           operation_id="getAnnotation", **_ANNOTATION)
def get_annotation(annotation_id: int, slug: str | None = None):
    """Return one annotation the caller may read (404 otherwise, whether or not it exists)."""
    viewer = current_api_user()
    return _annotation_response(_annotation_or_404(annotation_id, slug, viewer), viewer)


@_route(ANNOTATION_RULES, "OPTIONS", "annotation_options")
@operation("What the annotation allows (Allow), with its ETag.", {200: Documented("The headers; no body.")},
           **_ANNOTATION)
def annotation_options(annotation_id: int, slug: str | None = None):
    """Answer OPTIONS on an annotation the caller may read with its headers and ETag."""
    viewer = current_api_user()
    annotation = _annotation_or_404(annotation_id, slug, viewer)
    response = Response(status=200)
    response.set_etag(protocol.etag_of(serialize_annotation(annotation, viewer)))
    return response


@_route(ANNOTATION_RULES, "PUT", "replace_annotation")
@api_permission(Permission.ANNOTATE)
@operation("Replace one's own annotation with a new state (W3C protocol): text, tags and kind.",
           {200: Documented("The annotation as it is now.", "Annotation", JSON_LD, headers=("Content-Location",))},
           body="AnnotationInput", operation_id="replaceAnnotation", **_CHANGE)
def replace_annotation(annotation_id: int, slug: str | None = None):
    """Replace the text, tags and kind of one's own annotation; its target and visibility stay."""
    annotation, user = _current_for_change(annotation_id, slug)
    annotation_service.edit(annotation, **payloads.replacement(json_body(), annotation))
    db.session.commit()
    return _annotation_response(annotation, user)


@_route(ANNOTATION_RULES, "PATCH", "edit_annotation")
@api_permission(Permission.ANNOTATE)
@operation("Change one's own annotation's text, tags or kind.",
           {200: Documented("The changed annotation.", "Annotation", JSON_LD, headers=("Content-Location",))},
           body="AnnotationPatch", operation_id="editAnnotation", **_CHANGE)
def edit_annotation(annotation_id: int, slug: str | None = None):
    """Change the text, tags or kind of one's own annotation."""
    annotation, user = _current_for_change(annotation_id, slug)
    annotation_service.edit(annotation, **payloads.annotation_changes(json_body(), annotation))
    db.session.commit()
    return _annotation_response(annotation, user)


@_route(ANNOTATION_RULES, "DELETE", "delete_annotation")
@api_permission(Permission.ANNOTATE)
@operation("Delete one's own annotation (replies to it stay, under a placeholder).",
           {204: Documented("Deleted; it leaves its container.")}, operation_id="deleteAnnotation",
           **{**_CHANGE, "errors": (403, 404, 412)})
def delete_annotation(annotation_id: int, slug: str | None = None):
    """Delete one's own annotation (softly: replies to it stay)."""
    annotation, _ = _current_for_change(annotation_id, slug)
    annotation_service.delete(annotation)
    db.session.commit()
    return Response(status=204)
