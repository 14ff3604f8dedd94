"""Online backup and restore of a SQLite database through SQLite's backup API, never a file copy.

A file copy of a live SQLite database can catch it half-way through a commit (and misses whatever
still sits in the -wal file), so both directions go through `sqlite3.Connection.backup`, which
copies pages under SQLite's own locking.

Backup. SQLite restarts a stepped backup whenever another connection writes to the source, so
under a steady stream of comments a copy made in small steps might never finish. Postil's
databases run in WAL mode, where a reader holds a snapshot without blocking writers: the copy
opens one read transaction on the source and makes every step inside it. The backup is therefore
exactly the database as it was when that transaction began, and it ends whatever the writers do.
The pause between steps only keeps the copy from hogging the disk. A database not in WAL mode is
copied in one step, since there a reader blocks commits; writers wait it out on their busy timeout.

The copy is written to a temporary file next to the destination, checked with integrity_check,
switched to a rollback journal (one self-contained file), synced, and only then renamed into
place: a failed backup never leaves a partial file under the requested name. A backup holds
password hashes, emails and token digests, so it is created readable by its owner only (mode
0600, whatever the umask); so is the safety copy restore makes, which is a backup too.

Restore validates the backup first (a SQLite file that passes integrity_check, with an
alembic_version row naming a revision this code knows) and refuses without touching anything
otherwise. It then saves the current database to a safety copy and copies the backup over the
live database with the backup API, inside one write transaction: readers see the old data or the
new, never a mix.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_STEP_PAGES = 1024  # 4 MiB with the default 4 KiB pages
DEFAULT_PAUSE = 0.005  # seconds between steps
BACKUP_MODE = 0o600  # owner read and write only


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class CopyResult:
    """What a backup or restore copied."""

    path: Path
    pages: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class BackupCheck:
    """A backup file found fit to restore."""

    path: Path
    revision: str
    annotations: int


def sqlite_path(database_url: str | URL) -> Path:
    """Return the file of a SQLite database URL; raise BackupError for other databases and in-memory ones."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        target = url.database or "postil"
        host = f" --host={url.host}" if url.host else ""
        raise BackupError(
            f"This command copies SQLite databases only, and this application uses {url.get_backend_name()}. "
            f"Use PostgreSQL's own tools, which take a consistent snapshot while the application runs: "
            f"pg_dump --format=custom{host} --file=postil.dump {target}  (restore with pg_restore --clean)."
        )
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("The database is in memory: there is nothing on disk to back up or restore.")
    return Path(url.database).resolve()


def _connect(path: Path, *, read_only: bool = False, busy_ms: int = 15000) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return conn


def _pacer(pause: float):
    """Build the callback Connection.backup calls after each step: pause unless the copy is done."""

    def on_step(_status: int, remaining: int, _total: int) -> None:
        if remaining and pause > 0:
            time.sleep(pause)

    return on_step


def _integrity_problems(conn: sqlite3.Connection, limit: int = 5) -> list[str]:
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA integrity_check({limit})")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_private(path: Path) -> None:
    """Create the empty file `path` with BACKUP_MODE before SQLite opens it (SQLite keeps an existing file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE)
    except OSError as exc:
        raise BackupError(f"Could not create {path}: {exc.strerror}. Nothing was written.") from exc
    try:
        os.fchmod(fd, BACKUP_MODE)  # the umask can only remove bits; make the mode exact anyway
    finally:
        os.close(fd)


def backup(source: Path, destination: Path, *, step_pages: int = DEFAULT_STEP_PAGES, pause: float = DEFAULT_PAUSE,
           busy_ms: int = 15000, on_start: Callable[[int], None] | None = None) -> CopyResult:
    """Copy the live SQLite database `source` to the new file `destination` while writers go on.

    The copy is the database as of the moment `on_start(page_count)` is called. Raises BackupError
    when the source is missing, the destination exists or the copy fails its integrity check; the
    destination is then left untouched.
    """
    source, destination = Path(source).resolve(), Path(destination).resolve()
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file name (nothing was overwritten).")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    started = time.monotonic()
    _create_private(partial)
    try:
        src = _connect(source, busy_ms=busy_ms)
        dst = sqlite3.connect(partial, isolation_level=None)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {exc}. Nothing was written to {destination}.") from exc
    try:
        wal = src.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Pin one snapshot for every step (see the module docstring); outside WAL, copy in one step.
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        if on_start is not None:
            on_start(pages)
        src.backup(dst, pages=step_pages if wal else -1, progress=_pacer(pause))
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode = DELETE")
        problems = _integrity_problems(dst)
        if problems:
            raise BackupError(f"The copy failed its integrity check ({'; '.join(problems)}); nothing was kept.")
        dst.close()
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
        _fsync_dir(destination.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"The backup failed: {exc}. Nothing was written to {destination}.") from exc
    finally:
        src.close()
        dst.close()
        partial.unlink(missing_ok=True)
    return CopyResult(destination, pages, destination.stat().st_size, time.monotonic() - started)


def check_backup(path: Path, known_revisions: Iterable[str]) -> BackupCheck:
    """Confirm `path` is a sound Postil backup; raise BackupError saying what is wrong otherwise.

    Sound means: a SQLite file that passes integrity_check and whose alembic_version row names
    one of `known_revisions`. The file is opened read-only.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        conn = _connect(path, read_only=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a SQLite database: {exc}.") from exc
    try:
        problems = _integrity_problems(conn)
        if problems:
            raise BackupError(f"{path} is damaged: integrity_check reports {'; '.join(problems)}.")
        try:
            revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.DatabaseError:
            raise BackupError(f"{path} is not a Postil database: it has no alembic_version table.") from None
        if len(revisions) != 1:
            raise BackupError(f"{path} has no migration revision recorded (alembic_version holds {len(revisions)} "
                              "rows), so its schema is unknown.")
        if revisions[0] not in set(known_revisions):
            raise BackupError(f"{path} is at migration {revisions[0]!r}, which this version of Postil does not know "
                              "(a backup from a newer version?).")
        annotations = conn.execute("SELECT count(*) FROM annotations").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read: {exc}.") from exc
    finally:
        conn.close()
    return BackupCheck(path, revisions[0], annotations)


def safety_copy_path(target: Path) -> Path:
    """Name the file where restore keeps the database it is about to replace."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix or '.sqlite3'}")


def restore(backup_file: Path, target: Path, *, step_pages: int = DEFAULT_STEP_PAGES, pause: float = DEFAULT_PAUSE,
            busy_ms: int = 15000) -> CopyResult:
    """Replace the contents of the SQLite database `target` with `backup_file` (already checked).

    The copy happens in one write transaction on `target`, so other connections see either the
    old database or the restored one. Raises BackupError if the copy fails; `target` then keeps
    its previous contents.
    """
    backup_file, target = Path(backup_file).resolve(), Path(target).resolve()
    if backup_file == target:
        raise BackupError("The backup file is the live database itself; nothing to restore.")
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    src = _connect(backup_file, read_only=True, busy_ms=busy_ms)
    dst = _connect(target, busy_ms=busy_ms)
    try:
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        src.backup(dst, pages=step_pages, progress=_pacer(pause))
        problems = _integrity_problems(dst)
        if problems:
            raise BackupError(f"The restored database fails its integrity check: {'; '.join(problems)}.")
    except sqlite3.Error as exc:
        raise BackupError(f"The restore failed: {exc}.") from exc
    finally:
        src.close()
        dst.close()
    return CopyResult(target, pages, target.stat().st_size, time.monotonic() - started)
