"""Command-line import and export of studies and articles.

    flask studies import FILE [--format csl-json|ris|bibtex|nbib]
    flask studies export [--format csl-json|ris|bibtex] [--article SLUG] [--output FILE]
    flask articles import FILE.md [--references FILE] [--draft] [--note TEXT]

They use the same services as the web pages, and `seed-demo` loads the demo article through
`articles import`'s code path.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli.errors import fail
from app.extensions import db
from app.models import ArticleStatus
from app.services import authoring, importing
from app.services import studies as study_service
from app.services.errors import ServiceError

studies_cli = AppGroup("studies", help="Import and export studies (reference files).")
articles_cli = AppGroup("articles", help="Import articles written in Markdown.")

IMPORT_FORMATS = ["csl-json", "ris", "bibtex", "nbib"]
EXPORT_FORMATS = ["csl-json", "ris", "bibtex"]
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _echo_report(report: importing.ImportReport, verbose: bool) -> None:
    for outcome in report.outcomes:
        if verbose or outcome.outcome in ("rejected", "duplicate") or outcome.warnings:
            details = f": {outcome.message}" if outcome.message else ""
            click.echo(f"  {outcome.label} \u2014 {outcome.outcome_label.lower()}{details}")
    click.echo(report.summary())


@studies_cli.command("import")
@click.argument("file", type=_FILE)
@click.option("--format", "format_name", type=click.Choice(IMPORT_FORMATS), default=None,
              help="The file's format; detected from its content (then its extension) when left out.")
@click.option("-v", "--verbose", is_flag=True, help="List every record, not only duplicates and rejections.")
def import_studies(file: Path, format_name: str | None, verbose: bool) -> None:
    """Import the studies of a reference file: each record is created, updated, skipped or rejected."""
    try:
        report = importing.import_file(file.read_bytes(), format_name, file.name)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    if report.encoding not in ("UTF-8", "ASCII"):
        click.echo(f"Read {file.name} as {report.encoding}.")
    _echo_report(report, verbose)


@studies_cli.command("export")
@click.option("--format", "format_name", type=click.Choice(EXPORT_FORMATS), default="csl-json", show_default=True)
@click.option("--article", "slug", default=None, help="Only this article's references (in citation order).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def export_studies(format_name: str, slug: str | None, output: Path | None) -> None:
    """Write every study (or one article's references) as CSL-JSON, RIS or BibTeX."""
    if slug:
        article = authoring.find_article(slug)
        if article is None:
            fail(f"No article has the slug {slug!r}.")
        studies = study_service.studies_of_article(article)
    else:
        studies = study_service.all_studies()
    exported = study_service.export_studies(studies, format_name, "references")
    if output is None:
        click.echo(exported.text, nl=False)
        return
    output.write_text(exported.text, encoding="utf-8")
    click.echo(f"Wrote {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} to {output}.", err=True)


@articles_cli.command("import")
@click.argument("file", type=_FILE)
@click.option("--references", type=_FILE, default=None,
              help="A reference file (CSL-JSON, RIS, BibTeX, .nbib) whose studies the article cites.")
@click.option("--references-format", type=click.Choice(IMPORT_FORMATS), default=None)
@click.option("--draft", is_flag=True, help="Keep the article as a draft (readers cannot see it).")
@click.option("--note", default="Imported from the command line", show_default=True,
              help="The revision note.")
def import_article(file: Path, references: Path | None, references_format: str | None, draft: bool,
                   note: str) -> None:
    """Import (or update) an article from Markdown with YAML front matter, and its references first."""
    try:
        result = importing.import_article(
            file.read_text(encoding="utf-8"), file.stem, editor=None, note=note,
            references=references.read_bytes() if references else None,
            references_name=references.name if references else None, references_format=references_format,
            status=ArticleStatus.DRAFT if draft else ArticleStatus.PUBLISHED)
    except UnicodeDecodeError:
        fail(f"{file.name} is not UTF-8 text. Nothing was imported.")
    except ServiceError as exc:
        fail(f"{exc.message} Nothing was imported (the references were not kept either).")
    db.session.commit()
    if result.references is not None:
        _echo_report(result.references, verbose=False)
    click.echo(describe_article_import(result))


def describe_article_import(result: importing.ArticleImport) -> str:
    """Say what importing an article did, for the command line."""
    article = result.article
    state = "published" if article.status == ArticleStatus.PUBLISHED else "draft"
    where = f"/articles/{article.slug}"
    if result.created:
        return f"Created article {where} (version {article.version}, {state})."
    if not result.changed:
        return f"Article {where} is unchanged (version {article.version}, {state})."
    return (f"Updated article {where} to version {article.version} ({state}). "
            f"{authoring.describe_anchors(result.anchors)}")
