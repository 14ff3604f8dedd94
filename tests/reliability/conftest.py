"""Fixtures for the reliability tests: Postil under gunicorn on a real database, torn down whatever happens.

The server runs against a fresh SQLite file in the test's temporary folder, or against the
PostgreSQL named by TEST_DATABASE_URL (emptied afterwards, so the rest of the suite finds the
empty schema it expects). These tests never use the session-wide `app` fixture: on PostgreSQL it
would rebuild the very schema the server is using.
"""
from __future__ import annotations

import os

import pytest

from tests.conftest import per_worker_postgres
from tests.reliability.live import LiveServer, empty_postgres, is_postgres

READERS = 20


def live_database_url(tmp_path) -> str:
    """Return the database a live server should use: this xdist worker's PostgreSQL database, or a new SQLite file.

    A live server's database is this worker's own (as for the `app` fixture), so two live servers on
    two workers never empty each other's tables.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    return per_worker_postgres(url) if url else f"sqlite:///{tmp_path / 'live.sqlite3'}"


@pytest.fixture
def live_server_env() -> dict:
    """Settings the live server runs with on top of LiveServer's (a test module overrides this fixture)."""
    return {}


@pytest.fixture
def live_server(tmp_path, live_server_env):
    """Postil under `gunicorn wsgi:app` with 4 sync workers, the demo article and 20 reader accounts."""
    server = LiveServer(live_database_url(tmp_path), tmp_path, extra_env=live_server_env)
    try:
        server.prepare(readers=READERS)
        server.start()
        yield server
    finally:
        server.stop()
        if is_postgres(server.database_url):
            empty_postgres(server.database_url)


@pytest.fixture
def sessions(live_server):
    """One signed-in client per reader account: [(email, client), ...]."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(zip(live_server.readers, pool.map(live_server.signed_in_client, live_server.readers), strict=True))


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    """An app of its own on a migrated SQLite file, whatever database the rest of the suite uses."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path_factory.mktemp('sqlite-app') / 'postil.sqlite3'}"

    application = create_app(Config)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def clean_sqlite(sqlite_app):
    """Empty every table of `sqlite_app`'s database after the test."""
    from tests.conftest import empty_all_tables

    yield
    with sqlite_app.app_context():
        empty_all_tables()


def begins_recorded(application):
    """Record each BEGIN statement `application`'s engine sends while the block runs (a list, filled in place)."""
    from tests.statements import counting_queries

    return counting_queries(application, keep=lambda statement: statement.startswith("BEGIN"))
