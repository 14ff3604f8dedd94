"""The facts of a passage: its figures, units, negations and comparison words.

An annotation on "mortality fell from 31% to 43%" is a statement about those
numbers. If an editor corrects them to 44%, or turns "not inferior" into
"inferior", the annotation must not silently follow the passage as if only its
wording had changed: re-anchoring marks it "changed" instead (see
`app.text.anchoring`). This module decides whether two wordings state the same
facts.

The rule: both wordings must yield the same sequence of facts, where a fact is
- a number, compared by value: digits with thousands separators (",", thin or
  no-break spaces) and decimals ("." or the Lancet's "·"), a minus sign, or
  words ("twenty-five", "a hundred"), so "46,000" equals "46000" and "one in
  five" equals "1 in 5"; ranges are their two numbers in order;
- a figure word: half, third(s), quarter, twice, once, -fold, first, second...;
- a unit: %, per cent, percentage points, doses and concentrations (mg, mg/m2,
  mmol/L, ...), time (days, weeks, months, years), the statistics labels HR,
  OR, RR, CI, NNT...;
- a negation: not, no, never, without, none, neither, nor, cannot, "n't",
  non- (non-significant, nonsevere), lack, fail;
- a comparator: more, less, fewer, higher, lower, greater, smaller, better,
  worse, superior, inferior, non-inferior ("not inferior" is the same claim),
  increase, reduce, fall, double, than, versus, < > ≤ ≥ = ±.
Anything else (other words, punctuation, case, spacing) may change freely.
Citation markers glued to a word ("formation?1", "evidence.3") and digits
inside identifiers ("TIE2", "CD8") are not figures: adding a reference
renumbers the markers without changing what the passage says.

Pure functions of strings: no Flask, no database.
"""
from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

# Thousands separators: comma, thin space, narrow no-break space, no-break space.
_GROUP = "[,\u2009\u202f\u00a0]"
_NUMBER = rf"\d{{1,3}}(?:{_GROUP}\d{{3}})+(?:[.\u00b7]\d+)?|\d+(?:[.\u00b7]\d+)?|[.\u00b7]\d+"
# A citation marker ("formation?1", "Metastasis).2", "markers4,5") or an identifier's digits ("TIE2").
_MARKER_RE = re.compile(r"(?:(?<=[^\W\d_])|(?<=[^\W\d_][.?!;:,)\]\"'\u2019\u201d]))\d+(?:[,\u2013-]\d+)*")
_TOKEN_RE = re.compile(
    rf"(?P<minus>(?<![\w.,\u00b7])[-\u2212](?=[\d.\u00b7]))?(?P<number>{_NUMBER})"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)?)"
    r"|(?P<symbol>\u00b0\s?[CF]\b|[<>=\u2264\u2265\u00b1\u2248~%\u2030])",
)
# "non-severe" and "nonsevere" are one negated word; "non-inferior" is a comparator of its own.
_NON_HYPHEN = re.compile(r"\b([Nn]on)[-\u2010\u2011]\s?(?=[^\W\d_])")
_NON_WORDS = re.compile(r"^non(?!e|sense)[^\W\d_]{3,}$")

_UNITS = {
    # dose, mass, volume, length, energy, radiation
    "mg": "mg", "g": "g", "kg": "kg", "µg": "µg", "μg": "µg", "mcg": "µg", "ng": "ng", "ml": "ml", "l": "l",
    "dl": "dl", "mmol": "mmol", "µmol": "µmol", "nmol": "nmol", "mol": "mol", "mmhg": "mmhg", "iu": "iu",
    "u": "u", "gy": "gy", "cgy": "cgy", "cm": "cm", "mm": "mm", "m": "m", "km": "km", "kcal": "kcal",
    # time
    "s": "second", "sec": "second", "seconds": "second", "min": "minute", "mins": "minute", "minute": "minute",
    "minutes": "minute", "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
    "day": "day", "days": "day", "wk": "week", "wks": "week", "week": "week", "weeks": "week",
    "mo": "month", "month": "month", "months": "month", "yr": "year", "yrs": "year", "year": "year",
    "years": "year",
    # proportions
    "percent": "%", "cent": "%", "pp": "pp",
}
# Short units that are also ordinary words or letters count only right after a number ("5 h", "2 l").
_UNITS_AFTER_NUMBER = {"g", "l", "u", "m", "s", "h", "mo", "min", "sec", "hr", "yr", "wk", "mm", "cm", "mins"}
# Statistics labels, in capitals only ("or" is a conjunction, "OR" an odds ratio).
_STATISTICS = {"HR", "OR", "RR", "ARR", "RRR", "NNT", "NNH", "CI", "SD", "IQR", "AUC"}

_NEGATIONS = {"not", "no", "never", "without", "none", "neither", "nor", "cannot", "nobody", "nothing",
              "nowhere", "non", "lack", "lacks", "lacked", "lacking", "fail", "fails", "failed"}
_CONTRACTED_NOT = re.compile(r"n['\u2019]t$")

_COMPARATORS = {
    "more": "more", "greater": "more", "higher": "more", "larger": "more", "longer": "more", "above": "more",
    "exceed": "more", "exceeds": "more", "exceeded": "more", "most": "more",
    "less": "less", "fewer": "less", "lower": "less", "smaller": "less", "shorter": "less", "below": "less",
    "least": "less",
    "better": "better", "best": "better", "improve": "better", "improves": "better", "improved": "better",
    "improvement": "better", "worse": "worse", "worst": "worse", "worsen": "worse", "worsens": "worse",
    "worsened": "worse",
    "superior": "superior", "superiority": "superior", "inferior": "inferior", "inferiority": "inferior",
    "noninferior": "non-inferior", "noninferiority": "non-inferior",
    "equivalent": "equivalent", "equal": "equal", "similar": "similar", "comparable": "similar",
    "increase": "increase", "increases": "increase", "increased": "increase", "increasing": "increase",
    "rise": "increase", "rises": "increase", "rose": "increase", "risen": "increase",
    "decrease": "decrease", "decreases": "decrease", "decreased": "decrease", "decreasing": "decrease",
    "reduce": "decrease", "reduces": "decrease", "reduced": "decrease", "reducing": "decrease",
    "reduction": "decrease", "fall": "decrease", "falls": "decrease", "fell": "decrease", "fallen": "decrease",
    "double": "double", "doubled": "double", "doubles": "double", "halve": "halve", "halved": "halve",
    "than": "than", "versus": "versus", "vs": "versus",
}
_SYMBOLS = {"<": ("comparator", "less"), ">": ("comparator", "more"), "\u2264": ("comparator", "at most"),
            "\u2265": ("comparator", "at least"), "=": ("comparator", "equal"), "\u2248": ("comparator", "about"),
            "~": ("comparator", "about"), "\u00b1": ("comparator", "plus or minus"), "%": ("unit", "%"),
            "\u2030": ("unit", "per mille"), "\u00b0C": ("unit", "°C"), "\u00b0F": ("unit", "°F")}

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
    "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
}
_FIGURE_WORDS = {
    "half": ("fraction", "1/2"), "halves": ("fraction", "1/2"), "quarter": ("fraction", "1/4"),
    "quarters": ("fraction", "1/4"), "thirds": ("fraction", "1/3"), "fifths": ("fraction", "1/5"),
    "tenths": ("fraction", "1/10"),
    "first": ("ordinal", "1"), "second": ("ordinal", "2"), "third": ("ordinal", "3"), "fourth": ("ordinal", "4"),
    "fifth": ("ordinal", "5"), "sixth": ("ordinal", "6"), "seventh": ("ordinal", "7"), "eighth": ("ordinal", "8"),
    "ninth": ("ordinal", "9"), "tenth": ("ordinal", "10"),
    "once": ("times", "1"), "twice": ("times", "2"), "thrice": ("times", "3"), "fold": ("times", "-fold"),
    "twofold": ("times", "2"), "threefold": ("times", "3"), "fourfold": ("times", "4"), "tenfold": ("times", "10"),
    "single": ("number", "1"), "both": ("number", "2"),
}


_VOCABULARY = set(_NEGATIONS) | set(_COMPARATORS) | set(_FIGURE_WORDS) | set(_UNITS) | {"percentage", "point"}


class Fact(NamedTuple):
    """One fact of a passage: its kind ("number", "unit", "negation", "comparator", ...), value and wording."""

    kind: str
    value: str
    text: str


def facts(text: str) -> list[Fact]:
    """Return the facts stated in `text`, in reading order."""
    text = _NON_HYPHEN.sub(r"\1", _MARKER_RE.sub("", text))
    found: list[Fact] = []
    pending: list[tuple[int, str]] = []  # consecutive number words: (value, wording)

    def flush() -> None:
        if pending:
            found.append(Fact("number", _value_of_words([v for v, _ in pending]), " ".join(w for _, w in pending)))
            pending.clear()

    for match in _TOKEN_RE.finditer(text):
        word = match.group("word")
        if word is not None and word.lower() in _NUMBER_WORDS:
            pending.append((_NUMBER_WORDS[word.lower()], word))
            continue
        if word is not None and word.lower() == "and" and pending and pending[-1][0] >= 100:
            continue  # "one hundred and twenty" is one number
        flush()
        after_number = bool(found) and found[-1].kind == "number" and _only_space_between(text, found, match)
        fact = _fact(match, after_number)
        if fact is not None:
            found.append(fact)
    flush()
    return _join_not_inferior(_join_units(found))


def _join_not_inferior(found: list[Fact]) -> list[Fact]:
    """Read "not inferior" as "non-inferior", the same claim in other words."""
    joined: list[Fact] = []
    for fact in found:
        if fact.kind == "comparator" and fact.value == "inferior" and joined and joined[-1].kind == "negation":
            joined[-1] = Fact("comparator", "non-inferior", f"{joined[-1].text} {fact.text}")
            continue
        joined.append(fact)
    return joined


def _only_space_between(text: str, found: list[Fact], match: re.Match) -> bool:
    # The previous fact's wording ends right before this token, give or take spaces.
    before = text[:match.start()].rstrip(" \u00a0\u2009\u202f")
    return before.endswith(found[-1].text.split(" ")[-1])


def _fact(match: re.Match, after_number: bool) -> Fact | None:
    if match.group("number") is not None:
        return Fact("number", _value(match.group("number"), negative=bool(match.group("minus"))), match.group(0))
    if match.group("symbol") is not None:
        symbol = match.group("symbol").replace(" ", "")
        kind, value = _SYMBOLS[symbol]
        return Fact(kind, value, match.group("symbol"))
    word = match.group("word")
    lower = _singular(word.lower())
    if word in _STATISTICS:
        return Fact("unit", lower, word)
    if lower in _NEGATIONS or _CONTRACTED_NOT.search(lower):
        return Fact("negation", "not", word)
    if lower in _COMPARATORS:
        return Fact("comparator", _COMPARATORS[lower], word)
    if _NON_WORDS.match(lower):
        return Fact("negation", "not", word)
    if lower in _FIGURE_WORDS:
        return Fact(*_FIGURE_WORDS[lower], word)
    if lower == "percentage":
        return Fact("unit", "percentage", word)
    if lower in ("point", "points"):
        return Fact("unit", "points", word)
    if lower in _UNITS and (after_number or lower not in _UNITS_AFTER_NUMBER):
        return Fact("unit", _UNITS[lower], word)
    return None


def _singular(lower: str) -> str:
    """Return the vocabulary entry a plural stands for ("reductions" -> "reduction"), else the word itself."""
    if lower in _VOCABULARY or not lower.endswith("s"):
        return lower
    return lower[:-1] if lower[:-1] in _VOCABULARY else lower


def _join_units(found: list[Fact]) -> list[Fact]:
    """Make "percentage points" one unit, and drop "percentage" and "points" used as ordinary words."""
    joined: list[Fact] = []
    for fact in found:
        if fact.kind == "unit" and fact.value == "points" and joined and joined[-1].value == "percentage":
            joined[-1] = Fact("unit", "pp", f"{joined[-1].text} {fact.text}")
            continue
        joined.append(fact)
    return [f for f in joined if not (f.kind == "unit" and f.value in ("percentage", "points"))
            or (f.value == "points" and _follows_number(joined, f))]


def _follows_number(facts_: list[Fact], fact: Fact) -> bool:
    at = facts_.index(fact)
    return at > 0 and facts_[at - 1].kind == "number"


def _value(raw: str, negative: bool) -> str:
    """Return a written number's value: separators dropped, a decimal point, no trailing zeros."""
    digits = re.sub(_GROUP, "", raw).replace("\u00b7", ".")
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return digits
    value = -value if negative else value
    return format(value.normalize(), "f")


def number_from_words(words: list[str]) -> str:
    """Return the value of number words in order ("three", "hundred", "eighty") as digits ("380")."""
    return _value_of_words([_NUMBER_WORDS[w.lower()] for w in words if w.lower() in _NUMBER_WORDS])


NUMBER_WORD_PATTERN = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))


def _value_of_words(values: list[int]) -> str:
    """Combine number words in order: twenty five -> 25, two hundred -> 200, a thousand -> 1000."""
    total = current = 0
    for value in values:
        if value == 100:
            current = max(current, 1) * value
        elif value >= 1_000:
            total += max(current, 1) * value
            current = 0
        else:
            current += value
    return str(total + current)


def same_facts(old: str, new: str) -> bool:
    """Tell whether two wordings state the same figures, units, negations and comparisons."""
    return [(f.kind, f.value) for f in facts(old)] == [(f.kind, f.value) for f in facts(new)]


def fact_changes(old: str, new: str) -> list[tuple[str, str]]:
    """Return the facts that differ between two wordings, as (old wording, new wording) pairs ("" when absent)."""
    a, b = facts(old), facts(new)
    matcher = difflib.SequenceMatcher(None, [(f.kind, f.value) for f in a], [(f.kind, f.value) for f in b],
                                      autojunk=False)
    return [(" ".join(f.text for f in a[i1:i2]), " ".join(f.text for f in b[j1:j2]))
            for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
