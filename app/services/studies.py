"""Studies: create or update from normalised bibliographic records, with duplicate detection.

Duplicate rule (the issue's, applied everywhere): a study is a duplicate of a stored one with the same
DOI, else the same PMID, else the same normalised title and publication year. ``find_duplicate``
asks the database about one record; ``KnownStudies`` holds the same identifiers in memory so a
file of thousands of records is checked without a query per record.

This module also answers the reader's questions about a study: the studies index with its filters,
the passages of published articles that cite a study, and the annotations that discuss it.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dc_fields

from flask import abort
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import selectinload

from app.bibliography import EXPORT_FORMATS, FormatError, InvalidIdentifier, export, suggest_level
from app.bibliography.identifiers import normalise_doi, normalise_title
from app.bibliography.record import StudyRecord
from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, Citation, Study, User
from app.services.errors import Conflict, ServiceError
from app.services.visibility import readable_clause
from app.text.dom import parse_events

# Columns copied one-to-one between a StudyRecord and a Study.
RECORD_FIELDS = tuple(f.name for f in dc_fields(StudyRecord))
# A key both the article Markdown and BibTeX can hold, so every study stays citable and exportable.
CITATION_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.\-+/]*$")
_KEY_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_:.\-+/]+")
_KEY_WORD_RE = re.compile(r"[a-z0-9]+")
KEY_MAX_LENGTH = 120
PER_PAGE = 25
# Readable names for the columns a record can overflow.
FIELD_LABELS = {
    "citation_key": "citation key", "csl_type": "type", "container_title": "journal",
    "container_title_short": "journal abbreviation", "volume": "volume", "issue": "issue", "pages": "pages",
    "doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "url": "URL", "genre": "genre", "design": "design",
}


class DuplicateStudy(Conflict):
    """The record describes a study Postil already has; `existing` is that study."""

    def __init__(self, message: str, existing: Study, field: str | None = None):
        super().__init__(message, field)
        self.existing = existing


def find_duplicate(record: StudyRecord) -> Study | None:
    """Return the stored study that `record` duplicates: same DOI, else same PMID, else same title and year."""
    return find_other_duplicate(record)[0]


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


def _duplicate_error(existing: Study, how: str) -> DuplicateStudy:
    reason = {"doi": f"the same DOI ({existing.doi})", "pmid": f"the same PMID ({existing.pmid})",
              "title": "the same title and year"}[how]
    return DuplicateStudy(f"This study is already in Postil with {reason}: \u201c{existing.title}\u201d.",
                          existing, how)


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
        raise _duplicate_error(existing, how)
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
        raise _duplicate_error(existing, how)
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
        from app.services import notifications

        notifications.study_notice(study, notifications.Kind.RETRACTION, study.retraction_note or "")
    return study


def _keys_like(base: str) -> set[str]:
    return set(db.session.scalars(select(Study.citation_key).where(Study.citation_key.startswith(base))))


def bump_citing_articles(study: Study) -> None:
    """Mark the pages of the articles citing `study` as stale (their reference list shows it)."""
    bump_articles_citing([study.id])


def bump_articles_citing(study_ids) -> None:
    """Mark the pages of the articles citing any of `study_ids` as stale."""
    from app.services.articles import bump_display

    ids = list(study_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for article_id in set(db.session.scalars(select(Citation.article_id).where(Citation.study_id.in_(chunk)))):
            bump_display(article_id)


# --- The in-memory index used by bulk imports ---------------------------------------------------------


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

    ``find`` applies the duplicate rule of ``find_duplicate`` without touching the database.
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


def merged_changes(current: Mapping, record: StudyRecord) -> dict:
    """Return the column values `record` would change in a study whose columns are `current`.

    What the record leaves blank is kept: files from reference managers carry no appraisal, so a blank
    design or finding in the file never erases one an editor wrote. The citation key stays, because
    articles cite it.
    """
    changes = {}
    for name in RECORD_FIELDS:
        value = getattr(record, name)
        if (name == "citation_key" and current.get("citation_key")) or value in (None, "", [], False):
            continue
        if current.get(name) != value:
            changes[name] = value
    if "title" in changes:
        changes["title_normalised"] = normalise_title(changes["title"])
    return changes


def merge_record(study: Study, record: StudyRecord) -> list[str]:
    """Update `study` with what `record` says (see merged_changes); return the names of changed fields."""
    changes = merged_changes({name: getattr(study, name) for name in RECORD_FIELDS}, record)
    for name, value in changes.items():
        setattr(study, name, value)
    return [name for name in changes if name != "title_normalised"]


# --- Reading: index, page, citing passages, annotations ------------------------------------------------


def get_study_or_404(study_id: int) -> Study:
    """Return the study with this id, or answer 404."""
    study = db.session.get(Study, study_id)
    if study is None:
        abort(404, description="There is no study with this number.")
    return study


@dataclass(frozen=True)
class StudyFilters:
    """What the studies index and the API filter by; blank means no filter."""

    design: str | None = None
    evidence_level: int | None = None
    q: str = ""


def _like_pattern(term: str) -> str:
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def filtered_query(filters: StudyFilters):
    """Return the SELECT of studies matching `filters`, most recent first."""
    query = select(Study)
    if filters.design:
        query = query.where(Study.design == filters.design)
    if filters.evidence_level:
        query = query.where(Study.evidence_level == filters.evidence_level)
    term = " ".join(filters.q.split())
    if term:
        conditions = [Study.title.ilike(_like_pattern(term), escape="/"),
                      Study.citation_key.ilike(_like_pattern(term), escape="/")]
        if normalise_title(term):
            conditions.append(Study.title_normalised.like(_like_pattern(normalise_title(term)), escape="/"))
        # Authors are stored as JSON; its text holds non-ASCII names \u-escaped, so search both spellings.
        authors_text = cast(Study.authors, String)
        for spelling in {term, json.dumps(term)[1:-1]}:
            conditions.append(authors_text.ilike(_like_pattern(spelling), escape="/"))
        try:
            doi = normalise_doi(term)
        except InvalidIdentifier:
            doi = None
        if doi:
            conditions.append(Study.doi == doi)
        elif term.lower().startswith("10."):
            conditions.append(Study.doi.like(_like_pattern(term.lower()), escape="/"))
        if term.isdigit():
            conditions.append(Study.pmid == term)
        query = query.where(or_(*conditions))
    return query.order_by(Study.issued_year.desc().nulls_last(), Study.title, Study.id)


def search_studies(filters: StudyFilters, page: int = 1, per_page: int = PER_PAGE):
    """Return one page (Flask-SQLAlchemy Pagination) of studies matching `filters`."""
    return db.paginate(filtered_query(filters), page=max(page, 1), per_page=per_page, max_per_page=100,
                       error_out=False, count=True)


@dataclass
class Passage:
    """A sentence of an article that cites a study, with the anchor of its citation marker."""

    text: str
    anchor: str


@dataclass
class CitingArticle:
    """A published article citing a study, with the passages where it does."""

    article: Article
    number: int
    passages: list[Passage]


_SENTENCE_END_RE = re.compile(r"[.!?][\"\u201d\u2019)\]]*\s+")


def citing_passages(article: Article, key: str) -> list[Passage]:
    """Return the sentences of `article` that carry a `[@key]` marker, in reading order.

    Markers are found in the rendered HTML (`data-cite`); the sentence is taken from the canonical text
    of the block around the marker: the sentence the marker closes, or the one it sits in.
    """
    events, _ = parse_events(article.body_html)
    text = article.body_text
    passages: list[Passage] = []
    block_start = 0
    block_end_of: dict[int, int] = {}
    open_blocks: list[tuple[int, int]] = []  # (depth, start offset)
    markers: list[tuple[int, int, str]] = []  # (block start, marker offset, anchor id)
    for event in events:
        if event.kind == "start" and event.depth == 0 and "data-block" in event.attrs and not event.void:
            open_blocks.append((event.depth, event.offset))
            block_start = event.offset
        elif event.kind == "end" and event.depth == 0 and open_blocks:
            _, start = open_blocks.pop()
            block_end_of[start] = event.offset
        elif event.kind == "start" and event.attrs.get("data-cite") == key and event.canonical:
            markers.append((block_start, event.offset, event.attrs.get("id") or ""))
    seen: set[str] = set()
    for start, offset, anchor in markers:
        end = block_end_of.get(start, len(text))
        sentence = _sentence_at(text[start:end], offset - start)
        if sentence and sentence not in seen:
            seen.add(sentence)
            passages.append(Passage(sentence, anchor))
    return passages


def _sentence_at(block: str, offset: int) -> str:
    before = block[:offset]
    closes_sentence = before.rstrip().endswith((".", "!", "?", ".\u201d", "?\u201d", '."', ".)"))
    trimmed = before.rstrip()
    # Look for the sentence break before the one the marker belongs to.
    search_in = trimmed[:-1] if closes_sentence else trimmed
    starts = [m.end() for m in _SENTENCE_END_RE.finditer(search_in)]
    start = starts[-1] if starts else 0
    if closes_sentence:
        end = len(trimmed)
    else:
        following = _SENTENCE_END_RE.search(block, offset)
        end = following.start() + 1 if following else len(block)
    # Other citation numbers in the sentence are canonical text too ("formation?1"); keep them.
    return " ".join(block[start:end].split())


def citing_articles(study: Study) -> list[CitingArticle]:
    """Return the published articles citing `study`, each with its citing passages."""
    rows = db.session.execute(
        select(Citation, Article).join(Article, Citation.article_id == Article.id)
        .where(Citation.study_id == study.id, Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.created_at.desc(), Article.id)).all()
    return [CitingArticle(article, citation.position, citing_passages(article, citation.key))
            for citation, article in rows]


def citing_slugs(study_ids: list[int]) -> dict[int, list[str]]:
    """Return, per study id, the slugs of the published articles citing it (one query)."""
    result: dict[int, list[str]] = {study_id: [] for study_id in study_ids}
    if not study_ids:
        return result
    rows = db.session.execute(
        select(Citation.study_id, Article.slug).join(Article, Citation.article_id == Article.id)
        .where(Citation.study_id.in_(study_ids), Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.slug))
    for study_id, slug in rows:
        result[study_id].append(slug)
    return result


def linked_annotations(study: Study, viewer: User | None) -> list[Annotation]:
    """Return the annotations linked to `study` that `viewer` may read, on published articles, newest first."""
    return list(db.session.scalars(
        select(Annotation).join(Article, Annotation.article_id == Article.id)
        .where(Annotation.study_id == study.id, Annotation.deleted_at.is_(None),
               Article.status == ArticleStatus.PUBLISHED, readable_clause(viewer))
        .options(selectinload(Annotation.author), selectinload(Annotation.article))
        .order_by(Annotation.created_at.desc(), Annotation.id.desc())))


# --- Export --------------------------------------------------------------------------------------------

EXTENSION_FORMATS = {ext.lstrip("."): name for name, (ext, _) in EXPORT_FORMATS.items()}


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


def count_studies() -> int:
    """Return how many studies Postil holds."""
    return db.session.scalar(select(func.count(Study.id))) or 0
