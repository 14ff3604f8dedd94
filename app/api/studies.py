"""API routes for studies: the filtered, paged list and one study with the articles citing it.

A study is served as its CSL-JSON fields (with the integer `id` of the study in Postil and its CSL
`id` as `citation_key`) plus Postil's appraisal fields and the slugs of the published articles that
cite it. Each page is served with three queries whatever its size: a count, the page, the slugs.
"""
from __future__ import annotations

from flask import jsonify, url_for

from app.api import bp
from app.api.contract import Response as Documented
from app.api.contract import operation, query_args
from app.api.errors import api_abort
from app.api.schemas.studies import DEFAULT_PER_PAGE, QUERY
from app.bibliography import DESIGNS, EVIDENCE_LEVELS, BibliographyError
from app.extensions import db
from app.models import Study
from app.services import studies as study_service
from app.services import study_reading
from app.services.pagination import paginate


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


@bp.get("/studies")
@operation("Studies, most recent first, filtered and paged.", {200: Documented("A page of studies.", "StudyList")},
           query=QUERY, operation_id="listStudies")
def list_studies():
    """List studies, filtered by design, evidence level and a search of title, authors, DOI or PMID."""
    query = query_args()
    filters = study_reading.StudyFilters(design=query.get("design"), evidence_level=query.get("evidence_level"),
                                         q=" ".join(query.get("q", "").split()))
    page = paginate(study_reading.filtered_query(filters), query["page"], query["per_page"])
    slugs = study_reading.citing_slugs([s.id for s in page.items])
    args = {"design": filters.design, "evidence_level": filters.evidence_level, "q": filters.q or None,
            "per_page": page.per_page if page.per_page != DEFAULT_PER_PAGE else None}

    def page_url(number: int | None) -> str | None:
        return url_for("api.list_studies", page=number, _external=True, **args) if number else None

    return jsonify({
        "items": [serialize_study(s, slugs[s.id]) for s in page.items],
        "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages,
        "next": page_url(page.next_num), "prev": page_url(page.prev_num),
    })


@bp.get("/studies/<int:study_id>")
@operation("One study with the slugs of the published articles citing it.", {200: Documented("The study.", "Study")},
           errors=(404,), operation_id="getStudy")
def get_study(study_id: int):
    """Return one study with the slugs of the published articles citing it."""
    study = db.session.get(Study, study_id)
    if study is None:
        api_abort(404, "There is no study with this id.")
    return jsonify(serialize_study(study, study_reading.citing_slugs([study.id])[study.id]))
