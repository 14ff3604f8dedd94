"""One way to page a query: the rows of one page, the total, and where the neighbouring pages are.

Every list that pages (the moderation queue and log, accounts, notifications, studies, the API's
collections) goes through `paginate`, so that page numbers are parsed, bounded and counted the same
way everywhere. Pages are numbered from 1; the W3C annotation container, whose pages are numbered
from 0, translates at its edge.

Page numbers are capped at `MAX_PAGE` before any offset is computed: a page far beyond the last is
simply empty, and an offset never exceeds what a database integer holds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from app.extensions import db

T = TypeVar("T")

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its rows, its number (from 1), its size and the number of matching rows."""

    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """The number of pages (at least 1, so that an empty listing has one, empty, page)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def offset(self) -> int:
        """The index of the page's first row in the whole listing."""
        return (self.page - 1) * self.per_page


def page_number(raw: object, default: int = 1) -> int:
    """Turn a page number from a URL into an int from 1 to MAX_PAGE (anything unreadable is `default`)."""
    try:
        number = int(str(raw).strip()) if raw is not None else default
    except ValueError:
        return default
    return min(max(number, 1), MAX_PAGE)


def paginate(stmt: Select, page: int = 1, per_page: int = 50, *, total: int | None = None,
             unique: bool = False) -> Page:
    """Return page `page` of the rows `stmt` selects, with the number of rows it matches.

    `stmt` selects one entity and carries its ordering. Pass `total` when the caller already knows it
    (a count kept elsewhere), and `unique=True` when `stmt` eager-loads collections with joins.
    """
    page = min(max(int(page), 1), MAX_PAGE)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows: Sequence = []
    if (page - 1) * per_page < total:
        result = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
        rows = (result.unique() if unique else result).all()
    return Page(items=list(rows), page=page, per_page=per_page, total=total)
