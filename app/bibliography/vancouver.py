"""Format a StudyRecord as a Vancouver (NLM / ICMJE) reference.

citeproc-py 0.11.1 ships only the Harvard style offline
(``citeproc/data/styles/harvard-cite-them-right.csl``), and fetching a CSL
file at runtime or vendoring one from the internet is not allowed, so this
is a small formatter of our own following NLM's *Citing Medicine*:

    Family Initials, ... (first 6, then "et al."). Title [genre]. Journal
    abbrev. Year Mon Day;Volume(Issue):pages. doi:10.xxxx/yyyy

Chapters and conference papers read "In: Book. Year. p. 211-36."; the
bracketed genre appears only for letters, editorials and comments.

Numeric page ranges drop repeated leading digits (273-274 -> 273-4); a
record without a DOI but with a URL ends "Available from: <url>". Vancouver
uses no italics, so the HTML form is the escaped plain text.
"""

from __future__ import annotations

import html
import re

from app.bibliography.dates import MONTH_ABBREVIATIONS
from app.bibliography.evidence import design_from_text
from app.bibliography.names import initials
from app.bibliography.record import StudyRecord

__all__ = ["format_vancouver", "format_vancouver_html"]

MAX_AUTHORS = 6
_ET_AL = "et al."
_NUMERIC_RANGE = re.compile(r"^(\d+)-(\d+)$")
# Chapters and conference papers are cited "In:" the book or proceedings.
_PART_OF_A_WHOLE = {"chapter", "paper-conference"}


def _author(name: dict[str, str]) -> str:
    if name.get("literal"):
        return name["literal"]
    parts = [name.get("family", ""), initials(name.get("given")), name.get("suffix", "")]
    return " ".join(part for part in parts if part)


def _authors(record: StudyRecord) -> str:
    names = [_author(name) for name in record.authors]
    has_et_al = any(n.lower().rstrip(".") == "et al" for n in names)
    names = [n for n in names if n.lower().rstrip(".") != "et al"]
    if len(names) > MAX_AUTHORS:
        names, has_et_al = names[:MAX_AUTHORS], True
    if has_et_al:
        names.append(_ET_AL)
    return ", ".join(names)


def _sentence(text: str) -> str:
    """Return text closed by one full stop, unless it already ends in . ? or !"""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _title(record: StudyRecord) -> str:
    title = record.title.rstrip(". ")
    # NLM marks letters, editorials and comments in brackets after the title.
    if record.genre and design_from_text(record.genre) == "opinion":
        genre = record.genre
        if len(genre) > 1 and genre[1].islower():
            genre = genre[0].lower() + genre[1:]
        title = f"{title} [{genre}]"
    return _sentence(title)


def _pages(pages: str) -> str:
    match = _NUMERIC_RANGE.match(pages.replace("\u2013", "-").replace(" ", ""))
    if not match:
        return pages
    first, last = match.groups()
    if len(first) != len(last):
        return f"{first}-{last}"
    shared = 0
    while shared < len(last) - 1 and first[shared] == last[shared]:
        shared += 1
    return f"{first}-{last[shared:]}"


def _date(record: StudyRecord) -> str:
    parts = [str(record.issued_year)] if record.issued_year is not None else []
    if parts and record.issued_month is not None:
        parts.append(MONTH_ABBREVIATIONS[record.issued_month - 1])
        if record.issued_day is not None:
            parts.append(str(record.issued_day))
    return " ".join(parts)


def _source(record: StudyRecord) -> str:
    """Return "Sci Transl Med. 2017 Jul 5;9(397):eaan0026." with whatever parts the record has."""
    container = record.container_title_short or record.container_title
    if container and record.csl_type in _PART_OF_A_WHOLE:
        container = f"In: {container}"
    locator = (record.volume or "") + (f"({record.issue})" if record.issue else "")
    pages = _pages(record.pages) if record.pages else ""
    if pages and locator:
        locator += f":{pages}"
    citation = ";".join(part for part in (_date(record), locator) if part)
    pieces = [container, citation, f"p. {pages}" if pages and not locator else ""]
    return " ".join(_sentence(piece) for piece in pieces if piece)


def format_vancouver(record: StudyRecord) -> str:
    """Return the Vancouver reference for a record as plain text."""
    authors = _authors(record)
    pieces = [_sentence(authors) if authors else "", _title(record), _source(record)]
    if record.doi:
        pieces.append(f"doi:{record.doi}")
    elif record.url:
        pieces.append(f"Available from: {record.url}")
    return " ".join(piece for piece in pieces if piece)


def format_vancouver_html(record: StudyRecord) -> str:
    """Return the Vancouver reference as escaped HTML text, safe to insert in a page."""
    return html.escape(format_vancouver(record))
