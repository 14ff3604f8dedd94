"""Killing a worker with SIGKILL in the middle of writes leaves a sound database and no half-written comment.

One kill cuts a request by construction: the test takes the database's write lock itself, so that
every write waits, finds the worker that has accepted a write sent after that moment, and kills
it; that client can only lose its answer. More kills then land on busy workers at random, some
in the middle of a transaction. Every wait is for a state (a worker holding a request, writes
confirmed after a kill), with a generous bound that only turns a hang into a failure.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.reliability.live import Load

WRITERS = 12
RANDOM_KILLS = 3
STATUSES = {"pending", "published", "hidden", "removed"}
KINDS = {"comment", "question", "critique", "support", "practice"}
VISIBILITIES = {"public", "private"}
WRITES = ("annotate", "reply")


@pytest.fixture
def live_server_env() -> dict[str, str]:
    # Writers held up by the test's own lock wait for it rather than giving up after SQLite's usual 15 s.
    return {"SQLITE_BUSY_TIMEOUT_MS": "600000"}


@contextmanager
def write_lock(database_url: str):
    """Hold the lock every annotation write needs (SQLite's write lock, or PostgreSQL's on the table)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None, timeout=600)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            # Reads go on (ACCESS SHARE does not conflict); every INSERT into annotations waits.
            conn.execute(text("LOCK TABLE annotations IN EXCLUSIVE MODE"))
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def _kill_the_worker_holding_a_write(server, load: Load) -> str:
    """Kill a worker that has accepted a write which cannot finish; return the body its client sent."""
    found: dict[str, object] = {}

    def a_worker_holds_a_write_sent_after(connection: int):
        def check(current: Load) -> bool:
            for port, body in current.pending_since(connection).items():
                pid = server.worker_serving(port)
                if pid is not None and body is not None:
                    found.update(pid=pid, body=body)
                    return True
            return False
        return check

    load.pause()  # so that no write is half-way through when the lock is taken
    with write_lock(server.database_url):
        # Every write sent from now on waits for the lock, so none of them can have been answered.
        held_from = load.connections
        load.resume()
        load.wait_for(a_worker_holds_a_write_sent_after(held_from), "a worker holding a write that cannot finish")
        os.kill(found["pid"], signal.SIGKILL)
        load.wait_for(lambda current: found["body"] in current.unanswered_writes(),
                      "the killed worker's client losing its answer")
    return str(found["body"])


def _kill_a_live_worker(server, n: int) -> int:
    """SIGKILL one of the server's live workers (the n-th, round robin) and return its pid.

    A worker listed a moment ago may have exited since (gunicorn replaces workers it finds stuck):
    then another one is chosen, until one is killed.
    """
    while True:
        workers = server.worker_pids()
        if not workers:
            time.sleep(0.05)
            continue
        victim = workers[n % len(workers)]
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            continue
        return victim


def _kill_busy_workers(server, load: Load, kills: int) -> None:
    """SIGKILL a worker at a time while writes go on, each time waiting until the site writes again."""
    for n in range(kills):
        confirmed = load.confirmed(*WRITES)
        victim = _kill_a_live_worker(server, n)
        load.wait_for(lambda current, before=confirmed: current.confirmed(*WRITES) >= before + 10,
                      f"ten more writes after kill {n + 1}")
        load.wait_for(lambda current, dead=victim: dead not in server.worker_pids()
                      and len(server.worker_pids()) == server.workers, f"gunicorn replacing the worker of kill {n + 1}")


def _tags_are_a_json_list(value) -> bool:
    try:
        tags = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return False
    return isinstance(tags, list) and all(isinstance(t, str) for t in tags)


@pytest.mark.slow
def test_killing_a_worker_mid_write_leaves_no_half_written_annotation(live_server, sessions):
    load = Load(sessions, threads=WRITERS, mix={"annotate": 3, "reply": 1}).start()
    try:
        load.wait_for(lambda current: current.confirmed(*WRITES) >= 20, "twenty writes before any kill")
        killed_write = _kill_the_worker_holding_a_write(live_server, load)
        _kill_busy_workers(live_server, load, RANDOM_KILLS)
    finally:
        outcomes = load.stop()
    cut = load.unanswered_writes()
    print(f"\n{RANDOM_KILLS + 1} workers killed; {len(outcomes)} writes, {len(cut)} cut off without an answer")
    assert killed_write in cut

    # The master replaced the dead workers and the site still works.
    client = sessions[0][1]
    assert client.get("/healthz").status == 200
    assert client.annotate(f"{load.tag} after the crash").status == 201
    assert "database is locked" not in live_server.log_text()

    answered = [o for o in outcomes if o.status is not None]
    assert {o.status for o in answered} == {201}, [(o.status, o.excerpt[:200]) for o in answered if o.status != 201]
    live_server.stop()

    if make_url(live_server.database_url).get_backend_name() == "sqlite":
        conn = sqlite3.connect(make_url(live_server.database_url).database)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            conn.close()

    rows = live_server.rows(
        'SELECT a.id, a.body, a.body_html, a.status, a.kind, a.visibility, a.tags, a.exact, a.start, a."end", '
        "a.parent_id, a.root_id, a.created_at, p.id AS parent_found, r.id AS root_found, "
        "substr(art.body_text, a.start + 1, a.\"end\" - a.start) AS quoted "
        "FROM annotations a JOIN articles art ON art.id = a.article_id "
        "LEFT JOIN annotations p ON p.id = a.parent_id LEFT JOIN annotations r ON r.id = a.root_id")
    for row in rows:
        assert row.body and row.body_html and row.created_at, row
        assert row.status in STATUSES and row.kind in KINDS and row.visibility in VISIBILITIES, row
        assert _tags_are_a_json_list(row.tags), row
        if row.parent_id is None:
            assert row.exact and row.start is not None and row.end is not None, row
            assert row.quoted == row.exact, row
        else:
            assert row.parent_found is not None and row.root_found is not None, row
            assert row.exact is None, row

    saved = {row.body for row in rows if row.body.startswith(load.tag)}
    assert killed_write not in saved, "the write whose worker was killed before it could write was saved"
    confirmed = set(load.created())
    assert confirmed <= saved, f"annotations answered 201 are missing: {sorted(confirmed - saved)[:5]}"
    assert saved - {f"{load.tag} after the crash"} <= confirmed | cut, "the database holds writes nobody sent"
