"""NCBI E-utilities answers as a study: ``esummary`` JSON (PubMed or PMC) and ``efetch`` PubMed XML.

``esummary`` (``db=pubmed&retmode=json``) gives ``result.uids`` and one summary per uid: ``title``,
``authors[].name`` ("Karagiannis GS"), ``fulljournalname``, ``source`` (the abbreviation),
``pubdate`` ("2017 Jul 5"), ``volume``, ``issue``, ``pages``, ``elocationid``, ``articleids``
(``doi``, ``pmc``, ``pubmed``) and ``pubtype`` (PubMed publication types, which suggest the
design). An unknown id comes back as a summary holding only ``error``. PMC summaries
(``db=pmc``) have the same shape with a ``pmid`` article id.

``efetch`` (``db=pubmed&retmode=xml``) adds the abstract (``AbstractText``, with section labels)
and the notices PubMed links: ``CommentsCorrections`` of type ``RetractionIn``,
``ExpressionOfConcernIn`` and ``ErratumIn``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.bibliography.dates import parse_date
from app.bibliography.errors import BibliographyError
from app.bibliography.notices import NoticeRecord, notice_kind
from app.bibliography.record import StudyRecord
from app.bibliography.sources import LookedUp, NotFoundAtSource, SourceFormatError

__all__ = ["read_efetch", "read_summary"]

_INITIALS = re.compile(r"^(.+?)\s+([A-Z]{1,4})$")
_NOTICE_TYPES = ("RetractionIn", "ExpressionOfConcernIn", "ErratumIn")
_REF_DATE = re.compile(r"\.\s+(\d{4}(?:\s+[A-Za-z]{3})?(?:\s+\d{1,2})?)")


def _author(name: str) -> dict[str, str]:
    match = _INITIALS.match(name.strip())
    if match:
        return {"family": match.group(1), "given": match.group(2)}
    return {"literal": name.strip()}


def _article_ids(summary: Mapping) -> dict[str, str]:
    ids: dict[str, str] = {}
    for item in summary.get("articleids") or []:
        if isinstance(item, Mapping) and isinstance(item.get("value"), str):
            ids.setdefault(str(item.get("idtype") or "").lower(), item["value"].strip())
    return ids


def _summary_of(answer: Any, uid: str) -> Mapping:
    if not isinstance(answer, Mapping):
        raise SourceFormatError("PubMed's answer is not an E-utilities summary")
    if "error" in answer and "result" not in answer:
        raise NotFoundAtSource(str(answer["error"])[:200])
    result = answer.get("result")
    if not isinstance(result, Mapping):
        raise SourceFormatError("PubMed's answer is not an E-utilities summary")
    summary = result.get(uid)
    if summary is None:
        uids = result.get("uids")
        if isinstance(uids, list) and len(uids) == 1 and isinstance(result.get(uids[0]), Mapping):
            summary = result[uids[0]]
    if not isinstance(summary, Mapping) or summary.get("error") or not summary.get("title"):
        raise NotFoundAtSource(f"no summary for {uid}")
    return summary


def read_summary(answer: Any, uid: str, database: str = "pubmed") -> LookedUp:
    """Return the study an ``esummary`` answer describes for `uid` (digits, no "PMC").

    Raises NotFoundAtSource for an unknown id, SourceFormatError for an answer of another shape.
    """
    summary = _summary_of(answer, uid)
    ids = _article_ids(summary)
    year, month, day = parse_date(str(summary.get("pubdate") or summary.get("epubdate") or ""))
    pmcid = ids.get("pmc") or ids.get("pmcid", "").removeprefix("pmc-id:").strip(" ;") or None
    pages = str(summary.get("pages") or "").strip() or None
    if pages is None and str(summary.get("elocationid") or "").strip().lower().startswith("pii:"):
        pages = str(summary["elocationid"]).split(":", 1)[1].strip() or None
    authors = [_author(a["name"]) for a in summary.get("authors") or []
               if isinstance(a, Mapping) and a.get("name") and a.get("authtype", "Author") == "Author"]
    publication_types = [str(t) for t in summary.get("pubtype") or [] if isinstance(t, str)]
    fields = {
        "csl_type": "article-journal",
        "title": str(summary.get("title") or "").strip().rstrip(".") or "",
        "authors": authors,
        "container_title": str(summary.get("fulljournalname") or "").strip() or None,
        "container_title_short": str(summary.get("source") or "").strip() or None,
        "issued_year": year, "issued_month": month, "issued_day": day,
        "volume": str(summary.get("volume") or "").strip() or None,
        "issue": str(summary.get("issue") or "").strip() or None,
        "pages": pages,
        "doi": ids.get("doi"),
        "pmid": ids.get("pubmed") if database == "pubmed" else ids.get("pmid"),
        "pmcid": pmcid,
        "genre": ", ".join(t for t in publication_types if t != "Journal Article") or None,
    }
    if database == "pubmed":
        fields["pmid"] = fields["pmid"] or uid
    warnings: list[str] = []
    try:
        record = StudyRecord.from_fields(fields, publication_types=publication_types, warnings=warnings)
    except BibliographyError as exc:
        raise SourceFormatError(f"PubMed's description cannot be used: {exc}") from None
    if "Retracted Publication" in publication_types:
        warnings.append("PubMed lists this study as a retracted publication")
    return LookedUp(record=record, source="PubMed" if database == "pubmed" else "PubMed Central",
                    warnings=warnings)


def _ref_date(text: str) -> date | None:
    match = _REF_DATE.search(text)
    year, month, day = parse_date(match.group(1)) if match else (None, None, None)
    try:
        return date(year, month or 1, day or 1) if year else None
    except ValueError:
        return None


def read_efetch(xml_text: str | bytes) -> tuple[str | None, list[NoticeRecord]]:
    """Return the abstract and the linked notices of the first article of a PubMed ``efetch`` answer.

    Raises SourceFormatError when the answer is not PubmedArticleSet XML.
    """
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError:
        raise SourceFormatError("PubMed's answer is not readable XML") from None
    article = root.find(".//PubmedArticle") if root.tag != "PubmedArticle" else root
    if root.tag not in ("PubmedArticleSet", "PubmedArticle") or article is None:
        raise SourceFormatError("PubMed's answer is not a PubMed article")
    parts = []
    for node in article.findall(".//Abstract/AbstractText"):
        text = " ".join("".join(node.itertext()).split())
        label = node.get("Label")
        if text:
            parts.append(f"{label.capitalize()}: {text}" if label else text)
    notices = []
    for node in article.findall(".//CommentsCorrectionsList/CommentsCorrections"):
        ref_type = node.get("RefType") or ""
        if ref_type not in _NOTICE_TYPES:
            continue
        source_text = " ".join((node.findtext("RefSource") or "").split())
        pmid = (node.findtext("PMID") or "").strip()
        key = f"pubmed:{pmid}" if pmid else f"pubmed:{source_text[:200]}"
        notices.append(NoticeRecord(kind=notice_kind(ref_type), key=key, source="PubMed", date=_ref_date(source_text),
                                    url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
                                    note=source_text[:500]))
    return ("\n\n".join(parts) or None), notices
