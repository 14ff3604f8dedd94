"""The queue writers wait in for SQLite's write lock: one at a time, a bounded wait, a free turn after leaving."""
from __future__ import annotations

import threading
import time

from app.database.writers import WriterQueue


def test_a_second_writer_waits_its_turn_and_gets_it_when_the_first_leaves(tmp_path):
    first, second = WriterQueue(str(tmp_path / "db")), WriterQueue(str(tmp_path / "db"))
    assert first.enter(1)
    started = time.monotonic()
    assert not second.enter(0.05)  # the main thread's wait, bounded by an alarm
    assert 0.04 < time.monotonic() - started < 2
    first.leave()
    assert second.enter(0.05)
    second.leave()


def test_a_waiting_writer_is_let_in_as_soon_as_the_holder_leaves(tmp_path):
    queue, entered = WriterQueue(str(tmp_path / "db")), threading.Event()

    def hold_briefly():
        queue.enter(1)
        entered.set()
        time.sleep(0.05)
        queue.leave()

    threading.Thread(target=hold_briefly).start()
    entered.wait(5)
    started = time.monotonic()
    assert queue.enter(5)
    assert time.monotonic() - started < 2  # woken by the release, not by the end of its wait
    queue.leave()


def test_writers_in_other_threads_wait_too(tmp_path):
    queue = WriterQueue(str(tmp_path / "db"))
    assert queue.enter(1)
    outcome: list[bool] = []
    thread = threading.Thread(target=lambda: outcome.append(queue.enter(0.05)))
    thread.start()
    thread.join()
    assert outcome == [False]  # a thread's turn is its own, even on the same queue
    queue.leave()
    assert queue.enter(0.05)  # a writer re-entering its own turn
    queue.leave()
