"""Operations commands: `flask backup PATH` and `flask restore PATH` for SQLite deployments.

The work happens in app.database.backup; these commands resolve the configured database, report what was
copied, and turn refusals into a message and exit status 1.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from app.cli.errors import fail
from app.database import backup as backups
from app.extensions import db

step_pages_option = click.option(
    "--step-pages", type=click.IntRange(min=1), default=backups.DEFAULT_STEP_PAGES, show_default=True,
    help="Pages copied per step.")
pause_option = click.option(
    "--pause", type=click.FloatRange(min=0), default=backups.DEFAULT_PAUSE, show_default=True,
    help="Seconds to pause between steps, leaving the disk to the application.")


def _database_file() -> Path:
    """Return the configured SQLite database file; exit with the reason when there is none."""
    try:
        # The engine's URL, not the setting: Flask-SQLAlchemy places relative SQLite paths in the instance folder.
        return backups.sqlite_path(db.engine.url)
    except backups.BackupError as exc:
        fail(str(exc))


def _busy_ms() -> int:
    return int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _migrations() -> tuple[list[str], str | None]:
    """Return every migration revision this code knows, and the newest one."""
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return [script.revision for script in scripts.walk_revisions()], scripts.get_current_head()


def _size(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.1f} MiB"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@step_pages_option
@pause_option
@with_appcontext
def backup_command(path: Path, step_pages: int, pause: float) -> None:
    """Copy the SQLite database to the new file PATH while the application keeps running."""
    source = _database_file()

    def announce(pages: int) -> None:
        click.echo(f"Copying {pages} pages of {source} (a snapshot as of now)...")
        sys.stdout.flush()

    try:
        result = backups.backup(source, path, step_pages=step_pages, pause=pause, busy_ms=_busy_ms(),
                                on_start=announce)
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"Backed up {result.pages} pages ({_size(result.bytes)}) to {result.path} in "
               f"{result.seconds:.2f} s; integrity check ok.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@step_pages_option
@pause_option
@with_appcontext
def restore_command(path: Path, yes: bool, step_pages: int, pause: float) -> None:
    """Replace the SQLite database with the backup PATH, after checking the backup is sound."""
    target = _database_file()
    known, head = _migrations()
    try:
        checked = backups.check_backup(path, known)
    except backups.BackupError as exc:
        fail(f"{exc} Nothing was changed.")
    if checked.path == target:
        fail("PATH is the live database itself. Nothing was changed.")
    click.echo(f"{checked.path}: integrity check ok, migration {checked.revision}, "
               f"{checked.annotations} annotations.")
    if not yes:
        click.confirm(f"Replace everything in {target} with this backup? Stop the application first; changes "
                      "made since the backup will survive only in the safety copy made now", abort=True)
    if target.exists():
        safety = backups.safety_copy_path(target)
        try:
            backups.backup(target, safety, step_pages=step_pages, pause=pause, busy_ms=_busy_ms())
        except backups.BackupError as exc:
            fail(f"Could not save the current database before restoring ({exc}). Nothing was changed.")
        click.echo(f"Saved the current database to {safety}.")
    try:
        result = backups.restore(checked.path, target, step_pages=step_pages, pause=pause, busy_ms=_busy_ms())
    except backups.BackupError as exc:
        fail(f"{exc} The database keeps its previous contents.")
    click.echo(f"Restored {result.pages} pages ({_size(result.bytes)}) into {target}; integrity check ok.")
    click.echo("Restart the application so that no worker keeps pages cached from before the restore.")
    if checked.revision != head:
        click.echo(f"The backup is at migration {checked.revision}; run `flask db upgrade` before starting "
                   "the application.")
