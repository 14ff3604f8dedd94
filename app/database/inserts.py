"""Insert a new mapped object at once, without the unit of work, and keep it in the session as loaded.

A reader's new annotation is the busiest write there is, and every value of its rows is known before
it is written. The ORM's flush works out the same INSERT through its unit of work (dependency sort,
per-object bookkeeping, history of every attribute), which costs several times the statement itself.
`insert_now` sends the table's own INSERT, compiled once per table and set of columns, and hands the
object to the session as if it had just been loaded: its id, its relationships and its expiry on
commit work as for any persistent object, and nothing of it is written again at the next flush.

What a flush would do beside the INSERT is not done, so this is for the few write paths that do it
themselves: session listeners (after_flush) do not see the object, which is why the search document
of an annotation saved this way is written by the caller (`app.services.search.index.add_annotation`).
Only column values are written: an object carrying a relationship change is refused rather than
written without it.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached


@cache
def _insert(table: Table):
    return insert(table)


def insert_now(session: Session, obj):
    """INSERT the new (transient) `obj` on the session's connection and make it persistent; return it.

    Columns left unset take their Python default (set on the object too, as a flush would) or, with
    only a server default, the database's (read back if asked for). Raises ValueError for an object
    that is not new or carries relationship changes, and for a default that is a SQL expression.
    """
    state = inspect(obj)
    if not state.transient:
        raise ValueError(f"insert_now takes a new object, not a {state.mapper.class_.__name__} already in a session")
    mapper = state.mapper
    if any(state.attrs[rel.key].history.has_changes() for rel in mapper.relationships if rel.key in state.dict):
        raise ValueError(f"insert_now writes columns only: this {mapper.class_.__name__} has relationship changes")
    values, defaults = {}, {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in state.dict:
            values[column.key] = state.dict[prop.key]
        elif column.default is not None:
            default = column.default
            if not (default.is_scalar or default.is_callable):
                raise ValueError(f"insert_now cannot compute the SQL default of {mapper.class_.__name__}.{prop.key}")
            values[column.key] = defaults[prop.key] = default.arg(None) if default.is_callable else default.arg
        elif column.primary_key or column.server_default is not None:
            continue  # the database's value, read back when the attribute is first asked for
        else:
            values[column.key] = defaults[prop.key] = None
    result = session.connection().execute(_insert(mapper.local_table), values)
    for prop, value in defaults.items():
        setattr(obj, prop, value)
    for column, value in zip(mapper.primary_key, result.inserted_primary_key, strict=True):
        setattr(obj, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
