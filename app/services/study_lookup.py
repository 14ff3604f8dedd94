"""Add a study by identifier: find it in Postil, else look it up in Crossref or PubMed for review, then save it.

``look_up`` never writes: it answers with the study Postil already has (matched by the identifier,
or by the DOI, PMID or title and year the service reports), or with the service's description for a
person to review. ``save_looked_up`` stores the reviewed record and the notices found with it, in one
transaction the view commits, so a failure leaves nothing half-saved.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.bibliography import InvalidIdentifier, StudyRecord
from app.bibliography.identifiers import Identifier, parse_identifier
from app.bibliography.notices import NoticeRecord
from app.bibliography.sources import NotFoundAtSource
from app.clients import metadata
from app.extensions import db
from app.models import Study
from app.services import notices as notice_service
from app.services import studies as study_service
from app.services.errors import ServiceError

_COLUMN = {"doi": Study.doi, "pmid": Study.pmid, "pmcid": Study.pmcid}


class NotFoundAtService(ServiceError):
    """The service has no record of the identifier (probably a typo)."""

    status = 404
    code = "not_found"


class ServiceUnavailable(ServiceError):
    """The service is slow, down or refusing; the person can enter the study by hand."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, field: str | None = None, retry_after: int | None = None):
        super().__init__(message, field)
        self.retry_after = retry_after


@dataclass
class Lookup:
    """The outcome of a lookup: the study Postil has, or the service's description to review."""

    identifier: Identifier
    existing: Study | None = None
    matched_by: str | None = None
    record: StudyRecord | None = None
    source: str | None = None
    notices: list[NoticeRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_identifier(text: str | None) -> Identifier:
    """Return the identifier in what was pasted; raise ServiceError (field "identifier") saying what is wrong."""
    try:
        return parse_identifier(text)
    except InvalidIdentifier as exc:
        raise ServiceError(f"{str(exc).rstrip('.')}.", "identifier") from None


def find_existing(identifier: Identifier) -> Study | None:
    """Return the stored study with this identifier, if any."""
    return db.session.scalar(select(Study).where(_COLUMN[identifier.kind] == identifier.value).limit(1))


def look_up(text: str | None) -> Lookup:
    """Find the study named by a pasted identifier in Postil, else at Crossref (DOI) or PubMed (PMID, PMCID).

    Raises ServiceError for an identifier that cannot be read, NotFoundAtService when the service
    has no such record, ServiceUnavailable when it cannot be asked. Writes nothing.
    """
    identifier = read_identifier(text)
    existing = find_existing(identifier)
    if existing is not None:
        return Lookup(identifier, existing=existing, matched_by=identifier.kind)
    try:
        if identifier.kind == "doi":
            found = metadata.crossref_work(identifier.value)
        elif identifier.kind == "pmid":
            found = metadata.pubmed_by_pmid(identifier.value)
        else:
            found = metadata.pubmed_by_pmcid(identifier.value)
    except NotFoundAtSource as exc:
        raise NotFoundAtService(f"{exc}. Check the {identifier.kind.upper()} for a typo, or enter the study by "
                                "hand.", "identifier") from None
    except metadata.SourceUnavailable as exc:
        raise ServiceUnavailable(f"{exc.message} You can try again later or enter the study by hand.",
                                 "identifier", exc.retry_after) from None
    duplicate, how = study_service.find_other_duplicate(found.record)
    if duplicate is not None:
        return Lookup(identifier, existing=duplicate, matched_by=how)
    return Lookup(identifier, record=found.record, source=found.source, notices=found.notices,
                  warnings=found.warnings)


def save_looked_up(record: StudyRecord, notices: list[NoticeRecord]) -> Study:
    """Store a reviewed study with its notices (flushes); raise as create_study does (DuplicateStudy...)."""
    study = study_service.create_study(record)
    for notice in notices:
        notice_service.add_notice(study, notice)
    return study
