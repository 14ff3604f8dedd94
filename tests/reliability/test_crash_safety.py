"""Killing a worker with SIGKILL in the middle of writes leaves a sound database and no half-written comment."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time

import pytest
from sqlalchemy import make_url

from tests.reliability.live import Load

WRITERS = 12
MAX_KILLS = 6
STATUSES = {"pending", "published", "hidden", "removed"}
KINDS = {"comment", "question", "critique", "support", "practice"}
VISIBILITIES = {"public", "private"}


def _kill_workers_until_a_request_is_cut(server, load: Load) -> int:
    """SIGKILL one busy-looking worker at a time until a client lost its answer; return the kills made."""
    kills = 0
    while kills < MAX_KILLS and not load.unanswered_writes():
        workers = server.worker_pids()
        assert workers, "gunicorn has no workers to kill"
        os.kill(workers[kills % len(workers)], signal.SIGKILL)
        kills += 1
        time.sleep(1.5)  # let the master notice, and the other workers keep writing
    return kills


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
        time.sleep(2)
        kills = _kill_workers_until_a_request_is_cut(live_server, load)
        time.sleep(1)
    finally:
        outcomes = load.stop()
    cut = load.unanswered_writes()
    print(f"\n{kills} workers killed; {len(outcomes)} writes, {len(cut)} cut off without an answer")
    assert cut, f"{kills} kills never interrupted a request: the test proved nothing"

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
    confirmed = set(load.created())
    assert confirmed <= saved, f"annotations answered 201 are missing: {sorted(confirmed - saved)[:5]}"
    assert saved - {f"{load.tag} after the crash"} <= confirmed | cut, "the database holds writes nobody sent"
