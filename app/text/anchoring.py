"""Anchor annotations to passages of an article's canonical text, and follow them through revisions.

An annotation remembers its passage as W3C selectors: a quote with up to
CONTEXT_LENGTH code points of context on each side (TextQuoteSelector) and
code point offsets (TextPositionSelector). `resolve` checks a selector a
client posts against the current text; `follow` finds the passage again in a
new revision and says what became of it; `suggest` ranks the passages an
author may re-attach an orphan to.

Re-anchoring prefers an orphan to a guess. A critique displayed on the wrong
sentence misleads a clinician, whereas an orphan is visibly detached and its
author can re-attach it. So every match must be supported by its context (or,
for a long quote, be the only plausible place), and must beat every rival by a
clear margin; ties are never broken by guessing.

What the annotation now sits on is judged against the wording its author last
vouched for (the original quote, until they confirm a change or re-attach),
not only against the previous revision, so a warning never fades:
- anchored: the same words, at the place it had in the previous revision;
- moved: the same words, elsewhere (an edit before it, a paragraph moved);
- reworded: close wording, the same facts (see `app.text.figures`);
- changed: the passage is there but its figures, units, negations or
  comparison words differ: it is never shown as attached;
- orphaned: not found with confidence.
Matching runs on folded text (`app.text.normalise`: case, hyphens,
punctuation and spacing ignored); selectors are always cut from the real text.
Each search tries the last known selector, then the confirmed one, then the
original, so an orphan comes back when a later revision restores its words.

Offsets are Python string indices (Unicode code points).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from app.text.figures import same_facts
from app.text.normalise import Folded, collapse_spaces, fold, fold_plain, fold_text

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
# One side this close to the old one is unmistakable on its own: a sentence
# inserted right after a short quote leaves the other side to vouch for it.
STRONG_CONTEXT = 0.9
# A verbatim short quote vouched for by one side only must be the only copy this near.
ALONE_WINDOW = 4 * CONTEXT_LENGTH
# Quotes of 1-3 words recur by chance ("survival", "neoadjuvant chemotherapy"),
# so they need both sides of context, or one strong side and no copy nearby.
SHORT_QUOTE_WORDS = 4
# A quote of 8 words or more is taken as a sentence that does not recur by
# chance: it may move without its context if it is the only plausible place.
DISTINCTIVE_QUOTE_WORDS = 8
DISTINCTIVE_QUOTE_SIMILARITY = 0.9
# Between two intact sides of context, a passage this similar once its digits
# are masked is the same passage with other figures: it becomes "changed".
CHANGED_QUOTE_SIMILARITY = 0.5
BRACKET_CONTEXT = 0.8
# Between two sides that both agree strongly, a passage of SHORT_QUOTE_WORDS or
# more this similar is the same passage reworded ("fewer than 3,000 people" ->
# "fewer than 3,000 participants").
BRACKETED_QUOTE_SIMILARITY = 0.6
# How far the wording may drift from the confirmed one, revision after
# revision, before it is another passage (digits masked, folded text).
DRIFT_SIMILARITY = 0.6
# The winner must beat every other candidate by this much (score in [0, 1]):
# about 13 changed context characters between two exact occurrences, or 20
# points of quote similarity between two equally placed fuzzy matches.
MARGIN = 0.1
# Quotes longer than this are searched for by their two ends (see `_align`).
PROBE_QUOTE_LENGTH = 64
# Unchanged runs shorter than this do not locate a quote inside an alignment.
MIN_ANCHOR_RUN = 3
# How far `_refine` may move each end of a fuzzy match, and how much context
# beside each end helps it decide.
REFINE_RADIUS = 32
EDGE_CONTEXT = 16
# Snapping a fuzzy match to a word boundary never moves it further than this,
# so scripts without spaces cannot swallow a whole sentence.
MAX_SNAP = 32
# Passages offered to re-attach an orphan, and the least quote similarity worth offering.
SUGGESTIONS = 3
MIN_SUGGESTION_SIMILARITY = 0.35
# A side of context shorter than this (folded) cannot say where a rewritten quote went.
MIN_BRACKET_SIDE = 8

State = Literal["anchored", "moved", "reworded", "changed", "orphaned"]
STATES: tuple[State, ...] = ("anchored", "moved", "reworded", "changed", "orphaned")
Wording = Literal["same", "reworded", "changed"]

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


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
class Trail:
    """What re-anchoring knows of an annotation's passage.

    `original` is the selector it was written on; `confirmed` the one its author
    last vouched for (the original until they confirm or re-attach); `last` where
    it was last found, and `placed` whether that was in the previous revision
    (False when it was orphaned there: `last` is then older). `texts` gives, when
    known, the text each selector was cut from: a side of context that was
    unique there may vouch for a short quote on its own.
    """

    original: Selector
    confirmed: Selector
    last: Selector
    placed: bool = True
    texts: dict[Selector, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, selector: Selector, text: str | None = None) -> Trail:
        """Return the trail of an annotation written on `selector` (cut from `text`) and not re-anchored since."""
        return cls(selector, selector, selector, True, {selector: text} if text is not None else {})


@dataclass(frozen=True)
class Reanchored:
    """The outcome of re-anchoring: state, the passage found (None if orphaned) and its score.

    A "changed" passage has a selector (to show its new wording) but is never
    highlighted. The score, in [0, 1], is half the similarity of the quote plus
    a quarter of each side of context's; 1.0 means nothing changed around it.
    """

    state: State
    selector: Selector | None
    score: float


@dataclass(frozen=True)
class Suggestion:
    """A passage an orphaned annotation might belong to, for its author to choose."""

    selector: Selector
    score: float


class _Ref(NamedTuple):
    """A selector folded for matching, with what its edges looked like."""

    exact: str
    prefix: str
    suffix: str
    raw: Selector
    # The old quote touched the start (end) of the old text.
    at_start: bool
    at_end: bool
    # The side of context followed by the quote (the quote followed by the side)
    # occurred once in the text the selector was cut from; the quote itself did.
    prefix_distinct: bool = False
    suffix_distinct: bool = False
    unique: bool = False


class _Candidate(NamedTuple):
    # A tuple rather than a frozen dataclass: a short quote can have thousands
    # of verbatim occurrences, and each one is scored. Offsets are in the
    # folded text.
    start: int
    end: int
    quote_similarity: float
    masked_similarity: float
    prefix_similarity: float
    suffix_similarity: float
    # The quote weighs as much as its whole context, as in Hypothesis's matcher.
    score: float
    # Verbatim, with no other verbatim copy within ALONE_WINDOW (in the whole text).
    alone: bool = False
    unique: bool = False


# `_choose` outcome when several candidates are equally good: the caller must not guess.
_AMBIGUOUS = "ambiguous"
# Support levels: attachable, or only good enough to report the passage as changed.
_FULL, _FACTS_ONLY = 2, 1


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
    # The client saw this very text, so its quote is matched verbatim, and each
    # side of context is compared with as many characters as it has.
    scored = []
    for at in _occurrences(text, exact):
        before = Levenshtein.normalized_similarity(prefix, text[max(0, at - len(prefix)):at])
        after = Levenshtein.normalized_similarity(suffix, text[at + len(exact):at + len(exact) + len(suffix)])
        scored.append((0.5 + 0.25 * before + 0.25 * after, at))
    if not scored:
        raise AnchorError(f"The quoted passage was not found in the article: {_excerpt(exact)}")
    top = max(score for score, _ in scored)
    # Unlike re-anchoring, a near-tie is settled by the position hint; the user
    # sees where the annotation lands.
    hint = start if start is not None else 0
    best = min((at for score, at in scored if top - score < MARGIN), key=lambda at: (abs(at - hint), at))
    return selector_at(text, best, best + len(exact))


def wording(confirmed: str, current: str) -> Wording:
    """Compare a passage's current wording with the one its author vouched for: same, reworded or changed."""
    if collapse_spaces(confirmed) == collapse_spaces(current):
        return "same"
    return "reworded" if same_facts(confirmed, current) else "changed"


def follow(new_text: str, trail: Trail) -> Reanchored:
    """Find the trail's passage in `new_text` and say what became of it (see the module docstring).

    Never raises for text reasons; an unsure match is reported as "orphaned".
    """
    folded = fold_text(new_text)
    tried: set[Selector] = set()
    for selector in (trail.last, trail.confirmed, trail.original):
        if selector in tried or not selector.exact.strip():
            continue
        tried.add(selector)
        found = _locate(new_text, folded, selector, trail.texts.get(selector))
        if found is None:
            continue
        start, end, score, support = found
        current = selector_at(new_text, start, end)
        return _judge(trail, current, score, support)
    return _orphan()


def reanchor(new_text: str, old: Selector, old_text: str | None = None) -> Reanchored:
    """Follow a passage (cut from `old_text`, when given) that its author vouched for as it was."""
    return follow(new_text, Trail.of(old, old_text))


def reanchor_many(new_text: str, trails: list[Trail]) -> list[Reanchored]:
    """Follow each trail into `new_text`, in order.

    The text is folded once. Each selector costs one str.find scan plus a
    constant-size score per verbatim occurrence, and, when that fails, two
    RapidFuzz partial-ratio scans with needles of at most 128 characters
    (bit-parallel, about linear in the text) plus O(len(quote)**2 / 64) to
    score the match. A revision therefore costs O(selectors * len(text)).
    """
    return [follow(new_text, trail) for trail in trails]


def suggest(text: str, trail: Trail, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Rank the passages of `text` most like the trail's quote in its context, best first, at most `limit`.

    For an author re-attaching an orphan: every verbatim copy and the best
    approximate matches of the original, confirmed and last quotes, scored like
    re-anchoring (quote half, each side of context a quarter), without
    requiring the support re-anchoring needs. Passages that overlap a better one
    are left out.
    """
    folded = fold_text(text)
    pool: list[_Candidate] = []
    seen: set[Selector] = set()
    for selector in (trail.original, trail.confirmed, trail.last):
        if selector in seen or not selector.exact.strip():
            continue
        seen.add(selector)
        ref = _ref(selector, trail.texts.get(selector))
        pool += _exact_candidates(folded.text, ref)
        pool += _fuzzy_pool(folded.text, ref, rounds=limit + 2)
        between = _between_context(folded.text, ref)
        if between is not None:
            pool.append(between)
    chosen: list[_Candidate] = []
    for candidate in sorted(pool, key=lambda c: (-c.score, c.start)):
        if candidate.masked_similarity < MIN_SUGGESTION_SIMILARITY:
            continue
        if any(candidate.start < other.end and other.start < candidate.end for other in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == limit:
            break
    return [Suggestion(selector_at(text, *_to_text(text, folded, c.start, c.end, trail.original)), round(c.score, 3))
            for c in chosen]


# --- Judging what was found ------------------------------------------------------------------------------


def _judge(trail: Trail, current: Selector, score: float, support: int) -> Reanchored:
    wording_now = wording(trail.confirmed.exact, current.exact)
    if wording_now == "same":
        unmoved = trail.placed and current.start == trail.last.start
        return Reanchored("anchored" if unmoved else "moved", current, score)
    drift = _masked_similarity(fold_plain(trail.confirmed.exact), fold_plain(current.exact))
    if wording_now == "changed" and drift >= CHANGED_QUOTE_SIMILARITY:
        return Reanchored("changed", current, score)
    if support == _FULL and drift >= DRIFT_SIMILARITY:
        return Reanchored("reworded", current, score)
    return _orphan()


def _orphan() -> Reanchored:
    return Reanchored("orphaned", None, 0.0)


# --- Locating a selector ---------------------------------------------------------------------------------


def _locate(text: str, folded: Folded, selector: Selector, old_text: str | None) -> tuple[int, int, float, int] | None:
    """Find `selector`'s passage in `text`; return its text offsets, score and support, or None."""
    ref = _ref(selector, old_text)
    if not ref.exact:
        return None
    # Fast path: unchanged offsets and unchanged context cannot be beaten (a
    # rival can only tie, and ties go to the old position), so skip the search.
    if 0 <= selector.start < selector.end <= len(text) and text[selector.start:selector.end] == selector.exact \
            and text[max(0, selector.start - len(selector.prefix)):selector.start] == selector.prefix \
            and text[selector.end:selector.end + len(selector.suffix)] == selector.suffix \
            and (len(selector.prefix) == CONTEXT_LENGTH or selector.start == len(selector.prefix)) \
            and (len(selector.suffix) == CONTEXT_LENGTH or selector.end + len(selector.suffix) == len(text)):
        return selector.start, selector.end, 1.0, _FULL
    unmoved = _unmoved_start(text, folded, selector)
    exact_candidates = _exact_candidates(folded.text, ref)
    chosen = _choose(exact_candidates, unmoved, ref)
    if chosen is _AMBIGUOUS:
        # Several verbatim copies fit equally well. Approximate search would
        # only see the same tie, and nearness to the old offset is not evidence
        # (an insertion before the passage shifts everything), so give up.
        return None
    if chosen is None:
        chosen = _choose(_fuzzy_candidates(folded.text, ref, exact_candidates), unmoved, ref)
    if not isinstance(chosen, tuple):
        return None
    candidate, support = chosen
    start, end = _to_text(text, folded, candidate.start, candidate.end, selector)
    return start, end, candidate.score, support


def _ref(selector: Selector, old_text: str | None = None) -> _Ref:
    exact, prefix = fold_plain(selector.exact), fold(selector.prefix).text.lstrip()
    suffix = fold(selector.suffix).text.rstrip()
    prefix_distinct = suffix_distinct = unique = False
    if old_text is not None and exact:
        old = fold_text(old_text).text
        prefix_distinct = len(prefix.strip()) >= CONTEXT_LENGTH // 2 and _once(old, prefix + exact)
        suffix_distinct = len(suffix.strip()) >= CONTEXT_LENGTH // 2 and _once(old, exact + suffix)
        unique = _once(old, exact)
    return _Ref(exact=exact, prefix=prefix, suffix=suffix, raw=selector, at_start=len(selector.prefix) < CONTEXT_LENGTH,
                at_end=len(selector.suffix) < CONTEXT_LENGTH, prefix_distinct=prefix_distinct,
                suffix_distinct=suffix_distinct, unique=unique)


def _once(text: str, needle: str) -> bool:
    first = text.find(needle)
    return first != -1 and text.find(needle, first + 1) == -1


def _unmoved_start(text: str, folded: Folded, selector: Selector) -> int | None:
    """Return the folded offset of the old passage if its exact words are still at the old offsets."""
    if 0 <= selector.start < selector.end <= len(text) and text[selector.start:selector.end] == selector.exact:
        at = bisect_left(folded.origin, selector.start)
        return at if at < len(folded.origin) else None
    return None


def _to_text(text: str, folded: Folded, start: int, end: int, selector: Selector) -> tuple[int, int]:
    """Map a folded match back to the text, taking back the punctuation the old quote had at its ends."""
    low, high = folded.span(start, end)
    exact = selector.exact
    lead = len(exact) - len(exact.lstrip(_PUNCTUATION_AND_SPACE))
    tail = len(exact) - len(exact.rstrip(_PUNCTUATION_AND_SPACE))
    # Widen over at most as many punctuation and space characters as the old
    # quote had there, stopping on punctuation ("« " is taken back, " " alone is not).
    widened = low
    for step in range(1, lead + 1):
        if low - step < 0 or not _is_punctuation_or_space(text[low - step]):
            break
        if not text[low - step].isspace():
            widened = low - step
    low = widened
    widened = high
    for step in range(tail):
        if high + step >= len(text) or not _is_punctuation_or_space(text[high + step]):
            break
        if not text[high + step].isspace():
            widened = high + step + 1
    return low, widened


_PUNCTUATION_AND_SPACE = ".,;:!?'\"()[]{}\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026-\u2013\u2014 "


def _is_punctuation_or_space(char: str) -> bool:
    return not _is_word_char(char) and char != "\n"


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


def _masked_similarity(a: str, b: str) -> float:
    """Compare two folded quotes with every digit alike, so that only a change of figures cannot lower it."""
    return Levenshtein.normalized_similarity(_DIGIT.sub("0", a), _DIGIT.sub("0", b))


def _candidate(text: str, ref: _Ref, start: int, end: int, quote_similarity: float | None = None,
               alone: bool = False, unique: bool = False) -> _Candidate:
    """Score folded text[start:end] against `ref`: its quote, and each side of context.

    An old side that touched the edge of the old text only matches a candidate
    at the same edge; otherwise a quote that opened the article would get a
    free side of context anywhere.
    """
    quote = text[start:end]
    if quote_similarity is None:
        quote_similarity = Levenshtein.normalized_similarity(ref.exact, quote)
    masked = 1.0 if quote_similarity == 1.0 else _masked_similarity(ref.exact, quote)
    before = CONTEXT_LENGTH if ref.at_start else len(ref.prefix)
    after = CONTEXT_LENGTH if ref.at_end else len(ref.suffix)
    prefix_similarity = Levenshtein.normalized_similarity(ref.prefix, text[max(0, start - before):start].lstrip())
    suffix_similarity = Levenshtein.normalized_similarity(ref.suffix, text[end:end + after].rstrip())
    score = 0.5 * quote_similarity + 0.25 * prefix_similarity + 0.25 * suffix_similarity
    return _Candidate(start, end, quote_similarity, masked, prefix_similarity, suffix_similarity, score, alone,
                      unique)


def _occurrences(text: str, quote: str):
    """Yield the offset of every occurrence of `quote` in `text`, overlapping ones included."""
    at = text.find(quote)
    while at != -1:
        yield at
        at = text.find(quote, at + 1)


def _exact_candidates(text: str, ref: _Ref) -> list[_Candidate]:
    length = len(ref.exact)
    found = [at for at in _occurrences(text, ref.exact) if _same_edges(text, at, at + length, ref)]
    candidates = []
    for i, at in enumerate(found):
        alone = (i == 0 or at - found[i - 1] > ALONE_WINDOW) and (i == len(found) - 1
                                                                 or found[i + 1] - at > ALONE_WINDOW)
        candidates.append(_candidate(text, ref, at, at + length, 1.0, alone, unique=len(found) == 1))
    return candidates


def _same_edges(text: str, start: int, end: int, ref: _Ref) -> bool:
    """Tell whether text[start:end] begins and ends on word edges wherever the old quote did."""
    # A quoted word is not found again inside a longer word: when "on" is
    # deleted from "with on clone", the "on" of "clone" is not the same passage.
    def splits(before: str, after: str) -> bool:
        return _is_word_char(before) and _is_word_char(after)

    old_splits_start = splits(ref.prefix[-1:] or " ", ref.exact[0])
    old_splits_end = splits(ref.exact[-1], ref.suffix[:1] or " ")
    new_splits_start = start > 0 and splits(text[start - 1], text[start])
    new_splits_end = end < len(text) and splits(text[end - 1], text[end])
    return (old_splits_start or not new_splits_start) and (old_splits_end or not new_splits_end)


def _support(candidate: _Candidate, rivals: list[_Candidate], ref: _Ref) -> int:
    """Say how far the text itself vouches for `candidate`, before comparing it with its rivals."""
    prefix, suffix = candidate.prefix_similarity, candidate.suffix_similarity
    words = _word_count(ref.exact)
    if candidate.masked_similarity >= MIN_QUOTE_SIMILARITY:
        if words < SHORT_QUOTE_WORDS:
            # Both sides must vouch for a short quote: together as much as two
            # agreeing sides, and neither looking like unrelated text. One side
            # alone can be a repeated phrase ("patients receiving neoadjuvant"),
            # unless it is unmistakable and no other copy is near.
            if min(prefix, suffix) >= CONTEXT_FLOOR and prefix + suffix >= 2 * CONTEXT_AGREEMENT:
                return _FULL
            if candidate.alone and ((ref.prefix_distinct and prefix >= STRONG_CONTEXT)
                                    or (ref.suffix_distinct and suffix >= STRONG_CONTEXT)):
                return _FULL
            # A phrase that occurred once in the old text and occurs once in the
            # new one, with one side still agreeing, is the same phrase.
            if candidate.unique and ref.unique and max(prefix, suffix) >= CONTEXT_AGREEMENT:
                return _FULL
        elif max(prefix, suffix) >= CONTEXT_AGREEMENT:
            return _FULL
        # A long quote whose surroundings were rewritten (a sentence moved to
        # another paragraph) may stand on its own, but only if nothing else in
        # the text resembles it: random context gives no ranking signal.
        elif (words >= DISTINCTIVE_QUOTE_WORDS and candidate.quote_similarity >= DISTINCTIVE_QUOTE_SIMILARITY
              and all(r.masked_similarity < MIN_QUOTE_SIMILARITY for r in rivals)):
            return _FULL
    if (words >= SHORT_QUOTE_WORDS and min(prefix, suffix) >= STRONG_CONTEXT
            and candidate.masked_similarity >= BRACKETED_QUOTE_SIMILARITY):
        # Both sides intact pin the passage down: a bigger rewording of it is
        # still the same passage (the reader sees the difference). Not for a
        # word or two: "human" rewritten "inhuman" is another word.
        return _FULL
    if candidate.masked_similarity >= CHANGED_QUOTE_SIMILARITY and min(prefix, suffix) >= BRACKET_CONTEXT:
        return _FACTS_ONLY
    return 0


def _choose(candidates: list[_Candidate], unmoved: int | None, ref: _Ref):
    """Return (candidate, support) for the one candidate the evidence points to, `_AMBIGUOUS`, or None."""
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (c.score, c.start == unmoved))
    contenders = [c for c in candidates if best.score - c.score < MARGIN]
    if len(contenders) > 1:
        # Equal evidence elsewhere: only an unchanged position (exact quote at
        # the old offsets) may break the tie, since nothing before it moved.
        unmoved_here = [c for c in contenders if c.start == unmoved and c.quote_similarity == 1.0]
        if not unmoved_here:
            return _AMBIGUOUS if any(_support(c, [], ref) for c in contenders) else None
        best = unmoved_here[0]
    rivals = [c for c in candidates if c is not best]
    support = _support(best, rivals, ref)
    return (best, support) if support else None


def _fuzzy_candidates(text: str, ref: _Ref, exact_candidates: list[_Candidate]) -> list[_Candidate]:
    """Return the best approximate match of the quote in its context, and its rivals.

    The rivals are the verbatim occurrences and the best match elsewhere (found
    again with the first match masked), so a margin can be required.
    """
    best = _align(text, ref)
    if best is None:
        return []
    runner_up = _align(_masked(text, best, ref), ref)
    rivals = [c for c in [*exact_candidates, runner_up]
              if c is not None and (c.end <= best.start or c.start >= best.end)]
    return [best, *rivals]


def _fuzzy_pool(text: str, ref: _Ref, rounds: int) -> list[_Candidate]:
    """Return up to `rounds` distinct approximate matches, each found with the previous ones masked."""
    pool: list[_Candidate] = []
    for _ in range(rounds):
        found = _align(text, ref)
        if found is None:
            break
        pool.append(found)
        text = _masked(text, found, ref)
    return pool


def _between_context(text: str, ref: _Ref) -> _Candidate | None:
    """Return what now stands where the old context says the quote was: after its prefix, before its suffix.

    A quote rewritten from top to bottom matches nothing, but its neighbours may still be there; the
    author may want the new words. Without a usable suffix the passage is taken as long as the old one.
    """
    if len(ref.prefix.strip()) < MIN_BRACKET_SIDE:
        return None
    found = _locate_probe(text, ref.prefix, 0, len(ref.prefix))
    if found is None:
        return None
    start = found[1]
    end = None
    if len(ref.suffix.strip()) >= MIN_BRACKET_SIDE:
        after = _locate_probe(text[start:], ref.suffix, 0, len(ref.suffix))
        end = start + after[0] if after else None
    if end is None or not 0 < end - start <= 3 * len(ref.exact) + CONTEXT_LENGTH:
        end = min(len(text), start + len(ref.exact))
    start, end = _snap(text, start, end, ref)
    if start >= end or "\0" in text[start:end]:
        return None
    return _candidate(text, ref, start, end)


def _masked(text: str, found: _Candidate, ref: _Ref) -> str:
    low, high = max(0, found.start - len(ref.prefix)), found.end + len(ref.suffix)
    # NUL never occurs in article text, so the masked passage matches nothing.
    return text[:low] + "\0" * (min(len(text), high) - low) + text[high:]


def _align(text: str, ref: _Ref) -> _Candidate | None:
    """Find the passage most like the old quote in its context and return it scored against `ref`."""
    before, length = len(ref.prefix), len(ref.exact)
    if length <= PROBE_QUOTE_LENGTH:
        span = _locate_probe(text, ref.prefix + ref.exact + ref.suffix, before, before + length)
    else:
        # RapidFuzz's partial ratio slows down sharply beyond 64-character
        # needles when nothing matches, so a long quote is located by its two
        # ends and verified as a whole afterwards. The ends go without context:
        # a long quote identifies itself, while its old neighbours may now
        # border another passage (paragraphs reordered).
        head = _locate_probe(text, ref.exact[:PROBE_QUOTE_LENGTH], 0, PROBE_QUOTE_LENGTH)
        tail = _locate_probe(text, ref.exact[-PROBE_QUOTE_LENGTH:], 0, PROBE_QUOTE_LENGTH)
        span = (head[0], tail[1]) if head and tail else None
        # Ends that do not bracket something the size of the quote belong to different passages.
        if span and not 0 < span[1] - span[0] <= 2 * length:
            span = None
    if span is None:
        return None
    start, end = _snap(text, *_refine(text, ref, *span), ref)
    if start >= end or "\0" in text[start:end] or not _same_edges(text, start, end, ref):
        return None
    return _candidate(text, ref, start, end)


def _refine(text: str, ref: _Ref, start: int, end: int) -> tuple[int, int]:
    """Move each end of a rough match by up to REFINE_RADIUS characters to where the quote's own ends fit best."""
    # An alignment is only optimal as a whole: where it had to skip text
    # around the passage, it may pair the quote's first letters with earlier
    # words and leave the true start a few words off. Each end is therefore
    # re-fitted on its own, comparing the quote's first (last) characters and
    # the context just outside them with the text at every offset nearby; ties
    # stay nearest the rough estimate.
    quote = ref.exact
    width = min(len(quote), CONTEXT_LENGTH)
    head, tail = quote[:width], quote[-width:]
    before, after = ref.prefix[-EDGE_CONTEXT:], ref.suffix[:EDGE_CONTEXT]

    def start_cost(low: int) -> tuple[int, int]:
        outside = Levenshtein.distance(before, text[max(0, low - len(before)):low]) if before else 0
        return Levenshtein.distance(head, text[low:low + width]) + outside, abs(low - start)

    def end_cost(high: int) -> tuple[int, int]:
        outside = Levenshtein.distance(after, text[high:high + len(after)]) if after else 0
        return Levenshtein.distance(tail, text[max(start, high - width):high]) + outside, abs(high - end)

    start = min(range(max(0, start - REFINE_RADIUS), min(len(text) - 1, start + REFINE_RADIUS) + 1), key=start_cost)
    end = min(range(max(start + 1, end - REFINE_RADIUS), min(len(text), end + REFINE_RADIUS) + 1), key=end_cost)
    return start, end


def _locate_probe(text: str, probe: str, quote_start: int, quote_end: int) -> tuple[int, int] | None:
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


def _snap(text: str, start: int, end: int, ref: _Ref) -> tuple[int, int]:
    """Trim or widen a fuzzy match so it starts and ends where the old quote did: on spaces or word edges."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return start, end
    # Widen only when the old quote itself began (ended) on a word edge, so a
    # selection that deliberately cut a word keeps doing so.
    if _is_word_char(ref.exact[0]) and not (ref.prefix and _is_word_char(ref.prefix[-1])):
        limit = max(0, start - MAX_SNAP)
        snapped = start
        while snapped > limit and _is_word_char(text[snapped - 1]) and _is_word_char(text[snapped]):
            snapped -= 1
        if snapped == 0 or not _is_word_char(text[snapped - 1]):
            start = snapped
    if _is_word_char(ref.exact[-1]) and not (ref.suffix and _is_word_char(ref.suffix[0])):
        limit = min(len(text), end + MAX_SNAP)
        snapped = end
        while snapped < limit and _is_word_char(text[snapped]) and _is_word_char(text[snapped - 1]):
            snapped += 1
        if snapped == len(text) or not _is_word_char(text[snapped]):
            end = snapped
    return start, end
