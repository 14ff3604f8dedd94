"""Shared pieces of the format readers and writers: parse results, labels, the Postil note.

Postil note convention (RIS ``N1`` and BibTeX ``note``): the extras are
written as ``postil:<field>=<value>`` pairs joined by ``"; "``, e.g.
``postil:design=animal; postil:evidence_level=5; postil:population=murine models``.
In values, ``%``, ``;``, CR and LF are percent-encoded (``%25``, ``%3B``,
``%0D``, ``%0A``) so free text cannot break the pairs apart. ``retracted``
is written only when true. Reading ignores any other text in the note.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from app.bibliography.errors import BibliographyError
from app.bibliography.record import EXTRA_FIELDS, StudyRecord

__all__ = [
    "ParseResult",
    "ParsedEntry",
    "build_entry",
    "citation_keys",
    "decode_postil_note",
    "encode_postil_note",
    "entry_label",
    "failed_entry",
    "identifiers_in_notes",
]

logger = logging.getLogger(__name__)

_LABEL_TITLE_LENGTH = 60
_POSTIL_PAIR = re.compile(r"postil:([a-z_]+)=([^;]*)")
# Matched against one stripped line at a time: a multi-line "^\s*" would rescan every following
# blank line from each line start, quadratic on a note of a megabyte of newlines.
_NOTE_PMID = re.compile(r"PMID[ \t]*:[ \t]*(\d{1,8})", re.IGNORECASE)
_NOTE_PMCID = re.compile(r"PMCID[ \t]*:[ \t]*(PMC\d+)", re.IGNORECASE)
# Longer note lines cannot be an identifier line and are not matched at all.
_NOTE_LINE_MAX = 100
_KEY_UNSAFE = re.compile(r"[^\w:.\-+/]+", re.ASCII)
_KEY_WORD = re.compile(r"[a-z0-9]+")
_TITLE_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "does", "do", "is", "are"}


@dataclass(frozen=True)
class ParsedEntry:
    """One record of an uploaded file: a StudyRecord, or the error that stopped it.

    ``index`` counts records from 1 in file order; ``label`` names the record
    for people, e.g. "Record 3 (‘Neoadjuvant chemotherapy…’)".
    """

    index: int
    record: StudyRecord | None
    error: str | None
    label: str
    # What was left out or taken from elsewhere so the record could be kept (an unusable DOI...).
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Return whether the record was read."""
        return self.record is not None


@dataclass
class ParseResult:
    """Every record of a file, read or failed, in file order."""

    records: list[ParsedEntry] = field(default_factory=list)
    encoding: str = "UTF-8"

    @property
    def studies(self) -> list[StudyRecord]:
        """Return the records that were read."""
        return [entry.record for entry in self.records if entry.record is not None]

    @property
    def errors(self) -> list[str]:
        """Return the messages of the records that failed."""
        return [entry.error for entry in self.records if entry.error is not None]


def entry_label(index: int, title: str | None = None, key: str | None = None) -> str:
    """Return how messages name a record: its position and a short title or key."""
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if title:
        if len(title) > _LABEL_TITLE_LENGTH:
            title = title[: _LABEL_TITLE_LENGTH - 1].rstrip() + "\u2026"
        return f"Record {index} (\u2018{title}\u2019)"
    if key:
        return f"Record {index} ({key})"
    return f"Record {index}"


def build_entry(
    index: int,
    make: Callable[[list[str]], StudyRecord],
    title: str | None = None,
    key: str | None = None,
) -> ParsedEntry:
    """Run ``make(warnings)`` for one record and capture any failure as that record's error.

    ``make`` appends to ``warnings`` what it left out to keep the record.
    Unexpected exceptions are caught too: a file that trips a bug in one
    record must still import the others; the traceback goes to the log.
    """
    label = entry_label(index, title, key)
    warnings: list[str] = []
    try:
        record = make(warnings)
        return ParsedEntry(index=index, record=record, error=None, label=label, warnings=tuple(warnings))
    except BibliographyError as error:
        return ParsedEntry(index=index, record=None, error=f"{label}: {error}", label=label)
    except Exception:
        logger.exception("Unexpected failure reading %s", label)
        message = f"{label}: could not be read"
        return ParsedEntry(index=index, record=None, error=message, label=label)


def failed_entry(index: int, reason: str, title: str | None = None) -> ParsedEntry:
    """Return the entry of a record that could not even be split out of the file."""
    label = entry_label(index, title)
    return ParsedEntry(index=index, record=None, error=f"{label}: {reason}", label=label)


def _escape_note_value(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    for raw, encoded in (("%", "%25"), (";", "%3B"), ("\r", "%0D"), ("\n", "%0A")):
        text = text.replace(raw, encoded)
    return text


def encode_postil_note(record: StudyRecord) -> str | None:
    """Return the ``postil:key=value; ...`` note for a record's extras, or None if it has none."""
    pairs = [
        f"postil:{name}={_escape_note_value(value)}"
        for name, value in record.extras.items()
        if value is not None and value is not False
    ]
    return "; ".join(pairs) or None


def decode_postil_note(notes: str | Iterable[str | None] | None) -> dict[str, str] | None:
    """Return the raw extras found in ``postil:`` pairs of one or more notes, or None if none."""
    if notes is None:
        return None
    texts = [notes] if isinstance(notes, str) else [n for n in notes if n]
    extras = {
        name: unquote(value.strip())
        for text in texts
        for name, value in _POSTIL_PAIR.findall(text)
        if name in EXTRA_FIELDS
    }
    return extras or None


def identifiers_in_notes(notes: Iterable[str | None]) -> dict[str, str]:
    """Return PMID and PMCID written as "PMID: 123" lines, the way Zotero's Extra field does."""
    found: dict[str, str] = {}
    lines = (line.strip() for note in notes if note for line in note.splitlines())
    for line in lines:
        if not line or len(line) > _NOTE_LINE_MAX:
            continue
        if "pmid" not in found and (match := _NOTE_PMID.fullmatch(line)):
            found["pmid"] = match.group(1)
        if "pmcid" not in found and (match := _NOTE_PMCID.fullmatch(line)):
            found["pmcid"] = match.group(1)
    return found


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _KEY_WORD.findall(folded)


def _generated_key(record: StudyRecord) -> str:
    stem = ""
    for name in record.authors:
        words = _ascii_words(name.get("family") or name.get("given") or "")
        if words:
            stem = "".join(words)
            break
    if not stem:
        title_words = [w for w in _ascii_words(record.title) if w not in _TITLE_STOPWORDS]
        stem = title_words[0] if title_words else "ref"
    return f"{stem}{record.issued_year if record.issued_year is not None else 'nd'}"


def _suffix(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


def citation_keys(records: Iterable[StudyRecord], *, bibtex_safe: bool = False) -> list[str]:
    """Return a unique key per record: its own, else one like "karagiannis2017"; clashes get a, b.

    With ``bibtex_safe``, characters BibTeX cannot hold in a key become "-".
    Literal authors such as "et al." never start a generated key.
    """
    used: set[str] = set()
    # Remembering the last suffix per base keeps 5,000 "smith2020"s linear.
    last_suffix: dict[str, int] = {}
    keys: list[str] = []
    for record in records:
        base = record.citation_key or _generated_key(record)
        if bibtex_safe:
            base = _KEY_UNSAFE.sub("-", base).strip("-") or _generated_key(record)
        key, number = base, last_suffix.get(base, 0)
        while key in used:
            number += 1
            key = f"{base}{_suffix(number)}"
        last_suffix[base] = number
        used.add(key)
        keys.append(key)
    return keys
