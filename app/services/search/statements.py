"""What lets a search's statements be built once and serve every search of the same shape.

Building a search's statement with SQLAlchemy cost more than running it. A statement is kept by
its shape (app.services.search.searching `_Plan.shape`): everything it depends on but the words
and the reader's id, which it takes as parameters. `BoundViewer` stands for the reader while the
statement is built, so that the visibility rules compare columns to a parameter rather than to
one reader's id; the search then runs the statement with its own words and reader.

`MatchesFirst` is the join every statement starts from: the engine's matches to their documents.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from sqlalchemy import bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from app.models import User

# A statement weighs a few hundred kilobytes: a few dozen shapes are kept per worker.
STATEMENT_CACHE_SIZE = 48
VIEWER_PARAM = "viewer_id"


class StatementCache:
    """Built statements by shape, the least recently used dropped past `size`."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[tuple, object] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple, build: Callable[[], object]):
        """Return the statement kept under `key`, built by `build()` and kept the first time."""
        with self.lock:
            statement = self.items.get(key)
            if statement is not None:
                self.items.move_to_end(key)
                return statement
        statement = build()
        with self.lock:
            self.items[key] = statement
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return statement

    def clear(self) -> None:
        """Forget every statement."""
        with self.lock:
            self.items.clear()

    def keys(self) -> list[tuple]:
        """Return the shapes kept, least recently used first."""
        with self.lock:
            return list(self.items)


built_statements = StatementCache(STATEMENT_CACHE_SIZE)


class BoundViewer:
    """A signed-in viewer as a statement sees it: their role, and their id as the parameter VIEWER_PARAM.

    Only SQL ever reads `id` here (app.services.visibility and the filters compare columns to it).
    """

    is_authenticated = True

    def __init__(self, viewer: User):
        self.id = bindparam(VIEWER_PARAM, viewer.id)
        self.is_admin = bool(getattr(viewer, "is_admin", False))
        self.is_moderator = bool(getattr(viewer, "is_moderator", False))
        self.role = (self.is_admin, self.is_moderator)


class MatchesFirst(Join):
    """The join of the engine's matches to their documents, which the database must start from the matches.

    The matches are the small side by design (a window, or one type's), and each finds its document
    by primary key. Left to themselves, the planners walk every document of the type instead (a
    hundred thousand annotations for `kind:question tie2`): SQLite without statistics takes
    `doc_type = ?` for a selective index, and PostgreSQL cannot estimate a materialised CTE and
    hashes the whole table. SQLite keeps the left table of a CROSS JOIN outermost; PostgreSQL looks
    each document up from a LATERAL subquery that OFFSET 0 keeps it from flattening, under the
    table's own name, so that the rest of the statement reads it unchanged.
    """

    inherit_cache = True


@compiles(MatchesFirst, "sqlite")
def _matches_first_in_sqlite(join, compiler, **kw):
    kw.pop("asfrom", None)
    left = join.left._compiler_dispatch(compiler, asfrom=True, **kw)
    right = join.right._compiler_dispatch(compiler, asfrom=True, **kw)
    return f"{left} CROSS JOIN {right} ON {join.onclause._compiler_dispatch(compiler, **kw)}"


@compiles(MatchesFirst, "postgresql")
def _matches_first_in_postgresql(join, compiler, **kw):
    kw.pop("asfrom", None)
    left = join.left._compiler_dispatch(compiler, asfrom=True, **kw)
    right = join.right._compiler_dispatch(compiler, asfrom=True, **kw)
    columns = ", ".join(f"{right}.{compiler.preparer.quote(c.name)}" for c in join.right.columns)
    on = join.onclause._compiler_dispatch(compiler, **kw)
    return f"{left} JOIN LATERAL (SELECT {columns} FROM {right} WHERE {on} OFFSET 0) AS {right} ON true"
