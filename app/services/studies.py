"""Studies: create or update one from a validated bibliographic record, its citation key, and export.

A study Postil already has (see `duplicates` for the rule) is refused with DuplicateStudy; a record
without a citation key gets one from its first author and year, one without an evidence level the
level its design suggests. Reading (the index, citing passages) lives in `study_reading`; importing
whole files in `importing`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import fields as dc_fields

from sqlalchemy import select, union

from app.bibliography import EXPORT_FORMATS, FormatError, export, suggest_level
from app.bibliography.identifiers import normalise_title
from app.bibliography.record import StudyRecord
from app.extensions import db
from app.models import Annotation, Article, Citation, Study
from app.services import notifications
from app.services.articles import bump_display
from app.services.duplicates import DuplicateStudy, duplicate_error, find_other_duplicate
from app.services.errors import ServiceError

# Columns copied one-to-one between a StudyRecord and a Study.
RECORD_FIELDS = tuple(f.name for f in dc_fields(StudyRecord))
# A key both the article Markdown and BibTeX can hold, so every study stays citable and exportable.
CITATION_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.\-+/]*$")
_KEY_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_:.\-+/]+")
_KEY_WORD_RE = re.compile(r"[a-z0-9]+")
KEY_MAX_LENGTH = 120
# Readable names for the columns a record can overflow.
FIELD_LABELS = {
    "citation_key": "citation key", "csl_type": "type", "container_title": "journal",
    "container_title_short": "journal abbreviation", "volume": "volume", "issue": "issue", "pages": "pages",
    "doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "url": "URL", "genre": "genre", "design": "design",
}


def apply_record(study: Study, record: StudyRecord) -> None:
    """Copy every field of `record` onto `study`."""
    for name in RECORD_FIELDS:
        setattr(study, name, getattr(record, name))
    study.title_normalised = normalise_title(record.title)


# --- Records, keys and validation ------------------------------------------------------------------


def record_of(study: Study) -> StudyRecord:
    """Return the StudyRecord of a stored study (for export and comparison)."""
    return StudyRecord(**{name: getattr(study, name) for name in RECORD_FIELDS})


def with_suggested_level(record: StudyRecord) -> StudyRecord:
    """Give a record without an evidence level the CEBM level its design usually starts at."""
    if record.evidence_level is None and record.design:
        record.evidence_level = suggest_level(record.design)
    return record


def check_lengths(record: StudyRecord) -> None:
    """Raise ServiceError naming the first field longer than its column allows."""
    for column in Study.__table__.columns:
        limit = getattr(column.type, "length", None)
        value = getattr(record, column.name, None) if column.name in RECORD_FIELDS else None
        if limit and isinstance(value, str) and len(value) > limit:
            label = FIELD_LABELS.get(column.name, column.name.replace("_", " "))
            raise ServiceError(f"The {label} is longer than {limit} characters.", column.name)


def safe_key(key: str | None) -> str | None:
    """Return `key` reduced to characters an article and BibTeX can both cite, or None if nothing is left."""
    if not key:
        return None
    cleaned = _KEY_UNSAFE_RE.sub("-", key.strip()).strip("-.:+/")[:KEY_MAX_LENGTH]
    return cleaned if cleaned and CITATION_KEY_RE.match(cleaned) else None


def base_key(record: StudyRecord) -> str:
    """Return a key like "karagiannis2017" from the first author's family name (or title) and year."""
    def words(text: str) -> list[str]:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        return _KEY_WORD_RE.findall(folded)

    stem = ""
    for name in record.authors:
        found = words(name.get("family") or "")
        if found:
            stem = "".join(found)
            break
    if not stem:
        stem = next((w for w in words(record.title) if len(w) > 3), "study")
    return f"{stem[:40]}{record.issued_year or 'nd'}"


def unique_key(base: str, taken) -> str:
    """Return `base`, or `base` with a, b, ... z, aa... appended, whichever is not in `taken`."""
    if base not in taken:
        return base
    number = 0
    while True:
        number += 1
        suffix, n = "", number
        while n:
            n, remainder = divmod(n - 1, 26)
            suffix = chr(ord("a") + remainder) + suffix
        candidate = f"{base}{suffix}"
        if candidate not in taken:
            return candidate


def _check_key(record: StudyRecord, exclude_id: int | None) -> None:
    query = select(Study).where(Study.citation_key == record.citation_key)
    if exclude_id is not None:
        query = query.where(Study.id != exclude_id)
    owner = db.session.scalar(query)
    if owner is not None:
        raise DuplicateStudy(f"The citation key {record.citation_key} is already used by \u201c{owner.title}\u201d.",
                             owner, "citation_key")


def create_study(record: StudyRecord) -> Study:
    """Store a new study from a validated record; raise DuplicateStudy if Postil already has it.

    A record without a citation key gets one (first author and year); one without an evidence level
    gets the level its design suggests.
    """
    check_lengths(record)
    existing, how = find_other_duplicate(record)
    if existing is not None:
        raise duplicate_error(existing, how)
    if record.citation_key:
        _check_key(record, None)
    else:
        record.citation_key = unique_key(base_key(record), _keys_like(base_key(record)))
    study = Study()
    apply_record(study, with_suggested_level(record))
    db.session.add(study)
    db.session.flush()
    return study


def update_study(study: Study, record: StudyRecord) -> Study:
    """Replace every field of `study` with `record`; raise DuplicateStudy if it would copy another study.

    A blank evidence level becomes the one the design suggests, as on creation.
    A study cited by articles keeps its citation key: the articles' Markdown refers to it.
    """
    check_lengths(record)
    existing, how = find_other_duplicate(record, exclude_id=study.id)
    if existing is not None:
        raise duplicate_error(existing, how)
    if not record.citation_key:
        record.citation_key = study.citation_key
    if record.citation_key != study.citation_key:
        if study.citation_key and db.session.scalar(select(Citation.id).where(Citation.study_id == study.id).limit(1)):
            raise ServiceError(f"The citation key cannot change while articles cite this study as "
                               f"[@{study.citation_key}].", "citation_key")
        _check_key(record, study.id)
    was_retracted = bool(study.retracted)
    apply_record(study, with_suggested_level(record))
    db.session.flush()
    bump_citing_articles(study)
    if study.retracted and not was_retracted:
        notifications.study_notice(study, notifications.Kind.RETRACTION, study.retraction_note or "")
    return study


def _keys_like(base: str) -> set[str]:
    return set(db.session.scalars(select(Study.citation_key).where(Study.citation_key.startswith(base))))


def bump_citing_articles(study: Study) -> None:
    """Mark stale the pages showing `study`: articles citing it, and articles with annotations linking it."""
    bump_articles_citing([study.id])


def bump_articles_citing(study_ids) -> None:
    """Mark stale the pages showing any of `study_ids`: in their reference list, or on an annotation linking it
    (which an article's revision may have left linked after dropping the reference)."""
    ids = list(study_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        citing = select(Citation.article_id).where(Citation.study_id.in_(chunk))
        linking = select(Annotation.article_id).where(Annotation.study_id.in_(chunk))
        for article_id in set(db.session.scalars(union(citing, linking))):
            bump_display(article_id)


# --- Export --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """A reference file ready to download."""

    text: str
    mimetype: str
    filename: str


def export_studies(studies: list[Study], format_name: str, stem: str) -> ExportFile:
    """Write `studies` as "csl-json", "ris" or "bibtex"; raise ServiceError for another format."""
    try:
        text = export([record_of(s) for s in studies], format_name)
    except FormatError as exc:
        raise ServiceError(str(exc), "format") from None
    extension, mimetype = EXPORT_FORMATS[format_name]
    return ExportFile(text, mimetype, f"{stem}{extension}")


def all_studies() -> list[Study]:
    """Return every study in a stable order (oldest first)."""
    return list(db.session.scalars(select(Study).order_by(Study.id)))


def studies_of_article(article: Article) -> list[Study]:
    """Return the studies an article cites, in reference-list order."""
    return [c.study for c in sorted(article.citations, key=lambda c: c.position)]
