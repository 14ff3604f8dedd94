"""Structured appraisal of a study's risk of bias: tools, their domains, judgements and GRADE factors.

One table per fact: every form, chip, summary figure and export is built from these mappings. The
tools follow the study's design: Cochrane's RoB 2 for randomised trials, ROBINS-I for non-randomised
studies of interventions, SYRCLE's risk-of-bias tool for animal studies, and "other" (the reader
names the domain) for anything else. Postil records one judgement scale for every tool (low / some
concerns / high), as the issue asks, so that the summary reads the same way whatever the tool.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from app.bibliography.errors import BibliographyError

__all__ = [
    "GRADE_FACTORS",
    "JUDGEMENTS",
    "TOOLS",
    "AppraisalValues",
    "InvalidAppraisal",
    "Judgement",
    "Tool",
    "tool_for_design",
    "validate_appraisal",
]


class InvalidAppraisal(BibliographyError):
    """An appraisal names a tool, domain, judgement or GRADE factor that does not fit."""


@dataclass(frozen=True)
class Tool:
    """A risk-of-bias tool: its short name, what it is for, and its domains (code -> label)."""

    code: str
    name: str
    purpose: str
    domains: Mapping[str, str]


@dataclass(frozen=True)
class Judgement:
    """A risk-of-bias judgement with the symbol and words that say it without colour."""

    code: str
    label: str
    short: str
    symbol: str


def _tool(code: str, name: str, purpose: str, domains: list[tuple[str, str]]) -> Tool:
    return Tool(code, name, purpose, MappingProxyType(dict(domains)))


TOOLS: Mapping[str, Tool] = MappingProxyType({tool.code: tool for tool in (
    _tool("rob2", "RoB 2", "randomised trials (Cochrane risk-of-bias tool, version 2)", [
        ("randomisation", "D1 Bias arising from the randomisation process"),
        ("deviations", "D2 Bias due to deviations from intended interventions"),
        ("missing_data", "D3 Bias due to missing outcome data"),
        ("measurement", "D4 Bias in measurement of the outcome"),
        ("reporting", "D5 Bias in selection of the reported result"),
        ("overall", "Overall risk of bias"),
    ]),
    _tool("robins_i", "ROBINS-I", "non-randomised studies of interventions", [
        ("confounding", "D1 Bias due to confounding"),
        ("selection", "D2 Bias in selection of participants into the study"),
        ("classification", "D3 Bias in classification of interventions"),
        ("deviations", "D4 Bias due to deviations from intended interventions"),
        ("missing_data", "D5 Bias due to missing data"),
        ("measurement", "D6 Bias in measurement of outcomes"),
        ("reporting", "D7 Bias in selection of the reported result"),
        ("overall", "Overall risk of bias"),
    ]),
    _tool("syrcle", "SYRCLE", "animal studies (SYRCLE's risk-of-bias tool)", [
        ("sequence_generation", "1 Sequence generation (selection bias)"),
        ("baseline", "2 Baseline characteristics (selection bias)"),
        ("allocation_concealment", "3 Allocation concealment (selection bias)"),
        ("random_housing", "4 Random housing (performance bias)"),
        ("blinding_caregivers", "5 Blinding of caregivers and investigators (performance bias)"),
        ("random_outcome_assessment", "6 Random outcome assessment (detection bias)"),
        ("blinding_assessors", "7 Blinding of outcome assessors (detection bias)"),
        ("incomplete_data", "8 Incomplete outcome data (attrition bias)"),
        ("selective_reporting", "9 Selective outcome reporting (reporting bias)"),
        ("other", "10 Other sources of bias"),
    ]),
    _tool("other", "Other", "any other design; name the domain yourself", [("other", "Other domain")]),
)})

JUDGEMENTS: Mapping[str, Judgement] = MappingProxyType({j.code: j for j in (
    Judgement("low", "Low risk of bias", "Low", "+"),
    Judgement("some_concerns", "Some concerns", "Some concerns", "!"),
    Judgement("high", "High risk of bias", "High", "\u00d7"),
)})

GRADE_FACTORS: Mapping[str, str] = MappingProxyType({
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
})

_TOOL_OF_DESIGN = {"rct": "rob2", "systematic_review": "other", "cohort": "robins_i", "case_control": "robins_i",
                   "animal": "syrcle"}
DOMAIN_TEXT_LENGTH = 200


def tool_for_design(design: str | None) -> str:
    """Return the code of the tool that fits a study design ("other" when none does)."""
    return _TOOL_OF_DESIGN.get(design or "", "other")


@dataclass(frozen=True)
class AppraisalValues:
    """A validated appraisal, ready to store."""

    tool: str
    domain: str
    judgement: str
    grade_factor: str | None = None
    domain_text: str | None = None

    @property
    def domain_label(self) -> str:
        """Return the domain as readers see it (the reader's own words for "other")."""
        if self.tool == "other":
            return self.domain_text or "Other domain"
        return TOOLS[self.tool].domains[self.domain]


def validate_appraisal(tool: str | None, domain: str | None, judgement: str | None,
                       grade_factor: str | None = None, domain_text: str | None = None) -> AppraisalValues:
    """Return the appraisal as stored values; raise InvalidAppraisal with a message naming what does not fit."""
    tool = (tool or "").strip()
    if tool not in TOOLS:
        raise InvalidAppraisal(f"Choose a risk-of-bias tool: {', '.join(t.name for t in TOOLS.values())}.")
    chosen = TOOLS[tool]
    domain = (domain or "").strip()
    if tool == "other":
        domain_text = " ".join((domain_text or "").split())
        if not domain_text:
            raise InvalidAppraisal("Name the domain you are judging (the tool is \u201cOther\u201d).")
        if len(domain_text) > DOMAIN_TEXT_LENGTH:
            raise InvalidAppraisal(f"The domain's name is too long ({DOMAIN_TEXT_LENGTH} characters at most).")
        domain = "other"
    else:
        domain_text = None
        if domain not in chosen.domains:
            owner = next((t for t in TOOLS.values() if domain in t.domains and t.code != "other"), None)
            where = f" (it is a domain of {owner.name})" if owner else ""
            raise InvalidAppraisal(f"\u201c{domain or 'no domain'}\u201d is not a domain of {chosen.name}{where}. "
                                   f"Choose one of: {'; '.join(chosen.domains.values())}.")
    judgement = (judgement or "").strip()
    if judgement not in JUDGEMENTS:
        raise InvalidAppraisal("Choose a judgement: " + ", ".join(j.label.lower() for j in JUDGEMENTS.values()) + ".")
    grade_factor = (grade_factor or "").strip() or None
    if grade_factor is not None and grade_factor not in GRADE_FACTORS:
        raise InvalidAppraisal("The GRADE factor must be one of: " + ", ".join(GRADE_FACTORS.values()).lower() + ".")
    return AppraisalValues(tool=tool, domain=domain, judgement=judgement, grade_factor=grade_factor,
                           domain_text=domain_text)
