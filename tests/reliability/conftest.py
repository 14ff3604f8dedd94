"""Fixtures for the reliability tests: Postil under gunicorn on a real database, torn down whatever happens.

The server runs against a fresh SQLite file in the test's temporary folder, or against a
PostgreSQL database of its own next to the one TEST_DATABASE_URL names. Either starts as a copy of
a database prepared once per test process as an operator prepares one (`flask db upgrade`,
`seed-demo`, `users create`), so each test pays for a copy, not for the three commands.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import make_url

from tests.conftest import per_worker_postgres
from tests.reliability.live import LiveServer, PreparedDatabase, create_postgres_database, is_postgres

READERS = 20


def live_database_url(folder, suffix: str = "live") -> str:
    """Return a database for live servers: a new SQLite file in `folder`, or a PostgreSQL database of this worker's.

    On PostgreSQL the name is this xdist worker's database (as for the `app` fixture) with `suffix`
    added, so live servers on two workers, and the `app` fixture's sessions, never touch each other's
    tables.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{folder / f'{suffix}.sqlite3'}"
    base = make_url(per_worker_postgres(url))
    return base.set(database=f"{base.database}_{suffix}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def prepared_database(tmp_path_factory) -> PreparedDatabase:
    """A database with the schema, the demo article and READERS reader accounts, built once per test process."""
    folder = tmp_path_factory.mktemp("live-prepared")
    url = live_database_url(folder, "live_prepared")
    if is_postgres(url):
        create_postgres_database(url)
    builder = LiveServer(url, folder)
    builder.prepare(readers=READERS)
    builder.stop()  # closes the connections its helper app opened: a template must have none
    return PreparedDatabase(url, tuple(builder.readers))


@pytest.fixture
def live_server_env() -> dict:
    """Settings the live server runs with on top of LiveServer's (a test module overrides this fixture)."""
    return {}


@pytest.fixture
def live_server(tmp_path, live_server_env, prepared_database):
    """Postil under `gunicorn wsgi:app` with 4 sync workers, the demo article and 20 reader accounts."""
    server = LiveServer(live_database_url(tmp_path), tmp_path, extra_env=live_server_env)
    try:
        server.prepare_from(prepared_database)
        server.start()
        yield server
    finally:
        server.stop()


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
