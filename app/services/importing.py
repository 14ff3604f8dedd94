"""Import reference files into studies, one outcome per record, and articles with their references.

Each record of a file ends as created, updated (it matched a stored study by DOI, PMID or citation
key), skipped as a duplicate (same title and year as a stored study, or a record seen earlier in the
file) or rejected with the reason. Every record is written inside its own SAVEPOINT, so a record
the database refuses leaves nothing behind and the others still import; only a file that cannot be
read at all (not UTF-8, truncated, not CSL) changes nothing and raises ServiceError.

Duplicates are found in memory (``KnownStudies``, one query for the whole file), so files of
thousands of records import in seconds.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from app.bibliography import FormatError, ParsedEntry, ParseResult, parse
from app.bibliography.identifiers import normalise_title
from app.bibliography.record import StudyRecord
from app.extensions import db
from app.models import Article, ArticleStatus, Study, User
from app.services import articles, authoring
from app.services import studies as study_service
from app.services.duplicates import KnownStudies
from app.services.errors import ServiceError
from app.services.search import index as search_index
from app.text.sanitize import is_safe_url

log = logging.getLogger("postil.importing")

OUTCOMES = ("created", "updated", "unchanged", "duplicate", "rejected")
# "unchanged": matched a stored study that already says everything the record says (a re-import).
OUTCOME_LABELS = {"created": "Created", "updated": "Updated", "unchanged": "Already up to date",
                  "duplicate": "Skipped as duplicate", "rejected": "Rejected"}
SUMMARY_WORDS = {"duplicate": "skipped as duplicates", "unchanged": "already up to date"}


@dataclass
class RecordOutcome:
    """What happened to one record of a file."""

    index: int
    label: str
    outcome: str
    message: str = ""
    study_id: int | None = None
    citation_key: str | None = None
    # What was left out of the record so it could be kept (an unusable DOI...), also part of `message`.
    warnings: tuple[str, ...] = ()

    @property
    def outcome_label(self) -> str:
        """Return the outcome as a person reads it."""
        return OUTCOME_LABELS[self.outcome]


@dataclass
class ImportReport:
    """Every record's outcome, in file order, and the counts per outcome."""

    outcomes: list[RecordOutcome] = field(default_factory=list)
    encoding: str = "UTF-8"

    @property
    def counts(self) -> dict[str, int]:
        """Return how many records ended in each outcome (every outcome present)."""
        counted = Counter(o.outcome for o in self.outcomes)
        return {name: counted.get(name, 0) for name in OUTCOMES}

    def summary(self) -> str:
        """Return a one-line summary such as "3 records: 2 created, 1 rejected."."""
        counts = self.counts
        parts = [f"{counts[name]} {SUMMARY_WORDS.get(name, name)}" for name in OUTCOMES if counts[name]]
        total = len(self.outcomes)
        return f"{total} record{'s' if total != 1 else ''}: " + (", ".join(parts) or "nothing to import") + "."


def read_file(data: bytes | str, format_name: str | None = None, filename: str | None = None) -> ParseResult:
    """Parse a reference file; raise ServiceError (field "file") when the file as a whole is unreadable."""
    try:
        result = parse(data, format_name or None, filename)
    except FormatError as exc:
        raise ServiceError(f"{str(exc).rstrip('.')}. Nothing was imported.", "file") from None
    if not result.records:
        raise ServiceError("The file holds no reference records. Nothing was imported.", "file")
    return result


def import_file(data: bytes | str, format_name: str | None = None, filename: str | None = None) -> ImportReport:
    """Import every record of a reference file; return the per-record report (flushes, never commits).

    The report names the encoding the file was read in. Raises ServiceError when the file cannot be
    read at all; nothing is written then.
    """
    result = read_file(data, format_name, filename)
    report = import_entries(result.records)
    report.encoding = result.encoding
    return report


def import_entries(entries: list[ParsedEntry]) -> ImportReport:
    """Store parsed records and return their outcomes; a record the database refuses leaves nothing.

    Decisions (duplicate, update, key) are made in memory, record by record in file order. Writes go
    out a couple of hundred at a time inside one SAVEPOINT; when the database refuses one of them, that
    SAVEPOINT is rolled back and each write is retried in a SAVEPOINT of its own, so only the bad
    record is rejected. Rows are written with Core statements (the ORM's per-object bookkeeping would
    make a 5,000-record file take tens of seconds); the session is flushed first and expired afterwards
    so objects it already holds show the imported values.
    """
    db.session.flush()
    run = _Run(KnownStudies.load(), db.session.connection())
    run.preload([entry.record for entry in entries if entry.record is not None])
    report = ImportReport()
    for entry in entries:
        if entry.record is None:
            report.outcomes.append(RecordOutcome(entry.index, entry.label, "rejected",
                                                 _reason(entry.error, entry.label)))
        else:
            outcome = run.store(entry)
            if entry.warnings and outcome.outcome != "rejected":
                outcome.warnings = entry.warnings
                outcome.message = "; ".join(filter(None, [outcome.message, *entry.warnings]))
            report.outcomes.append(outcome)
    run.flush()
    if run.changed_ids:
        study_service.bump_articles_citing(run.changed_ids)
    # The rows were written with Core statements, which the search index's session listener does not see.
    created = {o.study_id for o in report.outcomes if o.outcome == "created" and o.study_id}
    search_index.refresh(db.session, study_ids=created | run.changed_ids)
    db.session.expire_all()
    return report


def _reason(error: str | None, label: str) -> str:
    # Parser errors repeat the label ("Record 2 (‘…’): DOI '…' is not valid"); the report shows it apart.
    text = error or "could not be read"
    return text[len(label) + 2:] if text.startswith(label + ": ") else text


_STUDIES = Study.__table__
_MATCHED_BY = {"doi": "DOI", "pmid": "PMID", "key": "citation key"}
_PRELOAD_CHUNK = 500
# Writes waiting for one SAVEPOINT together; if the database refuses any, each is retried in its own.
_BATCH = 200
_REFUSED = "the database refused it (a field is too long, or it clashes with a stored study)"


@dataclass
class _Write:
    """A pending INSERT (study_id provisional, below zero) or UPDATE of one record's study."""

    outcome: RecordOutcome
    study_id: int
    values: dict
    previous: dict | None = None  # for an UPDATE: the cached row values it replaces

    @property
    def is_insert(self) -> bool:
        return self.study_id < 0


class _Run:
    """One import: the identifiers known so far, the rows it may update, the writes waiting for the database."""

    def __init__(self, known: KnownStudies, connection):
        self.known = known
        self.connection = connection
        self.rows: dict[int, dict] = {}        # stored rows that records may update, by id
        self.touched: dict[int, int] = {}      # study id -> index of the record of this file that stored it
        self.changed_ids: set[int] = set()
        self.pending: list[_Write] = []
        # Outcomes naming a study by a provisional id, fixed once the INSERT gives the real one.
        self.waiting: dict[int, list[RecordOutcome]] = {}
        self.next_provisional = -1

    def match(self, record: StudyRecord) -> tuple[int | None, str | None]:
        study_id, how = self.known.find(record)
        if study_id is None and (study_id := self.known.same_by_key(record)) is not None:
            how = "key"
        return study_id, how

    def preload(self, records: list[StudyRecord]) -> None:
        """Load, a few hundred per query, the stored rows that records match by identifier."""
        ids = sorted({study_id for study_id, how in map(self.match, records) if how in _MATCHED_BY})
        for start in range(0, len(ids), _PRELOAD_CHUNK):
            query = select(_STUDIES).where(_STUDIES.c.id.in_(ids[start:start + _PRELOAD_CHUNK]))
            self.rows.update({row.id: dict(row._mapping) for row in self.connection.execute(query)})

    def row(self, study_id: int) -> dict:
        if study_id not in self.rows:
            self.rows[study_id] = dict(self.connection.execute(
                select(_STUDIES).where(_STUDIES.c.id == study_id)).one()._mapping)
        return self.rows[study_id]

    def store(self, entry: ParsedEntry) -> RecordOutcome:
        """Decide what becomes of one record; queue its write."""
        record = entry.record
        outcome = RecordOutcome(entry.index, entry.label, "rejected")
        dropped_url = record.url if record.url and not is_safe_url(record.url) else None
        if dropped_url:
            # Only http(s) addresses are ever linked; "javascript:" and the like are left out.
            record.url = None
        try:
            study_service.check_lengths(record)
        except ServiceError as exc:
            outcome.message = exc.message
            return outcome
        study_id, how = self.match(record)
        if study_id is not None and study_id in self.touched:
            return self._skipped(outcome, study_id, f"the same study as record {self.touched[study_id]} of this file")
        if how == "title":
            return self._skipped(outcome, study_id, "a study with the same title and year is already in Postil")
        if study_id is not None:
            self._update(study_id, record, how, outcome)
        else:
            self._insert(record, outcome)
        if dropped_url:
            outcome.message += f" (its web address {dropped_url[:60]!r} is not an http(s) link and was left out)"
        if len(self.pending) >= _BATCH:
            self.flush()
        return outcome

    def _name(self, outcome: RecordOutcome, study_id: int) -> None:
        outcome.study_id = study_id
        if study_id < 0:
            self.waiting.setdefault(study_id, []).append(outcome)

    def _skipped(self, outcome: RecordOutcome, study_id: int, why: str) -> RecordOutcome:
        outcome.outcome, outcome.message = "duplicate", why
        outcome.citation_key = self.known.by_id[study_id].key
        self._name(outcome, study_id)
        return outcome

    def _update(self, study_id: int, record: StudyRecord, how: str, outcome: RecordOutcome) -> None:
        current = self.row(study_id)
        changes = merged_changes(current, record)
        if changes:
            self.pending.append(_Write(outcome, study_id, changes, {name: current.get(name) for name in changes}))
            current.update(changes)
        shown = [name for name in changes if name != "title_normalised"]
        # Said once: the outcome itself tells a record that changed nothing ("Already up to date").
        outcome.outcome = "updated" if shown else "unchanged"
        outcome.message = f"matched by {_MATCHED_BY[how]}" + (f"; changed: {', '.join(shown)}" if shown else "")
        outcome.study_id, outcome.citation_key = study_id, current.get("citation_key")
        self.known.remember(study_id, current)
        self.touched[study_id] = outcome.index

    def _insert(self, record: StudyRecord, outcome: RecordOutcome) -> None:
        original = record.citation_key
        wanted = study_service.safe_key(original)
        key = study_service.unique_key(wanted or study_service.base_key(record), self.known.by_key)
        if original and key != original:
            why = "is already used by another study" if wanted == original else "cannot be cited in an article"
            outcome.message = f"its key {original} {why}; cite it as [@{key}]"
        else:
            outcome.message = f"cite it as [@{key}]"
        record.citation_key = key
        study_service.with_suggested_level(record)
        values = {name: getattr(record, name) for name in study_service.RECORD_FIELDS}
        values["title_normalised"] = normalise_title(record.title)
        provisional, self.next_provisional = self.next_provisional, self.next_provisional - 1
        self.pending.append(_Write(outcome, provisional, values))
        outcome.outcome, outcome.citation_key = "created", key
        self._name(outcome, provisional)
        self.known.remember(provisional, values)
        self.touched[provisional] = outcome.index

    def flush(self) -> None:
        """Write the pending records in one SAVEPOINT, or each in its own if the database refuses one."""
        writes, self.pending = self.pending, []
        if not writes:
            return
        try:
            with self.connection.begin_nested():
                self._execute(writes)
        except (IntegrityError, DataError):
            for write in writes:
                try:
                    with self.connection.begin_nested():
                        self._execute([write])
                except (IntegrityError, DataError) as exc:
                    log.warning("import: %s refused by the database: %s", write.outcome.label,
                                getattr(exc, "orig", exc))
                    self._refused(write)
        for write in writes:
            if write.outcome.outcome == "rejected":
                continue
            if write.is_insert:
                self._settle(write)
            else:
                self.changed_ids.add(write.study_id)

    def _execute(self, writes: list[_Write]) -> None:
        inserts = [w for w in writes if w.is_insert]
        if inserts:
            result = self.connection.execute(
                insert(_STUDIES).returning(_STUDIES.c.id, sort_by_parameter_order=True), [w.values for w in inserts])
            for write, new_id in zip(inserts, result.scalars().all(), strict=True):
                write.values["id"] = new_id
        for write in writes:
            if not write.is_insert:
                self.connection.execute(update(_STUDIES).where(_STUDIES.c.id == write.study_id).values(**write.values))

    def _refused(self, write: _Write) -> None:
        outcome = write.outcome
        outcome.outcome, outcome.message, outcome.citation_key = "rejected", _REFUSED, None
        if write.is_insert:
            self.known.forget(write.study_id)
            self.touched.pop(write.study_id, None)
            for other in self.waiting.pop(write.study_id, []):
                other.study_id = None
        else:
            current = self.rows[write.study_id]
            current.update(write.previous or {})
            self.known.remember(write.study_id, current)
            outcome.study_id = None

    def _settle(self, write: _Write) -> None:
        real = write.values["id"]
        self.known.rekey(write.study_id, real)
        if write.study_id in self.touched:
            self.touched[real] = self.touched.pop(write.study_id)
        for outcome in self.waiting.pop(write.study_id, []):
            outcome.study_id = real


def merged_changes(current: Mapping, record: StudyRecord) -> dict:
    """Return the column values `record` would change in a study whose columns are `current`.

    What the record leaves blank is kept: files from reference managers carry no appraisal, so a blank
    design or finding in the file never erases one an editor wrote. The citation key stays, because
    articles cite it.
    """
    changes = {}
    for name in study_service.RECORD_FIELDS:
        value = getattr(record, name)
        if (name == "citation_key" and current.get("citation_key")) or value in (None, "", [], False):
            continue
        if current.get(name) != value:
            changes[name] = value
    if "title" in changes:
        changes["title_normalised"] = normalise_title(changes["title"])
    return changes


# --- Articles with their references --------------------------------------------------------------------


@dataclass
class ArticleImport:
    """What importing an article file did: its references' report and the article's save."""

    article: Article
    references: ImportReport | None
    created: bool
    changed: bool
    anchors: dict[str, int]


def import_article(markdown: str, default_slug: str | None, editor: User | None, *,
                   references: bytes | None = None, references_name: str | None = None,
                   references_format: str | None = None, note: str = "",
                   status: ArticleStatus = ArticleStatus.PUBLISHED) -> ArticleImport:
    """Import an article's references (if given), then the Markdown article itself (flushes only).

    Raises ServiceError when the references file is unreadable or the article is refused (unknown
    citation keys, bad front matter); the caller rolls back, so nothing is kept.
    """
    report = import_file(references, references_format, references_name) if references is not None else None
    data = articles.parse_markdown_file(markdown, default_slug=default_slug)
    existing = authoring.find_article(articles.slugify(data.slug or data.title))
    before = existing.version if existing is not None else None
    article = articles.save_article(data, editor=editor, note=note, status=status)
    changed = before != article.version
    if article.status != status:
        # An unchanged body is not saved again, but the file's status still applies.
        article.status = status
        articles.bump_display(article.id)
    return ArticleImport(article=article, references=report, created=existing is None, changed=changed,
                         anchors=authoring.anchor_counts(article) if changed and existing is not None else {})
