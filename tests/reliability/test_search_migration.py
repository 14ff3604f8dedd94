"""The search migration creates and fills the index of a database that already holds content.

The rows of tests/reliability/test_migrations_data.py are written at the first revision, then the
database is upgraded to the head: the documents and the engine's index must cover the articles,
annotations and studies already there (not the deleted annotation), on SQLite and, when
TEST_DATABASE_URL names one, on PostgreSQL.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.reliability.test_migrations_data import ROWS_0001, _insert

BOOLEANS = {"trusted", "suspended_indefinitely", "retracted"}


def _database_urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'search-migration.sqlite3'}"]
    if os.environ.get("TEST_DATABASE_URL"):
        base = make_url(os.environ["TEST_DATABASE_URL"])
        name = f"{base.database}_search_migration_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        urls.append(base.set(database=name).render_as_string(hide_password=False))
    return urls


def _rows_for(dialect: str) -> dict[str, list[dict]]:
    if dialect == "sqlite":
        return ROWS_0001
    return {table: [{k: bool(v) if k in BOOLEANS else v for k, v in row.items()} for row in rows]
            for table, rows in ROWS_0001.items()}


def _found(conn, word: str) -> list[tuple]:
    if conn.dialect.name == "sqlite":
        sql = ("SELECT d.doc_type, d.annotation_id, d.study_id FROM search_fts JOIN search_documents d "
               "ON d.id = search_fts.rowid WHERE search_fts MATCH :q ORDER BY d.id")
        return [tuple(r) for r in conn.execute(text(sql), {"q": f'"{word}"'})]
    sql = ("SELECT doc_type, annotation_id, study_id FROM search_documents "
           "WHERE tsv @@ to_tsquery('postil_english', :q) ORDER BY id")
    return [tuple(r) for r in conn.execute(text(sql), {"q": f"'{word}'"})]


def test_the_migration_fills_the_index_of_a_populated_database(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    for url in _database_urls(tmp_path):
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url

        application = create_app(Config)
        with application.app_context():
            postgres = db.engine.dialect.name == "postgresql"
            if postgres:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            try:
                upgrade(revision="0001")
                with db.engine.begin() as conn:
                    for table, rows in _rows_for(db.engine.dialect.name).items():
                        _insert(conn, table, rows)
                    if postgres:
                        for table in ("users", "articles", "studies", "annotations", "citations",
                                      "article_revisions", "annotation_revisions"):
                            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                              f"(SELECT max(id) FROM {table}))"))
                upgrade()
                with db.engine.connect() as conn:
                    types = dict(conn.execute(text(
                        "SELECT doc_type, count(*) FROM search_documents GROUP BY doc_type")).all())
                    # The article's head and its one paragraph; two live annotations (the third was deleted).
                    assert types == {"article": 2, "annotation": 2, "study": 2}
                    assert _found(conn, "human") == [("annotation", 1, None)]
                    assert _found(conn, "mouse") == [("article", None, None), ("annotation", 1, None),
                                                     ("annotation", 2, None)]  # a quote and a reply
                    assert _found(conn, "private") == []
                    assert _found(conn, "karagiannis") == [("study", None, 1)]
            finally:
                if postgres:
                    with db.engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                db.engine.dispose()
