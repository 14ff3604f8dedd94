"""Normalise DOIs, PMIDs, PMCIDs and titles, read what a person pastes, and decide when two records are one study.

``parse_identifier`` reads whatever a clinician pastes to look a study up: a DOI (bare, ``doi:``, any
resolver URL or a publisher's page whose path holds the DOI), a PMID, a PMCID, or a PubMed / PMC
address. None of these identifiers carries a check digit (unlike an ISSN or ISBN), so typos are caught
by their shape here and by the registry's "not found" afterwards.

Duplicate rule: two records are the same study when both have a DOI and the
DOIs match; otherwise when both have a PMID and the PMIDs match; otherwise
when their normalised titles and publication years match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from app.bibliography.errors import InvalidIdentifier

if TYPE_CHECKING:
    from app.bibliography.record import StudyRecord

__all__ = [
    "DuplicateIndex",
    "Identifier",
    "doi_from_url",
    "parse_identifier",
    "InvalidIdentifier",
    "duplicate_key",
    "is_duplicate",
    "normalise_doi",
    "normalise_pmcid",
    "normalise_pmid",
    "normalise_title",
]

_DOI_URL_PREFIX = re.compile(r"^(?:https?://)?(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)
_DOI_SCHEME_PREFIX = re.compile(r"^doi:\s*", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# A DOI inside a longer text, e.g. a publisher's address: ".../doi/full/10.1056/NEJMoa2034577".
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s?#]+")
# What publishers append after the DOI in their addresses.
_DOI_URL_TAIL = re.compile(r"(?:/(?:full|abstract|pdf|epdf|fulltext|html|summary|references|figures|meta)"
                           r"|\.pdf|\.full|[.,;)\]]+)$", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_PUBMED_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)"
                         r"(\d+)/?(?:[?#].*)?$", re.IGNORECASE)
_PMC_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:ncbi\.nlm\.nih\.gov/pmc/articles/|pmc\.ncbi\.nlm\.nih\.gov/articles/"
                      r"|europepmc\.org/(?:article/PMC/|abstract/PMC/)?)(PMC\d+)\b.*$", re.IGNORECASE)
# "1126/scitranslmed.aan0026" or ".1126/...": a DOI whose "10." was lost when copying.
_DOI_WITHOUT_PREFIX = re.compile(r"^\.?\d{4,9}/\S+$")
# Patterns here never put two quantifiers that can match the same characters side by side: such
# overlaps ("\s*:?\s*") backtrack quadratically, and a crafted megabyte of spaces would stall a worker.
_PMID = re.compile(r"\d{1,8}")
_PMCID = re.compile(r"(?i:pmc)\s*(\d{1,9})")
# The longest values worth reading ("PMCID: PMC123456789" is 19 characters; DOIs have no fixed limit,
# but registered ones stay well below 500 with a URL prefix): longer values are refused before any
# pattern sees them.
MAX_IDENTIFIER_LENGTH = 100
MAX_DOI_LENGTH = 500
# How much of a refused value an error message repeats.
_SHOWN_LENGTH = 40
_NON_WORD = re.compile(r"[\W_]+")


def _clean(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _shown(text: str) -> str:
    """Return `text` short enough to repeat in a message."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "\u2026"


def _check_length(text: str, name: str, limit: int = MAX_IDENTIFIER_LENGTH) -> None:
    if len(text) > limit:
        raise InvalidIdentifier(
            f"{name} '{_shown(text)}' is too long ({len(text):,} characters; {limit} at most)"
        )


def _without_label(text: str, label: str) -> str:
    """Return `text` without a leading `label` (any case) and the optional colon and spaces after it."""
    if text[: len(label)].lower() != label:
        return text
    rest = text[len(label):].lstrip()
    return rest[1:].lstrip() if rest.startswith(":") else rest


def normalise_doi(value: str | None) -> str | None:
    """Return the bare lower-case DOI, or None for a blank value.

    Accepts ``https://doi.org/``, ``http://dx.doi.org/`` and ``doi:`` prefixes, and a publisher's
    address whose path holds the DOI (``https://www.science.org/doi/10.1126/...``).
    Raises InvalidIdentifier when what remains is not ``10.<registrant>/<suffix>``.
    """
    text = _clean(value)
    if text is None:
        return None
    _check_length(text, "DOI", MAX_DOI_LENGTH)
    doi = _DOI_URL_PREFIX.sub("", text, count=1)
    if doi != text:
        # Only the URL form percent-encodes, e.g. "10.1000%2Fabc" in a link.
        doi = unquote(doi)
    elif _URL.match(text):
        found = doi_from_url(text)
        if found is None:
            raise InvalidIdentifier(f"DOI '{_shown(text)}' is not valid: this web address holds no DOI")
        return found
    doi = _DOI_SCHEME_PREFIX.sub("", doi, count=1).strip().lower()
    if not _DOI.match(doi):
        if _DOI_WITHOUT_PREFIX.match(doi):
            raise InvalidIdentifier(f"DOI '{_shown(text)}' is not valid: it lacks the \u201c10.\u201d prefix every "
                                    f"DOI starts with (perhaps 10.{doi.lstrip('.')})")
        raise InvalidIdentifier(f"DOI '{_shown(text)}' is not valid: a DOI looks like 10.1234/abcd")
    return doi


def doi_from_url(url: str) -> str | None:
    """Return the lower-case DOI held in a publisher's or resolver's address, or None if it holds none."""
    text = unquote(url.strip())
    match = _DOI_IN_TEXT.search(text)
    if match is None:
        return None
    doi = match.group(0)
    while (trimmed := _DOI_URL_TAIL.sub("", doi)) != doi:
        doi = trimmed
    doi = doi.lower()
    return doi if _DOI.match(doi) else None


@dataclass(frozen=True)
class Identifier:
    """An identifier to look a study up by: `kind` is "doi", "pmid" or "pmcid"; `value` is normalised."""

    kind: str
    value: str

    @property
    def label(self) -> str:
        """Return how people name the identifier, e.g. "DOI 10.1126/scitranslmed.aan0026"."""
        return f"{self.kind.upper()} {self.value}"


def parse_identifier(text: str | None) -> Identifier:
    """Read a pasted DOI, PMID, PMCID or PubMed/PMC/publisher address; raise InvalidIdentifier saying what is wrong."""
    value = " ".join((text or "").split())
    _check_length(value, "Identifier", MAX_DOI_LENGTH)
    if not value:
        raise InvalidIdentifier("Paste a DOI (such as 10.1126/scitranslmed.aan0026), a PMID (such as 28679654) "
                                "or a PMCID (such as PMC5609456)")
    if match := _PUBMED_URL.match(value):
        return Identifier("pmid", normalise_pmid(match.group(1)))
    if match := _PMC_URL.match(value):
        return Identifier("pmcid", normalise_pmcid(match.group(1)))
    if _URL.match(value) and not _DOI_URL_PREFIX.match(value):
        doi = doi_from_url(value)
        if doi is None:
            raise InvalidIdentifier(f"The address '{value[:120]}' holds no DOI, PMID or PMCID: paste the study's "
                                    "DOI, or its PubMed address")
        return Identifier("doi", doi)
    compact = value.replace(" ", "")
    if compact.lower().startswith(("pmc", "pmcid")):
        return Identifier("pmcid", normalise_pmcid(value))
    if compact.isdigit() or compact.lower().startswith("pmid"):
        digits = compact.lower().removeprefix("pmid").lstrip(":")
        if digits.isdigit() and len(digits) > 8:
            raise InvalidIdentifier(f"PMID '{_shown(value)}' is not valid: a PMID has at most 8 digits "
                                    f"({len(digits)} here); check for an extra digit")
        return Identifier("pmid", normalise_pmid(value))
    if "/" not in compact:
        raise InvalidIdentifier(f"'{value[:120]}' is not a DOI, PMID or PMCID: a DOI looks like 10.1234/abcd, "
                                "a PMID is up to 8 digits, a PMCID is PMC followed by digits")
    return Identifier("doi", normalise_doi(value))


def normalise_pmid(value: str | int | None) -> str | None:
    """Return the PMID as a digit string, or None for a blank value.

    Accepts ``PMID: 123``. Raises InvalidIdentifier unless 1 to 8 digits remain.
    """
    text = _clean(value)
    if text is None:
        return None
    _check_length(text, "PMID")
    digits = _without_label(text, "pmid")
    if not _PMID.fullmatch(digits):
        raise InvalidIdentifier(
            f"PMID '{_shown(text)}' is not valid: a PMID is 1 to 8 digits, like 28679654"
        )
    return digits


def normalise_pmcid(value: str | None) -> str | None:
    """Return the PMCID as ``PMC`` plus digits, or None for a blank value.

    Accepts ``PMCID: PMC123`` and any case. Raises InvalidIdentifier otherwise.
    """
    text = _clean(value)
    if text is None:
        return None
    _check_length(text, "PMCID")
    match = _PMCID.fullmatch(_without_label(text, "pmcid"))
    if not match:
        raise InvalidIdentifier(
            f"PMCID '{_shown(text)}' is not valid: a PMCID is PMC followed by digits, like PMC5609456"
        )
    return f"PMC{match.group(1)}"


def normalise_title(title: str | None) -> str:
    """Return a title reduced for duplicate matching: no case, accents or punctuation."""
    if not title:
        return ""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", bare.casefold()).strip()


def duplicate_key(record: StudyRecord) -> tuple[Hashable, ...]:
    """Return the strongest identity of a record: by DOI, else PMID, else title and year."""
    if record.doi:
        return ("doi", record.doi)
    if record.pmid:
        return ("pmid", record.pmid)
    return ("title", normalise_title(record.title), record.issued_year)


def _title_key(record: StudyRecord) -> tuple[str, int | None]:
    return (normalise_title(record.title), record.issued_year)


def is_duplicate(a: StudyRecord, b: StudyRecord) -> bool:
    """Return whether two records describe the same study under the duplicate rule."""
    if a.doi and b.doi:
        return a.doi == b.doi
    if a.pmid and b.pmid:
        return a.pmid == b.pmid
    return _title_key(a) == _title_key(b)


class DuplicateIndex:
    """Find, among records already seen, one that duplicates a new record.

    Comparing every pair is quadratic; the index looks up candidates sharing a
    DOI, PMID or title key and applies ``is_duplicate`` only to those.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[StudyRecord, object]] = []
        self._by_key: dict[tuple[Hashable, ...], list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _keys(record: StudyRecord) -> list[tuple[Hashable, ...]]:
        keys: list[tuple[Hashable, ...]] = [("title", *_title_key(record))]
        if record.doi:
            keys.append(("doi", record.doi))
        if record.pmid:
            keys.append(("pmid", record.pmid))
        return keys

    def add(self, record: StudyRecord, ref: object = None) -> None:
        """Remember a record, with a reference (an id, a row) to hand back on a match."""
        position = len(self._entries)
        self._entries.append((record, ref))
        for key in self._keys(record):
            self._by_key.setdefault(key, []).append(position)

    def find(self, record: StudyRecord) -> tuple[StudyRecord, object] | None:
        """Return the earliest added (record, ref) that duplicates ``record``, or None."""
        candidates = sorted({p for key in self._keys(record) for p in self._by_key.get(key, ())})
        for position in candidates:
            seen, ref = self._entries[position]
            if is_duplicate(seen, record):
                return seen, ref
        return None


_ORCID_RE = re.compile(r"^(?:https?://(?:www\.)?orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)


def orcid_check_digit(base_digits: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str | None) -> str | None:
    """Return an ORCID iD as 0000-0002-1825-0097 (also from its URL), None when empty; raise ValueError if invalid."""
    text = (value or "").strip()
    if not text:
        return None
    match = _ORCID_RE.match(text.replace(" ", ""))
    if match is None:
        raise ValueError(f"{text[:40]!r} is not an ORCID iD: write it as 0000-0002-1825-0097 (16 characters, "
                         "the last a digit or X).")
    digits = "".join(match.groups()).upper()
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValueError(f"{text[:40]!r} is not a valid ORCID iD: its last character (the check digit) does not "
                         "match. Copy it from your ORCID record.")
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))
