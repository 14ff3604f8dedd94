"""Keep the search index in step with the content, inside the transaction that changes the content.

A session listener (`after_flush`) rewrites the documents of every annotation, article and study
the flush created, changed (in a field search reads) or deleted, on the flush's own connection: the
index commits or rolls back with the content, so a search never shows text a reader can no longer
see, and no write path (services, API, command line, tests' factories) has to remember to call it.
Two writers go around the ORM for speed or for compare-and-set, and call `refresh` themselves: the
bulk study import and the moderation state machine (a removal redacts the text).

`rebuild` recreates every document from scratch (`flask search reindex`, and the migration that
creates the index); running it twice gives the same index.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from app.models import Annotation, Article, SearchDocument, Study
from app.text.search_documents import (
    ANNOTATION,
    ARTICLE,
    STUDY,
    Document,
    annotation_document,
    article_documents,
    study_document,
)

DOCS = SearchDocument.__table__
_ANNOTATIONS = Annotation.__table__
_ARTICLES = Article.__table__
_STUDIES = Study.__table__
_BATCH = 1000

# The fields each document is built from: a change to any of them rewrites the document.
ANNOTATION_FIELDS = ("body_html", "exact", "tags", "deleted_at", "created_at")
ARTICLE_FIELDS = ("title", "standfirst", "tags", "source", "body_source", "created_at")
STUDY_FIELDS = ("title", "authors", "container_title", "container_title_short", "abstract", "key_findings",
                "population", "doi", "pmid", "pmcid", "issued_year", "issued_month", "issued_day")


def _row(document: Document, **links) -> dict:
    return {"doc_type": document.doc_type, "title": document.title, "body": document.body,
            "quote": document.quote, "extra": document.extra, "position": document.position,
            "article_id": None, "annotation_id": None, "study_id": None, "dated": None, **links}


def annotation_rows(values) -> list[dict]:
    """Return the document row of an annotation (an object or a row with its fields); none once deleted."""
    if values.deleted_at is not None:
        return []
    document = annotation_document(values.body_html, values.exact, values.tags)
    return [_row(document, annotation_id=values.id, article_id=values.article_id, dated=values.created_at)]


def article_rows(values) -> list[dict]:
    """Return the document rows of an article: its head and one per block."""
    documents = article_documents(values.title, values.standfirst, values.tags, values.source, values.body_source)
    return [_row(d, article_id=values.id, dated=values.created_at) for d in documents]


def study_date(values) -> datetime | None:
    """Return a study's publication date (first of the month or year when only those are known)."""
    if not values.issued_year:
        return None
    try:
        return datetime(values.issued_year, values.issued_month or 1, values.issued_day or 1, tzinfo=UTC)
    except ValueError:
        return datetime(values.issued_year, 1, 1, tzinfo=UTC)


def study_rows(values) -> list[dict]:
    """Return the document row of a study."""
    document = study_document(title=values.title, authors=values.authors, journal=values.container_title,
                              journal_short=values.container_title_short, abstract=values.abstract,
                              key_findings=values.key_findings, population=values.population, doi=values.doi,
                              pmid=values.pmid, pmcid=values.pmcid)
    return [_row(document, study_id=values.id, dated=study_date(values))]


_KINDS = {
    Annotation: (ANNOTATION, DOCS.c.annotation_id, annotation_rows, ANNOTATION_FIELDS),
    Article: (ARTICLE, DOCS.c.article_id, article_rows, ARTICLE_FIELDS),
    Study: (STUDY, DOCS.c.study_id, study_rows, STUDY_FIELDS),
}


def _changed(obj, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _write(connection: Connection, model: type, objects: list, replace: bool) -> None:
    doc_type, link, build, _ = _KINDS[model]
    if replace:
        connection.execute(delete(DOCS).where(DOCS.c.doc_type == doc_type, link.in_([o.id for o in objects])))
    rows = [row for obj in objects for row in build(obj)]
    if rows:
        connection.execute(_INSERT, rows)


def add_annotation(connection: Connection, annotation: Annotation) -> None:
    """Write the document of a new annotation saved without a flush (`insert_now`), as `_after_flush` would."""
    rows = annotation_rows(annotation)
    if rows:
        connection.execute(_INSERT, rows)


_INSERT = insert(DOCS)


def _after_flush(session: Session, _context) -> None:
    """Rewrite the documents of what this flush created, changed or deleted."""
    new: dict[type, list] = {}
    changed: dict[type, list] = {}
    gone: dict[type, list] = {}
    for bucket, objects, check in ((new, session.new, False), (changed, session.dirty, True),
                                   (gone, session.deleted, False)):
        for obj in objects:
            model = type(obj)
            if model in _KINDS and (not check or _changed(obj, _KINDS[model][3])):
                bucket.setdefault(model, []).append(obj)
    if not (new or changed or gone):
        return
    connection = session.connection()
    for model, objects in gone.items():
        doc_type, link, _, _ = _KINDS[model]
        connection.execute(delete(DOCS).where(DOCS.c.doc_type == doc_type, link.in_([o.id for o in objects])))
    for model, objects in new.items():
        _write(connection, model, objects, replace=False)
    for model, objects in changed.items():
        _write(connection, model, objects, replace=True)


def init_app(_app=None) -> None:
    """Install the index listener on every session (once)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def refresh(session: Session, *, annotation_ids: Iterable[int] = (), study_ids: Iterable[int] = (),
            article_ids: Iterable[int] = ()) -> None:
    """Rewrite the documents of the given rows from the database (for writes that bypass the ORM)."""
    connection = session.connection()
    for model, table, ids in ((Annotation, _ANNOTATIONS, annotation_ids), (Study, _STUDIES, study_ids),
                              (Article, _ARTICLES, article_ids)):
        ids = sorted(set(ids))
        fields = _KINDS[model][3]
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            rows = connection.execute(select(*_source_columns(table, fields)).where(table.c.id.in_(chunk))).all()
            connection.execute(delete(DOCS).where(DOCS.c.doc_type == _KINDS[model][0], _KINDS[model][1].in_(chunk)))
            built = [row for source in rows for row in _KINDS[model][2](source)]
            if built:
                connection.execute(insert(DOCS), built)


def _source_columns(table, fields: tuple[str, ...]) -> list:
    names = ["id", *fields] + (["article_id"] if table is _ANNOTATIONS else [])
    return [table.c[name] for name in dict.fromkeys(names)]


def rebuild(connection: Connection) -> dict[str, int]:
    """Recreate every document from the content; return how many of each type were written."""
    connection.execute(delete(DOCS))
    counts: dict[str, int] = {}
    for model, table in ((Article, _ARTICLES), (Study, _STUDIES), (Annotation, _ANNOTATIONS)):
        doc_type, _, build, fields = _KINDS[model]
        batch: list[dict] = []
        written = 0
        result = connection.execute(select(*_source_columns(table, fields)).order_by(table.c.id)
                                    .execution_options(yield_per=_BATCH))
        for source in result:
            batch.extend(build(source))
            if len(batch) >= _BATCH:
                connection.execute(insert(DOCS), batch)
                written, batch = written + len(batch), []
        if batch:
            connection.execute(insert(DOCS), batch)
            written += len(batch)
        counts[doc_type] = written
    if connection.dialect.name == "sqlite":
        # Merge the index's segments, as a freshly built index should be.
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    return counts
