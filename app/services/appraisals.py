"""Structured appraisals on critiques of evidence, and the summary of them a study page shows.

An appraisal belongs to a top-level "critique of evidence" annotation linked to a study; changing
the annotation's kind away from critique drops its appraisal. The summary counts only the
annotations the viewer may read (the caller passes them, already filtered by
app.services.visibility), so a private or pending appraisal never shows in anyone else's table.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.bibliography.appraisal import JUDGEMENTS, TOOLS, AppraisalValues, InvalidAppraisal, validate_appraisal
from app.bibliography.figures import SummaryCell, SummaryRow, risk_of_bias_svg
from app.extensions import db
from app.models import Annotation, AnnotationKind, Appraisal
from app.models.base import utcnow
from app.services.articles import bump_display
from app.services.errors import ServiceError


def read_appraisal(tool: str | None, domain: str | None, judgement: str | None, grade_factor: str | None = None,
                   domain_text: str | None = None) -> AppraisalValues | None:
    """Return the validated appraisal a form describes, None when no tool was chosen; raise ServiceError."""
    if not (tool or "").strip():
        if (judgement or "").strip() or (grade_factor or "").strip():
            raise ServiceError("Choose the risk-of-bias tool of your appraisal, or clear its judgement.",
                               "appraisal_tool")
        return None
    try:
        return validate_appraisal(tool, domain, judgement, grade_factor, domain_text)
    except InvalidAppraisal as exc:
        raise ServiceError(str(exc), "appraisal_tool") from None


def set_appraisal(annotation: Annotation, values: AppraisalValues | None) -> None:
    """Give `annotation` this appraisal (None removes it); raise ServiceError unless it is a linked critique."""
    if values is not None:
        if annotation.parent_id is not None or annotation.kind != AnnotationKind.CRITIQUE:
            raise ServiceError("Only a critique of evidence can carry a structured appraisal: choose the kind "
                               "\u201cCritique of evidence\u201d, or clear the appraisal.", "appraisal_tool")
        if annotation.study_id is None:
            raise ServiceError("A structured appraisal is about a study: link the critique to one of the "
                               "article's references, or clear the appraisal.", "appraisal_tool")
    current = annotation.appraisal
    if values is None:
        if current is not None:
            annotation.appraisal = None
            db.session.flush()
            bump_display(annotation.article_id)
        return
    if current is None:
        current = Appraisal(created_at=utcnow())
        annotation.appraisal = current
    current.tool, current.domain, current.domain_text = values.tool, values.domain, values.domain_text
    current.judgement, current.grade_factor = values.judgement, values.grade_factor
    current.modified_at = utcnow()
    db.session.flush()
    bump_display(annotation.article_id)


def values_of(appraisal: Appraisal) -> AppraisalValues:
    """Return a stored appraisal as validated values (for labels)."""
    return AppraisalValues(tool=appraisal.tool, domain=appraisal.domain, judgement=appraisal.judgement,
                           grade_factor=appraisal.grade_factor, domain_text=appraisal.domain_text)


@dataclass
class SummaryCellItems:
    """The annotations behind one cell of the summary, with the anchor the cell links to."""

    anchor: str
    tool_name: str
    domain_label: str
    judgement_label: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class AppraisalSummary:
    """A study's appraisals as a figure and as lists of annotations per cell."""

    svg_html: str  # drawn by app.bibliography.figures, every text in it escaped
    cells: list[SummaryCellItems]
    total: int


def _anchor(tool: str, domain_key: str, judgement: str) -> str:
    return f"appraisal-{tool}-{domain_key}-{judgement}".replace("_", "-")


def summarise(annotations: list[Annotation], study_title: str) -> AppraisalSummary | None:
    """Build the domain x judgement summary of the appraisals among `annotations` (already readable); None if none."""
    appraised = [a for a in annotations if a.appraisal is not None and not a.is_deleted and a.parent_id is None]
    if not appraised:
        return None
    # (tool, domain key) -> judgement -> annotations; "other" domains are keyed by the reader's words.
    grid: dict[tuple[str, str], dict[str, list[Annotation]]] = {}
    labels: dict[tuple[str, str], str] = {}
    for annotation in appraised:
        values = values_of(annotation.appraisal)
        key = (values.tool, values.domain if values.tool != "other" else (values.domain_text or "").casefold())
        labels[key] = values.domain_label
        grid.setdefault(key, {}).setdefault(values.judgement, []).append(annotation)
    rows: list[SummaryRow] = []
    cells: list[SummaryCellItems] = []
    for tool in TOOLS.values():
        if not any(key[0] == tool.code for key in grid):
            continue
        if tool.code == "other":
            keys = sorted((key for key in grid if key[0] == "other"), key=lambda k: k[1])
        else:
            keys = [(tool.code, domain) for domain in tool.domains]
        for number, key in enumerate(keys, start=1):
            by_judgement = grid.get(key, {})
            domain_key = key[1] if tool.code != "other" else f"other-{number}"
            row_cells = {}
            for code, judgement in JUDGEMENTS.items():
                items = by_judgement.get(code, [])
                anchor = _anchor(tool.code, domain_key, code)
                row_cells[code] = SummaryCell(len(items), f"#{anchor}" if items else None)
                if items:
                    cells.append(SummaryCellItems(anchor, tool.name, labels.get(key, tool.domains.get(key[1], "")),
                                                  judgement.label, items))
            rows.append(SummaryRow(tool.name, labels.get(key, tool.domains.get(key[1], key[1])), row_cells))
    svg = risk_of_bias_svg(rows, title=f"Readers' risk-of-bias appraisals of \u201c{study_title[:120]}\u201d",
                           title_id="rob-summary-title")
    return AppraisalSummary(svg_html=svg, cells=cells, total=len(appraised))
