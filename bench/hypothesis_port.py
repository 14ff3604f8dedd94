"""A faithful Python port of Hypothesis's client-side re-anchoring, to measure Postil against it.

Two parts, ported line by line:
- `approx_search` is the npm package approx-string-match 2.0.0 (Robert Knight,
  MIT licence): Myers' bit-parallel approximate string matching [1], with 32-bit
  blocks and the optimisations of Šošić [2]. Like the original it reports only
  the matches with the fewest errors, and finds each match's start by searching
  the reversed pattern backwards from its end.
- `match_quote` is hypothesis/client src/annotator/anchoring/match-quote.ts
  (BSD-2-Clause): exact occurrences first, else approximate matches with at
  most min(256, len(quote) / 2) errors, ranked by quote (weight 50), prefix
  (20), suffix (20) and nearness to the old offset (2); the best one wins,
  whatever its score.
`anchor` follows hypothesis/client src/annotator/anchoring/html.ts: the
TextPositionSelector if the text at its offsets still equals the quote, else
the TextQuoteSelector with the old start as a hint. Hypothesis keeps the
selectors an annotation was written on, so every revision is matched against
the original selector.

One deliberate difference: JavaScript strings count UTF-16 code units, Python
strings code points; the corpus texts have no characters outside the Basic
Multilingual Plane, where the two agree.

[1] G. Myers, "A fast bit-vector algorithm for approximate string matching
    based on dynamic programming", J. ACM 46(3), 1999.
[2] M. Šošić, "An SIMD dynamic programming C/C++ library", 2014.
"""
from __future__ import annotations

from math import ceil
from typing import NamedTuple

WORD = 32
MASK = 0xFFFFFFFF


class Match(NamedTuple):
    """An approximate match: start and end offsets and its number of errors (edit distance)."""

    start: int
    end: int
    errors: int


class _Context:
    def __init__(self, blocks: int):
        self.P = [0] * blocks
        self.M = [0] * blocks
        self.last_row_mask = [1 << 31] * blocks


def _one_if_not_zero(n: int) -> int:
    return 1 if n & MASK else 0


def _advance_block(ctx: _Context, peq: list[int], b: int, h_in: int) -> int:
    """Compute one 32-row block of a column (Myers, Fig. 8), returning the horizontal delta out of its last row."""
    p_v = ctx.P[b]
    m_v = ctx.M[b]
    h_in_is_negative = 1 if h_in < 0 else 0
    eq = peq[b] | h_in_is_negative
    # Step 1: horizontal deltas.
    x_v = eq | m_v
    x_h = ((((eq & p_v) + p_v) & MASK) ^ p_v) | eq
    p_h = (m_v | ~(x_h | p_v)) & MASK
    m_h = p_v & x_h
    # Step 2: score (value of the last row of this block).
    h_out = _one_if_not_zero(p_h & ctx.last_row_mask[b]) - _one_if_not_zero(m_h & ctx.last_row_mask[b])
    # Step 3: vertical deltas for the next character.
    p_h = (p_h << 1) & MASK
    m_h = (m_h << 1) & MASK
    m_h |= h_in_is_negative
    p_h |= (1 if h_in != 0 else 0) - h_in_is_negative
    p_v = (m_h | ~(x_v | p_h)) & MASK
    m_v = p_h & x_v
    ctx.P[b] = p_v
    ctx.M[b] = m_v
    return h_out


def _pattern_masks(pattern: str, b_max: int) -> dict[str, list[int]]:
    """Map each character of the pattern to its bit masks, one per 32-character block, of where it occurs."""
    peq: dict[str, list[int]] = {}
    for char in pattern:
        if char in peq:
            continue
        char_peq = [0] * (b_max + 1)
        for b in range(b_max + 1):
            for r in range(WORD):
                idx = b * WORD + r
                if idx < len(pattern) and pattern[idx] == char:
                    char_peq[b] |= 1 << r
        peq[char] = char_peq
    return peq


def _find_match_ends(text: str, pattern: str, max_errors: float) -> list[Match]:
    """Return the ends (start -1) and error counts of the lowest-error matches (Myers, Fig. 9)."""
    if not pattern:
        return []
    max_errors = min(max_errors, len(pattern))
    matches: list[Match] = []
    b_max = ceil(len(pattern) / WORD) - 1
    ctx = _Context(b_max + 1)
    ctx.last_row_mask[b_max] = 1 << ((len(pattern) - 1) % WORD)
    empty_peq = [0] * (b_max + 1)
    peq = _pattern_masks(pattern, b_max)
    y = max(0, ceil(max_errors / WORD) - 1)
    score = [0] * (b_max + 1)
    for b in range(y + 1):
        score[b] = (b + 1) * WORD
    score[b_max] = len(pattern)
    for b in range(y + 1):
        ctx.P[b] = MASK
        ctx.M[b] = 0
    for j, char in enumerate(text):
        char_peq = peq.get(char, empty_peq)
        carry = 0
        for b in range(y + 1):
            carry = _advance_block(ctx, char_peq, b, carry)
            score[b] += carry
        if score[y] - carry <= max_errors and y < b_max and (char_peq[y + 1] & 1 or carry < 0):
            y += 1
            ctx.P[y] = MASK
            ctx.M[y] = 0
            if y == b_max:
                remainder = len(pattern) % WORD
                max_block_score = WORD if remainder == 0 else remainder
            else:
                max_block_score = WORD
            score[y] = score[y - 1] + max_block_score - carry + _advance_block(ctx, char_peq, y, carry)
        else:
            while y > 0 and score[y] >= max_errors + WORD:
                y -= 1
        if y == b_max and score[y] <= max_errors:
            if score[y] < max_errors:
                matches.clear()
            matches.append(Match(-1, j + 1, score[y]))
            max_errors = score[y]
    return matches


def _find_match_starts(text: str, pattern: str, matches: list[Match]) -> list[Match]:
    reversed_pattern = pattern[::-1]
    found = []
    for m in matches:
        min_start = max(0, m.end - len(pattern) - m.errors)
        reversed_text = text[min_start:m.end][::-1]
        start = m.end
        for rm in _find_match_ends(reversed_text, reversed_pattern, m.errors):
            if m.end - rm.end < start:
                start = m.end - rm.end
        found.append(Match(start, m.end, m.errors))
    return found


def approx_search(text: str, pattern: str, max_errors: float) -> list[Match]:
    """Return the matches of `pattern` in `text` with the fewest errors, at most `max_errors`."""
    return _find_match_starts(text, pattern, _find_match_ends(text, pattern, max_errors))


def _search(text: str, quote: str, max_errors: float) -> list[Match]:
    exact = []
    at = text.find(quote)
    while at != -1:
        exact.append(Match(at, at + len(quote), 0))
        at = text.find(quote, at + 1)
    return exact or approx_search(text, quote, max_errors)


def _text_match_score(text: str, quote: str) -> float:
    if not quote or not text:
        return 0.0
    matches = _search(text, quote, len(quote))
    return 1 - matches[0].errors / len(quote)


class Scored(NamedTuple):
    """The match `match_quote` chose: offsets and score in [0, 1]."""

    start: int
    end: int
    score: float


def match_quote(text: str, quote: str, prefix: str = "", suffix: str = "", hint: int | None = None) -> Scored | None:
    """Return the best approximate match of `quote` in `text`, as Hypothesis's client chooses it, or None."""
    if not quote:
        return None
    max_errors = min(256, len(quote) / 2)
    matches = _search(text, quote, max_errors)
    if not matches:
        return None
    quote_weight, prefix_weight, suffix_weight, position_weight = 50, 20, 20, 2

    def score(match: Match) -> float:
        quote_score = 1 - match.errors / len(quote)
        prefix_score = (_text_match_score(text[max(0, match.start - len(prefix)):match.start], prefix)
                        if prefix else 1.0)
        suffix_score = _text_match_score(text[match.end:match.end + len(suffix)], suffix) if suffix else 1.0
        position_score = 1.0
        if hint is not None:
            position_score = 1.0 - abs(match.start - hint) / len(text)
        raw = (quote_weight * quote_score + prefix_weight * prefix_score + suffix_weight * suffix_score
               + position_weight * position_score)
        return raw / (quote_weight + prefix_weight + suffix_weight + position_weight)

    # Array.prototype.sort is stable: on equal scores the earlier match stays first.
    return max((Scored(m.start, m.end, score(m)) for m in matches), key=lambda s: s.score)


def anchor(text: str, exact: str, prefix: str, suffix: str, start: int, end: int) -> tuple[int, int] | None:
    """Anchor a stored selector in `text` as Hypothesis's client does: position first, then quote."""
    if 0 <= start <= end <= len(text) and text[start:end] == exact:
        return start, end
    found = match_quote(text, exact, prefix, suffix, hint=start)
    return None if found is None else (found.start, found.end)
