"""Duplicate detection for studies: one rule, asked of the database for one record and of memory for a file.

The rule (the issue's, applied everywhere): a study is a duplicate of a stored one with the same
DOI, else the same PMID, else the same normalised title and publication year.
``find_other_duplicate`` asks the database about one record (the study form, through
`studies.create_study` and `studies.update_study`); ``KnownStudies`` holds the same identifiers in
memory so that `importing` checks a file of thousands of records without a query per record.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from app.bibliography.identifiers import normalise_title
from app.bibliography.record import StudyRecord
from app.extensions import db
from app.models import Study
from app.services.errors import Conflict


class DuplicateStudy(Conflict):
    """The record describes a study Postil already has; `existing` is that study."""

    def __init__(self, message: str, existing: Study, field: str | None = None):
        super().__init__(message, field)
        self.existing = existing


def find_other_duplicate(record: StudyRecord, exclude_id: int | None = None) -> tuple[Study | None, str | None]:
    """Return (study, how) for a stored study other than `exclude_id` that `record` duplicates.

    `how` is "doi", "pmid" or "title" (title and year); (None, None) when there is none.
    """
    def first(*conditions) -> Study | None:
        query = select(Study).where(*conditions)
        if exclude_id is not None:
            query = query.where(Study.id != exclude_id)
        return db.session.scalar(query.limit(1))

    if record.doi and (found := first(Study.doi == record.doi)):
        return found, "doi"
    if record.pmid and (found := first(Study.pmid == record.pmid)):
        return found, "pmid"
    if record.title and record.issued_year and (found := first(
            Study.title_normalised == normalise_title(record.title), Study.issued_year == record.issued_year)):
        return found, "title"
    return None, None

def duplicate_error(existing: Study, how: str) -> DuplicateStudy:
    """Return the refusal that names the stored study `existing` and how the record matched it."""
    reason = {"doi": f"the same DOI ({existing.doi})", "pmid": f"the same PMID ({existing.pmid})",
              "title": "the same title and year"}[how]
    return DuplicateStudy(f"This study is already in Postil with {reason}: \u201c{existing.title}\u201d.",
                          existing, how)


@dataclass
class _Known:
    id: int
    doi: str | None
    pmid: str | None
    title: str
    year: int | None
    key: str | None


@dataclass
class KnownStudies:
    """Every stored study's identifiers in dictionaries, loaded with one query.

    ``find`` applies the duplicate rule of ``find_other_duplicate`` without touching the database.
    """

    by_id: dict[int, _Known] = field(default_factory=dict)
    by_doi: dict[str, int] = field(default_factory=dict)
    by_pmid: dict[str, int] = field(default_factory=dict)
    by_title: dict[tuple[str, int], int] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> KnownStudies:
        """Read the identifiers of every stored study."""
        index = cls()
        rows = db.session.execute(select(Study.id, Study.doi, Study.pmid, Study.title_normalised,
                                         Study.issued_year, Study.citation_key).order_by(Study.id))
        for row in rows:
            index._add(_Known(*row))
        return index

    def _add(self, known: _Known) -> None:
        self.by_id[known.id] = known
        if known.doi:
            self.by_doi.setdefault(known.doi, known.id)
        if known.pmid:
            self.by_pmid.setdefault(known.pmid, known.id)
        if known.title and known.year:
            self.by_title.setdefault((known.title, known.year), known.id)
        if known.key:
            self.by_key.setdefault(known.key, known.id)

    def remember(self, study_id: int, values: Mapping) -> None:
        """Add or refresh a study just stored (or about to be) with these column values."""
        self.forget(study_id)
        self._add(_Known(study_id, values.get("doi"), values.get("pmid"), values.get("title_normalised") or "",
                         values.get("issued_year"), values.get("citation_key")))

    def forget(self, study_id: int) -> _Known | None:
        """Drop a study from the index (an insert that failed); return what was known of it."""
        old = self.by_id.pop(study_id, None)
        if old is not None:
            for mapping, value in ((self.by_doi, old.doi), (self.by_pmid, old.pmid), (self.by_key, old.key),
                                   (self.by_title, (old.title, old.year))):
                if mapping.get(value) == old.id:
                    del mapping[value]
        return old

    def rekey(self, old_id: int, new_id: int) -> None:
        """Give a study remembered under a provisional id its real one."""
        known = self.forget(old_id)
        if known is not None:
            self._add(_Known(new_id, known.doi, known.pmid, known.title, known.year, known.key))

    def find(self, record: StudyRecord) -> tuple[int | None, str | None]:
        """Return (study id, how) for the study `record` duplicates, as find_other_duplicate does."""
        if record.doi and record.doi in self.by_doi:
            return self.by_doi[record.doi], "doi"
        if record.pmid and record.pmid in self.by_pmid:
            return self.by_pmid[record.pmid], "pmid"
        if record.issued_year:
            found = self.by_title.get((normalise_title(record.title), record.issued_year))
            if found is not None:
                return found, "title"
        return None, None

    def same_by_key(self, record: StudyRecord) -> int | None:
        """Return the study holding the record's key if it is the same work (same title, no clashing identifier)."""
        study_id = self.by_key.get(record.citation_key or "")
        if study_id is None:
            return None
        known = self.by_id[study_id]
        clashes = (record.doi and known.doi and record.doi != known.doi) or (
            record.pmid and known.pmid and record.pmid != known.pmid)
        return study_id if not clashes and known.title == normalise_title(record.title) else None
