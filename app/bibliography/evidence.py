"""Study designs, Oxford CEBM 2011 levels of evidence, and guessing a design from text.

The levels answer the CEBM 2011 "treatment benefits" question (does this
intervention help?). ``suggest_level`` only proposes a starting level from the
design; CEBM lets a reader grade down for bias, imprecision or indirectness
and up for a dramatic effect, so the clinician's own level always wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from app.bibliography.errors import InvalidRecord

__all__ = [
    "DESIGNS",
    "EVIDENCE_LEVELS",
    "design_from_text",
    "infer_design",
    "population_from_note",
    "study_type_from_note",
    "suggest_level",
    "validate_design",
    "validate_evidence_level",
]

DESIGNS: Mapping[str, str] = MappingProxyType(
    {
        "systematic_review": "Systematic review / meta-analysis",
        "rct": "Randomised controlled trial",
        "cohort": "Cohort study",
        "case_control": "Case-control study",
        "case_series": "Case series / case report",
        "animal": "Animal model",
        "in_vitro": "In vitro / laboratory",
        "opinion": "Editorial / commentary / opinion",
        "guideline": "Guideline",
        "other": "Other",
    }
)

EVIDENCE_LEVELS: Mapping[int, str] = MappingProxyType(
    {
        1: "Systematic review of randomised trials (or of n-of-1 trials)",
        2: "A randomised trial, or an observational study with a dramatic effect",
        3: "A controlled cohort or follow-up study without randomisation",
        4: "Case series, case-control study, or comparison with historical controls",
        5: "Reasoning from mechanism, incl. animal and laboratory work and expert opinion",
    }
)

# Guidelines and "other" get no suggestion: a guideline is only as strong as
# the evidence it cites, which CEBM grades study by study, not by the guideline.
_SUGGESTED_LEVELS: Mapping[str, int | None] = MappingProxyType(
    {
        "systematic_review": 1,
        "rct": 2,
        "cohort": 3,
        "case_control": 4,
        "case_series": 4,
        "animal": 5,
        "in_vitro": 5,
        "opinion": 5,
        "guideline": None,
        "other": None,
    }
)

# Ordered by strength so that, when two patterns start at the same place, the
# more specific design wins. Negative look-behinds keep "non-randomised"
# studies out of the RCT bucket; they are CEBM level 3 like cohorts.
_DESIGN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern, re.IGNORECASE))
    for code, pattern in (
        (
            "systematic_review",
            r"systematic(?:\s+literature)?\s+review|meta[-\s]?analy[sz]|umbrella\s+review",
        ),
        ("guideline", r"guideline|consensus\s+statement"),
        ("rct", r"(?<!non-)(?<!non)(?<!non )(?<!quasi-)\brandomi[sz]ed|\brcts?\b"),
        (
            "cohort",
            r"\bcohort|observational\s+study|follow-up\s+study|longitudinal\s+study"
            r"|\bnon-?\s?randomi[sz]ed|controlled\s+clinical\s+trial|\bregistry\b",
        ),
        ("case_control", r"\bcase[-\s\u2013]control"),
        ("case_series", r"\bcase\s+series|\bcase\s+reports?\b"),
        (
            "animal",
            r"\banimals?\b|\bmurine\b|\bmice\b|\bmouse\b|\brats?\b|\bxenograft|zebrafish"
            r"|\bpreclinical\b|\bin\s+vivo\b",
        ),
        ("in_vitro", r"\bin\s+vitro\b|\bcell\s+lines?\b|\blaboratory\b|\bcell\s+culture|organoid"),
        (
            "opinion",
            r"editorial|commentary|\bcomments?\b|\be-?letters?\b|\bletters?\b|\bopinion"
            r"|viewpoint|\bperspective\b|\bnews\b",
        ),
        # A narrative review is not a systematic one; calling it one would
        # overstate the evidence, so it lands in "other" with no level.
        ("other", r"\breview\b|cross-sectional|qualitative\s+study|\bsurvey\b"),
    )
)

_STUDY_TYPE = re.compile(r"study[\s_-]?type\s*:\s*", re.IGNORECASE)


def validate_design(design: str | None) -> str | None:
    """Return the design code unchanged; raise InvalidRecord if it is not in DESIGNS."""
    if design is not None and design not in DESIGNS:
        raise InvalidRecord(f"design '{design}' is not one of: {', '.join(DESIGNS)}")
    return design


def validate_evidence_level(level: int | None) -> int | None:
    """Return the level unchanged; raise InvalidRecord unless it is None or an int 1-5."""
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, int) or level not in EVIDENCE_LEVELS:
        raise InvalidRecord(f"evidence level '{level}' is not valid: use a whole number 1 to 5")
    return level


def suggest_level(design: str | None) -> int | None:
    """Return the CEBM 2011 level a design usually starts at, or None if it has none."""
    if design is None:
        return None
    return _SUGGESTED_LEVELS[validate_design(design)]


def _design_of_phrase(text: str) -> str | None:
    # The earliest match wins, because free text such as "systematic review of
    # randomised trials" names its own design first and its material after.
    best: tuple[int, int, str] | None = None
    for rank, (code, pattern) in enumerate(_DESIGN_PATTERNS):
        match = pattern.search(text)
        if match and (best is None or (match.start(), rank) < best[:2]):
            best = (match.start(), rank, code)
    return best[2] if best else None


def design_from_text(text: str | Iterable[str] | None) -> str | None:
    """Return the design code that a phrase or list of publication types names, or None.

    A single string is read as one phrase; a ``study_type: ...`` note is read
    by its study type only. A list (PubMed publication types) yields its most
    specific design, in DESIGNS order, so "Review" + "Systematic Review" is a
    systematic review.
    """
    if text is None:
        return None
    if isinstance(text, str):
        study_type = study_type_from_note(text)
        return _design_of_phrase(study_type if study_type is not None else text)
    found = {design_from_text(item) for item in text if isinstance(item, str)}
    return next((code for code in DESIGNS if code in found), None)


def _split_study_type(note: str | None) -> tuple[str | None, str | None]:
    if not note:
        return None, None
    match = _STUDY_TYPE.search(note)
    if not match:
        return None, None
    rest = note[match.end() :].split("\n", 1)[0]
    opening = rest.find("(")
    if opening == -1:
        return rest.strip(" ;.") or None, None
    kind = rest[:opening].strip() or None
    depth = 0
    for position in range(opening, len(rest)):
        if rest[position] == "(":
            depth += 1
        elif rest[position] == ")":
            depth -= 1
            if depth == 0:
                return kind, rest[opening + 1 : position].strip() or None
    # An unclosed parenthesis still holds the population the author meant.
    return kind, rest[opening + 1 :].strip() or None


def study_type_from_note(note: str | None) -> str | None:
    """Return the study type of a ``study_type: animal model (...)`` note, or None."""
    return _split_study_type(note)[0]


def population_from_note(note: str | None) -> str | None:
    """Return the parenthesised population after a note's study type, or None."""
    return _split_study_type(note)[1]


def infer_design(
    note: str | None = None,
    genre: str | None = None,
    publication_types: Iterable[str] = (),
) -> str | None:
    """Return the design suggested by a record's note, publication types or genre, or None.

    A curated ``study_type:`` note outranks indexer publication types, which
    outrank the looser genre. A note without ``study_type:`` is not read.
    """
    study_type = study_type_from_note(note)
    for source in (study_type, list(publication_types), genre):
        design = design_from_text(source) if source else None
        if design is not None:
            return design
    return None
