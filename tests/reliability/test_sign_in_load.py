"""Failed sign-ins in parallel with annotation writes: the writes all succeed, promptly.

A password check costs scrypt (0.4 s and 128 MiB at production cost). It used to run inside the
BEGIN IMMEDIATE transaction of the sign-in POST, so a few hundred failed sign-ins a minute kept
SQLite's only write lock busy and every annotation waited, then failed. Here two clients sign in
with unknown addresses back to back (each check costs a scrypt at 64 MiB) while six clients write;
the busy timeout is cut to 5 s, so "promptly" means within it: a write that waited longer on the
sign-ins would fail with 503. With the check inside the write transaction, 3 of 36 writes did
(and the slowest took 5.8 s); with it outside, none of 137 (slowest 2.6 s, on a loaded machine).
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import Counter

import pytest

from tests.reliability.live import Client, Load

SECONDS = 10
SIGN_IN_CLIENTS = 2
WRITERS = 6


@pytest.fixture
def live_server_env() -> dict:
    return {"SQLITE_BUSY_TIMEOUT_MS": "5000", "PASSWORD_HASH_METHOD": "scrypt:65536:8:1"}


def _fail_to_sign_in(server, stop: threading.Event, statuses: Counter, index: int) -> None:
    client = Client(server.base_url)
    client.refresh_csrf("/sign-in")
    n = 0
    while not stop.is_set():
        n += 1
        response = client.post("/sign-in", {"email": f"guess{index}-{n}@attacker.example",
                                            "password": "a guessed password that is wrong"}, fetch=False)
        statuses[response.status] += 1


@pytest.mark.slow
def test_parallel_failed_sign_ins_never_make_an_annotation_write_fail_or_wait(live_server, sessions):
    stop, sign_ins = threading.Event(), Counter()
    attackers = [threading.Thread(target=_fail_to_sign_in, args=(live_server, stop, sign_ins, i), daemon=True)
                 for i in range(SIGN_IN_CLIENTS)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(1)  # the sign-ins are under way before the first write
        load = Load(sessions[:WRITERS], threads=WRITERS, mix={"annotate": 1})
        outcomes = load.run(SECONDS)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(60)

    latencies = sorted(o.seconds for o in outcomes)
    print(f"\n{sum(sign_ins.values())} failed sign-ins {dict(sign_ins)}; {len(outcomes)} writes, median "
          f"{statistics.median(latencies) * 1000:.0f} ms, slowest {latencies[-1] * 1000:.0f} ms")
    assert sign_ins[422] >= 10 and set(sign_ins) == {422}, "the sign-ins did not run as intended"
    assert len(outcomes) >= 30, "too few writes to prove anything"
    assert Counter(o.status for o in outcomes) == Counter({201: len(outcomes)})
    assert "database is locked" not in live_server.log_text()
    saved = {row.body for row in live_server.rows("SELECT body FROM annotations WHERE body LIKE :tag",
                                                   tag=f"{load.tag} %")}
    assert saved == set(load.created())
