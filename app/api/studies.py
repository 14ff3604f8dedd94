"""API routes for studies: the filtered, paged list and one study with the articles citing it.

A study is served as its CSL-JSON fields (with the integer `id` of the study in Postil and its CSL
`id` as `citation_key`) plus Postil's appraisal fields and the slugs of the published articles that
cite it. Each page is served with three queries whatever its size: a count, the page, the slugs.
"""
from __future__ import annotations

from flask import jsonify, request, url_for

from app.api import bp, openapi
from app.api.errors import api_abort
from app.bibliography import DESIGNS, EVIDENCE_LEVELS, BibliographyError
from app.extensions import db
from app.models import Study
from app.services import studies as study_service
from app.services import study_reading

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25


def serialize_study(study: Study, article_slugs: list[str]) -> dict:
    """Return a study as CSL-JSON fields plus Postil's, with the slugs of the published articles citing it."""
    try:
        csl = study_service.record_of(study).to_csl()
    except BibliographyError:  # a row no longer valid as a record still lists its title
        csl = {"type": study.csl_type, "title": study.title}
    csl.pop("postil", None)
    key = csl.pop("id", None)
    return {
        **csl,
        "id": study.id,
        "citation_key": key,
        "url": url_for("studies.show", study_id=study.id, _external=True),
        "design": study.design,
        "design_label": DESIGNS.get(study.design) if study.design else None,
        "evidence_level": study.evidence_level,
        "evidence_meaning": EVIDENCE_LEVELS.get(study.evidence_level) if study.evidence_level else None,
        "population": study.population,
        "sample_size": study.sample_size,
        "key_findings": study.key_findings,
        "retracted": bool(study.retracted),
        "retraction_note": study.retraction_note,
        "articles": article_slugs,
    }


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"{low} or more"
        api_abort(400, f"`{name}` must be a whole number {limit}, not {raw!r}.")
    return value


def _filters() -> study_reading.StudyFilters:
    design = request.args.get("design") or None
    if design is not None and design not in DESIGNS:
        api_abort(400, f"Unknown design {design!r}: use one of {', '.join(DESIGNS)}.")
    level = _int_arg("evidence_level", 0, 1, 5) or None
    q = " ".join((request.args.get("q") or "").split())
    if len(q) > 200:
        api_abort(400, "`q` is too long: 200 characters at most.")
    return study_reading.StudyFilters(design=design, evidence_level=level, q=q)


@bp.get("/studies")
def list_studies():
    """List studies, filtered by design, evidence level and a search of title, authors, DOI or PMID."""
    filters = _filters()
    page = _int_arg("page", 1, 1)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    pagination = study_reading.search_studies(filters, page=page, per_page=per_page)
    slugs = study_reading.citing_slugs([s.id for s in pagination.items])
    args = {"design": filters.design, "evidence_level": filters.evidence_level, "q": filters.q or None,
            "per_page": per_page if per_page != DEFAULT_PER_PAGE else None}

    def page_url(number: int) -> str:
        return url_for("api.list_studies", page=number, _external=True, **args)

    return jsonify({
        "items": [serialize_study(s, slugs[s.id]) for s in pagination.items],
        "page": pagination.page, "per_page": per_page, "total": pagination.total, "pages": pagination.pages,
        "next": page_url(page + 1) if pagination.has_next else None,
        "prev": page_url(page - 1) if page > 1 else None,
    })


@bp.get("/studies/<int:study_id>")
def get_study(study_id: int):
    """Return one study with the slugs of the published articles citing it."""
    study = db.session.get(Study, study_id)
    if study is None:
        api_abort(404, "There is no study with this id.")
    return jsonify(serialize_study(study, study_reading.citing_slugs([study.id])[study.id]))


_NULLABLE_STRING = {"type": ["string", "null"]}
openapi.SCHEMAS["Study"] = {
    "type": "object",
    "required": ["id", "citation_key", "url", "type", "title", "design", "evidence_level", "retracted", "articles"],
    "description": "A cited study: CSL-JSON fields (`type`, `title`, `author`, `container-title`, "
                   "`container-title-short`, `issued`, `volume`, `issue`, `page`, `DOI`, `PMID`, `PMCID`, `URL`, "
                   "`abstract`, `genre`; absent when empty) plus Postil's appraisal. `id` is the study's number in "
                   "Postil; the CSL `id` is `citation_key`, the key articles cite it by.",
    "properties": {
        "id": {"type": "integer"},
        "citation_key": _NULLABLE_STRING,
        "url": {"type": "string", "format": "uri", "description": "The study's page."},
        "type": {"type": "string", "description": "CSL item type, e.g. article-journal."},
        "title": {"type": "string"},
        "author": {"type": "array", "items": {"type": "object", "properties": {
            "family": {"type": "string"}, "given": {"type": "string"}, "literal": {"type": "string"},
            "suffix": {"type": "string"}}}},
        "container-title": {"type": "string"}, "container-title-short": {"type": "string"},
        "issued": {"type": "object", "properties": {"date-parts": {"type": "array", "items": {
            "type": "array", "items": {"type": "integer"}}}}},
        "volume": {"type": "string"}, "issue": {"type": "string"}, "page": {"type": "string"},
        "DOI": {"type": "string", "description": "Lower-case, without a doi.org prefix."},
        "PMID": {"type": "string"}, "PMCID": {"type": "string"}, "URL": {"type": "string"},
        "abstract": {"type": "string"}, "genre": {"type": "string"},
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
        "articles": {"type": "array", "items": {"type": "string"},
                     "description": "Slugs of the published articles citing the study."},
    },
}
openapi.SCHEMAS["StudyList"] = {
    "type": "object", "required": ["items", "page", "per_page", "total", "pages", "next", "prev"],
    "properties": {
        "items": {"type": "array", "items": openapi.ref("Study")},
        "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
        "total": {"type": "integer"}, "pages": {"type": "integer"},
        "next": {"type": ["string", "null"], "format": "uri"}, "prev": {"type": ["string", "null"], "format": "uri"},
    },
}
openapi.PATHS["/api/studies"] = {"get": {
    "operationId": "listStudies",
    "summary": "Studies, most recent first, filtered and paged.",
    "parameters": [
        {"name": "design", "in": "query", "required": False, "schema": {"enum": list(DESIGNS)}},
        {"name": "evidence_level", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 5}},
        {"name": "q", "in": "query", "required": False, "description": "Words of the title or an author's "
                                                                      "name, a DOI or a PMID.",
         "schema": {"type": "string", "maxLength": 200}},
        {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
    ],
    "responses": {"200": openapi.json_response("A page of studies.", "StudyList"), **openapi.errors(400, 401)}}}
openapi.PATHS["/api/studies/{study_id}"] = {"get": {
    "operationId": "getStudy",
    "summary": "One study with the slugs of the published articles citing it.",
    "parameters": [{"name": "study_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "responses": {"200": openapi.json_response("The study.", "Study"), **openapi.errors(401, 404)}}}
