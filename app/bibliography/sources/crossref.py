"""Crossref's ``/works/{doi}`` answer (``{"status": "ok", "message-type": "work", "message": {...}}``) as a study.

Field mapping: ``type`` -> CSL type; ``title[0]``; ``author`` (``family``/``given`` or ``name``);
``container-title[0]`` and ``short-container-title[0]``; the date from ``issued`` (else
``published-print``, ``published-online``, ``published``); ``volume``, ``issue``, ``page`` (else
``article-number``); ``DOI``; ``abstract`` (JATS XML, reduced to text). Crossref describes no study
design, so the design is only suggested from words of the title ("randomised", "cohort"...).

Notices come from ``updated-by`` (the notices that update this work, with their DOI, type, source
and date). A DOI that is itself a notice (``update-to``) is read too, with a warning naming the
work it updates.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.bibliography.errors import BibliographyError
from app.bibliography.evidence import design_from_text
from app.bibliography.notices import NoticeRecord, notice_kind
from app.bibliography.record import StudyRecord
from app.bibliography.sources import LookedUp, SourceFormatError

__all__ = ["read_work"]

_TYPES = {
    "journal-article": "article-journal", "posted-content": "article", "book-chapter": "chapter",
    "book": "book", "monograph": "book", "edited-book": "book", "proceedings-article": "paper-conference",
    "report": "report", "dissertation": "thesis", "dataset": "dataset", "peer-review": "review",
}
_TAG = re.compile(r"<[^>]+>")
_JATS_TITLE = re.compile(r"<jats:title>\s*abstract\s*</jats:title>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</(?:jats:)?(?:p|title|sec)>", re.IGNORECASE)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    return _plain(value) if isinstance(value, str) and value.strip() else None


def _plain(text: str) -> str:
    """Return markup-free text: Crossref titles carry <i>, <sub>; abstracts are JATS XML."""
    import html

    text = _JATS_TITLE.sub("", text)
    text = _PARAGRAPH_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    paragraphs = (" ".join(part.split()) for part in text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _date_parts(value: Any) -> tuple[int | None, int | None, int | None]:
    parts = value.get("date-parts") if isinstance(value, Mapping) else None
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]):
        return None, None, None
    numbers = [p if isinstance(p, int) and not isinstance(p, bool) else None for p in parts[0][:3]]
    numbers += [None] * (3 - len(numbers))
    return numbers[0], numbers[1], numbers[2]


def _date(value: Any) -> date | None:
    year, month, day = _date_parts(value)
    try:
        return date(year, month or 1, day or 1) if year else None
    except ValueError:
        return None


def _authors(items: Any) -> list[dict[str, str]]:
    authors = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        if item.get("family"):
            name = {"family": str(item["family"])}
            if item.get("given"):
                name["given"] = str(item["given"])
            authors.append(name)
        elif item.get("name"):
            authors.append({"literal": str(item["name"])})
    return authors


def _notices(updates: Any) -> list[NoticeRecord]:
    notices: list[NoticeRecord] = []
    for item in updates if isinstance(updates, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = notice_kind(str(item.get("type") or ""))
        doi = str(item.get("DOI") or "").strip().lower()
        if kind is None or not doi:
            continue
        via = "Retraction Watch, through Crossref" if item.get("source") == "retraction-watch" else "Crossref"
        notices.append(NoticeRecord(kind=kind, key=doi, source=via, date=_date(item.get("updated")),
                                    url=f"https://doi.org/{doi}", note=str(item.get("label") or "")[:200]))
    return notices


def read_work(answer: Any) -> LookedUp:
    """Return the study Crossref describes; raise SourceFormatError if `answer` is not a Crossref work."""
    message = answer.get("message") if isinstance(answer, Mapping) else None
    if not isinstance(message, Mapping) or answer.get("message-type", "work") != "work":
        raise SourceFormatError("Crossref's answer is not the description of a work")
    year, month, day = (None, None, None)
    for name in ("issued", "published-print", "published-online", "published"):
        year, month, day = _date_parts(message.get(name))
        if year:
            break
    title = _first(message.get("title")) or _first(message.get("subtitle")) or ""
    fields = {
        "csl_type": _TYPES.get(str(message.get("type") or ""), "article"),
        "title": title,
        "authors": _authors(message.get("author")),
        "container_title": _first(message.get("container-title")),
        "container_title_short": _first(message.get("short-container-title")),
        "issued_year": year, "issued_month": month, "issued_day": day,
        "volume": _first(message.get("volume")),
        "issue": _first(message.get("issue")),
        "pages": _first(message.get("page")) or _first(message.get("article-number")),
        "doi": _first(message.get("DOI")),
        "abstract": _first(message.get("abstract")),
        "design": design_from_text(title) if title else None,
    }
    warnings: list[str] = []
    try:
        record = StudyRecord.from_fields(fields, extras={}, warnings=warnings)
    except BibliographyError as exc:
        raise SourceFormatError(f"Crossref's description cannot be used: {exc}") from None
    notices = _notices(message.get("updated-by"))
    for update in _notices(message.get("update-to")):
        warnings.append(f"This DOI is itself a {update.label.lower()} notice; the study it concerns has the DOI "
                        f"{update.key.removeprefix('https://doi.org/')}")
    return LookedUp(record=record, source="Crossref", notices=notices, warnings=warnings)
