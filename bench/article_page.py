"""Benchmark the article page: render time and SQL queries with 10 to 5,000 annotations.

Builds a fresh SQLite database in a temporary folder, loads the demo article, adds N annotations
(a third of them replies), then requests the page through the Flask test client as an anonymous
reader and as a signed-in reader. Prints one line per size:

    annotations  queries  anon_first_ms  anon_cached_ms  reader_ms

"first" is the first request of a new app on that database (cold: templates compiled, nothing
cached), "cached" a repeat request. The first render after a change to a warm page is measured by
bench/speed.py.
Run: .venv/bin/python bench/article_page.py [sizes...]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from config import TestingConfig  # noqa: E402

QUOTES = [
    "are the models used really representative of the spectrum of human tumors?",
    "What were the levels of resistance to taxanes and other chemotherapies?",
    "rebastinib, a TIE2 inhibitor",
    "it makes sense to continue the current chemotherapy therapy for breast cancer",
    "induce the formation of tumor invasion sites in small blood vessels",
]


def build(app, count: int) -> tuple[str, int]:
    """Fill a fresh database with the demo article and `count` annotations; return slug and a reader id."""
    from flask_migrate import upgrade

    from app.models import Annotation, Article
    from app.services.annotations import anchor
    from tests.factories import Factory

    with app.app_context():
        upgrade()
    factory = Factory(app)
    slug = factory.demo_article()
    authors = [factory.user(trusted=True) for _ in range(20)]
    reader = factory.user(trusted=True)
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        selectors = [anchor(article, q) for q in QUOTES]
        roots: list[int] = []
        for i in range(count):
            is_reply = roots and i % 3 == 2
            sel = selectors[i % len(selectors)]
            # The signed-in reader wrote two of them; twenty colleagues wrote the rest.
            author_id = reader.id if i in (0, 1) else authors[i % len(authors)].id
            row = Annotation(article_id=article.id, author_id=author_id, body=f"Annotation {i}",
                             body_html=f"<p>Annotation {i} with some <em>emphasis</em>.</p>", tags=["bench"],
                             created_version=1, anchor_version=1)
            if is_reply:
                row.parent_id = row.root_id = roots[i % len(roots)]
            else:
                row.exact, row.prefix, row.suffix, row.start, row.end = (sel.exact, sel.prefix, sel.suffix,
                                                                       sel.start, sel.end)
                row.original_exact = sel.exact
            db.session.add(row)
            db.session.flush()
            if not is_reply:
                roots.append(row.id)
        article.display_rev += 1
        db.session.commit()
    return slug, reader


def timed(client, path: str, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def measure(count: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite3"
            WTF_CSRF_ENABLED = False

        app = create_app(Config)
        slug, reader = build(app, count)
        path = f"/articles/{slug}"
        anon = app.test_client()
        with app.app_context():
            engine = db.engine
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        anon.get(path)
        first_ms = (time.perf_counter() - start) * 1000
        queries = len(statements)
        event.remove(engine, "before_cursor_execute", listener)
        cached_ms = timed(anon, path)
        signed_in = app.test_client()
        signed_in.post("/sign-in", data={"email": reader.email, "password": reader.password})
        reader_ms = timed(signed_in, path)
        with app.app_context():
            db.engine.dispose()
    return f"{count:>11}  {queries:>7}  {first_ms:>13.1f}  {cached_ms:>14.1f}  {reader_ms:>9.1f}"


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 1000, 5000]
    print("annotations  queries  anon_first_ms  anon_cached_ms  reader_ms")
    for size in sizes:
        print(measure(size), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
