"""Benchmark: annotations created per second under gunicorn on SQLite with synchronous=FULL.

Starts `gunicorn wsgi:app` on a fresh SQLite database (built with `flask db upgrade` and
`seed-demo`), signs in one reader per client thread, and has every client create annotations
back to back for a fixed time. Each creation is a real durable commit: the app's engine sets
PRAGMA synchronous=FULL on every connection, which this script checks before starting.

Three ways of writing are measured, two as a reader's browser does them and one as an API client:
- fetch: the page's script posts with X-Requested-With: fetch and gets 201 with a small JSON (id,
  message, permalink); the script then re-reads the cached page, which this benchmark does not do;
- form: the no-script form, answered with a 302 to the new annotation;
- api: a W3C Web Annotation posted as JSON to the article's container (the session's cookie and its
  CSRF token in X-CSRFToken), answered 201 with the annotation in JSON-LD.

Usage: .venv/bin/python bench/annotation_writes.py [--seconds 15] [--clients 16] [--workers 4]
                                                 [--mode fetch|form|api|all] [--log FILE] [--profile]
                                                 [--database postgresql+psycopg://...]
--database runs the same on PostgreSQL (a database of its own: its tables are emptied first).
Prints creations per second, latency percentiles, and the database's annotation count as a check
that every confirmed write is there. This is a measurement, not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.live import LiveServer, Load  # noqa: E402

TARGET_PER_SECOND = 200


def _check_durability(server: LiveServer) -> int:
    """Return PRAGMA synchronous as the app's own engine sets it (2 is FULL)."""
    from app.extensions import db

    with server.helper_app().app_context():
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


MODES = ("fetch", "form", "api")


def measure(server: LiveServer, sessions, clients: int, seconds: float, mode: str) -> dict:
    """Run one timed burst of creations in `mode` (one of MODES) and return the figures."""
    mix, fetch = ({"api-annotate": 1}, True) if mode == "api" else ({"annotate": 1}, mode == "fetch")
    Load(sessions, threads=clients, mix=mix, fetch=fetch).run(2)  # warm up every worker
    load = Load(sessions, threads=clients, mix=mix, fetch=fetch)
    started, server_cpu, client_cpu = time.monotonic(), server.cpu_seconds(), time.process_time()
    outcomes = load.run(seconds)
    elapsed = time.monotonic() - started
    server_cpu, client_cpu = server.cpu_seconds() - server_cpu, time.process_time() - client_cpu
    created = load.created()
    latencies = [o.seconds for o in outcomes if o.created_id is not None]
    saved = server.rows("SELECT count(*) AS n FROM annotations WHERE body LIKE :tag", tag=f"{load.tag} %")[0].n
    return {
        "mode": mode,
        "created": len(created),
        "per_second": len(created) / elapsed,
        "failed": sum(o.created_id is None for o in outcomes),
        "failures": Counter(f"{o.status} {o.error or o.excerpt[:80]}" for o in outcomes if o.created_id is None),
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0,
        "p95_ms": _percentile(latencies, 0.95) * 1000 if latencies else 0,
        "saved": saved,
        # CPU per creation does not depend on what else the machine runs: it bounds what two idle cores can do.
        "server_cpu_ms": server_cpu / max(1, len(created)) * 1000,
        "client_cpu_ms": client_cpu / max(1, len(created)) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mode", choices=(*MODES, "all"), default="all")
    parser.add_argument("--log", type=Path, help="copy gunicorn's log (with the application's) to this file")
    parser.add_argument("--database", help="a PostgreSQL URL to measure instead of a fresh SQLite file")
    parser.add_argument("--profile", action="store_true",
                        help="profile one worker-equivalent request loop in-process and print the top functions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="postil-bench-") as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        server = LiveServer(url, Path(folder), workers=args.workers)
        try:
            print(f"Preparing a fresh {'PostgreSQL' if args.database else 'SQLite'} database and {args.clients} "
                  "readers...", flush=True)
            server.prepare(readers=args.clients)
            if not args.database:
                synchronous = _check_durability(server)
                print(f"PRAGMA synchronous = {synchronous} ({'FULL' if synchronous == 2 else 'NOT FULL'})")
            server.start()
            sessions = [(email, server.signed_in_client(email)) for email in server.readers]
            load_average = os.getloadavg()[0]
            print(f"gunicorn: {args.workers} sync workers; {args.clients} clients; {os.cpu_count()} CPUs; "
                  f"load average before the run {load_average:.1f}")
            for mode in MODES if args.mode == "all" else (args.mode,):
                figures = measure(server, sessions, args.clients, args.seconds, mode)
                verdict = "meets" if figures["per_second"] >= TARGET_PER_SECOND else "BELOW"
                print(f"{figures['mode']:>5}: {figures['per_second']:.1f} annotations/s ({verdict} the target of "
                      f"{TARGET_PER_SECOND}/s); {figures['created']} created in {args.seconds:.0f} s, "
                      f"{figures['failed']} failed; latency p50 {figures['p50_ms']:.0f} ms, "
                      f"p95 {figures['p95_ms']:.0f} ms; {figures['saved']} found in the database", flush=True)
                if figures["failures"]:
                    print(f"       failures: {dict(figures['failures'])}")
                cpu = figures["server_cpu_ms"] + figures["client_cpu_ms"]
                print(f"       CPU per creation: server {figures['server_cpu_ms']:.1f} ms, this client "
                      f"{figures['client_cpu_ms']:.1f} ms; {os.cpu_count()} idle CPUs would allow about "
                      f"{os.cpu_count() * 1000 / cpu:.0f}/s", flush=True)
            log = server.log_text()
            if args.log:
                args.log.write_text(log)
            print(f"Server log: {log.count('database is locked')} 'database is locked', "
                  f"{log.count('unhandled error')} unhandled errors, {log.count('WORKER TIMEOUT')} worker timeouts")
        finally:
            server.stop()
        if args.profile:
            _profile(server)
    return 0


def _profile(server: LiveServer, requests: int = 200) -> None:
    """Profile annotation creations through the test client (one process, no network) and print the hot spots."""
    import cProfile
    import pstats

    from tests.reliability.live import CSRF_RE, PASSWORD, QUOTES, SLUG

    app = server.helper_app()
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = next(g for g in CSRF_RE.search(page).groups() if g)
    client.post("/sign-in", data={"email": server.readers[0], "password": PASSWORD, "csrf_token": token})
    token = next(g for g in CSRF_RE.search(client.get("/").get_data(as_text=True)).groups() if g)
    for fetch in (False, True):
        headers = {"X-Requested-With": "fetch"} if fetch else {}
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for n in range(requests):
            client.post(f"/articles/{SLUG}/annotate", headers=headers, data={
                "csrf_token": token, "exact": QUOTES[n % len(QUOTES)], "body": f"profile {n}", "kind": "comment",
                "visibility": "public", "tags": "bench"})
        profiler.disable()
        per_request = (time.perf_counter() - started) / requests * 1000
        print(f"\nProfile, {'fetch' if fetch else 'form'} mode: {per_request:.1f} ms per creation in one process")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    sys.exit(main())
