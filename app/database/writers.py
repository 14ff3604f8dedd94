"""The queue of writers waiting for SQLite's write lock: asleep in the kernel, woken when the lock is free.

SQLite never blocks on its write lock. A writer that finds it taken retries after a sleep: its
busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms and then up to 100 ms between attempts, so once
writers hold the lock for a couple of milliseconds each, waiters oversleep their turn many times
over and the lock stays idle; polling more often instead burns the CPU the writer holding the
lock needs (two cores serve four workers here).

So the application's writers first queue on an exclusive `flock` of a file beside the database
(`<database>-writers`): the kernel wakes the next one as soon as the previous one's connection
goes back to the pool after its COMMIT (or rolls back), and a waiter costs nothing meanwhile. The
head of the queue then sends BEGIN IMMEDIATE, retrying every half millisecond should a writer
outside the queue hold SQLite's lock. (Letting the next writer in when the COMMIT starts, to overlap
its wake-up with the file's sync, cost more: with four workers on two cores its polling took about
1.5 ms of CPU per creation, more than the overlap saved.)

The file lock only orders writers; SQLite's own lock still guarantees correctness. A writer that
waits longer than the busy timeout in the queue goes on to BEGIN IMMEDIATE all the same (a
writer that forgot to leave the queue slows the others, never stops them), and writers outside the
application (the sqlite3 shell, a backup) simply meet SQLite's lock. Each thread has its own file
descriptor (flock excludes open files, not processes), opened again after a fork.
"""
from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import threading
import time

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

# How long the head of the queue sleeps between two attempts at SQLite's lock.
POLL_SECONDS = 0.0005


def is_locked(error: BaseException | None) -> bool:
    """Tell whether a driver error says SQLite's lock could not be had ("database is locked")."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


class _Expired(Exception):
    """The wait in the queue took longer than allowed."""


class WriterQueue:
    """The file lock the application's writers queue on before BEGIN IMMEDIATE (see the module's docstring)."""

    def __init__(self, database_path: str):
        self.path = f"{database_path}-writers"
        self._local = threading.local()

    def _fd(self) -> int:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            local.pid, local.held = os.getpid(), False
        return local.fd

    def enter(self, seconds: float) -> bool:
        """Wait up to `seconds` for this thread's turn to write; return whether it came (True if already held)."""
        fd = self._fd()
        if self._local.held:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait(fd, seconds):
                return False
        self._local.held = True
        return True

    def leave(self) -> None:
        """Let the next writer in (nothing when this thread is not in the queue's head)."""
        local = self._local
        if getattr(local, "held", False) and local.pid == os.getpid():
            local.held = False
            fcntl.flock(local.fd, fcntl.LOCK_UN)


def _wait(fd: int, seconds: float) -> bool:
    """Block on the file lock for up to `seconds`; return whether it was taken."""
    if threading.current_thread() is not threading.main_thread() or signal.getitimer(signal.ITIMER_REAL)[0]:
        # Signals reach the main thread only, and an alarm already set is someone else's: poll then.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                continue
        return False
    taken = False

    def expire(_signum, _frame):
        if not taken:
            raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        taken = True
    except _Expired:
        # The alarm may have come just as the lock was granted: never keep a lock this says was not taken.
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return taken


def begin_immediate(connection: Connection, busy_ms: int) -> None:
    """Send BEGIN IMMEDIATE, trying again every POLL_SECONDS for up to `busy_ms`; raise as SQLite would then."""
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout = 0")  # each attempt answers at once; the waiting is done below
    try:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if not is_locked(exc.orig):
                raise
            error = exc
        # Further attempts go to the driver directly: through SQLAlchemy, each refusal would cost a
        # hundred times more CPU than the attempt itself.
        deadline = time.monotonic() + busy_ms / 1000
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
        raise error
    finally:
        raw.execute(f"PRAGMA busy_timeout = {busy_ms}")
