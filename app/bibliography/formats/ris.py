"""Read and write RIS, as exported by Zotero, EndNote, Mendeley and most databases.

Records are split on ``TY``/``ER`` lines here and each is handed to rispy on
its own, so one malformed record cannot derail the rest, and a file cut off
mid-record is reported instead of silently losing its last record.

Field mapping: TY <-> CSL type; AU/A1 "Family, Given[, Suffix]" (no comma
means a literal such as "et al."); TI/T1 title; T2/JF/JO journal; J2/JA
abbreviation; PY/Y1/DA date; VL, IS, SP-EP pages; DO DOI; AN accession
number, read as the PMID when DB/DP names PubMed/MEDLINE/NLM; C2 PMCID (as
EndNote's PubMed import writes it); UR URL; AB/N2 abstract; M3 genre; ID
citation key; N1 notes, where ``postil:`` pairs (see ``_common``),
``study_type:`` notes and "PMID: 123" lines are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import rispy

from app.bibliography.dates import parse_date
from app.bibliography.errors import FormatError
from app.bibliography.formats._common import (
    ParsedEntry,
    build_entry,
    decode_postil_note,
    encode_postil_note,
    failed_entry,
    identifiers_in_notes,
)
from app.bibliography.identifiers import InvalidIdentifier, normalise_doi, normalise_pmid
from app.bibliography.names import format_inverted, is_et_al, parse_inverted
from app.bibliography.record import StudyRecord

__all__ = ["parse_ris", "to_ris"]

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PAGE_RANGE = re.compile(r"^\s*([^\s\-\u2013]+)\s*[-\u2013]\s*([^\s\-\u2013]+)\s*$")
_PUBMED_DATABASE = re.compile(r"pubmed|medline|\bnlm\b", re.IGNORECASE)
_PMC = re.compile(r"^\s*PMC\d+\s*$", re.IGNORECASE)

_RIS_TO_CSL = {
    "JOUR": "article-journal",
    "JFULL": "article-journal",
    "EJOUR": "article-journal",
    "INPR": "article-journal",
    "ABST": "article-journal",
    "MGZN": "article-magazine",
    "NEWS": "article-newspaper",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "CONF": "paper-conference",
    "CPAPER": "paper-conference",
    "RPRT": "report",
    "GOVDOC": "report",
    "THES": "thesis",
    "ELEC": "webpage",
    "ICOMM": "webpage",
    "BLOG": "post-weblog",
    "DATA": "dataset",
    "PAT": "patent",
    "PCOMM": "personal_communication",
    "UNPB": "manuscript",
    "MANSCPT": "manuscript",
    "GEN": "article",
}
_CSL_TO_RIS = {
    "article-journal": "JOUR",
    "article-magazine": "MGZN",
    "article-newspaper": "NEWS",
    "book": "BOOK",
    "chapter": "CHAP",
    "paper-conference": "CPAPER",
    "report": "RPRT",
    "thesis": "THES",
    "webpage": "ELEC",
    "post-weblog": "BLOG",
    "dataset": "DATA",
    "patent": "PAT",
    "personal_communication": "PCOMM",
    "manuscript": "UNPB",
}


class _PlainRisWriter(rispy.RisWriter):
    """rispy's writer without the "1." line it puts before each record, which EndNote rejects."""

    def set_header(self, count: int) -> str:
        """Return no header line."""
        return ""


def _split_records(text: str) -> tuple[list[list[str]], list[str] | None]:
    """Return the complete TY..ER records, and the trailing record cut off before ER, if any."""
    complete: list[list[str]] = []
    current: list[str] | None = None
    for line in _LINE_BREAK.split(text):
        match = _TAG_LINE.match(line)
        if match:
            # Canonical "XX  - " lets rispy read files written with one space.
            tag, value = match.group(1), match.group(2) or ""
            line = f"{tag}  - {value}"
            if tag == "TY":
                if current is not None:
                    # A missing ER between records loses nothing; accept it.
                    complete.append(current)
                current = [line]
                continue
            if tag == "ER" and current is not None:
                current.append(line)
                complete.append(current)
                current = None
                continue
        if current is not None:
            current.append(line)
    return complete, current


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def _looks_like_doi(value: str | None) -> bool:
    if not value:
        return False
    try:
        return normalise_doi(value) is not None
    except InvalidIdentifier:
        return False


def _date(ris: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    # PY/Y1 is the dependable year; DA often adds the month and day ("2017/07/05/").
    year_only = parse_date(_first(ris.get("year")) or _first(ris.get("publication_year")))
    full = parse_date(_first(ris.get("date")))
    year = year_only[0] if year_only[0] is not None else full[0]
    if full[1] is not None and full[0] in (None, year):
        return year, full[1], full[2]
    return year, year_only[1], year_only[2]


def _pages(ris: dict[str, Any]) -> str | None:
    start, end = _first(ris.get("start_page")), _first(ris.get("end_page"))
    if start and end and end != start:
        return f"{start}-{end}"
    return start or end


def _pmid_from_accession(ris: dict[str, Any]) -> str | None:
    accession = _first(ris.get("accession_number"))
    database = " ".join(_list(ris.get("name_of_database")) + _list(ris.get("database_provider")))
    if accession and _PUBMED_DATABASE.search(database):
        try:
            return normalise_pmid(accession)
        except InvalidIdentifier:
            pass  # Not every PubMed-sourced accession number is a PMID; never reject for it.
    return None


def _record(ris: dict[str, Any], warnings: list[str]) -> StudyRecord:
    notes = _list(ris.get("notes")) + _list(ris.get("note"))
    csl_type = _RIS_TO_CSL.get((_first(ris.get("type_of_reference")) or "").upper(), "article")
    year, month, day = _date(ris)
    type_of_work = _first(ris.get("type_of_work"))
    doi = _first(ris.get("doi"))
    if doi is None and _looks_like_doi(type_of_work):
        # Older EndNote and Mendeley exports put the DOI in M3.
        doi, type_of_work = type_of_work, None
    pmcid = _first(ris.get("custom2"))
    in_notes = identifiers_in_notes(notes)
    container = _first(ris.get("alternate_title3")) or _first(ris.get("journal_name"))
    if csl_type != "book":
        # For a book, T2 is the series, not a container the book sits in.
        container = _first(ris.get("secondary_title")) or container
    first_authors, authors = _list(ris.get("first_authors")), _list(ris.get("authors"))
    # Some exporters repeat the author list as both A1 and AU.
    names = first_authors if first_authors == authors else first_authors + authors
    fields = {
        "citation_key": _first(ris.get("id")),
        "csl_type": csl_type,
        "title": _title(ris) or _secondary_title(ris, csl_type, warnings) or "",
        "authors": [name for text in names if (name := parse_inverted(text))],
        "container_title": container,
        "container_title_short": _first(ris.get("alternate_title1"))
        or _first(ris.get("alternate_title2")),
        "issued_year": year,
        "issued_month": month,
        "issued_day": day,
        "volume": _first(ris.get("volume")),
        "issue": _first(ris.get("number")),
        "pages": _pages(ris),
        "doi": doi,
        "pmid": _pmid_from_accession(ris) or in_notes.get("pmid"),
        "pmcid": pmcid if pmcid and _PMC.match(pmcid) else in_notes.get("pmcid"),
        "url": _url(ris.get("urls")),
        "abstract": _first(ris.get("abstract")) or _first(ris.get("notes_abstract")),
        "genre": type_of_work,
    }
    note = "\n".join(notes) or None
    if not _title(ris) and fields["title"] and fields["container_title"] == fields["title"]:
        fields["container_title"] = None
    return StudyRecord.from_fields(fields, extras=decode_postil_note(notes), note=note, warnings=warnings)


def _url(value: Any) -> str | None:
    for url in _list(value):
        # Some exporters pack several links on one line, separated by "; ".
        return url.split("; ")[0].strip() or None
    return None


def _loads(lines: list[str]) -> dict[str, Any] | None:
    """Return rispy's reading of one record, or None if rispy fails on it."""
    try:
        parsed = rispy.loads("\n".join(lines), delimiter_tags_mapping={})
    except Exception:
        # rispy has no error type of its own; whatever it trips on is this record's problem.
        return None
    return parsed[0] if parsed else None


def _title(ris: dict[str, Any]) -> str | None:
    return _first(ris.get("title")) or _first(ris.get("primary_title"))


# Types whose T2 is the title of the work itself for some exporters (a conference paper's or report's
# title filed as the secondary title), not a periodical it appeared in.
_T2_MAY_BE_TITLE = frozenset({"paper-conference", "report", "book", "chapter", "thesis", "webpage", "article",
                              "manuscript", "dataset"})


def _secondary_title(ris: dict[str, Any], csl_type: str, warnings: list[str]) -> str | None:
    """Return a title from a secondary field (ST, then T2 for some types) when TI/T1 is missing, saying so."""
    short = _first(ris.get("short_title"))
    if short:
        warnings.append("it has no title (TI), so its short title (ST) was used")
        return short
    secondary = _first(ris.get("secondary_title"))
    if secondary and csl_type in _T2_MAY_BE_TITLE:
        warnings.append("it has no title (TI), so its secondary title (T2) was used")
        return secondary
    return None


def parse_ris(text: str) -> list[ParsedEntry]:
    """Read RIS text into one entry per TY..ER record.

    A record cut off by the end of the file becomes an error entry; a file
    with no complete record raises FormatError.
    """
    complete, truncated = _split_records(text)
    if not complete:
        if truncated is not None:
            raise FormatError(
                "The RIS file ends before its first record is complete (no 'ER  - ' line); "
                "the file looks truncated"
            )
        raise FormatError(
            "No RIS records found: each record starts with a 'TY  - ' line "
            "and ends with an 'ER  - ' line"
        )
    entries = []
    for index, lines in enumerate(complete, start=1):
        ris = _loads(lines)
        if ris is None:
            entries.append(failed_entry(index, "could not be read as RIS"))
            continue
        entries.append(
            build_entry(index, lambda warnings, ris=ris: _record(ris, warnings),
                        _title(ris) or _first(ris.get("short_title")), _first(ris.get("id")))
        )
    if truncated is not None:
        ris = _loads([*truncated, "ER  - "]) or {}
        entries.append(
            failed_entry(
                len(complete) + 1,
                "the file ends before this record's 'ER  - ' line; the file looks truncated",
                _title(ris),
            )
        )
    return entries


def _one_line(value: str) -> str:
    # A line break inside a value would start a bogus tag line on reading.
    return " ".join(value.split())


def _ris_item(record: StudyRecord) -> dict[str, Any]:
    start, end = record.pages, None
    if record.pages and (match := _PAGE_RANGE.match(record.pages)):
        start, end = match.groups()
    date = None
    if record.issued_year is not None and record.issued_month is not None:
        day = f"{record.issued_day:02d}" if record.issued_day else ""
        date = f"{record.issued_year}/{record.issued_month:02d}/{day}/"
    item: dict[str, Any] = {
        "type_of_reference": _CSL_TO_RIS.get(record.csl_type, "GEN"),
        "id": record.citation_key,
        "title": record.title,
        # RIS has no mark for a truncated list: "et al." would be read back as an author called "et al.".
        "authors": [format_inverted(name) for name in record.authors if not is_et_al(name)] or None,
        "secondary_title": record.container_title,
        "alternate_title1": record.container_title_short,
        "year": str(record.issued_year) if record.issued_year is not None else None,
        "date": date,
        "volume": record.volume,
        "number": record.issue,
        "start_page": start,
        "end_page": end,
        "doi": record.doi,
        "accession_number": record.pmid,
        "name_of_database": "PubMed" if record.pmid else None,
        "custom2": record.pmcid,
        "urls": [record.url] if record.url else None,
        "abstract": record.abstract,
        "type_of_work": record.genre,
        "notes": [note] if (note := encode_postil_note(record)) else None,
    }
    return {
        key: [_one_line(v) for v in value] if isinstance(value, list) else _one_line(value)
        for key, value in item.items()
        if value is not None
    }


def to_ris(records: Iterable[StudyRecord]) -> str:
    """Return records as RIS text, one TY..ER block each."""
    return rispy.dumps([_ris_item(record) for record in records], implementation=_PlainRisWriter)
