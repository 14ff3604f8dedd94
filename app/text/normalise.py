"""Text folded for matching only: case, hyphenation, punctuation and spacing removed from the comparison.

Re-anchoring compares an annotation's old quote with a new revision. An editor
who writes "breast conserving" for "breast-conserving", "Tumours" for
"tumours", or moves a comma has not moved the passage, so matching runs on a
folded copy of both texts. The folded copy is never shown: every folded
character remembers the offset of the character it came from, so a match maps
back to the article's own canonical text, where the selector is cut.

Folding: letters are lower-cased; dashes and hyphens become spaces; other
punctuation disappears, except a point or comma between two digits (1.5 and
1,500 stay numbers); runs of whitespace become one space; symbols (<, ±) and
the percent sign stay. Pure functions of strings: no Flask, no database.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple


class Folded(NamedTuple):
    """A folded text and, for each of its characters, the offset of the original character it came from."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the folded range [start, end) back to the original text's offsets."""
        return self.origin[start], self.origin[end - 1] + 1


def _kind(char: str) -> str:
    if char.isspace():
        return "space"
    category = unicodedata.category(char)
    if category == "Pd":
        return "space"
    if category[0] == "P" and char not in "%\u2030":
        return "punctuation"
    return "keep"


def fold(text: str) -> Folded:
    """Fold `text` for matching."""
    out: list[str] = []
    origin: list[int] = []
    last = len(text) - 1
    for at, char in enumerate(text):
        kind = _kind(char)
        if kind == "space":
            if not out or out[-1] != " ":
                out.append(" ")
                origin.append(at)
            continue
        if kind == "punctuation":
            # A decimal point or thousands separator is part of the number.
            if char in ".,\u00b7" and 0 < at < last and text[at - 1].isdigit() and text[at + 1].isdigit():
                out.append("." if char == "\u00b7" else char)
                origin.append(at)
            continue
        for lowered in char.lower():
            out.append(lowered)
            origin.append(at)
    return Folded("".join(out), tuple(origin))


@lru_cache(maxsize=8)
def fold_text(text: str) -> Folded:
    """Fold a whole revision's text, once for all the annotations matched against it."""
    return fold(text)


def fold_plain(text: str) -> str:
    """Return the folded form of `text` alone, trimmed (for quotes and context)."""
    return fold(text).text.strip()


def collapse_spaces(text: str) -> str:
    """Return `text` with every run of whitespace made one space and the ends trimmed."""
    return " ".join(text.split())
