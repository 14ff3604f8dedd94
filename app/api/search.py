"""GET /api/search: the search service as JSON (its schemas are in app/api/schemas/search.py).

The same service, visibility and query syntax as the search page. Without `type`, every type is
ranked together and paged; `kind`, `tag`, `author`, `design`, `level`, `article` and `is` may also
be given as parameters (each adds the filter `name:value` to the query). Annotation items are the
W3C Web Annotations of the collection API plus the search fields; article and study items carry
their own fields. Each page costs a fixed number of queries.
"""
from __future__ import annotations

from flask import jsonify, request, url_for

from app.api import bp
from app.api.auth import current_api_user
from app.api.contract import Response as Documented
from app.api.contract import operation, query_args
from app.api.errors import api_abort
from app.api.schemas.search import QUERY
from app.api.serializers import serialize_annotation
from app.services.search.requests import parse_request
from app.services.search.results import Hit, SearchResults, passage_anchor
from app.services.search.searching import search
from app.text.query import FIELDS
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
@operation("Search the passages, annotations and studies the caller may read.",
           {200: Documented("One page of results with the facets.", "SearchResults")}, query=QUERY, errors=(403,),
           description="Query syntax: words (all must match), \"exact phrase\", -exclude, prefix*, and fielded "
                       "filters tag:, author:, kind:, design:, level:, article:, is:. A DOI, PMID or PMCID alone "
                       "returns that study. Moderators may search the moderation queue with scope=queue.",
           operation_id="search")
def search_api():
    """Search what the caller may read: articles' passages, annotations and studies."""
    query_args()  # refuses, naming it, a parameter that does not fit its schema
    viewer = current_api_user()
    if request.args.get("scope") == "queue" and viewer is None:
        api_abort(401, "Sign in as a moderator to search the moderation queue.")
    results = search(parse_request(request.args, extra_fields=FIELDS), viewer, grouped=False, w3c=True)
    if results.study is not None:
        items = [_item(Hit(doc_type=STUDY, doc_id=0, score=1.0, study=results.study), viewer)]
        return jsonify({"total": 1, "at_least": False, "page": 1, "items": items, "facets": _facets(results),
                        "next": None, "notices": results.notices})
    page = results.page
    items = [_item(hit, viewer) for hit in page.items] if page is not None else []
    capped = bool(results.capped) if not results.request.type else results.request.type in results.capped
    return jsonify({"total": results.counts.get(results.request.type, 0) if results.request.type else results.total,
                    "at_least": capped, "page": page.page if page is not None else 1,
                    "items": items, "facets": _facets(results),
                    "next": _page_url(page.next_num) if page is not None and page.has_next else None,
                    "notices": results.notices})
