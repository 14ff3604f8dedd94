"""The database layer: migrations match the models, SQLite pragmas, concurrent writers."""
import threading

import pytest
from sqlalchemy import text

from app.extensions import db


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context():
        with db.engine.connect() as conn:
            # Compared as `flask db migrate` compares (the engines' full-text objects are not models).
            opts = {"compare_type": True, "include_object": app.extensions["migrate"].configure_args["include_object"]}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_constraint_names_follow_the_convention(app):
    from sqlalchemy import inspect

    with app.app_context():
        inspector = inspect(db.engine)
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"].startswith(f"fk_{table}_"), (table, fk)
            for uq in inspector.get_unique_constraints(table):
                assert uq["name"].startswith(f"uq_{table}_"), (table, uq)


def test_sqlite_connections_are_durable_and_enforce_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only apply to SQLite")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_postgresql_connections_never_jit_compile_and_give_up_connecting_in_time():
    from flask import Flask

    from app.database.engine import prepare_engine_options

    bare = Flask(__name__)
    bare.config.update(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    prepare_engine_options(bare)
    assert bare.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5,
                                                                        "options": "-c jit=off"}


def test_the_app_s_postgresql_sessions_run_without_jit(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no JIT; the options themselves are checked above on every engine")
        assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_concurrent_sign_ups_never_fail_with_database_locked(app, clean_db):
    """Twenty threads writing at once, like several gunicorn workers: every write lands."""
    from tests.conftest import csrf_from
    from tests.factories import PASSWORD

    errors, statuses = [], []

    def sign_up(n):
        try:
            client = app.test_client()
            token = csrf_from(client.get("/sign-up").get_data(as_text=True))
            response = client.post("/sign-up", data={
                "email": f"c{n}@example.org", "password": PASSWORD, "display_name": f"Dr C{n}",
                "interests_choice": "none", "csrf_token": token})
            statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert statuses == [302] * 20
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 20
