"""Every figure of the "fast at any size" targets, each beside its target, on SQLite and PostgreSQL.

In one run, on this machine, for each database:

- requests per second (gunicorn, 2 sync workers, wrk -t2 -c8) of a bare Flask app answering
  "hello" (bench/hello_app.py, not a route of Postil's) and of the article page with 500
  annotations (a third of them replies) requested as a browser does (Accept-Encoding: gzip, deflate,
  br): anonymous, a signed-in reader (who wrote two of them) and an admin who wrote a fifth of
  them; then the same three again while a writer adds 5 annotations a second to the same article
  through the page's script. Each is printed as a ratio to hello's rate;
- the bytes of the article page sent to a browser (anonymous and signed-in);
- the first render of the page after one new annotation when the article has 5,000 (in process,
  the Flask test client, median of 5 changes);
- the resident memory of each gunicorn worker after readers (anonymous and signed-in) read 200
  articles of 500 annotations each;
- annotation creations per second, 4 gunicorn workers, SQLite with synchronous=FULL, through the
  page's script, the no-script form and the W3C API (bench/annotation_writes.py's measurement).

A measurement, not a test: it asserts nothing, and prints what falls short as BELOW.
Needs wrk (Debian: apt-get install wrk) and, for the PostgreSQL column, a server: the database named
by BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postil_bench) is created
if missing and emptied. Run: .venv/bin/python bench/speed.py [--sqlite-only] [--duration 10]
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, make_url, select, text, update  # noqa: E402

from tests.reliability.live import free_port  # noqa: E402

BROWSER = "gzip, deflate, br"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postil_bench")
TARGETS = {
    "anonymous": 0.7, "reader": 0.35, "admin": 0.35,
    "anonymous, 5 writes/s": 0.4, "reader, 5 writes/s": 0.2, "admin, 5 writes/s": 0.2,
}
MAX_PAGE_BYTES = 60_000
MAX_FIRST_RENDER_MS = 100
MAX_WORKER_RSS_MB = 250
MIN_CREATIONS_PER_SECOND = 200
NOTES: list[str] = []


@dataclass
class Figures:
    """One database's column of results."""

    rates: dict[str, float] = field(default_factory=dict)
    page_bytes: dict[str, int] = field(default_factory=dict)
    first_render_ms: dict[str, float] = field(default_factory=dict)
    worker_rss_mb: list[float] = field(default_factory=list)
    creations: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _app(database_url: str):
    from app import create_app, settle_process
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PASSWORD_HASH_METHOD = "scrypt:16384:8:1"
        WTF_CSRF_ENABLED = False

    app = create_app(Config)
    settle_process()  # as wsgi.py does in every worker
    return app


def _fresh_database(database_url: str) -> None:
    """Give the database an empty public schema (PostgreSQL: create the database first if missing)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                     {"name": url.database})
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}).first()
        if found is None:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_article(database_url: str, count: int):
    """Build the demo article with `count` annotations; return (slug, reader, admin, writer) (admin wrote 1 in 5)."""
    from app.extensions import db
    from app.models import Annotation, Role
    from bench.article_page import build
    from tests.factories import Factory

    _fresh_database(database_url)
    app = _app(database_url)
    slug, reader = build(app, count)
    factory = Factory(app)
    admin = factory.user(Role.ADMIN, trusted=True, name="Dr Bench Admin")
    writer = factory.user(trusted=True, name="Dr Bench Writer")
    with app.app_context():
        ids = db.session.scalars(select(Annotation.id).order_by(Annotation.id)).all()
        mine = [i for n, i in enumerate(ids) if n % 5 == 4]
        db.session.execute(update(Annotation).where(Annotation.id.in_(mine)).values(author_id=admin.id))
        db.session.commit()
        db.engine.dispose()
    return slug, reader, admin, writer


class Gunicorn:
    """A gunicorn serving `target` on a free port, stopped on exit."""

    def __init__(self, target: str, workers: int = 2, env: dict | None = None):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--chdir",
             str(ROOT), "--timeout", "120", target], env=dict(os.environ, **(env or {})),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/")
                connection.getresponse().read()
                return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"gunicorn did not start for {self.base}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def _worker_status(self) -> list[dict[str, str]]:
        """Return each worker's /proc status fields, by name."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
                for pid in children]

    def worker_rss_mb(self) -> list[float]:
        """Return each worker's resident memory in MB."""
        return [int(fields["VmRSS"].split()[0]) / 1024 for fields in self._worker_status()]

    def worker_rss_split(self) -> list[tuple[float, float]]:
        """Return each worker's resident memory in MB as (anonymous, file-backed): RssAnon and RssFile."""
        return [tuple(int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile"))
                for fields in self._worker_status()]


def session_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the form and return the Cookie header of the session.

    Like every request of this benchmark, without a User-Agent: the session is bound to the browser
    that signed in (Flask-Login's session protection), so sign-in and reading must look alike.
    """
    from tests.reliability.live import Client

    client = Client(base)
    client.sign_in(email, password)
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def postil_env(database_url: str) -> dict:
    return {"DATABASE_URL": database_url, "POSTIL_ENV": "development", "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING", "PREMODERATION_COUNT": "0"}


def wrk(url: str, duration: int, headers: dict[str, str]) -> float:
    """Return wrk's requests per second; stop at any error answer."""
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if "Non-2xx or 3xx responses" in line:
            raise SystemExit(f"{url}: {line.strip()}\n{output}")
        if "Socket errors" in line:  # timeouts (2 s) are slow answers: counted, and said
            NOTES.append(f"wrk {' '.join(f'{k}' for k in headers if k == 'Cookie') or 'anonymous'} {url}: "
                         f"{line.strip()}")
    return float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec:")))


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict]:
    """GET `path`; return status, body as sent (still compressed) and headers."""
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, dict(response.getheaders())


class Writer(threading.Thread):
    """Adds annotations to the article at a steady rate through the page's script, until stopped."""

    def __init__(self, base: str, email: str, slug: str, per_second: float):
        super().__init__(daemon=True)
        from tests.reliability.live import Client

        self.client = Client(base)
        self.client.sign_in(email)
        self.slug, self.interval = slug, 1 / per_second
        self.stopping = threading.Event()
        self.created = self.failed = 0

    def run(self) -> None:
        from tests.reliability.live import QUOTES

        due = time.monotonic()
        while not self.stopping.is_set():
            response = self.client.annotate(f"Written during the benchmark {self.created}", QUOTES[self.created % 3],
                                            slug=self.slug)
            if response.status == 201:
                self.created += 1
            else:
                self.failed += 1
            due += self.interval
            self.stopping.wait(max(0.0, due - time.monotonic()))


def measure_pages(database_url: str, duration: int, figures: Figures) -> None:
    """Throughput of hello and of the article page, without and with writes; bytes sent."""
    from tests.factories import PASSWORD

    slug, reader, admin, writer = build_article(database_url, 500)
    with Gunicorn("bench.hello_app:app") as hello:
        wrk(f"{hello.base}/", 2, {"Accept-Encoding": BROWSER})
        figures.rates["hello"] = wrk(f"{hello.base}/", duration, {"Accept-Encoding": BROWSER})
    with Gunicorn("wsgi:app", env=postil_env(database_url)) as server:
        page = f"{server.base}/articles/{slug}"
        cookies = {"reader": session_cookie(server.base, reader.email, PASSWORD),
                   "admin": session_cookie(server.base, admin.email, PASSWORD)}
        viewers = {"anonymous": {"Accept-Encoding": BROWSER},
                   "reader": {"Accept-Encoding": BROWSER, "Cookie": cookies["reader"]},
                   "admin": {"Accept-Encoding": BROWSER, "Cookie": cookies["admin"]}}
        for who, headers in viewers.items():
            status, body, answer = fetch(server.base, f"/articles/{slug}", headers)
            assert status == 200, (who, status)
            figures.page_bytes[f"{who} ({answer.get('Content-Encoding', 'identity')})"] = len(body)
            if who == "reader":
                figures.page_bytes["uncompressed"] = len(gzip.decompress(body))
        for who, headers in viewers.items():
            wrk(page, 2, headers)  # every worker warm
            figures.rates[who] = wrk(page, duration, headers)
        writing = Writer(server.base, writer.email, slug, 5)
        writing.start()
        try:
            for who, headers in viewers.items():
                figures.rates[f"{who}, 5 writes/s"] = wrk(page, duration, headers)
        finally:
            writing.stopping.set()
            writing.join(timeout=60)
        figures.notes.append(f"the writer added {writing.created} annotations ({writing.failed} refused) during "
                             f"the three runs under writes")


def measure_first_render(database_url: str, figures: Figures, count: int = 5000, changes: int = 5) -> None:
    """The first anonymous and signed-in render after one new annotation, at `count` annotations."""
    from app.extensions import db
    from app.models import Article, User
    from app.services import annotations
    from tests.factories import PASSWORD

    slug, reader, _, writer = build_article(database_url, count)
    app = _app(database_url)
    anonymous, signed_in = app.test_client(), app.test_client()
    signed_in.post("/sign-in", data={"email": reader.email, "password": PASSWORD})
    path = f"/articles/{slug}"
    samples: dict[str, list[float]] = {"anonymous": [], "reader": []}
    for change in range(changes + 1):
        with app.app_context():
            article = db.session.scalar(select(Article).where(Article.slug == slug))
            annotations.create(article, db.session.get(User, writer.id), body=f"New annotation {change}",
                               selector=annotations.anchor(article, "rebastinib, a TIE2 inhibitor"))
            db.session.commit()
        for who, client in (("anonymous", anonymous), ("reader", signed_in)):
            started = time.perf_counter()
            response = client.get(path, headers={"Accept-Encoding": BROWSER})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            if change:  # the first round also fills what only changes with the article's text
                samples[who].append(elapsed)
    figures.first_render_ms = {who: statistics.median(values) for who, values in samples.items()}
    with app.app_context():
        db.engine.dispose()


def build_library(database_url: str, articles: int, per_article: int):
    """Build `articles` copies of the demo article with `per_article` annotations each (a third replies)."""
    from app.extensions import db
    from app.models import Annotation, Article
    from app.services import importing
    from app.services.annotations import anchor
    from bench.article_page import QUOTES
    from tests.factories import DEMO_DIR, Factory

    _fresh_database(database_url)
    app = _app(database_url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    factory = Factory(app)
    authors = [factory.user(trusted=True) for _ in range(20)]
    reader = factory.user(trusted=True)
    markdown = (DEMO_DIR / "chemotherapy-metastases.md").read_text("utf-8")
    slugs = []
    with app.app_context():
        importing.import_article(markdown, "library-0", None, references=(DEMO_DIR / "references.json").read_bytes(),
                                 references_name="references.json")
        for n in range(1, articles):
            importing.import_article(markdown, f"library-{n}", None)
        db.session.commit()
        for article in db.session.scalars(select(Article).order_by(Article.id)):
            slugs.append(article.slug)
            selectors = [anchor(article, q) for q in QUOTES]
            roots = [{"article_id": article.id, "author_id": authors[i % 20].id, "body": f"Annotation {i}",
                      "body_html": f"<p>Annotation {i} with some <em>emphasis</em>.</p>", "tags": ["bench"],
                      "created_version": 1, "anchor_version": 1, "exact": s.exact, "prefix": s.prefix,
                      "suffix": s.suffix, "start": s.start, "end": s.end, "original_exact": s.exact}
                     for i, s in ((i, selectors[i % len(selectors)]) for i in range(per_article - per_article // 3))]
            db.session.execute(insert(Annotation), roots)
            root_ids = db.session.scalars(select(Annotation.id).where(Annotation.article_id == article.id)).all()
            replies = [{"article_id": article.id, "author_id": authors[i % 20].id, "body": f"Reply {i}",
                        "body_html": f"<p>Reply {i} with some <em>emphasis</em>.</p>", "tags": ["bench"],
                        "created_version": 1, "anchor_version": 1, "parent_id": root_ids[i % len(root_ids)],
                        "root_id": root_ids[i % len(root_ids)]} for i in range(per_article // 3)]
            db.session.execute(insert(Annotation), replies)
            article.display_rev += 1
        db.session.commit()
        db.engine.dispose()
    return slugs, reader


def measure_memory(database_url: str, figures: Figures, articles: int = 200, per_article: int = 500) -> None:
    """Each worker's resident memory after anonymous and signed-in readers read every article once."""
    from tests.factories import PASSWORD

    slugs, reader = build_library(database_url, articles, per_article)
    with Gunicorn("wsgi:app", env=postil_env(database_url)) as server:
        cookie = session_cookie(server.base, reader.email, PASSWORD)
        figures.notes.append(f"worker memory at start: {', '.join(f'{m:.0f} MB' for m in server.worker_rss_mb())}")
        failures = 0

        def read(headers: dict[str, str]) -> None:
            nonlocal failures
            for slug in slugs:
                failures += fetch(server.base, f"/articles/{slug}", headers)[0] != 200

        # Two readers at a time, so both workers read.
        threads = [threading.Thread(target=read, args=({"Accept-Encoding": BROWSER},)),
                   threading.Thread(target=read, args=({"Accept-Encoding": BROWSER, "Cookie": cookie},))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        figures.worker_rss_mb = server.worker_rss_mb()
        split = ", ".join(f"{anon:.0f} MB and {mapped:.0f} MB" for anon, mapped in server.worker_rss_split())
        figures.notes.append(f"worker memory after reading, anonymous and file-backed (mapped files, shared): {split}")
        if failures:
            figures.notes.append(f"{failures} article pages failed while reading the library")


def measure_writes(database_url: str, figures: Figures, seconds: float) -> None:
    """Annotation creations per second with 4 workers and 16 clients (bench/annotation_writes.py)."""
    from bench.annotation_writes import measure
    from tests.reliability.live import LiveServer

    with tempfile.TemporaryDirectory(prefix="postil-speed-") as folder:
        if database_url.startswith("sqlite"):
            database_url = f"sqlite:///{Path(folder) / 'writes.sqlite3'}"
        _fresh_database(database_url)  # run alone, this part may be the first to use PostgreSQL's database
        server = LiveServer(database_url, Path(folder), workers=4)
        try:
            server.prepare(readers=16)
            server.start()
            sessions = [(email, server.signed_in_client(email)) for email in server.readers]
            for mode, name in (("fetch", "page script"), ("form", "no-script form"), ("api", "W3C API")):
                result = measure(server, sessions, 16, seconds, mode)
                figures.creations[name] = result["per_second"]
                if result["failed"]:
                    figures.notes.append(f"{name}: {result['failed']} creations failed: {dict(result['failures'])}")
            locked = server.log_text().count("database is locked")
            figures.notes.append(f"writes: {locked} 'database is locked' in the server log")
        finally:
            server.stop()


def verdict(value: float, target: float, at_least: bool = True) -> str:
    ok = value >= target if at_least else value <= target
    return "meets" if ok else "BELOW"


def report(columns: dict[str, Figures], duration: int) -> None:
    names = list(columns)
    print(f"\nOne run on this machine ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end), "
          f"gunicorn 2 sync workers, wrk -t2 -c8 -d{duration}s, 500 annotations, Accept-Encoding: {BROWSER}")
    header = f"{'figure':<44}" + "".join(f"{name:>24}" for name in names) + "   target"
    print(header)
    print("-" * len(header))

    def row(label: str, cells: list[str], target: str) -> None:
        print(f"{label:<44}" + "".join(f"{cell:>24}" for cell in cells) + f"   {target}")

    row("hello (bare Flask), requests/s", [f"{c.rates.get('hello', 0):.0f}" for c in columns.values()], "")
    for key, target in TARGETS.items():
        cells = []
        for c in columns.values():
            rate, hello = c.rates.get(key), c.rates.get("hello")
            cells.append(f"{rate:.0f}/s {rate / hello:.2f}x {verdict(rate / hello, target)}" if rate and hello else "-")
        row(f"article page, {key}", cells, f">= {target}x hello")
    keys = sorted({k for c in columns.values() for k in c.page_bytes})
    for key in keys:
        cells = []
        for c in columns.values():
            size = c.page_bytes.get(key)
            target_ok = key == "uncompressed" or size is None or size <= MAX_PAGE_BYTES
            cells.append("-" if size is None else f"{size / 1000:.1f} kB" + ("" if target_ok else " BELOW"))
        row(f"bytes sent, {key}", cells, "" if key == "uncompressed" else f"<= {MAX_PAGE_BYTES // 1000} kB")
    for who in ("anonymous", "reader"):
        cells = [f"{c.first_render_ms[who]:.0f} ms {verdict(c.first_render_ms[who], MAX_FIRST_RENDER_MS, False)}"
                 if who in c.first_render_ms else "-" for c in columns.values()]
        row(f"first render after 1 new at 5,000, {who}", cells, f"< {MAX_FIRST_RENDER_MS} ms")
    cells = [f"{max(c.worker_rss_mb):.0f} MB {verdict(max(c.worker_rss_mb), MAX_WORKER_RSS_MB, False)}"
             if c.worker_rss_mb else "-" for c in columns.values()]
    row("worker RSS after 200 articles x 500 (max)", cells, f"< {MAX_WORKER_RSS_MB} MB")
    for mode in ("page script", "no-script form", "W3C API"):
        cells = [f"{c.creations[mode]:.0f}/s {verdict(c.creations[mode], MIN_CREATIONS_PER_SECOND)}"
                 if mode in c.creations else "-" for c in columns.values()]
        row(f"creations, 4 workers, {mode}", cells, f">= {MIN_CREATIONS_PER_SECOND}/s")
    for name, c in columns.items():
        for note in c.notes:
            print(f"{name}: {note}")
    for note in NOTES:
        print(note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--write-seconds", type=float, default=12)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--only", choices=("pages", "render", "memory", "writes"), action="append",
                        help="measure only these parts (repeatable)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    parts = args.only or ["pages", "render", "memory", "writes"]
    columns: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="postil-speed-") as folder:
        databases = {"SQLite": f"sqlite:///{folder}/speed.sqlite3"}
        if not args.sqlite_only:
            databases["PostgreSQL"] = POSTGRES_URL
        for name, url in databases.items():
            figures = columns[name] = Figures()
            for part in parts:
                print(f"{name}: measuring {part}...", flush=True)
                if url.startswith("sqlite"):
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                if part == "pages":
                    measure_pages(url, args.duration, figures)
                elif part == "render":
                    measure_first_render(url, figures)
                elif part == "memory":
                    measure_memory(url, figures)
                else:
                    measure_writes(url, figures, args.write_seconds)
    report(columns, args.duration)


if __name__ == "__main__":
    main()
