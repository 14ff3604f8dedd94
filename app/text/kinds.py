"""The annotation kinds: one table says how each is named, marked, drawn, and which W3C motivation it is.

Everything else is built from `KINDS`: the model's column (`AnnotationKind`), the forms' choices,
the page's legend, filters and badges (templates read `kind.label` and `kind.marker`), the marker
after each highlight (`app.text.highlight`), the stylesheet of highlights and threads (served at
/kinds.css from app/templates/main/kinds.css) and the API's motivations and their description.
Adding a kind is a member of `AnnotationKind` and its row here, nothing more (its value fits the
`kind` column's 20 characters, which has no list of values to migrate).

It lives in the pure text layer, importing neither Flask nor the database, because highlighting
(pure) draws the markers; `app.models` re-exports `AnnotationKind`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class AnnotationKind(enum.StrEnum):
    """What an annotation does; its label, marker, line style and W3C motivation are its row in KINDS."""

    COMMENT = "comment"
    QUESTION = "question"
    CRITIQUE = "critique"
    SUPPORT = "support"
    PRACTICE = "practice"

    @property
    def label(self) -> str:
        """What readers read: "Critique of evidence"."""
        return KINDS[self].label

    @property
    def marker(self) -> str:
        """The text marker shown with the colour, so that colour is never the only signal."""
        return KINDS[self].marker

    @property
    def line(self) -> str:
        """The CSS border style of its highlight's underline and its thread's edge."""
        return KINDS[self].line

    @property
    def motivation(self) -> str:
        """Its W3C Web Annotation motivation in the API."""
        return KINDS[self].motivation


@dataclass(frozen=True)
class KindStyle:
    """One row of the table: words, marker, line style, W3C motivation and colours of an annotation kind."""

    label: str
    marker: str
    line: str
    motivation: str
    tint: str  # the highlight's background (and the marker chip's)
    edge: str  # the colour of its thread's edge in the discussion


KINDS: dict[AnnotationKind, KindStyle] = {
    AnnotationKind.COMMENT: KindStyle("Comment", "C", "solid", "commenting", "#fff1a8", "#d4b400"),
    AnnotationKind.QUESTION: KindStyle("Question", "Q", "dashed", "questioning", "#cfe8ff", "#2b7bc0"),
    AnnotationKind.CRITIQUE: KindStyle("Critique of evidence", "!", "double", "assessing", "#ffd6d1", "#c0392b"),
    AnnotationKind.SUPPORT: KindStyle("Supporting evidence", "+", "dotted", "linking", "#d3f2dc", "#2d8a4e"),
    AnnotationKind.PRACTICE: KindStyle("Clinical practice note", "Rx", "solid", "describing", "#e9dcff", "#7b4fc9"),
}
