"""Migrations keep data: a database filled at the first revision survives upgrade, downgrade and upgrade again."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

NOW = "2026-01-05 10:00:00.000000"
ARTICLE_TEXT = "Neoadjuvant chemotherapy may promote metastasis in mouse models."

# Raw rows matching the 0001 schema, written without the models so later model changes cannot help.
ROWS_0001 = {
    "users": [
        dict(id=1, email="ada@example.org", display_name="Dr Ada", profession="Oncologist", affiliation="St Elsewhere",
             competing_interests="None declared", password_hash="scrypt:16384:8:1$salt$hash", role="admin",
             session_token="a" * 32, trusted=1, suspended_until=None, suspended_indefinitely=0,
             suspension_reason=None, created_at=NOW),
        dict(id=2, email="ben@example.org", display_name="Dr Ben", profession="GP", affiliation="",
             competing_interests=None, password_hash="scrypt:16384:8:1$salt$hash2", role="reader",
             session_token="b" * 32, trusted=0, suspended_until=None, suspended_indefinitely=0,
             suspension_reason=None, created_at=NOW),
    ],
    "articles": [
        dict(id=1, slug="neoadjuvant", title="Does chemotherapy spread cancer?", standfirst="A commentary.",
             source="Postil", commented_work_key="karagiannis2017", tags=json.dumps(["oncology"]),
             body_source=ARTICLE_TEXT, body_html=f"<p>{ARTICLE_TEXT}</p>", body_text=ARTICLE_TEXT, version=1,
             status="published", display_rev=3, created_at=NOW, updated_at=NOW),
    ],
    "article_revisions": [
        dict(id=1, article_id=1, version=1, title="Does chemotherapy spread cancer?", body_source=ARTICLE_TEXT,
             body_text=ARTICLE_TEXT, note="First version", created_by_id=1, created_at=NOW),
    ],
    "studies": [
        dict(id=1, citation_key="karagiannis2017", csl_type="article-journal",
             title="Neoadjuvant chemotherapy induces breast cancer metastasis",
             title_normalised="neoadjuvant chemotherapy induces breast cancer metastasis",
             authors=json.dumps([{"family": "Karagiannis", "given": "George S"}]),
             container_title="Science Translational Medicine", issued_year=2017, doi="10.1126/scitranslmed.aan0026",
             pmid="28679654", retracted=0, created_at=NOW, updated_at=NOW),
        dict(id=2, citation_key="harney2015", csl_type="article-journal", title="Real-time imaging",
             title_normalised="real-time imaging", authors=json.dumps([]), issued_year=2015, retracted=1,
             retraction_note="Not really retracted: a test value", created_at=NOW, updated_at=NOW),
    ],
    "citations": [
        dict(id=1, article_id=1, study_id=1, key="karagiannis2017", position=1),
        dict(id=2, article_id=1, study_id=2, key="harney2015", position=2),
    ],
    "annotations": [
        dict(id=1, article_id=1, author_id=2, parent_id=None, root_id=None, kind="question",
             body="Is this **human** data?", body_html="<p>Is this <strong>human</strong> data?</p>",
             tags=json.dumps(["preclinical models", "taxanes"]), study_id=1, visibility="public", status="published",
             exact="mouse models", prefix="metastasis in ", suffix=".", start=51, end=63,
             original_exact="mouse models", created_version=1, anchor_version=1, anchor_state="anchored",
             created_at=NOW, modified_at=NOW, edited_at=NOW, deleted_at=None),
        dict(id=2, article_id=1, author_id=1, parent_id=1, root_id=1, kind="comment", body="Mouse only, so far.",
             body_html="<p>Mouse only, so far.</p>", tags=json.dumps([]), study_id=None, visibility="public",
             status="published", exact=None, prefix=None, suffix=None, start=None, end=None, original_exact=None,
             created_version=1, anchor_version=1, anchor_state="anchored", created_at=NOW, modified_at=NOW,
             edited_at=None, deleted_at=None),
        dict(id=3, article_id=1, author_id=2, parent_id=None, root_id=None, kind="comment", body="My private note",
             body_html="<p>My private note</p>", tags=json.dumps(["todo"]), study_id=None, visibility="private",
             status="pending", exact="Neoadjuvant chemotherapy", prefix="", suffix=" may", start=0, end=24,
             original_exact="Neoadjuvant chemotherapy", created_version=1, anchor_version=1, anchor_state="anchored",
             created_at=NOW, modified_at=NOW, edited_at=None, deleted_at=NOW),
    ],
    "annotation_revisions": [
        dict(id=1, annotation_id=1, body="Is this human data?", body_html="<p>Is this human data?</p>",
             created_at=NOW),
    ],
}


def _insert(conn, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(f'"{c}"' for c in row)
        values = ", ".join(f":{c}" for c in row)
        conn.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({values})'), row)


def _counts(conn) -> dict[str, int]:
    return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() for table in ROWS_0001}


def _revision(conn) -> str:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@pytest.fixture
def first_revision_app(tmp_path):
    """An app on a fresh SQLite file holding only the first migration."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"

    application = create_app(Config)
    with application.app_context():
        upgrade(revision="0001")
    yield application
    with application.app_context():
        db.engine.dispose()


def test_data_written_at_the_first_migration_survives_upgrade_downgrade_and_upgrade(first_revision_app):
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    expected = {table: len(rows) for table, rows in ROWS_0001.items()}
    with first_revision_app.app_context():
        scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        head = scripts.get_current_head()
        previous = scripts.get_revision(head).down_revision
        with db.engine.begin() as conn:
            assert _revision(conn) == "0001"
            for table, rows in ROWS_0001.items():
                _insert(conn, table, rows)

        upgrade()
        with db.engine.connect() as conn:
            assert _revision(conn) == head
            assert _counts(conn) == expected
            question = conn.execute(text(
                'SELECT body, tags, exact, start, "end", study_id, status, visibility, edited_at '
                "FROM annotations WHERE id = 1")).one()
            assert question.body == "Is this **human** data?"
            assert json.loads(question.tags) == ["preclinical models", "taxanes"]
            assert (question.exact, question.start, question.end) == ("mouse models", 51, 63)
            assert ARTICLE_TEXT[question.start:question.end] == question.exact
            assert (question.study_id, question.status, question.visibility) == (1, "published", "public")
            assert question.edited_at is not None
            assert conn.execute(text("SELECT parent_id, root_id FROM annotations WHERE id = 2")).one() == (1, 1)
            private = conn.execute(text("SELECT visibility, status, deleted_at FROM annotations WHERE id = 3")).one()
            assert private.visibility == "private" and private.status == "pending" and private.deleted_at
            assert conn.execute(text("SELECT email, role FROM users ORDER BY id")).all() == [
                ("ada@example.org", "admin"), ("ben@example.org", "reader")]
            assert conn.execute(text("SELECT retracted, retraction_note FROM studies WHERE id = 2")).one() == (
                1, "Not really retracted: a test value")
            assert conn.execute(text("SELECT body FROM annotation_revisions")).scalar() == "Is this human data?"
            assert conn.execute(text("SELECT display_rev FROM articles")).scalar() == 3
            # Columns added later got their defaults on the old rows rather than NULLs.
            assert conn.execute(text("SELECT open_flags, resubmitted FROM annotations")).all() == [(0, 0)] * 3

        downgrade(revision="-1")
        with db.engine.connect() as conn:
            assert _revision(conn) == previous
            assert _counts(conn) == expected

        upgrade()
        with db.engine.connect() as conn:
            assert _revision(conn) == head
            assert _counts(conn) == expected
            assert conn.execute(text("SELECT body FROM annotations WHERE id = 2")).scalar() == "Mouse only, so far."


def test_anchor_history_starts_from_the_selectors_annotations_have_when_it_is_added(first_revision_app):
    """Existing annotations get their current selectors as original ones; "fuzzy" becomes "reworded"."""
    from flask_migrate import upgrade

    from app.extensions import db

    rows = {table: [dict(row) for row in table_rows] for table, table_rows in ROWS_0001.items()}
    # The question was re-attached to a close match ("mouse models" written as "murine models").
    rows["annotations"][0].update(anchor_state="fuzzy", original_exact="murine models", anchor_version=1)
    with first_revision_app.app_context():
        with db.engine.begin() as conn:
            for table, table_rows in rows.items():
                _insert(conn, table, table_rows)
        upgrade()
        with db.engine.connect() as conn:
            records = conn.execute(text(
                'SELECT annotation_id, article_version, event, state, exact, prefix, suffix, "start", "end" '
                "FROM anchor_records ORDER BY annotation_id")).all()
            assert [tuple(r) for r in records] == [
                (1, 1, "migrated", "reworded", "mouse models", "metastasis in ", ".", 51, 63),
                (3, 1, "migrated", "anchored", "Neoadjuvant chemotherapy", "", " may", 0, 24)]
            annotations = conn.execute(text(
                "SELECT id, anchor_state, original_exact, confirmed_exact FROM annotations ORDER BY id")).all()
            assert [tuple(a) for a in annotations] == [
                (1, "reworded", "murine models", "murine models"), (2, "anchored", None, None),
                (3, "anchored", "Neoadjuvant chemotherapy", "Neoadjuvant chemotherapy")]
