"""Benchmark the bulk paths whose speed the unit tests no longer time: highlighting and importing.

The unit tests prove what these paths produce (tests/unit/text/test_highlight.py marks 5,000
overlapping annotations, tests/unit/services/test_importing.py imports 5,000 references twice);
how long they take depends on the machine and on what else runs on it, so it is measured here and
printed beside the target, never asserted in the suite. Prints one line per measurement:

    what  median_s  target_s  verdict

"highlight" is app.text.highlight.highlight over the demo article with 5,000 random spans; "import"
and "re-import" read a 5,000-record RIS file into an empty SQLite database, then again (every record
found and updated). Run: .venv/bin/python bench/pure_layers.py [repeats]
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.text.highlight import Span, highlight  # noqa: E402
from app.text.markdown import render_article, split_front_matter  # noqa: E402
from config import TestingConfig  # noqa: E402

DEMO = ROOT / "tests" / "data" / "chemotherapy-metastases.md"
TARGETS = {"highlight": 3.0, "import": 10.0, "re-import": 10.0}  # seconds, on the project's 2-core machines
ANNOTATIONS = 5000
RECORDS = 5000


def time_highlight() -> float:
    """Highlight 5,000 random spans of up to 60 characters on the demo article; return seconds."""
    _, body = split_front_matter(DEMO.read_text(encoding="utf-8"))
    article = render_article(body)
    rng = random.Random(1)
    length = len(article.text)
    spans = []
    for annotation_id in range(ANNOTATIONS):
        start = rng.randrange(length - 1)
        spans.append(Span(start, min(length, start + rng.randint(1, 60)), annotation_id, "comment"))
    began = time.perf_counter()
    highlight(article.html, spans)
    return time.perf_counter() - began


def big_ris(count: int) -> bytes:
    """Return a RIS file of `count` journal articles, each with a DOI and an accession number."""
    lines = []
    for n in range(count):
        lines += ["TY  - JOUR", f"TI  - Synthetic study number {n} of tumour cells", f"AU  - Author{n % 97}, Ann",
                  "PY  - 2020", f"DO  - 10.5555/synthetic.{n}", f"AN  - {30000000 + n}", "ER  - ", ""]
    return "\n".join(lines).encode()


def time_imports() -> tuple[float, float]:
    """Import the RIS file into a fresh SQLite database, then again; return both durations in seconds."""
    from flask_migrate import upgrade

    from app.services import importing

    data = big_ris(RECORDS)
    with tempfile.TemporaryDirectory() as folder:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite3"

        app = create_app(Config)
        with app.app_context():
            upgrade()
            durations = []
            for expected in ("created", "updated"):
                began = time.perf_counter()
                report = importing.import_file(data, "ris")
                db.session.commit()
                durations.append(time.perf_counter() - began)
                assert report.counts[expected] == RECORDS, report.counts
            db.engine.dispose()
    return durations[0], durations[1]


def main(argv: list[str]) -> None:
    # The migrations' expression index cannot be reflected by SQLite; the suite filters the same warning.
    warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
    repeats = int(argv[0]) if argv else 3
    samples: dict[str, list[float]] = {name: [] for name in TARGETS}
    for _ in range(repeats):
        samples["highlight"].append(time_highlight())
        first, second = time_imports()
        samples["import"].append(first)
        samples["re-import"].append(second)
    print(f"{'what':<10}  median_s  target_s  verdict   ({repeats} runs, {ANNOTATIONS} spans, {RECORDS} records)")
    for name, values in samples.items():
        median = statistics.median(values)
        verdict = "ok" if median <= TARGETS[name] else "SLOW"
        print(f"{name:<10}  {median:>8.2f}  {TARGETS[name]:>8.1f}  {verdict}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
