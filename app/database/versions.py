"""Row versions of annotations: which rows changed since a reader last read them (migration 0016).

The database gives an annotation row a new version whenever it is written (and when its author's
name or profile changes). A reader that takes `version_mark` before reading rows, and later reads
the rows with `row_version >= mark`, gets every row changed since, and maybe a few it already had:

- SQLite writes one transaction at a time, and versions count up per article: the mark is the
  article's highest version plus one.
- PostgreSQL versions are the writing transaction's id, and transactions commit in any order: the
  mark is the oldest transaction still running (`pg_snapshot_xmin`), so a change committed later
  carries that id or a later one.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, String, bindparam, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.models import Annotation


def version_mark(connection: Connection, article_id: int) -> int:
    """Return the mark to read the article's changed annotations from, next time (take it before reading)."""
    if connection.dialect.name == "postgresql":
        return connection.execute(_OLDEST_RUNNING).scalar_one()
    return connection.execute(_NEXT_VERSION, {"article_id": article_id}).scalar_one()


_NEXT_VERSION = (select(func.coalesce(func.max(Annotation.row_version), 0) + 1)
                 .where(Annotation.article_id == bindparam("article_id")))
_OLDEST_RUNNING = select(cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), String), BigInteger))


class sortable_time(FunctionElement):  # noqa: N801 - used as a SQL function
    """A time column as fixed-width text that sorts as the time does (UTC, to the microsecond).

    Cheaper to read than a datetime, and compared in Python exactly as the database orders the column.
    """

    type = String()
    inherit_cache = True
    name = "sortable_time"


@compiles(sortable_time)
def _sortable_time_as_stored(element, compiler, **kw):
    # SQLite keeps UTC times as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which is what ORDER BY compares.
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(sortable_time, "postgresql")
def _sortable_time_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
