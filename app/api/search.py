"""GET /api/search: the search service as JSON, with its description in the OpenAPI document.

The same service, visibility and query syntax as the search page. Without `type`, every type is
ranked together and paged; `kind`, `tag`, `author`, `design`, `level`, `article` and `is` may also
be given as parameters (each adds the filter `name:value` to the query). Annotation items are the
W3C Web Annotations of the collection API plus the search fields; article and study items carry
their own fields. Each page costs a fixed number of queries.
"""
from __future__ import annotations

from flask import jsonify, request, url_for

from app.api import bp, openapi
from app.api.auth import current_api_user
from app.api.errors import api_abort
from app.api.serializers import serialize_annotation
from app.services.search.filters import ANNOTATION_STATES
from app.services.search.requests import PER_PAGE, SORTS, parse_request
from app.services.search.results import Hit, SearchResults, passage_anchor
from app.services.search.searching import search
from app.text.query import FIELDS, MAX_QUERY_LENGTH
from app.text.search_documents import DOC_TYPES, STUDY
from app.text.snippets import marked_html


def _title(hit: Hit) -> str:
    if hit.annotation is not None:
        kind = "Reply" if hit.annotation.is_reply else hit.annotation.kind.value.capitalize()
        return f"{kind} by {hit.annotation.author.display_name} on {hit.article.title if hit.article else ''}".strip()
    if hit.study is not None:
        return hit.study.title
    return hit.article.title if hit.article is not None else ""


def _item(hit: Hit, viewer) -> dict:
    fields = {"title": _title(hit), "title_html": str(hit.title_html) or marked_html(_title(hit)),
              "snippet_html": str(hit.body_html), "score": hit.score}
    if hit.annotation is not None:
        return {**serialize_annotation(hit.annotation, viewer), **fields, "quote_html": str(hit.quote_html),
                "url": url_for("annotating.permalink", annotation_id=hit.annotation.id, _external=True),
                "replies": hit.replies, "helpful": hit.helpful}
    if hit.study is not None:
        study = hit.study
        return {"type": "Study", "id": url_for("api.get_study", study_id=study.id, _external=True), **fields,
                "url": url_for("studies.show", study_id=study.id, _external=True),
                "authors": [a.get("literal") or " ".join(filter(None, (a.get("family"), a.get("given"))))
                            for a in study.authors or [] if isinstance(a, dict)],
                "journal": study.container_title, "year": study.issued_year, "doi": study.doi, "pmid": study.pmid,
                "design": study.design, "evidence_level": study.evidence_level, "retracted": bool(study.retracted)}
    article = hit.article
    return {"type": "Article", "id": url_for("api.get_article", slug=article.slug, _external=True), **fields,
            "url": url_for("main.article", slug=article.slug, _external=True) + passage_anchor(hit),
            "slug": article.slug, "passage": hit.position if hit.position is not None and hit.position >= 0 else None,
            "status": article.status.value}


def _facets(results: SearchResults) -> dict:
    facets = {"type": {t: results.counts.get(t, 0) for t in DOC_TYPES}}
    for facet in results.facets:
        if facet.field != "type":
            facets[facet.field] = {value.value: value.count for value in facet.values}
    return facets


def _page_url(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for("api.search", _external=True, **args)


@bp.get("/search", endpoint="search")
def search_api():
    """Search what the caller may read: articles' passages, annotations and studies."""
    viewer = current_api_user()
    if request.args.get("scope") == "queue" and viewer is None:
        api_abort(401, "Sign in as a moderator to search the moderation queue.")
    results = search(parse_request(request.args, extra_fields=FIELDS), viewer, grouped=False, w3c=True)
    if results.study is not None:
        items = [_item(Hit(doc_type=STUDY, doc_id=0, score=1.0, study=results.study), viewer)]
        return jsonify({"total": 1, "page": 1, "items": items, "facets": _facets(results), "next": None,
                        "notices": results.notices})
    page = results.page
    items = [_item(hit, viewer) for hit in page.items] if page is not None else []
    return jsonify({"total": page.total if page is not None else 0, "page": page.page if page is not None else 1,
                    "items": items, "facets": _facets(results),
                    "next": _page_url(page.next_num) if page is not None and page.has_next else None,
                    "notices": results.notices})


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
openapi.SCHEMAS["SearchItem"] = {
    "type": "object", "required": ["type", "id", "title", "snippet_html", "score", "url"],
    "description": "One result. `type` is Annotation (then every field of a W3C Web Annotation, as in the "
                   "collection API, plus `quote_html`, `replies` and `helpful`), Article (a passage: `passage` is "
                   "its block number, null for the title and standfirst) or Study. `snippet_html` and `title_html` "
                   "are escaped text with the matched words in <mark>; `score` is the engine's relevance (higher is "
                   "better, 0 without words to rank).",
    "properties": {
        "type": {"enum": ["Annotation", "Article", "Study"]},
        "id": {"type": "string", "format": "uri", "description": "The item's IRI in the API."},
        "url": {"type": "string", "format": "uri", "description": "Where a reader sees it."},
        "title": {"type": "string"}, "title_html": {"type": "string"}, "snippet_html": {"type": "string"},
        "quote_html": {"type": "string"}, "score": {"type": "number"},
        "replies": {"type": "integer", "description": "Replies the caller may read (annotations)."},
        "helpful": {"type": ["integer", "null"]},
        "slug": {"type": "string"}, "passage": {"type": ["integer", "null"]}, "status": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "string"}}, "journal": {"type": ["string", "null"]},
        "year": {"type": ["integer", "null"]}, "doi": {"type": ["string", "null"]},
        "pmid": {"type": ["string", "null"]}, "design": {"type": ["string", "null"]},
        "evidence_level": {"type": ["integer", "null"]}, "retracted": {"type": "boolean"},
    },
}
openapi.SCHEMAS["SearchResults"] = {
    "type": "object", "required": ["total", "page", "items", "facets", "next", "notices"],
    "properties": {
        "total": {"type": "integer", "minimum": 0,
                  "description": "Results of the type asked for (every type without `type`)."},
        "page": {"type": "integer", "minimum": 1},
        "items": {"type": "array", "items": openapi.ref("SearchItem"), "maxItems": PER_PAGE},
        "facets": {"type": "object", "description": "Counts over the whole result set: type, kind, is, article "
                                                    "(by slug), author, tag, design, level and date (week, month, "
                                                    "year: within the last 7, 30, 365 days; older).",
                   "additionalProperties": _COUNTS},
        "next": {"type": ["string", "null"], "format": "uri"},
        "notices": {"type": "array", "items": {"type": "string"},
                    "description": "Parts of the query that were left out, and why."},
    },
}
_FILTER_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
     "description": description}
    for name, description in (
        ("kind", "Annotation kind: comment, question, critique, support, practice."),
        ("tag", "A tag of annotations or articles."), ("author", "Part of an author's name (annotations, studies)."),
        ("design", "Study design code, e.g. rct."), ("level", "CEBM level, 1 to 5."),
        ("article", "An article's slug."), ("is", f"One of {', '.join(ANNOTATION_STATES)}."))
]
openapi.PATHS["/api/search"] = {"get": {
    "operationId": "search",
    "summary": "Search the passages, annotations and studies the caller may read.",
    "description": "Query syntax: words (all must match), \"exact phrase\", -exclude, prefix*, and fielded filters "
                   "tag:, author:, kind:, design:, level:, article:, is:. A DOI, PMID or PMCID alone returns that "
                   "study. Moderators may search the moderation queue with scope=queue.",
    "parameters": [
        {"name": "q", "in": "query", "required": False,
         "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH}},
        {"name": "type", "in": "query", "required": False, "schema": {"enum": list(DOC_TYPES)}},
        {"name": "sort", "in": "query", "required": False, "schema": {"enum": list(SORTS)}},
        {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
        {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
        {"name": "scope", "in": "query", "required": False, "schema": {"enum": ["all", "queue"]}},
        *_FILTER_PARAMETERS,
    ],
    "responses": {"200": openapi.json_response("One page of results with the facets.", "SearchResults"),
                  **openapi.errors(400, 401, 403)},
}}
