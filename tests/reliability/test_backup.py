"""`flask backup` and `flask restore`: consistent online copies of SQLite, refusals that change nothing.

The backup under load does not hope that writes happen to land while it copies: once the copy has
pinned its snapshot it waits, still copying nothing, until writers have had ten writes confirmed,
so the test proves both that writers are never starved by a backup and that the copy holds none
of what they wrote afterwards, however fast or busy the machine is.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.factories import PASSWORD
from tests.reliability.live import Load, is_postgres


def _sqlite_file(url: str) -> Path:
    return Path(make_url(url).database)


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.skipif(is_postgres(os.environ.get("TEST_DATABASE_URL") or "sqlite://"),
                    reason="flask backup copies SQLite databases; PostgreSQL deployments use pg_dump")
def test_backup_under_write_load_is_a_consistent_snapshot_holding_every_earlier_comment(live_server, sessions,
                                                                                        tmp_path, monkeypatch):
    from app.database import backup as backups

    destination = tmp_path / "backup.sqlite3"
    copying: dict[str, object] = {}
    real_backup = backups.backup

    def backup_that_waits_for_writers(*args, on_start, **kwargs):
        """Run the real backup, holding the copy open, once its snapshot is taken, until writers got through."""

        def started(pages: int) -> None:
            on_start(pages)
            copying["since"] = time.monotonic()  # the snapshot is pinned before on_start is called
            load.wait_for(lambda current: current.confirmed("annotate", "reply", started_after=copying["since"]) >= 10,
                          "ten writes confirmed while the backup holds its snapshot")

        return real_backup(*args, on_start=started, **kwargs)

    load = Load(sessions[:6], threads=6, mix={"annotate": 3, "reply": 1}).start()
    try:
        load.wait_for(lambda current: current.confirmed("annotate", "reply") >= 10, "ten writes before the backup")
        before_backup = set(load.created())
        monkeypatch.setattr(backups, "backup", backup_that_waits_for_writers)
        # The real command, with small steps and pauses so that writes also land while pages are copied.
        result = live_server.helper_app().test_cli_runner().invoke(
            args=["backup", str(destination), "--step-pages", "2", "--pause", "0.01"])
    finally:
        outcomes = load.stop()
    print(f"\n{result.output.strip()}")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Copying ") and "Backed up " in result.output
    assert {o.status for o in outcomes} == {201}
    after_snapshot = {o.body for o in outcomes if o.started_at > copying["since"] and o.created_id is not None}

    assert _rows(destination, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(destination, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert len(_rows(destination, "SELECT version_num FROM alembic_version")) == 1
    in_backup = dict(_rows(destination, f"SELECT body, id FROM annotations WHERE body LIKE '{load.tag} %'"))
    assert before_backup <= set(in_backup), "comments saved before the backup began are missing from it"
    # A snapshot: exactly the live rows up to the newest one it holds, none missing in between...
    newest = max(in_backup.values())
    live = {row.body: row.id for row in live_server.rows(
        "SELECT body, id FROM annotations WHERE body LIKE :tag AND id <= :newest", tag=f"{load.tag} %",
        newest=newest)}
    assert in_backup == live
    # ...and none written after it, although those writes were confirmed while the copy ran.
    assert len(after_snapshot) >= 10 and not after_snapshot & set(in_backup)
    saved_live = {row.body for row in live_server.rows("SELECT body FROM annotations WHERE body LIKE :tag",
                                                       tag=f"{load.tag} %")}
    assert after_snapshot <= saved_live
    orphans = _rows(destination, "SELECT a.id FROM annotations a LEFT JOIN annotations p ON p.id = a.parent_id "
                                 "WHERE a.parent_id IS NOT NULL AND p.id IS NULL")
    assert orphans == []


@pytest.fixture
def cli(sqlite_app, clean_sqlite):
    """Invoke `flask ...` on the SQLite app; the database is emptied afterwards."""
    return sqlite_app.test_cli_runner().invoke


def _emails(app) -> list[str]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    with app.app_context():
        return sorted(db.session.scalars(select(User.email)))


def _add_user(cli, email: str) -> None:
    result = cli(args=["users", "create", "--email", email, "--name", "Dr B", "--password-stdin"],
                 input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_restore_brings_back_the_backup_and_keeps_a_safety_copy_of_what_it_replaced(sqlite_app, cli, tmp_path):
    _add_user(cli, "before@example.org")
    result = cli(args=["backup", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    _add_user(cli, "after@example.org")

    result = cli(args=["restore", str(tmp_path / "b.sqlite3"), "--yes"])

    assert result.exit_code == 0, result.output
    assert _emails(sqlite_app) == ["before@example.org"]
    live = _sqlite_file(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    safety = [p for p in live.parent.glob(f"{live.stem}.before-restore-*") if p.suffix == ".sqlite3"]
    assert len(safety) == 1 and str(safety[0]) in result.output
    assert _rows(safety[0], "SELECT email FROM users ORDER BY email") == [("after@example.org",),
                                                                        ("before@example.org",)]
    safety[0].unlink()


def test_restore_asks_for_confirmation_and_changes_nothing_when_refused(sqlite_app, cli, tmp_path):
    _add_user(cli, "before@example.org")
    assert cli(args=["backup", str(tmp_path / "b.sqlite3")]).exit_code == 0
    _add_user(cli, "after@example.org")

    result = cli(args=["restore", str(tmp_path / "b.sqlite3")], input="n\n")

    assert result.exit_code == 1
    assert "Replace everything in" in result.output and "Stop the application first" in result.output
    assert _emails(sqlite_app) == ["after@example.org", "before@example.org"]


def _damaged_copy(source: Path, destination: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every b-tree page header but the first
        data[offset:offset + 8] = b"\xff" * 8
    destination.write_bytes(bytes(data))
    return destination


@pytest.mark.parametrize("problem", ["not sqlite", "damaged", "not postil", "missing"])
def test_restore_refuses_an_unsound_backup_and_changes_nothing(sqlite_app, cli, tmp_path, problem):
    _add_user(cli, "kept@example.org")
    assert cli(args=["backup", str(tmp_path / "good.sqlite3")]).exit_code == 0
    _add_user(cli, "also-kept@example.org")
    candidate = tmp_path / "candidate.sqlite3"
    if problem == "not sqlite":
        candidate.write_text("email,name\nkept@example.org,Dr B\n")
    elif problem == "damaged":
        _damaged_copy(tmp_path / "good.sqlite3", candidate)
    elif problem == "not postil":
        conn = sqlite3.connect(candidate)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.commit()
        conn.close()
    live = _sqlite_file(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    before = sorted(live.parent.iterdir())

    result = cli(args=["restore", str(candidate), "--yes"])

    assert result.exit_code == 1
    expected = {"not sqlite": "is not a SQLite database", "damaged": "is damaged",
                "not postil": "no alembic_version table", "missing": "There is no file"}[problem]
    assert expected in result.output and "Nothing was changed." in result.output, result.output
    assert _emails(sqlite_app) == ["also-kept@example.org", "kept@example.org"]
    assert sorted(live.parent.iterdir()) == before  # no safety copy either: nothing was started


def test_backup_never_overwrites_an_existing_file(cli, tmp_path):
    existing = tmp_path / "earlier.sqlite3"
    existing.write_bytes(b"an earlier backup")

    result = cli(args=["backup", str(existing)])

    assert result.exit_code == 1 and "already exists" in result.output
    assert existing.read_bytes() == b"an earlier backup"


def test_backup_and_restore_refuse_postgresql_and_point_to_pg_dump(tmp_path):
    from app import create_app
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postil:secret@db.internal:5432/postil"

    runner = create_app(Config).test_cli_runner()
    for args in (["backup", str(tmp_path / "b.sqlite3")], ["restore", str(tmp_path / "b.sqlite3"), "--yes"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "SQLite databases only" in result.output and "pg_dump" in result.output
        assert "secret" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_backups_and_safety_copies_are_readable_by_their_owner_only(sqlite_app, cli, tmp_path):
    """They hold password hashes, emails and token digests: mode 0600 whatever the umask."""
    import os
    import stat

    _add_user(cli, "private@example.org")
    previous = os.umask(0o022)  # the usual default, which would make new files world-readable
    try:
        assert cli(args=["backup", str(tmp_path / "b.sqlite3")]).exit_code == 0
        result = cli(args=["restore", str(tmp_path / "b.sqlite3"), "--yes"])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    live = _sqlite_file(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    safety = [p for p in live.parent.glob(f"{live.stem}.before-restore-*") if p.suffix == ".sqlite3"]
    assert len(safety) == 1
    for path in (tmp_path / "b.sqlite3", safety[0]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name}: {oct(path.stat().st_mode)}"
    safety[0].unlink()
