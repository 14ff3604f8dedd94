""""New since your last visit": when each reader last read each article, and what is new to them.

A visit starts when a reader opens an article more than VISIT_GAP after they last had it open; the
annotations written since the previous visit carry a "new" marker for the whole visit (reloading
the page, or posting a reply, does not make them vanish). A first visit marks nothing: everything
is new. The moment is stored per reader and article, and written at most once a minute per reader
and article, so reading stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Annotation, ArticleVisit, User
from app.models.base import utcnow
from app.services.visibility import PUBLIC_LAYER, Layer, layer_clause

VISIT_GAP = timedelta(minutes=30)
WRITE_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class VisitState:
    """What a page view means for the markers, and what to store."""

    new_since: datetime | None  # annotations newer than this are new to the reader (None: first visit)
    store_new_since: datetime
    store_last_seen: datetime
    write: bool
    # When a view would next write the visit: until then, views change nothing and show the same markers.
    due: datetime


def next_state(new_since: datetime | None, last_seen: datetime | None, now: datetime) -> VisitState:
    """Decide the markers and the stored times for a view at `now` (pure: no database)."""
    if last_seen is None or new_since is None:
        return VisitState(None, now, now, True, now + WRITE_EVERY)
    if now - last_seen >= VISIT_GAP:
        return VisitState(last_seen, last_seen, now, True, now + WRITE_EVERY)
    write = now - last_seen >= WRITE_EVERY
    return VisitState(new_since, new_since, now, write, (now if write else last_seen) + WRITE_EVERY)


def state_for(user_id: int, article_id: int, now: datetime | None = None) -> VisitState:
    """Return the view's visit state from the stored row (one query)."""
    row = db.session.execute(select(ArticleVisit.new_since, ArticleVisit.last_seen_at).where(
        ArticleVisit.user_id == user_id, ArticleVisit.article_id == article_id)).first()
    return next_state(row.new_since if row else None, row.last_seen_at if row else None, now or utcnow())


def store(user_id: int, article_id: int, state: VisitState) -> None:
    """Write the visit (update, else insert); flush, don't commit. A concurrent first visit is not an error.

    The first statement writes, so on SQLite the transaction takes the write lock before reading anything.
    """
    updated = db.session.execute(
        update(ArticleVisit).where(ArticleVisit.user_id == user_id, ArticleVisit.article_id == article_id)
        .values(new_since=state.store_new_since, last_seen_at=state.store_last_seen))
    if updated.rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ArticleVisit(user_id=user_id, article_id=article_id, new_since=state.store_new_since,
                                        last_seen_at=state.store_last_seen))
    except IntegrityError:
        pass


def new_ids(article_id: int, viewer: User, since: datetime | None, layer: Layer = PUBLIC_LAYER) -> list[int]:
    """Return the ids of undeleted annotations by others newer than `since` in the page's `layer`, in reading order."""
    if since is None:
        return []
    root = aliased(Annotation)
    position = func.coalesce(root.start, Annotation.start, 10 ** 9)
    return list(db.session.scalars(
        select(Annotation.id).outerjoin(root, root.id == Annotation.root_id)
        .where(Annotation.article_id == article_id, layer_clause(viewer, layer), Annotation.deleted_at.is_(None),
               Annotation.author_id != viewer.id, Annotation.created_at > since)
        .order_by(position, Annotation.created_at, Annotation.id)))
