"""Search results as the API serves them, and the parameters of GET /api/search."""
from __future__ import annotations

from app.api.schemas.base import COUNT, DATE_INPUT, IRI, nullable, page_from, ref, string
from app.models import AnnotationKind
from app.services.search.filters import ANNOTATION_STATES
from app.services.search.requests import PER_PAGE, SCOPES, SORTS
from app.services.search.results import COUNT_CAP
from app.text.query import MAX_QUERY_LENGTH
from app.text.search_documents import DOC_TYPES

_FILTER = {"type": "string", "maxLength": 200}
QUERY = {
    "q": string("The query (see the operation's description for the syntax).", maxLength=MAX_QUERY_LENGTH),
    "type": {"enum": list(DOC_TYPES), "description": "Only results of this type."},
    "sort": {"enum": list(SORTS), "default": "relevance"},
    "page": page_from(1, PER_PAGE),
    "from": DATE_INPUT, "to": DATE_INPUT,
    "scope": {"enum": list(SCOPES), "default": "all",
              "description": "queue: moderators search the moderation queue."},
    "kind": {"enum": [k.value for k in AnnotationKind], "description": "Annotation kind."},
    "tag": {**_FILTER, "description": "A tag of annotations or articles."},
    "author": {**_FILTER, "description": "Part of an author's name (annotations, studies)."},
    "design": {**_FILTER, "description": "Study design code, e.g. rct."},
    "level": {"type": "integer", "minimum": 1, "maximum": 5, "description": "CEBM level, 1 to 5."},
    "article": {**_FILTER, "description": "An article's slug."},
    "is": {"enum": list(ANNOTATION_STATES), "description": "Annotations in this state."},
}
_COUNTS = {"type": "object", "additionalProperties": COUNT}
SCHEMAS = {
    "SearchItem": {
        "type": "object", "required": ["type", "id", "title", "snippet_html", "score", "url"],
        "description": "One result. `type` is Annotation (then every field of a W3C Web Annotation, as in the "
                       "collection API, plus `quote_html`, `replies` and `helpful`), Article (a passage: `passage` is "
                       "its block number, null for the title and standfirst) or Study. `snippet_html` and "
                       "`title_html` are escaped text with the matched words in <mark>; `score` is the engine's "
                       "relevance (higher is better, 0 without words to rank).",
        "properties": {
            "type": {"enum": ["Annotation", "Article", "Study"]},
            "id": {**IRI, "description": "The item's IRI in the API."},
            "url": {**IRI, "description": "Where a reader sees it."},
            "title": string(), "title_html": string(), "snippet_html": string(), "quote_html": string(),
            "score": {"type": "number"},
            "replies": {**COUNT, "description": "Replies the caller may read (annotations)."},
            "helpful": {"type": ["integer", "null"], "minimum": 0},
            "slug": string(), "passage": {"type": ["integer", "null"]}, "status": string(),
            "authors": {"type": "array", "items": string()}, "journal": nullable(string()),
            "year": {"type": ["integer", "null"]}, "doi": nullable(string()), "pmid": nullable(string()),
            "design": nullable(string()), "evidence_level": {"type": ["integer", "null"]},
            "retracted": {"type": "boolean"},
        },
    },
    "SearchResults": {
        "type": "object", "required": ["total", "at_least", "page", "items", "facets", "next", "notices"],
        "properties": {
            "total": {**COUNT, "description": "Results of the type asked for (every type without `type`)."},
            "at_least": {"type": "boolean",
                         "description": f"True when `total` and the facets' counts are lower bounds: counting stops "
                                        f"at {COUNT_CAP} results of a type (`next` is given while pages are full)."},
            "page": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": ref("SearchItem"), "maxItems": PER_PAGE},
            "facets": {"type": "object", "additionalProperties": _COUNTS,
                       "description": "Counts over the result set (lower bounds when `at_least`): type, kind, is, "
                                      "article (by slug), author, tag, design, level and date (week, month, year: "
                                      "within the last 7, 30, 365 days; older)."},
            "next": nullable(IRI),
            "notices": {"type": "array", "items": string(),
                        "description": "Parts of the query that were left out, and why."},
        },
    },
}
