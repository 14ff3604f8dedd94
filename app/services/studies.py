"""Studies: create or update from normalised bibliographic records, with duplicate detection."""
from __future__ import annotations

from dataclasses import fields as dc_fields

from sqlalchemy import select

from app.bibliography.identifiers import normalise_title
from app.bibliography.record import StudyRecord
from app.extensions import db
from app.models import Study
from app.services.errors import Conflict

# Columns copied one-to-one between a StudyRecord and a Study.
RECORD_FIELDS = tuple(f.name for f in dc_fields(StudyRecord))


def find_duplicate(record: StudyRecord) -> Study | None:
    """Return the stored study that `record` duplicates: same DOI, else same PMID, else same title and year."""
    if record.doi:
        found = db.session.scalar(select(Study).where(Study.doi == record.doi))
        if found:
            return found
    if record.pmid:
        found = db.session.scalar(select(Study).where(Study.pmid == record.pmid))
        if found:
            return found
    if record.title and record.issued_year:
        return db.session.scalar(select(Study).where(
            Study.title_normalised == normalise_title(record.title), Study.issued_year == record.issued_year))
    return None


def apply_record(study: Study, record: StudyRecord) -> None:
    """Copy every field of `record` onto `study`."""
    for name in RECORD_FIELDS:
        setattr(study, name, getattr(record, name))
    study.title_normalised = normalise_title(record.title)


def upsert(record: StudyRecord, update: bool = True) -> tuple[Study, str]:
    """Store `record`; return the study and the outcome: "created", "updated" or "duplicate".

    A record matching an existing study by identifier updates it when `update` is true; a match by
    title and year only is reported as a duplicate and left unchanged.
    """
    existing = find_duplicate(record)
    if existing is None and record.citation_key:
        existing = db.session.scalar(select(Study).where(Study.citation_key == record.citation_key))
    if existing is None:
        study = Study()
        apply_record(study, record)
        db.session.add(study)
        db.session.flush()
        return study, "created"
    matched_by_identifier = (record.doi and existing.doi == record.doi) or (
        record.pmid and existing.pmid == record.pmid) or (
        record.citation_key and existing.citation_key == record.citation_key)
    if not update or not matched_by_identifier:
        return existing, "duplicate"
    if record.citation_key and existing.citation_key and record.citation_key != existing.citation_key:
        raise Conflict(f"Study {existing.id} already has the citation key {existing.citation_key!r}.")
    apply_record(existing, record)
    db.session.flush()
    return existing, "updated"
