"""Engine set-up: SQLite pragmas for durability and write locking, and the instance directory.

SQLite allows one writer at a time. A deferred transaction that reads and then writes can fail
with "database is locked" without waiting, because upgrading a read lock to a write lock cannot
be retried by the busy handler. Requests that may write (unsafe HTTP methods, CLI commands)
therefore open their transaction with BEGIN IMMEDIATE, which takes the write lock up front and
waits up to the busy timeout for it, until they have committed: what a request does after its
commit (rendering the page fragment it answers with) only reads. Safe requests read in deferred
transactions, which never block in WAL mode.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def prepare_sqlite_dir(app: Flask) -> None:
    """Create the directory of a file-based SQLite database if it is missing."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def prepare_engine_options(app: Flask) -> None:
    """Bound how long a PostgreSQL connection attempt may take, so /healthz answers 503 instead of hanging."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _transaction_may_write() -> bool:
    if has_request_context():
        # After its commit a request only reads (re-rendering a page fragment, say): it must not
        # hold the single write lock while it does.
        return request.method not in SAFE_METHODS and not g.get("postil_committed", False)
    return True


def configure_engine(app: Flask, engine: Engine) -> None:
    """Install the SQLite connection pragmas and BEGIN IMMEDIATE handling on `engine`."""
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _transaction_may_write() else "BEGIN")

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        if has_request_context():
            g.postil_committed = True
