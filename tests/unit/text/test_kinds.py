"""The annotation kinds' table: every kind has a complete, distinct row, and what is built from it agrees."""
from __future__ import annotations

import re

from app.api.w3c import W3C_MOTIVATIONS
from app.text.highlight import Span, highlight
from app.text.kinds import KINDS, AnnotationKind
from app.text.markdown import render_article

CSS_LINE_STYLES = {"solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset"}
INK = "#1b1f23"  # the text colour of postil.css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_kind_has_one_complete_row():
    assert list(KINDS) == list(AnnotationKind)
    for kind, style in KINDS.items():
        assert style.label and style.marker and len(style.marker) <= 2, kind
        assert style.line in CSS_LINE_STYLES, kind
        assert re.fullmatch(r"#[0-9a-f]{6}", style.tint) and re.fullmatch(r"#[0-9a-f]{6}", style.edge), kind
        assert (kind.label, kind.marker, kind.line, kind.motivation) == (
            style.label, style.marker, style.line, style.motivation)


def test_kinds_are_told_apart_without_colour_and_map_to_distinct_w3c_motivations():
    styles = KINDS.values()
    assert len({s.marker for s in styles}) == len(KINDS)
    assert len({s.label for s in styles}) == len(KINDS)
    motivations = [s.motivation for s in styles]
    assert len(set(motivations)) == len(KINDS) and set(motivations) <= set(W3C_MOTIVATIONS)
    assert "replying" not in motivations  # replies have their own motivation, whatever their kind


def test_text_on_every_highlight_tint_keeps_aa_contrast():
    for kind, style in KINDS.items():
        assert _contrast(INK, style.tint) >= 4.5, kind


def test_the_marker_after_each_highlight_is_the_kinds_own():
    html = render_article("alpha beta gamma").html
    for kind in AnnotationKind:
        out = highlight(html, [Span(6, 10, 3, kind.value)])
        assert f'class="hl-ref hl-ref-{kind.value}"' in out and f">{kind.marker}</a>" in out, kind
