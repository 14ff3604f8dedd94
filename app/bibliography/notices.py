"""Notices about published studies (retractions, expressions of concern, corrections) as sources describe them.

Crossref's metadata lists the notices that update a work (``updated-by``, and ``update-to`` on the
notice itself), PubMed links a record to its ``RetractionIn`` / ``ErratumIn`` / ``ExpressionOfConcernIn``
notices, and the Retraction Watch database is distributed as a CSV file. Each is read here into
``NoticeRecord``s; storing them is the notices service's job.

Retraction Watch CSV columns used: ``Record ID``, ``RetractionNature``, ``RetractionDate``,
``RetractionDOI``, ``RetractionPubMedID``, ``OriginalPaperDOI``, ``OriginalPaperPubMedID``, ``Reason``
and ``Title``. Its dates are written "5/16/2023 0:00" (month first); unknown identifiers are written
"unavailable" or "0".
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from app.bibliography.errors import FormatError, InvalidIdentifier
from app.bibliography.identifiers import normalise_doi, normalise_pmid

__all__ = [
    "NOTICE_LABELS",
    "RW_REQUIRED_COLUMNS",
    "NoticeRecord",
    "RetractionWatchRow",
    "human_date",
    "notice_kind",
    "read_retraction_watch",
]

# Kind code -> (label, the badge's short word). Worst first.
NOTICE_LABELS: Mapping[str, tuple[str, str]] = {
    "retraction": ("Retraction", "Retracted"),
    "expression_of_concern": ("Expression of concern", "Expression of concern"),
    "correction": ("Correction", "Corrected"),
}

# The many ways sources spell a kind of notice (Crossref update types, Retraction Watch natures,
# PubMed comment types), reduced to Postil's three kinds. Reinstatements and new versions are not notices.
_KINDS = {
    "retraction": "retraction", "retracted": "retraction", "partial_retraction": "retraction",
    "partial retraction": "retraction", "withdrawal": "retraction", "removal": "retraction",
    "retractionin": "retraction",
    "expression_of_concern": "expression_of_concern", "expression-of-concern": "expression_of_concern",
    "expression of concern": "expression_of_concern", "expressionofconcernin": "expression_of_concern",
    "correction": "correction", "erratum": "correction", "corrigendum": "correction", "errata": "correction",
    "erratumin": "correction",
}

RW_REQUIRED_COLUMNS = ("Record ID", "RetractionNature", "RetractionDate", "OriginalPaperDOI",
                       "OriginalPaperPubMedID")
_RW_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_UNKNOWN = {"", "unavailable", "not available", "na", "n/a", "none", "0"}


@dataclass(frozen=True)
class NoticeRecord:
    """One notice about a study: its kind, when and where it was published, and a key naming it.

    `key` is the notice's own DOI when it has one (so the same notice from two sources is one),
    otherwise an id from its source such as "rw:12345" or "pubmed:38000000".
    """

    kind: str
    key: str
    source: str
    date: date | None = None
    url: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """Return the kind as people name it, e.g. "Expression of concern"."""
        return NOTICE_LABELS[self.kind][0]

    def to_json(self) -> dict:
        """Return the notice as JSON-safe values (carried through the review form)."""
        return {"kind": self.kind, "key": self.key, "source": self.source,
                "date": self.date.isoformat() if self.date else None, "url": self.url, "note": self.note}

    @classmethod
    def from_json(cls, item: Mapping) -> NoticeRecord:
        """Rebuild a notice from `to_json` values; raise FormatError when they are not a notice."""
        try:
            kind = notice_kind(str(item["kind"]))
            key, source = str(item["key"]).strip()[:255], str(item["source"]).strip()[:60]
            when = date.fromisoformat(item["date"]) if item.get("date") else None
        except (KeyError, TypeError, ValueError):
            raise FormatError("The notices sent with the study are not readable") from None
        url = item.get("url")
        if kind is None or not key or not source:
            raise FormatError("The notices sent with the study are not readable")
        if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            url = None
        return cls(kind=kind, key=key, source=source, date=when, url=url, note=str(item.get("note") or "")[:2000])


def human_date(value: date | None) -> str:
    """Return a date as clinicians write it, "2 May 2024" ("" for None)."""
    return f"{value.day} {value:%B %Y}" if value else ""


def notice_kind(name: str | None) -> str | None:
    """Return Postil's kind for a source's name of a notice ("erratum" -> "correction"), or None if not a notice."""
    if not name:
        return None
    return _KINDS.get(name.strip().lower())


def _identifier(value: str | None, normalise) -> str | None:
    text = (value or "").strip()
    if text.lower() in _UNKNOWN:
        return None
    try:
        return normalise(text)
    except InvalidIdentifier:
        return None


def _rw_date(value: str | None) -> date | None:
    text = (value or "").strip()
    try:
        if match := _RW_DATE.match(text):
            month, day, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _ISO_DATE.match(text):
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class RetractionWatchRow:
    """One row of the Retraction Watch CSV that names a notice and the paper it concerns."""

    line: int
    record_id: str
    title: str
    doi: str | None
    pmid: str | None
    notice: NoticeRecord | None
    nature: str


def read_retraction_watch(text: str) -> Iterator[RetractionWatchRow]:
    """Yield the rows of a Retraction Watch CSV in file order.

    Raises FormatError before yielding anything when a required column is missing, naming it.
    A row whose nature is not a notice (a reinstatement) comes with `notice` None.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in RW_REQUIRED_COLUMNS if name not in columns]
    if missing:
        found = ", ".join(columns[:8]) + ("…" if len(columns) > 8 else "") if columns else "none"
        raise FormatError(f"This is not a Retraction Watch CSV: it lacks the column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)} (columns found: {found})")
    for row in reader:
        row = {(key or "").strip(): (value or "") if isinstance(value, str) else "" for key, value in row.items()}
        record_id = row["Record ID"].strip()
        nature = row["RetractionNature"].strip()
        kind = notice_kind(nature)
        notice = None
        if kind is not None:
            notice_doi = _identifier(row.get("RetractionDOI"), normalise_doi)
            notice_pmid = _identifier(row.get("RetractionPubMedID"), normalise_pmid)
            url = (f"https://doi.org/{notice_doi}" if notice_doi else
                   f"https://pubmed.ncbi.nlm.nih.gov/{notice_pmid}/" if notice_pmid else None)
            reason = " ".join(row.get("Reason", "").replace(";", " ").replace("+", "").split())
            notice = NoticeRecord(kind=kind, key=notice_doi or f"rw:{record_id}", source="Retraction Watch",
                                  date=_rw_date(row["RetractionDate"]), url=url,
                                  note=f"Reasons given: {reason}"[:2000] if reason else "")
        yield RetractionWatchRow(line=reader.line_num, record_id=record_id, title=row.get("Title", "").strip(),
                                 doi=_identifier(row["OriginalPaperDOI"], normalise_doi),
                                 pmid=_identifier(row["OriginalPaperPubMedID"], normalise_pmid),
                                 notice=notice, nature=nature)
