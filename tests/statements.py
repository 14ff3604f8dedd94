"""Record the SQL statements an app sends while a block runs: the one recorder the tests count queries with."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


@contextmanager
def counting_queries(app, keep: Callable[[str], bool] | None = None) -> Iterator[list[str]]:
    """Record each statement `app`'s engine sends inside the block (those `keep` accepts) in a list filled in place."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if keep is None or keep(statement):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
