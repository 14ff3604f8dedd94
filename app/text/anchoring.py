"""Anchor annotations to passages of an article's canonical text, and re-anchor them after an edit.

An annotation remembers its passage twice over, as W3C selectors: a quote with
up to CONTEXT_LENGTH code points of context on each side (TextQuoteSelector)
and code point offsets (TextPositionSelector). `resolve` checks a selector a
client posts against the current text; `reanchor` finds the passage again in a
new revision of the text.

Re-anchoring prefers an orphan to a guess. A critique displayed on the wrong
sentence misleads a clinician, whereas an orphan is visibly detached and an
editor can re-attach it. So every match must be supported by its context (or,
for a long quote, be the only plausible place), and must beat every rival by a
clear margin; ties are never broken by guessing.

Offsets are Python string indices (Unicode code points). Nothing here
normalises text: both sides must use the same canonical text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

CONTEXT_LENGTH = 32
MAX_QUOTE_LENGTH = 5_000

# A quote that differs from the original by more than a fifth of its
# characters is a different passage, not a corrected one.
MIN_QUOTE_SIMILARITY = 0.8
# One side of context "agrees" when at most ~40% of its characters changed.
# Unrelated 32-character windows of English prose score ~0.1-0.35 (Levenshtein
# similarity; measured 99.9th percentile 0.5), a typo or an inserted word near
# the quote keeps 0.75 or more.
CONTEXT_AGREEMENT = 0.6
# The most that unrelated context scores (99.9th percentile above).
CONTEXT_FLOOR = 0.5
# Quotes of 1-3 words recur by chance ("survival", "neoadjuvant chemotherapy"),
# so they need both sides of context before they are re-attached.
SHORT_QUOTE_WORDS = 4
# A quote of 8 words or more is taken as a sentence that does not recur by
# chance: it may move without its context if it is the only plausible place.
DISTINCTIVE_QUOTE_WORDS = 8
DISTINCTIVE_QUOTE_SIMILARITY = 0.9
# The winner must beat every other candidate by this much (score in [0, 1]):
# about 13 changed context characters between two exact occurrences, or 20
# points of quote similarity between two equally placed fuzzy matches.
MARGIN = 0.1
# Quotes longer than this are searched for by their two ends (see `_align`).
PROBE_QUOTE_LENGTH = 64
# Unchanged runs shorter than this do not locate a quote inside an alignment.
MIN_ANCHOR_RUN = 3
# How far `_refine` may move each end of a fuzzy match.
REFINE_RADIUS = 32
# Snapping a fuzzy match to a word boundary never moves it further than this,
# so scripts without spaces cannot swallow a whole sentence.
MAX_SNAP = 32

State = Literal["anchored", "moved", "fuzzy", "orphaned"]

_WORD = re.compile(r"\w+")


class AnchorError(ValueError):
    """A selector does not fit the text; the message can be shown to the user."""


@dataclass(frozen=True)
class Selector:
    """A passage of one text version: the quote, its context and its code point offsets."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    def to_w3c(self) -> list[dict]:
        """Return the W3C TextQuoteSelector and TextPositionSelector for this passage."""
        return [
            {"type": "TextQuoteSelector", "exact": self.exact, "prefix": self.prefix, "suffix": self.suffix},
            {"type": "TextPositionSelector", "start": self.start, "end": self.end},
        ]


@dataclass(frozen=True)
class Reanchored:
    """The outcome of re-anchoring one selector: its state, new selector (None if orphaned) and score.

    The score, in [0, 1], is half the similarity of the quote plus a quarter of
    each side of context's; 1.0 means nothing changed around the passage.
    """

    state: State
    selector: Selector | None
    score: float


class _Candidate(NamedTuple):
    # A tuple rather than a frozen dataclass: a short quote can have thousands
    # of verbatim occurrences, and each one is scored.
    start: int
    end: int
    quote_similarity: float
    prefix_similarity: float
    suffix_similarity: float
    # The quote weighs as much as its whole context, as in Hypothesis's matcher.
    score: float


# `_choose` outcome when several candidates are equally good: the caller must not guess.
_AMBIGUOUS = "ambiguous"


def selector_at(text: str, start: int, end: int) -> Selector:
    """Build the selector for text[start:end]; raise AnchorError if the range is empty or outside the text."""
    _check_range(text, start, end)
    if start == end:
        raise AnchorError("The selected passage is empty.")
    return Selector(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_LENGTH):start],
        suffix=text[end:end + CONTEXT_LENGTH],
        start=start,
        end=end,
    )


def resolve(text: str, exact: str, start: int | None = None, end: int | None = None,
            prefix: str = "", suffix: str = "") -> Selector:
    """Validate a client's selector against `text` and return it with context recomputed; raise AnchorError.

    The offsets win when they hold `exact`. Otherwise the quote is searched for:
    the occurrence whose surroundings best match the client's prefix and suffix,
    then the one nearest `start`, then the first one.
    """
    if not isinstance(exact, str) or not exact.strip():
        raise AnchorError("The quoted passage is empty: select some text to annotate.")
    if len(exact) > MAX_QUOTE_LENGTH:
        raise AnchorError(f"The quoted passage is too long: {len(exact):,} characters, "
                          f"{MAX_QUOTE_LENGTH:,} at most.")
    if (start is None) != (end is None):
        raise AnchorError("The selected passage's position needs both a start and an end.")
    if start is not None and end is not None:
        _check_range(text, start, end)
        if text[start:end] == exact:
            return selector_at(text, start, end)
    # Only the context next to the quote matters, and a client may send any
    # amount: keep what `selector_at` would keep so scoring stays cheap.
    prefix = prefix[-CONTEXT_LENGTH:] if isinstance(prefix, str) else ""
    suffix = suffix[:CONTEXT_LENGTH] if isinstance(suffix, str) else ""
    quoted = Selector(exact=exact, prefix=prefix, suffix=suffix, start=0, end=0)  # scoring ignores offsets
    # A client's context may be cut anywhere, so each side is compared with as
    # many characters as it has, and occurrences inside longer words count.
    candidates = [_candidate(text, quoted, at, at + len(exact), 1.0, context_length=None)
                  for at in _occurrences(text, exact)]
    if not candidates:
        raise AnchorError(f"The quoted passage was not found in the article: {_excerpt(exact)}")
    top = max(c.score for c in candidates)
    # The client saw this very text, so unlike `reanchor` a near-tie is settled
    # by its position hint; the user sees where the annotation lands.
    contenders = [c for c in candidates if top - c.score < MARGIN]
    hint = start if start is not None else 0
    best = min(contenders, key=lambda c: (abs(c.start - hint), c.start))
    return selector_at(text, best.start, best.end)


def reanchor(new_text: str, old: Selector) -> Reanchored:
    """Find `old`'s passage in `new_text`: at the same offsets, elsewhere verbatim, approximately, or not at all.

    Expects `old` as built by `selector_at` on the previous text. Never raises for
    text reasons; an unsure match is reported as "orphaned".
    """
    if not old.exact.strip():
        return _orphan()
    words = _word_count(old.exact)

    # Fast path: unchanged offsets and unchanged context cannot be beaten (a
    # rival can only tie, and ties go to the old position), so skip the search.
    if old.start >= 0 and new_text[old.start:old.end] == old.exact:
        here = _candidate(new_text, old, old.start, old.end, quote_similarity=1.0)
        if here.prefix_similarity == 1.0 and here.suffix_similarity == 1.0:
            return Reanchored("anchored", selector_at(new_text, old.start, old.end), here.score)

    exact_candidates = _exact_candidates(new_text, old)
    chosen = _choose(exact_candidates, old, words)
    if chosen is _AMBIGUOUS:
        # Several verbatim copies fit equally well. Approximate search would
        # only see the same tie, and nearness to the old offset is not evidence
        # (an insertion before the passage shifts everything), so give up.
        return _orphan()
    if isinstance(chosen, _Candidate):
        state: State = "anchored" if chosen.start == old.start else "moved"
        return Reanchored(state, selector_at(new_text, chosen.start, chosen.end), chosen.score)

    chosen = _choose(_fuzzy_candidates(new_text, old, exact_candidates), old, words)
    if isinstance(chosen, _Candidate):
        return Reanchored("fuzzy", selector_at(new_text, chosen.start, chosen.end), chosen.score)
    return _orphan()


def reanchor_many(new_text: str, selectors: list[Selector]) -> list[Reanchored]:
    """Re-anchor each selector against `new_text`, in order.

    Each selector costs one str.find scan plus a constant-size score per
    verbatim occurrence, and, when that fails, two RapidFuzz partial-ratio scans
    with needles of at most 128 characters (bit-parallel, about linear in the
    text) plus O(len(quote)**2 / 64) to score the match. A revision therefore
    costs O(selectors * len(text)): linear in the text, never quadratic.
    """
    return [reanchor(new_text, old) for old in selectors]


def _orphan() -> Reanchored:
    return Reanchored("orphaned", None, 0.0)


def _check_range(text: str, start: int, end: int) -> None:
    for value in (start, end):
        # bool is an int subclass; a JSON `true` is not an offset.
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnchorError("The selected passage's position must be whole numbers.")
    # Worded for the reader who made the selection: a bad position is a
    # passage the server cannot find, whatever the client got wrong.
    if start > end:
        raise AnchorError(f"The selected passage was not found in the article: its position is reversed "
                          f"(start {start} is after end {end}). Select the text again.")
    if start < 0 or end > len(text):
        raise AnchorError(f"The selected passage was not found in the article: position {start}-{end} is "
                          f"outside the article (0-{len(text)}). Select the text again.")


def _excerpt(quote: str, limit: int = 60) -> str:
    flat = " ".join(quote.split())
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _is_word_char(char: str) -> bool:
    # The same characters as the `\w` of `_WORD`.
    return char.isalnum() or char == "_"


def _candidate(text: str, old: Selector, start: int, end: int, quote_similarity: float | None = None,
               context_length: int | None = CONTEXT_LENGTH) -> _Candidate:
    """Score text[start:end] against `old`: its quote, and each side of context.

    With the default `context_length` an old side shorter than CONTEXT_LENGTH
    means the quote touched the edge of the old text, and only a candidate at
    the same edge matches it; otherwise a quote that opened the article would
    get a free side of context anywhere. With None each side is compared with
    as many characters as it has.
    """
    if quote_similarity is None:
        quote_similarity = Levenshtein.normalized_similarity(old.exact, text[start:end])
    before = len(old.prefix) if context_length is None else context_length
    after = len(old.suffix) if context_length is None else context_length
    prefix_similarity = Levenshtein.normalized_similarity(old.prefix, text[max(0, start - before):start])
    suffix_similarity = Levenshtein.normalized_similarity(old.suffix, text[end:end + after])
    score = 0.5 * quote_similarity + 0.25 * prefix_similarity + 0.25 * suffix_similarity
    return _Candidate(start, end, quote_similarity, prefix_similarity, suffix_similarity, score)


def _occurrences(text: str, quote: str):
    """Yield the offset of every occurrence of `quote` in `text`, overlapping ones included."""
    at = text.find(quote)
    while at != -1:
        yield at
        at = text.find(quote, at + 1)


def _exact_candidates(text: str, old: Selector) -> list[_Candidate]:
    end = len(old.exact)
    return [_candidate(text, old, at, at + end, 1.0) for at in _occurrences(text, old.exact)
            if _same_edges(text, at, at + end, old)]


def _same_edges(text: str, start: int, end: int, old: Selector) -> bool:
    """Tell whether text[start:end] begins and ends on word edges wherever the old quote did."""
    # A quoted word is not found again inside a longer word: when "on" is
    # deleted from "with on clone", the "on" of "clone" is not the same passage.
    def splits(before: str, after: str) -> bool:
        return _is_word_char(before) and _is_word_char(after)

    old_splits_start = splits(old.prefix[-1:] or " ", old.exact[0])
    old_splits_end = splits(old.exact[-1], old.suffix[:1] or " ")
    new_splits_start = start > 0 and splits(text[start - 1], text[start])
    new_splits_end = end < len(text) and splits(text[end - 1], text[end])
    return (old_splits_start or not new_splits_start) and (old_splits_end or not new_splits_end)


def _supported(candidate: _Candidate, rivals: list[_Candidate], words: int) -> bool:
    """Tell whether the text itself vouches for `candidate`, before comparing it with its rivals."""
    if candidate.quote_similarity < MIN_QUOTE_SIMILARITY:
        return False
    prefix, suffix = candidate.prefix_similarity, candidate.suffix_similarity
    if words < SHORT_QUOTE_WORDS:
        # Both sides must vouch for a short quote: together as much as two
        # agreeing sides, and neither looking like unrelated text. One side
        # alone can be a repeated phrase ("patients receiving neoadjuvant").
        return min(prefix, suffix) >= CONTEXT_FLOOR and prefix + suffix >= 2 * CONTEXT_AGREEMENT
    if max(prefix, suffix) >= CONTEXT_AGREEMENT:
        return True
    # A long quote whose surroundings were rewritten (a sentence moved to
    # another paragraph) may stand on its own, but only if nothing else in the
    # text resembles it: random context gives no ranking signal between copies.
    return (words >= DISTINCTIVE_QUOTE_WORDS
            and candidate.quote_similarity >= DISTINCTIVE_QUOTE_SIMILARITY
            and all(r.quote_similarity < MIN_QUOTE_SIMILARITY for r in rivals))


def _choose(candidates: list[_Candidate], old: Selector, words: int) -> _Candidate | str | None:
    """Return the one candidate the evidence points to, `_AMBIGUOUS` on a near-tie, or None without support."""
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (c.score, c.start == old.start))
    contenders = [c for c in candidates if best.score - c.score < MARGIN]
    if len(contenders) > 1:
        # Equal evidence elsewhere: only an unchanged position (exact quote at
        # the old offsets) may break the tie, since nothing before it moved.
        unmoved = [c for c in contenders if c.start == old.start and c.end == old.end and c.quote_similarity == 1.0]
        if not unmoved:
            return _AMBIGUOUS if any(_supported(c, [], words) for c in contenders) else None
        best = unmoved[0]
    rivals = [c for c in candidates if c is not best]
    return best if _supported(best, rivals, words) else None


def _fuzzy_candidates(text: str, old: Selector, exact_candidates: list[_Candidate]) -> list[_Candidate]:
    """Return the best approximate match of the quote in its context, and its rivals.

    The rivals are the verbatim occurrences and the best match elsewhere (found
    again with the first match masked), so a margin can be required.
    """
    best = _align(text, old)
    if best is None:
        return []
    masked_start, masked_end = max(0, best.start - len(old.prefix)), best.end + len(old.suffix)
    # NUL never occurs in article text, so the masked passage matches nothing.
    masked = text[:masked_start] + "\0" * (masked_end - masked_start) + text[masked_end:]
    runner_up = _align(masked, old)
    rivals = [c for c in [*exact_candidates, runner_up]
              if c is not None and (c.end <= best.start or c.start >= best.end)]
    return [best, *rivals]


def _align(text: str, old: Selector) -> _Candidate | None:
    """Find the passage most like the old quote in its context and return it scored against `old`."""
    before, length = len(old.prefix), len(old.exact)
    if length <= PROBE_QUOTE_LENGTH:
        span = _locate(text, old.prefix + old.exact + old.suffix, before, before + length)
    else:
        # RapidFuzz's partial ratio slows down sharply beyond 64-character
        # needles when nothing matches, so a long quote is located by its two
        # ends and verified as a whole afterwards. The ends go without context:
        # a long quote identifies itself, while its old neighbours may now
        # border another passage (paragraphs reordered).
        head = _locate(text, old.exact[:PROBE_QUOTE_LENGTH], 0, PROBE_QUOTE_LENGTH)
        tail = _locate(text, old.exact[-PROBE_QUOTE_LENGTH:], 0, PROBE_QUOTE_LENGTH)
        span = (head[0], tail[1]) if head and tail else None
        # Ends that do not bracket something the size of the quote belong to different passages.
        if span and not 0 < span[1] - span[0] <= 2 * length:
            span = None
    if span is None:
        return None
    start, end = _snap(text, *_refine(text, old.exact, *span), old)
    if start >= end or not _same_edges(text, start, end, old):
        return None
    return _candidate(text, old, start, end)


def _refine(text: str, quote: str, start: int, end: int) -> tuple[int, int]:
    """Move each end of a rough match by up to REFINE_RADIUS characters to where the quote's own ends fit best."""
    # An alignment is only optimal as a whole: where it had to skip text
    # around the passage, it may pair the quote's first letters with earlier
    # words and leave the true start a few words off. Each end is therefore
    # re-fitted on its own, comparing the quote's first (last) characters with
    # the text at every offset nearby; ties stay nearest the rough estimate.
    width = min(len(quote), CONTEXT_LENGTH)
    head, tail = quote[:width], quote[-width:]
    start = min(range(max(0, start - REFINE_RADIUS), min(len(text) - 1, start + REFINE_RADIUS) + 1),
                key=lambda low: (Levenshtein.distance(head, text[low:low + width]), abs(low - start)))
    end = min(range(max(start + 1, end - REFINE_RADIUS), min(len(text), end + REFINE_RADIUS) + 1),
              key=lambda high: (Levenshtein.distance(tail, text[max(start, high - width):high]), abs(high - end)))
    return start, end


def _locate(text: str, probe: str, quote_start: int, quote_end: int) -> tuple[int, int] | None:
    """Align `probe` with its best match in `text`; return where probe[quote_start:quote_end] landed."""
    if len(probe) >= len(text):
        window_start, window_end = 0, len(text)
    else:
        found = fuzz.partial_ratio_alignment(probe, text)
        if found is None or found.score == 0:
            return None
        # partial_ratio compares windows of exactly len(probe); widen so an
        # edit that lengthened the passage still fits in the global alignment.
        slack = len(probe) // 2 + 1
        window_start, window_end = max(0, found.dest_start - slack), min(len(text), found.dest_end + slack)
    span = _map_span(Levenshtein.opcodes(probe, text[window_start:window_end]), quote_start, quote_end)
    return None if span is None else (window_start + span[0], window_start + span[1])


def _map_span(opcodes, quote_start: int, quote_end: int) -> tuple[int, int] | None:
    """Map the probe's quote range through an alignment, from its first to its last surviving run of text."""
    first = last = None
    for op in opcodes:
        # Lone matching letters are noise: a minimal alignment happily pairs
        # the "n" of a rewritten "women" with the quote's first "n". Only
        # runs of unchanged text say where the quote went.
        if op.tag != "equal" or op.src_end - op.src_start < MIN_ANCHOR_RUN:
            continue
        low, high = max(op.src_start, quote_start), min(op.src_end, quote_end)
        if low >= high:
            continue
        shift = op.dest_start - op.src_start
        if first is None:
            first = low + shift
        last = high - 1 + shift
    return None if first is None else (first, last + 1)


def _snap(text: str, start: int, end: int, old: Selector) -> tuple[int, int]:
    """Trim or widen a fuzzy match so it starts and ends where the old quote did: on spaces or word edges."""
    if not old.exact[0].isspace():
        while start < end and text[start].isspace():
            start += 1
    if not old.exact[-1].isspace():
        while end > start and text[end - 1].isspace():
            end -= 1
    # Widen only when the old quote itself began (ended) on a word edge, so a
    # selection that deliberately cut a word keeps doing so.
    if _is_word_char(old.exact[0]) and not (old.prefix and _is_word_char(old.prefix[-1])):
        limit = max(0, start - MAX_SNAP)
        snapped = start
        while snapped > limit and _is_word_char(text[snapped - 1]) and _is_word_char(text[snapped]):
            snapped -= 1
        if snapped == 0 or not _is_word_char(text[snapped - 1]):
            start = snapped
    if _is_word_char(old.exact[-1]) and not (old.suffix and _is_word_char(old.suffix[0])):
        limit = min(len(text), end + MAX_SNAP)
        snapped = end
        while snapped < limit and _is_word_char(text[snapped]) and _is_word_char(text[snapped - 1]):
            snapped += 1
        if snapped == len(text) or not _is_word_char(text[snapped]):
            end = snapped
    return start, end
