"""Small figures drawn as inline SVG on the server: a risk-of-bias summary and an evidence pyramid.

Pure functions from counts to SVG markup (no Flask, no database), so a test can call them with
numbers. Every mark that carries meaning also carries text: each judgement cell shows a symbol and
words as well as a colour, and each pyramid level is labelled with its count and its references,
so nothing depends on telling colours apart. The markup uses presentation attributes only (no
``style``), which the site's content security policy allows.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from app.bibliography.appraisal import JUDGEMENTS

__all__ = ["SummaryCell", "SummaryRow", "evidence_pyramid_svg", "risk_of_bias_svg"]

# Light fills with dark text (contrast above 7:1 for the text); the symbol and words say the same.
_JUDGEMENT_FILLS = {"low": "#d3f2dc", "some_concerns": "#fff0b3", "high": "#f9d0d0"}
_JUDGEMENT_STROKES = {"low": "#1b6b3a", "some_concerns": "#8a6100", "high": "#9b1c1c"}
_INK = "#1d2b33"
_MUTED = "#5b6770"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"



@dataclass(frozen=True)
class SummaryCell:
    """How many appraisals gave one judgement to one domain, and where they are listed."""

    count: int
    href: str | None = None


@dataclass(frozen=True)
class SummaryRow:
    """One domain of one tool, with a cell per judgement (every judgement present)."""

    tool_name: str
    domain_label: str
    cells: Mapping[str, SummaryCell] = field(default_factory=dict)


def _text(x: float, y: float, content: str, *, size: int = 14, weight: str = "400", anchor: str = "start",
          fill: str = _INK) -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-family="{_FONT}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>')


def _fit(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def risk_of_bias_svg(rows: Sequence[SummaryRow], *, title: str, title_id: str) -> str:
    """Draw a domain x judgement table (robvis-style traffic lights) with a count, symbol and words per cell.

    Rows are grouped by tool in the order given; a cell with appraisals links to `href`.
    """
    label_width, cell_width, row_height, top = 430, 170, 34, 40
    width = label_width + cell_width * len(JUDGEMENTS)
    parts: list[str] = []
    y = top
    parts.append(_text(8, 24, "Domain", weight="700"))
    for index, judgement in enumerate(JUDGEMENTS.values()):
        x = label_width + index * cell_width + cell_width / 2
        parts.append(_text(x, 24, judgement.label, weight="700", anchor="middle"))
    current_tool = None
    for row in rows:
        if row.tool_name != current_tool:
            current_tool = row.tool_name
            parts.append(f'<rect x="0" y="{y}" width="{width}" height="{row_height - 6}" fill="#eef2f4"/>')
            parts.append(_text(8, y + 19, row.tool_name, weight="700"))
            y += row_height - 6
        parts.append(f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#c9d2d8" stroke-width="1"/>')
        parts.append(f'<g><title>{escape(row.domain_label)}</title>'
                     f'{_text(8, y + 22, _fit(row.domain_label, 56))}</g>')
        for index, (code, judgement) in enumerate(JUDGEMENTS.items()):
            cell = row.cells.get(code, SummaryCell(0))
            cx = label_width + index * cell_width + 22
            cy = y + row_height / 2
            if cell.count:
                readers = "appraisal" if cell.count == 1 else "appraisals"
                words = f"{cell.count} {judgement.short.lower()}"
                mark = (f'<circle cx="{cx}" cy="{cy}" r="12" fill="{_JUDGEMENT_FILLS[code]}" '
                        f'stroke="{_JUDGEMENT_STROKES[code]}" stroke-width="2"/>'
                        + _text(cx, cy + 5, judgement.symbol, size=16, weight="700", anchor="middle")
                        + _text(cx + 20, cy + 5, words, weight="600"))
                label = f"{row.tool_name}, {row.domain_label}: {cell.count} {readers} judged {judgement.label.lower()}"
                if cell.href:
                    parts.append(f'<a href="{escape(cell.href)}" aria-label="{escape(label)}">'
                                 f'<title>{escape(label)}</title>{mark}</a>')
                else:
                    parts.append(f'<g aria-label="{escape(label)}">{mark}</g>')
            else:
                parts.append(_text(cx, cy + 5, "\u2013", anchor="middle", fill=_MUTED)
                             + _text(cx + 20, cy + 5, "none", fill=_MUTED))
        y += row_height
    parts.append(f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#c9d2d8" stroke-width="1"/>')
    height = y + 8
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="rob-summary" role="group" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" aria-labelledby="{escape(title_id)}">'
            f'<title id="{escape(title_id)}">{escape(title)}</title>' + "".join(parts) + "</svg>")


def evidence_pyramid_svg(levels: Mapping[int, Sequence[int]], *, title: str, title_id: str) -> str:
    """Draw the CEBM levels as a pyramid (level 1 at the top), each band labelled with its level and count.

    `levels` maps a level (1-5) to the reference numbers at that level; missing levels count as none.
    The description lists the references per level; pages show the same as text beside the figure.
    """
    band, base, top_width, gap = 30, 240, 96, 3
    width, height = base, 5 * band + 2
    parts: list[str] = []
    summary: list[str] = []
    middle = base / 2
    for level in range(1, 6):
        refs = list(levels.get(level, ()))
        y0, y1 = (level - 1) * band + 1, level * band - gap + 1
        half_top = (top_width + (base - top_width) * (level - 1) / 5) / 2
        half_bottom = (top_width + (base - top_width) * level / 5) / 2
        points = (f"{middle - half_top:g},{y0} {middle + half_top:g},{y0} "
                  f"{middle + half_bottom:g},{y1} {middle - half_bottom:g},{y1}")
        filled = bool(refs)
        parts.append(f'<polygon points="{points}" fill="{"#2d6a4f" if filled else "#eef2f4"}" '
                     f'stroke="#5b6770" stroke-width="1"/>')
        count = f"{len(refs)} stud{'y' if len(refs) == 1 else 'ies'}" if refs else "none"
        parts.append(_text(middle, y1 - 8, f"{level}: {count}", size=13, weight="700" if refs else "400",
                           anchor="middle", fill="#ffffff" if filled else _INK))
        where = f" (ref. {', '.join(map(str, refs))})" if refs else ""
        summary.append(f"level {level}: {count}{where}")
    description = "; ".join(summary)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-pyramid" role="img" '
            f'viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" aria-labelledby="{escape(title_id)} {escape(title_id)}-desc">'
            f'<title id="{escape(title_id)}">{escape(title)}</title>'
            f'<desc id="{escape(title_id)}-desc">{escape(description)}</desc>' + "".join(parts) + "</svg>")
