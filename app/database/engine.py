"""Engine set-up: SQLite pragmas for durability, write locking and reading, and the instance directory.

SQLite allows one writer at a time. A deferred transaction that reads and then writes can fail
with "database is locked" without waiting, because upgrading a read lock to a write lock cannot
be retried by the busy handler once another connection has committed since the read began (the
snapshot is stale). Requests that may write (unsafe HTTP methods, CLI commands) therefore open
their transaction with BEGIN IMMEDIATE, which takes the write lock up front and waits up to the
busy timeout for it, until their writing is over (`writes_are_over`: the view's commit, or an
error): what a request does afterwards (rendering the page fragment it answers with, an error
page) only reads. Safe requests read in deferred transactions, which never block in WAL mode.

Two kinds of work must not follow that rule:
- slow work that only reads, above all a password check (scrypt, about 0.4 s and 128 MiB), runs
  in `reading_only()`: with the write lock held, a stream of failed sign-ins would keep every
  annotation and moderation decision waiting. A request that only reads never takes the lock.
- bookkeeping committed on its own before the view runs (an API token's last use) runs in
  `side_write()`: it takes the lock up front, commits, and leaves the request's own transaction
  to begin with BEGIN IMMEDIATE as usual. (It used to mark the request as having committed, so the
  view's write then began deferred and, under load, failed with "database is locked".)

The lock is held for the whole request, so a request that does much work before its first
INSERT keeps every other writer waiting meanwhile. A view marked `reads_before_writing` (creating
an annotation: loading, validating, anchoring and sanitising take most of its time) reads in a
deferred transaction, then calls `begin_writing()`, which ends that transaction and lets the next
one begin with BEGIN IMMEDIATE, then checks under the lock that what it relied on is unchanged
(`StaleReads` otherwise). On a stale read the whole view runs again, this time wholly under the
lock, so the outcome is always one the view could have had holding the lock from the start.

Writers wait for the lock in a queue of their own rather than in SQLite's busy handler, which
oversleeps (see app.database.writers).

A write that still cannot get the lock within the busy timeout is answered 503 with Retry-After
(see app.errors), never 500.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from app.database.writers import WriterQueue, begin_immediate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def prepare_sqlite_dir(app: Flask) -> None:
    """Create the directory of a file-based SQLite database if it is missing."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def prepare_engine_options(app: Flask) -> None:
    """Set PostgreSQL's connection options: a bounded connection attempt, and no JIT compilation.

    The timeout lets /healthz answer 503 instead of hanging. JIT compilation pays off for long
    analytical queries; Postil's are short, and a search whose plan the planner overestimates (a
    join from a materialised CTE, whose size it cannot know) was compiled for three seconds to run
    for twenty milliseconds. Settings given in SQLALCHEMY_ENGINE_OPTIONS["connect_args"] win.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 5)
        connect_args.setdefault("options", "-c jit=off")
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


class StaleReads(Exception):
    """What a `reads_before_writing` view read before taking the write lock has changed since."""


def _transaction_may_write() -> bool:
    if has_request_context():
        if g.get("postil_side_write", False):
            return True
        if g.get("postil_reading_only", False) or g.get("postil_writes_over", False):
            return False
        if g.get("postil_reads_first", False):
            return False
        return request.method not in SAFE_METHODS
    return True


def reads_before_writing(view: Callable) -> Callable:
    """Decorate a view (outermost, under the route) that reads first and calls `begin_writing()` before it writes.

    On SQLite its reads take no write lock, nor do the request's reads before it (the API's
    authentication: `start_reading_first`); when `StaleReads` is raised the view runs again from
    the start (decorators included, the sign-in or the API's caller too) wholly under the lock.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        from app.extensions import db

        g.postil_reads_first = db.engine.dialect.name == "sqlite"
        try:
            return view(*args, **kwargs)
        except StaleReads:
            db.session.rollback()
            for name in ("_login_user", "api_user", "api_by_token", "api_token"):
                g.pop(name, None)  # the account too is read again, under the lock
            g.postil_reads_first = False
            g.postil_writes_over = False
            g.postil_running_again = True
            return view(*args, **kwargs)

    wrapped.reads_first = True
    return wrapped


def running_again() -> bool:
    """Tell whether the request's `reads_before_writing` view is running a second time, under the lock.

    What the first run counted (a rate limit's hit: `exempt_when=running_again`) must not count again:
    the client asked once.
    """
    return has_request_context() and g.get("postil_running_again", False)


def start_reading_first() -> None:
    """Before a request whose view reads before writing, let what runs ahead of the view read without the lock.

    A before_request hook on SQLite: the API identifies its caller ahead of the view, and that read
    would otherwise open the request's transaction with BEGIN IMMEDIATE.
    """
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "reads_first", False):
        g.postil_reads_first = True


def begin_writing() -> bool:
    """End the request's reading so that its writes take the write lock now; flush nothing.

    Returns True when the reads happened before the lock (SQLite, in a `reads_before_writing`
    view): the caller must then check, with its first statement, that what it relied on is
    unchanged, and raise StaleReads if not. Returns False when the reads already held the lock
    or the database has no such lock (PostgreSQL). Raises RuntimeError when the session holds
    unsaved changes.
    """
    if not (has_request_context() and g.get("postil_reads_first", False)):
        return False
    from app.extensions import db

    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("A request must not change anything before begin_writing().")
    # Ending a read-only transaction with COMMIT keeps what was loaded (a rollback would expire it all,
    # and reloading it would take place under the lock this is meant to keep short).
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    g.postil_reads_first = False
    g.postil_writes_over = False  # the commit above only ended the reading
    return True


def writes_are_over() -> None:
    """Mark the current request's writing as over: its later transactions only read and take no write lock."""
    if has_request_context():
        g.postil_writes_over = True


def _end_transaction() -> None:
    from app.extensions import db

    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("The request has unsaved changes: commit them before reading_only() or side_write().")
    session.rollback()


@contextmanager
def reading_only() -> Iterator[None]:
    """Run the block with no write transaction open: its queries read in deferred transactions.

    The request's transaction so far is ended first (it must hold no changes) and the block's last
    one when it ends, so the request's next statement begins afresh (with BEGIN IMMEDIATE if it may
    write). Raises RuntimeError when the session holds unsaved changes.
    """
    _end_transaction()
    previous = g.get("postil_reading_only", False)
    g.postil_reading_only = True
    try:
        yield
    finally:
        g.postil_reading_only = previous
        _end_transaction()


@contextmanager
def side_write() -> Iterator[None]:
    """Run the block in a transaction of its own that takes the write lock up front, and commit it.

    For bookkeeping a request keeps even if it fails later (an API token's last use). The request's
    transaction so far is ended first (it must hold no changes); the request's next transaction
    begins as it would have without the block. Raises RuntimeError when the session holds unsaved changes.
    """
    from app.extensions import db

    _end_transaction()
    saved = (g.get("postil_side_write", False), g.get("postil_writes_over", False))
    g.postil_side_write = True
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        g.postil_side_write, g.postil_writes_over = saved


def configure_engine(app: Flask, engine: Engine) -> None:
    """Install the SQLite connection pragmas and BEGIN IMMEDIATE handling on `engine`."""
    if engine.dialect.name != "sqlite":
        return
    app.before_request(start_reading_first)
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    cache_kib, mmap_bytes = int(app.config["SQLITE_CACHE_KIB"]), int(app.config["SQLITE_MMAP_BYTES"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: a committed comment survives a power cut, not only an application crash.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA cache_size = -{cache_kib}")
        cursor.execute(f"PRAGMA mmap_size = {mmap_bytes}")
        cursor.close()

    database = engine.url.database
    queue = WriterQueue(database) if database and database != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not _transaction_may_write():
            connection.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.enter(busy_ms / 1000)
        try:
            begin_immediate(connection, busy_ms)
        except BaseException:
            _leave_queue()
            raise

    def _leave_queue(*_args):
        if queue is not None:
            queue.leave()

    @event.listens_for(engine, "commit")
    def _on_commit(_connection):
        # The queue is left once the COMMIT is done, when the connection goes back to the pool (below):
        # a writer let in before would only poll SQLite's lock while the commit syncs the file.
        # A side write's commit is bookkeeping, not the request's own write.
        if has_request_context() and not g.get("postil_side_write", False):
            writes_are_over()

    event.listen(engine, "rollback", _leave_queue)
    # A session gives its connection back as soon as it has committed: the next writer is let in then.
    # However else a connection's transaction ended, its writer has left the queue once it is back in the pool.
    event.listen(engine, "checkin", _leave_queue)
