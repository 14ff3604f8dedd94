"""The normalised study record that every reference format is read into and written from.

A ``StudyRecord`` holds CSL bibliographic fields plus Postil's appraisal
extras (design, evidence level, population...). Construction validates and
normalises, so a record that exists always has a title, well-formed
identifiers, a known design and a level of 1 to 5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from app.bibliography.dates import parse_date
from app.bibliography.errors import InvalidIdentifier, InvalidRecord
from app.bibliography.evidence import (
    infer_design,
    population_from_note,
    validate_design,
    validate_evidence_level,
)
from app.bibliography.identifiers import normalise_doi, normalise_pmcid, normalise_pmid
from app.bibliography.names import clean_name

__all__ = ["EXTRA_FIELDS", "StudyRecord", "coerce_extras"]

#: Postil's own fields, carried under "postil" in CSL-JSON and in a note elsewhere.
EXTRA_FIELDS = (
    "design",
    "evidence_level",
    "population",
    "sample_size",
    "key_findings",
    "retracted",
    "retraction_note",
)

_TEXT_FIELDS = (
    "citation_key",
    "container_title",
    "container_title_short",
    "volume",
    "issue",
    "pages",
    "url",
    "abstract",
    "genre",
    "population",
    "key_findings",
    "retraction_note",
)
_DATE_PART = re.compile(r"-?\d{1,4}")
_TRUE_WORDS = {"true", "yes", "1", "y"}
_FALSE_WORDS = {"false", "no", "0", "n", ""}


def _text(value: object) -> str | None:
    """Return a value as stripped text, taking the first item of a list, or None."""
    if isinstance(value, list):
        value = next((item for item in value if item not in (None, "")), None)
    if value is None or isinstance(value, (dict, bool)):
        return None
    # NUL never belongs in a reference, and PostgreSQL cannot store it in text.
    text = str(value).replace("\x00", "").strip()
    return text or None


def _int(value: object, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidRecord(f"{what} '{value}' is not a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidRecord(f"{what} '{value}' is not a whole number") from None


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if value is not None else ""
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InvalidRecord(f"retracted '{value}' is not true or false")


def coerce_extras(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return Postil extras from JSON or a note, typed; unknown keys are dropped.

    Raises InvalidRecord when a number or flag cannot be read.
    """
    extras: dict[str, Any] = {}
    for key in ("design", "population", "key_findings", "retraction_note"):
        if key in raw:
            extras[key] = _text(raw[key])
    if "evidence_level" in raw:
        extras["evidence_level"] = _int(raw["evidence_level"], "evidence level")
    if "sample_size" in raw:
        extras["sample_size"] = _int(raw["sample_size"], "sample size")
    if "retracted" in raw:
        extras["retracted"] = _bool(raw["retracted"])
    return extras


def _issued(item: Mapping[str, Any]) -> tuple[int | None, int | None, int | None]:
    issued = item.get("issued")
    if not isinstance(issued, Mapping):
        return (None, None, None)
    date_parts = issued.get("date-parts")
    if isinstance(date_parts, list) and date_parts and isinstance(date_parts[0], list):
        numbers: list[int | None] = []
        for part in date_parts[0][:3]:
            text = _text(part)
            numbers.append(int(text) if text and _DATE_PART.fullmatch(text) else None)
        numbers += [None] * (3 - len(numbers))
        return numbers[0], numbers[1], numbers[2]
    return parse_date(_text(issued.get("raw")) or _text(issued.get("literal")))


_IDENTIFIERS = (("doi", "DOI", normalise_doi), ("pmid", "PMID", normalise_pmid), ("pmcid", "PMCID", normalise_pmcid))


def _drop_unusable_identifiers(values: dict[str, Any], warnings: list[str]) -> None:
    for name, label, normalise in _IDENTIFIERS:
        raw = _text(values.get(name))
        if raw is None:
            continue
        try:
            values[name] = normalise(raw)
        except InvalidIdentifier as exc:
            values[name] = None
            warnings.append(f"its {label} was left out ({exc})")


@dataclass(kw_only=True)
class StudyRecord:
    """One study: CSL bibliographic fields plus Postil appraisal extras."""

    citation_key: str | None = None
    csl_type: str = "article-journal"
    title: str
    authors: list[dict[str, str]] = field(default_factory=list)
    container_title: str | None = None
    container_title_short: str | None = None
    issued_year: int | None = None
    issued_month: int | None = None
    issued_day: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    abstract: str | None = None
    genre: str | None = None
    design: str | None = None
    population: str | None = None
    sample_size: int | None = None
    key_findings: str | None = None
    evidence_level: int | None = None
    retracted: bool = False
    retraction_note: str | None = None

    def __post_init__(self) -> None:
        """Normalise fields in place; raise InvalidRecord or InvalidIdentifier on an unusable one."""
        self.title = " ".join((self.title or "").replace("\x00", "").split())
        if not self.title:
            raise InvalidRecord("the record has no title")
        self.csl_type = _text(self.csl_type) or "article-journal"
        for name in _TEXT_FIELDS:
            setattr(self, name, _text(getattr(self, name)))
        cleaned = (clean_name(a) for a in self.authors if isinstance(a, Mapping))
        self.authors = [name for name in cleaned if name]
        self.doi = normalise_doi(self.doi)
        self.pmid = normalise_pmid(self.pmid)
        self.pmcid = normalise_pmcid(self.pmcid)
        self.design = validate_design(_text(self.design))
        self.evidence_level = validate_evidence_level(self.evidence_level)
        if self.sample_size is not None and (
            isinstance(self.sample_size, bool)
            or not isinstance(self.sample_size, int)
            or self.sample_size < 0
        ):
            raise InvalidRecord(f"sample size '{self.sample_size}' is not a whole number")
        self._check_date()
        self.retracted = bool(self.retracted)

    def _check_date(self) -> None:
        if self.issued_month is not None and not 1 <= self.issued_month <= 12:
            raise InvalidRecord(f"month '{self.issued_month}' is not 1 to 12")
        if self.issued_day is not None and not 1 <= self.issued_day <= 31:
            raise InvalidRecord(f"day '{self.issued_day}' is not 1 to 31")
        # A day without a month, or a month without a year, cannot be printed.
        if self.issued_year is None:
            self.issued_month = None
        if self.issued_month is None:
            self.issued_day = None

    @property
    def extras(self) -> dict[str, Any]:
        """Return Postil's appraisal fields by name."""
        return {name: getattr(self, name) for name in EXTRA_FIELDS}

    def to_csl(self) -> dict[str, Any]:
        """Return a CSL-JSON item; Postil extras sit under "postil", all keys always present."""
        date_parts = [
            part
            for part in (self.issued_year, self.issued_month, self.issued_day)
            if part is not None
        ]
        item: dict[str, Any] = {
            "id": self.citation_key,
            "type": self.csl_type,
            "title": self.title,
            "author": [dict(name) for name in self.authors] or None,
            "container-title": self.container_title,
            "container-title-short": self.container_title_short,
            "issued": {"date-parts": [date_parts]} if date_parts else None,
            "volume": self.volume,
            "issue": self.issue,
            "page": self.pages,
            "DOI": self.doi,
            "PMID": self.pmid,
            "PMCID": self.pmcid,
            "URL": self.url,
            "abstract": self.abstract,
            "genre": self.genre,
        }
        item = {key: value for key, value in item.items() if value is not None}
        # Always written, even empty, so that reading our own export never
        # re-infers a design the clinician deliberately left blank.
        item["postil"] = self.extras
        return item

    @classmethod
    def from_csl(cls, item: Mapping[str, Any], warnings: list[str] | None = None) -> StudyRecord:
        """Build a record from a CSL-JSON item.

        Extras come from its "postil" object; without one, the design and
        population are inferred from a ``study_type:`` note and the genre.
        Raises InvalidRecord or InvalidIdentifier.
        """
        if not isinstance(item, Mapping):
            raise InvalidRecord("the entry is not a CSL-JSON object")
        lookup = {key.lower(): value for key, value in item.items()}
        authors = item.get("author")
        year, month, day = _issued(item)
        bibliographic = {
            "citation_key": lookup.get("id"),
            "csl_type": lookup.get("type"),
            "title": _text(lookup.get("title")) or "",
            "authors": authors if isinstance(authors, list) else [],
            "container_title": lookup.get("container-title"),
            "container_title_short": lookup.get("container-title-short")
            or lookup.get("journalabbreviation"),
            "issued_year": year,
            "issued_month": month,
            "issued_day": day,
            "volume": lookup.get("volume"),
            "issue": lookup.get("issue"),
            "pages": lookup.get("page"),
            "doi": _text(lookup.get("doi")),
            "pmid": _text(lookup.get("pmid")),
            "pmcid": _text(lookup.get("pmcid")),
            "url": lookup.get("url"),
            "abstract": lookup.get("abstract"),
            "genre": lookup.get("genre"),
        }
        postil = item.get("postil")
        if postil is not None and not isinstance(postil, Mapping):
            raise InvalidRecord("its \"postil\" value is not an object")
        return cls.from_fields(bibliographic, extras=postil, note=_text(lookup.get("note")), warnings=warnings)

    @classmethod
    def from_fields(
        cls,
        bibliographic: Mapping[str, Any],
        *,
        extras: Mapping[str, Any] | None = None,
        note: str | None = None,
        publication_types: Iterable[str] = (),
        warnings: list[str] | None = None,
    ) -> StudyRecord:
        """Build a record from mapped fields, taking Postil extras as given or inferring them.

        With ``extras`` (Postil's own export), nothing is inferred. Without,
        the design comes from the note, publication types and genre, and the
        population from the note. Raises InvalidRecord, or InvalidIdentifier
        unless ``warnings`` is given: then an unusable DOI, PMID or PMCID is
        left out and a message saying so is appended to it, so the record
        (which a person wants to keep) is not lost for one bad identifier.
        """
        values = dict(bibliographic)
        if warnings is not None:
            _drop_unusable_identifiers(values, warnings)
        if extras is not None:
            values.update(coerce_extras(extras))
        else:
            values.setdefault(
                "design", infer_design(note, _text(values.get("genre")), publication_types)
            )
            values.setdefault("population", population_from_note(note))
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})
