"""The search page: parse the request, run the search service, render results, facets and pages.

Every state of the page has its own URL (query, type tab, sort, page, date range, scope), so a
search can be shared and bookmarked; facet links add a `field:value` filter to the query text,
where the reader sees it and can edit or remove it.
"""
from __future__ import annotations

from flask import abort, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import login_manager
from app.models import ArticleStatus
from app.search import bp
from app.services.errors import Forbidden
from app.services.search.facets import TYPE_LABELS
from app.services.search.requests import SCOPES, SORTS, BadSearch, SearchRequest, date_range, parse_request
from app.services.search.results import COUNT_CAP, Hit, SearchResults, passage_anchor
from app.services.search.searching import search
from app.text.query import MAX_QUERY_LENGTH, Query, with_filter, without_filter
from app.text.vocabulary import SYNONYMS

_KEPT = ("q", "type", "sort", "from", "to", "scope")


def _viewer():
    return current_user if current_user.is_authenticated else None


def search_url(**changes) -> str:
    """Return the URL of this search with some parameters changed (None removes one; the page resets)."""
    args = {name: request.args.get(name) for name in _KEPT if request.args.get(name)}
    for name, value in changes.items():
        name = "from" if name == "from_" else name
        if value in (None, ""):
            args.pop(name, None)
        else:
            args[name] = value
    if args.get("sort") == "relevance":
        args.pop("sort")
    if args.get("scope") == "all":
        args.pop("scope")
    return url_for("search.results", **args)


def facet_url(field: str, value: str) -> str:
    """Return the URL narrowing this search to one facet value."""
    if field == "type":
        return search_url(type=value)
    if field == "date":
        start, end = date_range(value)
        return search_url(from_=start.isoformat() if start else None, to=end.isoformat() if end else None)
    return search_url(q=with_filter(request.args.get("q", ""), field, value))


def without_url(field: str, value: str, negated: bool = False) -> str:
    """Return the URL of this search without one filter."""
    return search_url(q=without_filter(request.args.get("q", ""), field, value, negated))


def hit_url(hit: Hit, scope: str = "all") -> str:
    """Return where a result leads: the annotation in its article, the passage, or the study."""
    if hit.annotation is not None:
        if scope == "queue":
            return url_for("moderation.detail", annotation_id=hit.annotation.id)
        return url_for("annotating.permalink", annotation_id=hit.annotation.id)
    if hit.study is not None:
        return url_for("studies.show", study_id=hit.study.id)
    if hit.article is not None:
        if hit.article.status != ArticleStatus.PUBLISHED:
            return url_for("authoring.view", slug=hit.article.slug)
        return url_for("main.article", slug=hit.article.slug) + passage_anchor(hit)
    return url_for("search.results")


@bp.app_context_processor
def inject_search_box():
    """Give every page the text of the header box (the current search on the search page)."""
    # Emails are rendered outside requests (the outbox sender): they have no header box to fill.
    current = request.args.get("q", "") if has_request_context() and request.endpoint == "search.results" else ""
    return {"header_search": current[:MAX_QUERY_LENGTH], "search_max_length": MAX_QUERY_LENGTH}


@bp.route("/search")
def results():
    """Search everything the reader may read; a DOI, PMID or PMCID alone opens its study."""
    context = {"search_url": search_url, "facet_url": facet_url, "without_url": without_url, "hit_url": hit_url,
               "type_labels": TYPE_LABELS, "sorts": SORTS, "scopes": SCOPES, "synonyms": SYNONYMS,
               "count_cap": COUNT_CAP,
               "can_search_queue": _viewer() is not None and current_user.is_moderator}
    if request.args.get("scope") == "queue" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    try:
        found = search(parse_request(request.args), _viewer())
    except Forbidden as exc:
        abort(403, description=exc.message)
    except BadSearch as exc:
        empty = SearchResults(request=SearchRequest(), query=Query(text=""))
        return render_template("search/results.html", results=empty, error=exc.message,
                               q=request.args.get("q", "")[:MAX_QUERY_LENGTH], **context), 400
    if found.study is not None:
        return redirect(url_for("studies.show", study_id=found.study.id))
    return render_template("search/results.html", results=found, error=None, q=found.request.q, **context)
