"""Benchmark: how long each reference parser takes on a megabyte of adversarial whitespace.

The payloads are the ones tests/unit/bibliography/test_bib_adversarial.py feeds (crafted PMIDs,
PMCIDs, DOIs, MEDLINE author lines, notes and whole files in every import format). The target is
under a second each; the test only checks a generous bound, since wall-clock time on a shared
machine is no basis for a pass or a fail. Prints one line per payload and the slowest.

Run: .venv/bin/python bench/adversarial_input.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.bibliography.test_bib_adversarial import PAYLOADS, run_payload  # noqa: E402

TARGET_SECONDS = 1.0


def main() -> None:
    """Time every payload once and print the figures."""
    timings = {}
    for name in PAYLOADS:
        started = time.perf_counter()
        run_payload(name)
        timings[name] = time.perf_counter() - started
        print(f"{name:28s} {timings[name] * 1000:8.1f} ms")
    slowest = max(timings, key=timings.get)
    verdict = "within" if timings[slowest] < TARGET_SECONDS else "OVER"
    print(f"slowest: {slowest} at {timings[slowest] * 1000:.1f} ms ({verdict} the {TARGET_SECONDS:.0f} s target)")


if __name__ == "__main__":
    main()
