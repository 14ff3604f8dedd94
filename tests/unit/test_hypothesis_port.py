"""The port of Hypothesis's matcher: Myers' algorithm gives the same answers as the textbook dynamic programme."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.hypothesis_port import anchor, approx_search, match_quote

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"


def lowest_error_matches(text: str, pattern: str, max_errors: float) -> list[tuple[int, int]]:
    """Return (end, errors) of every lowest-error approximate match, by the O(n*m) dynamic programme."""
    previous = list(range(len(pattern) + 1))
    ends = []
    for j, char in enumerate(text, start=1):
        current = [0]
        for i, p in enumerate(pattern, start=1):
            current.append(min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + (p != char)))
        ends.append((j, current[-1]))
        previous = current
    best = min((e for _, e in ends), default=None)
    if best is None or best > min(max_errors, len(pattern)):
        return []
    return [(end, e) for end, e in ends if e == best]


def test_the_readme_example_of_approx_string_match():
    assert [tuple(m) for m in approx_search("Four score and seven", "annd", 2)] == [(11, 14, 1)]


@pytest.mark.parametrize("seed", range(6))
def test_myers_search_finds_exactly_the_lowest_error_ends(seed):
    rng = random.Random(seed)
    for _ in range(60):
        alphabet = rng.choice(["ab", "abcde ", "acgt"])
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
        max_errors = rng.choice([0, 1, 3, len(pattern) / 2, len(pattern)])

        found = [(m.end, m.errors) for m in approx_search(text, pattern, max_errors)]

        assert found == lowest_error_matches(text, pattern, max_errors)


def test_match_quote_prefers_the_occurrence_whose_context_matches():
    text = "the dose was low in arm A. the dose was low in arm B."

    found = match_quote(text, "the dose was low", prefix="arm A. ", suffix=" in arm B")

    assert (found.start, found.end) == (27, 43)


def test_hypothesis_attaches_a_quote_whose_figures_changed():
    # The fault the issue describes: the best approximate match wins, whatever it says.
    text = "Mortality fell from 31% to 44% in the treated group."

    assert anchor(text, "from 31% to 43%", "Mortality fell ", " in the", 15, 30) == (15, 30)


@pytest.mark.skipif(not (shutil.which("node") and (ROOT / "node_modules" / "approx-string-match").exists()),
                    reason="cross-check with the npm package: `make node` (npm ci at the top of the tree) installs it")
def test_the_port_agrees_with_the_npm_package():
    rng = random.Random(11)
    cases = []
    for _ in range(200):
        text = "".join(rng.choice("abcde ") for _ in range(rng.randint(0, 150)))
        pattern = "".join(rng.choice("abcde ") for _ in range(rng.randint(1, 70)))
        cases.append([text, pattern, rng.choice([0, 2, len(pattern) / 2])])
    result = subprocess.run(["node", str(BENCH / "approx_search.mjs")], input=json.dumps(cases), text=True,
                            capture_output=True, check=True, cwd=BENCH)

    expected = json.loads(result.stdout)

    assert [[m._asdict() for m in approx_search(*case)] for case in cases] == expected
