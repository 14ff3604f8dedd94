"""Text folded for matching only: case, hyphenation, punctuation and spacing removed from the comparison.

Re-anchoring compares an annotation's old quote with a new revision. An editor
who writes "breast conserving" for "breast-conserving", "Tumours" for
"tumours", or moves a comma has not moved the passage, so matching runs on a
folded copy of both texts. The folded copy is never shown: every folded
character remembers the offset of the character it came from, so a match maps
back to the article's own canonical text, where the selector is cut.

Folding: numbers written in words become digits ("three hundred and eighty"
-> 380) and "per cent" becomes %, so that a figure restyled is still found;
letters are lower-cased; dashes and hyphens become spaces; other punctuation
disappears, except a point or comma between two digits (1.5 and 1,500 stay
numbers); runs of whitespace become one space; symbols (<, ±) and the percent
sign stay. Whether the figures themselves changed is decided on the real words
(`app.text.figures`). Pure functions of strings: no Flask, no database.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from app.text.figures import NUMBER_WORD_PATTERN, number_from_words

_JOIN = r"(?:[\s\-\u2010\u2011]+|\s+and\s+)"
_NUMBER_WORDS = re.compile(rf"\b(?:{NUMBER_WORD_PATTERN})(?:{_JOIN}(?:{NUMBER_WORD_PATTERN}))*\b", re.IGNORECASE)
_PER_CENT = re.compile(r"\s*\b(?:per\s?cent|percent)\b", re.IGNORECASE)


class Folded(NamedTuple):
    """A folded text and, for each of its characters, where the original characters it stands for start and end."""

    text: str
    origin: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the folded range [start, end) back to the original text's offsets."""
        return self.origin[start], self.ends[end - 1]


def _kind(char: str) -> str:
    if char.isspace():
        return "space"
    category = unicodedata.category(char)
    if category == "Pd":
        return "space"
    if category[0] == "P" and char not in "%\u2030":
        return "punctuation"
    return "keep"


def _rewrites(text: str) -> dict[int, tuple[int, str]]:
    """Return the spans folded as a whole: start -> (end, replacement)."""
    spans = {m.start(): (m.end(), number_from_words(re.split(r"[\s\-\u2010\u2011]+", m.group(0))))
             for m in _NUMBER_WORDS.finditer(text)}
    spans.update({m.start(): (m.end(), "%") for m in _PER_CENT.finditer(text)})
    return spans


def fold(text: str) -> Folded:
    """Fold `text` for matching."""
    out: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    last = len(text) - 1
    rewrites = _rewrites(text)
    skip_to = 0
    for at, char in enumerate(text):
        if at < skip_to:
            continue
        if at in rewrites:
            skip_to, replacement = rewrites[at]
            # Every character of the replacement stands for the whole span.
            out.extend(replacement)
            origin.extend([at] * len(replacement))
            ends.extend([skip_to] * len(replacement))
            continue
        kind = _kind(char)
        if kind == "space":
            if not out or out[-1] != " ":
                out.append(" ")
                origin.append(at)
                ends.append(at + 1)
            continue
        if kind == "punctuation":
            # A decimal point or thousands separator is part of the number.
            if char in ".,\u00b7" and 0 < at < last and text[at - 1].isdigit() and text[at + 1].isdigit():
                out.append("." if char == "\u00b7" else char)
                origin.append(at)
                ends.append(at + 1)
            continue
        for lowered in char.lower():
            out.append(lowered)
            origin.append(at)
            ends.append(at + 1)
    return Folded("".join(out), tuple(origin), tuple(ends))


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
