"""Re-anchoring, measured: Postil and a faithful port of Hypothesis's matcher on the same hand-checked corpus.

    .venv/bin/python -m bench.anchoring [--details]

For every annotation of every revision of tests/data/anchoring/ (see
bench/corpus.py), each matcher either attaches the annotation somewhere or
does not. Against the expectation written by hand:
- correct: attached to the expected passage (the same characters, give or
  take 10% of them at the edges);
- wrong: attached to other words, or attached although the passage is gone or
  its figures changed;
- orphaned when recoverable: not attached although the passage is there;
- correctly orphaned: not attached, and the passage is gone or changed.
Postil follows each annotation revision by revision with its trail (original,
confirmed and last selectors); Hypothesis matches the selectors an annotation
was written on against each revision, as its client does. Postil's "changed"
counts as not attached. Postil's states are also compared with the expected
ones (anchored, moved, reworded, changed, orphaned).
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass

from app.text.anchoring import Trail, follow
from bench import hypothesis_port
from bench.corpus import Document, Expected, load_corpus

OUTCOMES = ("correct", "wrong", "orphaned when recoverable", "correctly orphaned")
# Share of the union of two ranges that they must have in common to be "the same passage".
SAME_PASSAGE = 0.9


@dataclass
class Tally:
    """Outcome counts of one matcher, and the cases it got wrong or missed."""

    name: str
    counts: Counter
    states: Counter
    misses: list[str]
    seconds: float = 0.0

    @property
    def recoverable(self) -> int:
        return self.counts["correct"] + self.counts["wrong recoverable"] + self.counts["orphaned when recoverable"]


def same_passage(found: tuple[int, int], expected: Expected) -> bool:
    """Tell whether an attached range is the expected passage, give or take a little at its edges."""
    low, high = found
    common = max(0, min(high, expected.end) - max(low, expected.start))
    union = max(high, expected.end) - min(low, expected.start)
    return union > 0 and common / union >= SAME_PASSAGE


def judge(found: tuple[int, int] | None, expected: Expected) -> tuple[str, bool]:
    """Return the outcome of one attempt and whether it concerned a recoverable passage."""
    if expected.recoverable:
        if found is None:
            return "orphaned when recoverable", True
        return ("correct" if same_passage(found, expected) else "wrong"), True
    return ("correctly orphaned" if found is None else "wrong"), False


def run_postil(documents: list[Document]) -> Tally:
    """Follow every annotation through every revision with Postil's re-anchoring."""
    tally = Tally("Postil", Counter(), Counter(), [])
    began = time.perf_counter()
    for document in documents:
        trails = {name: Trail.of(selector, document.text) for name, selector in document.annotations.items()}
        for revision in document.revisions:
            for name, trail in trails.items():
                expected = revision.expected[name]
                result = follow(revision.text, trail)
                attached = result.state in ("anchored", "moved", "reworded")
                found = (result.selector.start, result.selector.end) if attached else None
                outcome, recoverable = judge(found, expected)
                _count(tally, outcome, recoverable)
                tally.states["as expected" if result.state == expected.state else "other"] += 1
                if outcome != "correct" and outcome != "correctly orphaned" or result.state != expected.state:
                    tally.misses.append(_describe(document, revision.number, name, expected, result.state, found,
                                                  revision.text))
                if result.selector is not None:
                    texts = {**trail.texts, result.selector: revision.text}
                    trails[name] = Trail(trail.original, trail.confirmed, result.selector, True, texts)
                else:
                    trails[name] = Trail(trail.original, trail.confirmed, trail.last, False, trail.texts)
    tally.seconds = time.perf_counter() - began
    return tally


def run_hypothesis(documents: list[Document]) -> Tally:
    """Match every annotation's original selectors against every revision, as Hypothesis's client does."""
    tally = Tally("Hypothesis (port of match-quote)", Counter(), Counter(), [])
    began = time.perf_counter()
    for document in documents:
        for revision in document.revisions:
            for name, selector in document.annotations.items():
                expected = revision.expected[name]
                found = hypothesis_port.anchor(revision.text, selector.exact, selector.prefix, selector.suffix,
                                               selector.start, selector.end)
                outcome, recoverable = judge(found, expected)
                _count(tally, outcome, recoverable)
                if outcome not in ("correct", "correctly orphaned"):
                    tally.misses.append(_describe(document, revision.number, name, expected, "attached" if found
                                                  else "not found", found, revision.text))
    tally.seconds = time.perf_counter() - began
    return tally


def _count(tally: Tally, outcome: str, recoverable: bool) -> None:
    tally.counts[outcome] += 1
    if outcome == "wrong" and recoverable:
        tally.counts["wrong recoverable"] += 1


def _describe(document: Document, number: int, name: str, expected: Expected, state: str,
              found: tuple[int, int] | None, text: str) -> str:
    want = (f"{expected.state} {text[expected.start:expected.end]!r}" if expected.start is not None
            else expected.state)
    got = f"{state} {text[found[0]:found[1]]!r}" if found else state
    return f"{document.name} v{number} {name}: expected {want}; got {got}"


def table(tallies: list[Tally], annotations: int, attempts: int) -> str:
    """Return the figures of each matcher as a Markdown table."""
    lines = ["| matcher | correct | wrong | orphaned when recoverable | correctly orphaned | recoverable re-attached |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for tally in tallies:
        recall = tally.counts["correct"] / tally.recoverable if tally.recoverable else 0.0
        lines.append(f"| {tally.name} | {tally.counts['correct']} | {tally.counts['wrong']} | "
                     f"{tally.counts['orphaned when recoverable']} | {tally.counts['correctly orphaned']} | "
                     f"{recall:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every miss of each matcher")
    args = parser.parse_args(argv)
    documents = load_corpus()
    annotations = sum(len(d.annotations) for d in documents)
    attempts = sum(len(d.annotations) * len(d.revisions) for d in documents)
    recoverable = sum(e.recoverable for d in documents for r in d.revisions for e in r.expected.values())
    postil, hypothesis = run_postil(documents), run_hypothesis(documents)
    print(f"Corpus: {len(documents)} texts, {annotations} annotations, "
          f"{sum(len(d.revisions) for d in documents)} revisions, {attempts} re-anchorings "
          f"({recoverable} recoverable, {attempts - recoverable} gone or changed).\n")
    print(table([postil, hypothesis], annotations, attempts))
    print(f"\nPostil's state (anchored, moved, reworded, changed, orphaned) as expected: "
          f"{postil.states['as expected']} of {attempts}.")
    print(f"Time: Postil {postil.seconds:.2f} s, Hypothesis port {hypothesis.seconds:.2f} s (pure Python).")
    if args.details:
        for tally in (postil, hypothesis):
            print(f"\n{tally.name}: {len(tally.misses)} misses")
            for line in tally.misses:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
