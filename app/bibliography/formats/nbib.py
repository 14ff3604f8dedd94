"""Read PubMed's MEDLINE format (.nbib, from "Send to: Citation manager").

No maintained parser is in our pinned set, and the format is small: each
line is a tag left-justified in four columns, "- ", then the value; lines
indented by six spaces continue the previous value; a blank line ends a
record. Tags read: PMID, TI (BTI for books), FAU/AU/CN authors, JT/TA
journal, DP date, VI, IP, PG, AID/LID "... [doi]", PMC, AB, PT publication
types (design; "Retracted Publication" sets ``retracted``) and RIN
("Retraction in") for the retraction note. Writing MEDLINE is not offered:
PubMed is the only producer and nobody imports it back.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from app.bibliography.dates import parse_date
from app.bibliography.errors import FormatError
from app.bibliography.formats._common import ParsedEntry, build_entry
from app.bibliography.record import StudyRecord

__all__ = ["parse_nbib"]

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)$")
_CONTINUATION = re.compile(r"^\s+\S")
_DOI_VALUE = re.compile(r"^(\S+)\s*\[doi\]\s*$", re.IGNORECASE)
_INITIALS = re.compile(r"[A-Z]{1,4}")
_RETRACTED = "retracted publication"


class _Field(NamedTuple):
    tag: str
    value: str


def _split_records(text: str) -> list[list[_Field]]:
    records: list[list[_Field]] = []
    current: list[_Field] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            if current:
                records.append(current)
                current = []
            continue
        if current and _CONTINUATION.match(line):
            tag, value = current[-1]
            current[-1] = _Field(tag, f"{value} {line.strip()}".strip())
            continue
        match = _TAG_LINE.match(line)
        if not match:
            continue
        tag, value = match.group(1), match.group(2).strip()
        if tag == "PMID" and current:
            # A new PMID line starts a new record even without a blank line between.
            records.append(current)
            current = []
        current.append(_Field(tag, value))
    if current:
        records.append(current)
    return records


def _values(fields: list[_Field], tag: str) -> list[str]:
    return [f.value for f in fields if f.tag == tag and f.value]


def _one(fields: list[_Field], *tags: str) -> str | None:
    for tag in tags:
        values = _values(fields, tag)
        if values:
            return values[0]
    return None


def _author_from_au(value: str) -> dict[str, str]:
    # MEDLINE AU is always "Family Initials", so splitting off the initials is safe here. Split in
    # Python rather than with "(.+?)\s+": that pattern backtracks quadratically on a long blank run.
    parts = value.rsplit(None, 1)
    if len(parts) == 2 and _INITIALS.fullmatch(parts[1]):
        return {"family": parts[0], "given": parts[1]}
    return {"family": value}


def _authors(fields: list[_Field]) -> list[dict[str, str]]:
    authors: list[dict[str, str]] = []
    previous = None
    for tag, value in fields:
        if tag == "FAU":
            family, _, given = (part.strip() for part in value.partition(","))
            authors.append({"family": family, "given": given} if given else {"family": family})
        elif tag == "AU" and previous != "FAU":
            authors.append(_author_from_au(value))
        elif tag == "CN":
            authors.append({"literal": value})
        if tag in ("FAU", "AU", "CN"):
            previous = tag
    return authors


def _doi(fields: list[_Field]) -> str | None:
    for value in _values(fields, "AID") + _values(fields, "LID"):
        match = _DOI_VALUE.match(value)
        if match:
            return match.group(1)
    return None


def _title(fields: list[_Field]) -> str:
    title = _one(fields, "TI", "BTI") or ""
    # MEDLINE ends every title with a full stop; CSL titles carry none.
    return title[:-1] if title.endswith(".") and not title.endswith("..") else title


def _record(fields: list[_Field], warnings: list[str]) -> StudyRecord:
    publication_types = _values(fields, "PT")
    retracted = any(pt.lower() == _RETRACTED for pt in publication_types)
    retraction = _one(fields, "RIN")
    year, month, day = parse_date(_one(fields, "DP"))
    is_book = _one(fields, "BTI") is not None and _one(fields, "JT") is None
    bibliographic = {
        "csl_type": "book" if is_book else "article-journal",
        "title": _title(fields),
        "authors": _authors(fields),
        "container_title": _one(fields, "JT"),
        "container_title_short": _one(fields, "TA"),
        "issued_year": year,
        "issued_month": month,
        "issued_day": day,
        "volume": _one(fields, "VI"),
        "issue": _one(fields, "IP"),
        "pages": _one(fields, "PG"),
        "doi": _doi(fields),
        "pmid": _one(fields, "PMID"),
        "pmcid": _one(fields, "PMC"),
        "abstract": _one(fields, "AB"),
        "retracted": retracted,
        "retraction_note": f"Retraction in: {retraction}" if retraction else None,
    }
    return StudyRecord.from_fields(bibliographic, publication_types=publication_types, warnings=warnings)


def parse_nbib(text: str) -> list[ParsedEntry]:
    """Read MEDLINE text into one entry per record; raise FormatError if there are none."""
    records = [r for r in _split_records(text) if _one(r, "PMID", "TI", "BTI")]
    if not records:
        raise FormatError(
            "No PubMed (MEDLINE) records found: each record starts with a 'PMID- ' line"
        )
    return [
        build_entry(
            index,
            lambda warnings, fields=fields: _record(fields, warnings),
            title=_title(fields) or None,
            key=f"PMID {pmid}" if (pmid := _one(fields, "PMID")) else None,
        )
        for index, fields in enumerate(records, start=1)
    ]
