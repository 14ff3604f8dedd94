"""Studies as the API serves them (CSL-JSON fields plus Postil's appraisal) and the list's filters."""
from __future__ import annotations

from app.api.schemas.base import COUNT, ID, IRI, nullable, page_from, ref, string
from app.bibliography import DESIGNS

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
MAX_QUERY_LENGTH = 200
_NULLABLE_STRING = nullable(string())

QUERY = {
    "design": {"enum": list(DESIGNS), "description": "Only studies of this design."},
    "evidence_level": {"type": "integer", "minimum": 1, "maximum": 5,
                       "description": "Only studies at this Oxford CEBM 2011 level."},
    "q": string("Words of the title or an author's name, a DOI or a PMID.", maxLength=MAX_QUERY_LENGTH),
    "page": page_from(1, DEFAULT_PER_PAGE),
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
}

SCHEMAS = {
    "Study": {
        "type": "object",
        "required": ["id", "citation_key", "url", "type", "title", "design", "evidence_level", "retracted",
                     "articles"],
        "description": "A cited study: CSL-JSON fields (`type`, `title`, `author`, `container-title`, "
                       "`container-title-short`, `issued`, `volume`, `issue`, `page`, `DOI`, `PMID`, `PMCID`, "
                       "`URL`, `abstract`, `genre`; absent when empty) plus Postil's appraisal. `id` is the study's "
                       "number in Postil; the CSL `id` is `citation_key`, the key articles cite it by.",
        "properties": {
            "id": ID,
            "citation_key": _NULLABLE_STRING,
            "url": {**IRI, "description": "The study's page."},
            "type": string("CSL item type, e.g. article-journal."),
            "title": string(),
            "author": {"type": "array", "items": {"type": "object", "properties": {
                "family": string(), "given": string(), "literal": string(), "suffix": string()}}},
            "container-title": string(), "container-title-short": string(),
            "issued": {"type": "object", "properties": {"date-parts": {"type": "array", "items": {
                "type": "array", "items": {"type": "integer"}}}}},
            "volume": string(), "issue": string(), "page": string(),
            "DOI": string("Lower-case, without a doi.org prefix."),
            "PMID": string(), "PMCID": string(), "URL": string(), "abstract": string(), "genre": string(),
            "design": {"enum": [*DESIGNS, None], "description": "Study design code."},
            "design_label": _NULLABLE_STRING,
            "evidence_level": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                               "description": "Oxford CEBM 2011 level, 1 (strongest) to 5."},
            "evidence_meaning": _NULLABLE_STRING,
            "population": _NULLABLE_STRING,
            "sample_size": {"type": ["integer", "null"], "minimum": 0},
            "key_findings": _NULLABLE_STRING,
            "retracted": {"type": "boolean", "description": "Retracted or corrected; see `retraction_note`."},
            "retraction_note": _NULLABLE_STRING,
            "articles": {"type": "array", "items": string(),
                         "description": "Slugs of the published articles citing the study."},
        },
    },
    "StudyList": {
        "type": "object", "required": ["items", "page", "per_page", "total", "pages", "next", "prev"],
        "properties": {
            "items": {"type": "array", "items": ref("Study"), "maxItems": MAX_PER_PAGE},
            "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
            "total": COUNT, "pages": {"type": "integer", "minimum": 1},
            "next": nullable(IRI), "prev": nullable(IRI),
        },
    },
}
