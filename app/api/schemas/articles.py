"""Articles as the API serves them: the list, one article with its canonical text and references."""
from __future__ import annotations

from app.api.schemas.base import COUNT, ID, INTEGER, IRI, TIME, nullable, ref, string

_ARTICLE_FIELDS = {
    "id": {**IRI, "description": "This article in the API."},
    "slug": string(), "title": string(),
    "url": {**IRI, "description": "The article's page: the `source` annotations target."},
    "annotations": {**IRI, "description": "The article's annotation container (W3C Web Annotation Protocol)."},
    "version": INTEGER, "standfirst": string(), "tags": {"type": "array", "items": string()},
}

SCHEMAS = {
    "ArticleSummary": {
        "type": "object",
        "required": ["id", "slug", "title", "url", "annotations", "annotation_count", "version", "standfirst",
                     "tags"],
        "properties": {**_ARTICLE_FIELDS,
                       "annotation_count": {**COUNT, "description": "Annotations and replies the caller may read "
                                                                    "(the container's `total`)."}},
    },
    "ArticleList": {"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": ref("ArticleSummary")}}},
    "Reference": {
        "type": "object", "required": ["number", "key", "id", "url", "title"],
        "properties": {
            "number": {**INTEGER, "description": "Vancouver number."},
            "key": string("Citation key used in the article source."),
            "id": {**ID, "description": "The study's id (GET /api/studies/{study_id})."},
            "url": {**IRI, "description": "IRI of this reference; use it as a linking body's `source`."},
            "title": string(), "authors": {"type": "array", "items": string()},
            "journal": nullable(string()), "year": nullable(INTEGER),
            "doi": nullable(string()), "pmid": nullable(string()), "design": nullable(string()),
            "evidence_level": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                               "description": "Oxford CEBM 2011 level, 1 (strongest) to 5."},
            "retracted": {"type": "boolean"},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "slug", "title", "url", "annotations", "version", "text", "references"],
        "properties": {
            **_ARTICLE_FIELDS, "source": string(), "updated": TIME,
            "text": string("The canonical text of the current version: selectors' offsets count code points in "
                           "it."),
            "references": {"type": "array", "items": ref("Reference")},
        },
    },
}
