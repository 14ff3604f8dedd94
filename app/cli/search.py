"""`flask search reindex`: rebuild the search index from the content, in one transaction.

The index is kept in step with every write, so this is for repairs and after restoring old
backups: it deletes every document and builds them again from the articles, annotations and
studies. Running it twice leaves the same index.
"""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.search import index

search_cli = AppGroup("search", help="Search index maintenance.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild every search document from the content (idempotent)."""
    started = time.perf_counter()
    counts = index.rebuild(db.session.connection())
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"Search index rebuilt in {elapsed:.1f} s: {counts['article']:,} article passages, "
               f"{counts['annotation']:,} annotations, {counts['study']:,} studies.")
