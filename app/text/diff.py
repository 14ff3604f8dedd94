"""Word-level differences between two wordings, for revision diffs and re-anchored passages.

Each side comes back as (op, text) segments, op "same", "del" or "ins", so a template can mark the
words with <del>/<ins> and text labels (colour is never the only signal). Pure functions of strings.
"""
from __future__ import annotations

import difflib
import re

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

Segments = list[tuple[str, str]]


def word_diff(old: str, new: str) -> tuple[Segments, Segments]:
    """Return the segments of `old` (same or del) and of `new` (same or ins), compared word by word."""
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    old_parts: Segments = []
    new_parts: Segments = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            old_parts.append(("same", "".join(a[i1:i2])))
            new_parts.append(("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            old_parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            new_parts.append(("ins", "".join(b[j1:j2])))
    return _merge(old_parts), _merge(new_parts)


def _merge(parts: Segments) -> Segments:
    merged: Segments = []
    for op, text in parts:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged
