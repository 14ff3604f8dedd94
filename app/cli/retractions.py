"""`flask studies retractions import FILE.csv`: mark studies from the Retraction Watch database.

The database is distributed as a CSV file through Crossref. Every row is matched to stored studies
by the original paper's DOI, then its PMID; a match stores the notice (once: running the command
again changes nothing) and notifies the readers who linked the study. The command prints each match.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.bibliography import FormatError
from app.bibliography.encodings import decode_text
from app.bibliography.notices import human_date
from app.cli.errors import fail
from app.extensions import db
from app.services import notices
from app.services.errors import ServiceError

retractions_cli = AppGroup("retractions", help="Retraction Watch notices about the studies Postil holds.")


@retractions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_retractions(file: Path) -> None:
    """Store the notices of a Retraction Watch CSV about studies Postil holds (matched by DOI and PMID)."""
    try:
        text, _ = decode_text(file.read_bytes())
        report = notices.import_retraction_watch(text)
    except FormatError as exc:
        fail(f"{file.name}: {exc}. Nothing was imported.")
    except ServiceError as exc:
        fail(f"{file.name}: {exc.message}")
    db.session.commit()
    for match in report.matches:
        notice = match.notice
        when = f" of {human_date(notice.notice_date)}" if notice.notice_date else ""
        state = "new" if match.new else "already known"
        click.echo(f"  line {match.line} (Retraction Watch record {match.record_id}): "
                   f"{notice.kind.value.replace('_', ' ')}{when} \u2014 study {match.study.id} "
                   f"[@{match.study.citation_key}] matched by {match.matched_by} ({state})")
    click.echo(f"{report.rows} row{'s' if report.rows != 1 else ''} read: {len(report.matches)} about studies in "
               f"Postil, {report.new_notices} new notice{'s' if report.new_notices != 1 else ''} stored.")
