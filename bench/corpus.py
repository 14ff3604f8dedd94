"""The re-anchoring corpus in tests/data/anchoring/: texts, their revisions, and what should become of each annotation.

Each YAML file holds one text (version 1, one paragraph per line, as canonical
text has them), 25 or more annotations written on it, and a list of revisions.
A revision is a list of edits applied in order, each tagged with its edit class:
- `{old: "...", new: "..."}` replaces the single occurrence of `old` (or its
  `n`-th, counting from 1);
- `{insert: "...", after: "..."}` or `{insert: "...", before: "..."}` inserts
  text next to the single occurrence of an anchor;
- `{move: "...", after: "..."}` or `{move: "...", before: "..."}` cuts a passage
  (a sentence, a paragraph with its newline) and puts it back next to an anchor.
Then `expect` says, for the annotations this revision concerns, what a careful
editor would conclude, judged against the words the annotation was written on:
- `{at: QUOTE, n: N, words: same|reworded}`: the passage is now the N-th
  occurrence (default 1) of QUOTE, with the same words or reworded (`after:
  TEXT` instead of `n` means the first occurrence after the unique TEXT);
- `{changed: QUOTE, n: N}`: the passage is there but its figures, units,
  negations or comparisons changed: it must not be attached;
- `orphan`: the passage is gone.
An annotation not listed keeps its expectation; the loader follows its passage
through the edits and refuses an edit that touches a passage it would carry
forward unlisted, so every judgement in the files was written by hand.

The state that follows from an expectation: `anchored` when the same words
kept the start they had in the previous revision, `moved` when they did not,
`reworded`, `changed` or `orphaned`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.text.anchoring import Selector, selector_at

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "anchoring"


class CorpusError(ValueError):
    """A corpus file does not say what it means (an anchor that is not unique, an unlisted touched passage)."""


@dataclass(frozen=True)
class Expected:
    """What should become of one annotation in one revision."""

    outcome: str  # "placed", "changed" or "orphaned"
    start: int | None = None
    end: int | None = None
    words: str | None = None  # "same", "reworded" or "changed"
    state: str = ""

    @property
    def recoverable(self) -> bool:
        """Tell whether a matcher should attach the annotation (same or reworded words at a known place)."""
        return self.outcome == "placed"


@dataclass
class Revision:
    """One revision of a document: its text, edit classes and expectations for every annotation."""

    number: int
    text: str
    note: str
    classes: list[str]
    expected: dict[str, Expected]


@dataclass
class Document:
    """A text of the corpus, its annotations on version 1 and its revisions."""

    name: str
    title: str
    text: str
    annotations: dict[str, Selector]
    revisions: list[Revision] = field(default_factory=list)


def load_corpus(folder: Path = CORPUS_DIR) -> list[Document]:
    """Load every document of the corpus, checking each file as it goes; raise CorpusError."""
    return [load_document(path) for path in sorted(folder.glob("*.yaml"))]


def load_document(path: Path) -> Document:
    """Load one corpus file; raise CorpusError when it is ambiguous or inconsistent."""
    data = yaml.safe_load(path.read_text("utf-8"))
    text = data["text"].rstrip("\n")
    annotations: dict[str, Selector] = {}
    for name, spec in data["annotations"].items():
        start = _nth(text, spec["quote"], spec.get("n", 1), f"{path.name}: annotation {name}")
        annotations[name] = selector_at(text, start, start + len(spec["quote"]))
    document = Document(path.stem, data["title"], text, annotations)
    current = {name: Expected("placed", s.start, s.end, "same", "anchored") for name, s in annotations.items()}
    for number, spec in enumerate(data["revisions"], start=2):
        where = f"{path.name}: revision {number}"
        listed = set(spec.get("expect") or {})
        unknown = listed - set(annotations)
        if unknown:
            raise CorpusError(f"{where}: expectations for unknown annotations {sorted(unknown)}")
        new_text, spans, classes = _apply(text, spec["edits"], current, listed, where)
        revision_expected: dict[str, Expected] = {}
        for name in annotations:
            previous = current[name]
            if name in listed:
                revision_expected[name] = _expectation(new_text, spec["expect"][name], previous, f"{where}, {name}")
            elif previous.outcome == "orphaned":
                revision_expected[name] = previous
            else:
                start, end = spans[name]
                revision_expected[name] = _with_state(Expected(previous.outcome, start, end, previous.words),
                                                      previous)
        document.revisions.append(Revision(number, new_text, spec.get("note", ""), classes, revision_expected))
        text, current = new_text, revision_expected
    return document


def _nth(text: str, quote: str, n: int, where: str) -> int:
    at = -1
    for _ in range(n):
        at = text.find(quote, at + 1)
        if at == -1:
            raise CorpusError(f"{where}: {quote!r} does not occur {n} time(s)")
    return at


def _once(text: str, needle: str, where: str, n: int | None = None) -> int:
    if n is not None:
        return _nth(text, needle, n, where)
    count = text.count(needle)
    if count != 1:
        raise CorpusError(f"{where}: {needle!r} occurs {count} times; make it unique or give n")
    return text.index(needle)


def _apply(text: str, edits: list[dict], current: dict[str, Expected], listed: set[str], where: str):
    """Apply the edits in order, following the passages of annotations carried forward unlisted."""
    spans = {name: (e.start, e.end) for name, e in current.items() if e.outcome != "orphaned" and name not in listed}
    classes: list[str] = []
    for number, edit in enumerate(edits, start=1):
        here = f"{where}, edit {number}"
        classes.append(edit.get("class", "unclassified"))
        if "old" in edit:
            at = _once(text, edit["old"], here, edit.get("n"))
            text, spans = _replace(text, spans, at, at + len(edit["old"]), edit["new"], here)
        elif "insert" in edit:
            anchor = edit.get("after", edit.get("before"))
            at = _once(text, anchor, here, edit.get("n"))
            point = at + len(anchor) if "after" in edit else at
            text, spans = _replace(text, spans, point, point, edit["insert"], here)
        elif "move" in edit:
            text, spans = _move(text, spans, edit, here)
        else:
            raise CorpusError(f"{here}: an edit needs old/new, insert or move")
    return text, spans, classes


def _replace(text: str, spans: dict, start: int, end: int, new: str, where: str):
    delta = len(new) - (end - start)
    moved = {}
    for name, (low, high) in spans.items():
        if start == end:  # an insertion: a passage starting at the point moves, one ending there does not
            if low < start < high:
                raise CorpusError(f"{where}: the insertion falls inside annotation {name}; list its expectation")
            moved[name] = (low + delta, high + delta) if low >= start else (low, high)
        elif high <= start:
            moved[name] = (low, high)
        elif low >= end:
            moved[name] = (low + delta, high + delta)
        else:
            raise CorpusError(f"{where}: the edit touches annotation {name}'s passage; list its expectation")
    return text[:start] + new + text[end:], moved


def _move(text: str, spans: dict, edit: dict, where: str):
    block = edit["move"]
    start = _once(text, block, where, edit.get("n"))
    end = start + len(block)
    inside = {name: (low - start, high - start) for name, (low, high) in spans.items() if start <= low and high <= end}
    outside = {name: span for name, span in spans.items() if name not in inside}
    text, outside = _replace(text, outside, start, end, "", where)
    anchor = edit.get("after", edit.get("before"))
    at = _once(text, anchor, where)
    point = at + len(anchor) if "after" in edit else at
    text, outside = _replace(text, outside, point, point, block, where)
    return text, {**outside, **{name: (point + low, point + high) for name, (low, high) in inside.items()}}


def _expectation(text: str, spec, previous: Expected, where: str) -> Expected:
    if spec == "orphan":
        return Expected("orphaned", state="orphaned")
    if not isinstance(spec, dict):
        raise CorpusError(f"{where}: expected orphan, {{at: ...}} or {{changed: ...}}")
    if "changed" in spec:
        start = _nth(text, spec["changed"], spec.get("n", 1), where)
        return Expected("changed", start, start + len(spec["changed"]), "changed", "changed")
    words = spec.get("words", "same")
    if words not in ("same", "reworded"):
        raise CorpusError(f"{where}: words must be same or reworded")
    if "after" in spec:
        start = text.find(spec["at"], _once(text, spec["after"], where) + len(spec["after"]))
        if start == -1:
            raise CorpusError(f"{where}: {spec['at']!r} does not occur after {spec['after']!r}")
    else:
        start = _nth(text, spec["at"], spec.get("n", 1), where)
    return _with_state(Expected("placed", start, start + len(spec["at"]), words), previous)


def _with_state(expected: Expected, previous: Expected) -> Expected:
    if expected.outcome == "changed":
        state = "changed"
    elif expected.words == "reworded":
        state = "reworded"
    else:
        unmoved = previous.outcome in ("placed", "changed") and previous.start == expected.start
        state = "anchored" if unmoved else "moved"
    return Expected(expected.outcome, expected.start, expected.end, expected.words, state)
