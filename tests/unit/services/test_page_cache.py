"""The page cache is bounded by bytes, not entries, and drops a superseded revision at once."""
from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Article
from app.services import reading
from app.services.shared_pages import PageCache


@dataclass
class Entry:
    nbytes: int


def test_the_cache_keeps_the_most_recently_used_entries_within_its_byte_budget():
    cache = PageCache(max_bytes=1000)
    for n in range(5):
        cache.put(("page", n), Entry(300))
        assert cache.total <= 1000
    assert list(cache.items) == [("page", 2), ("page", 3), ("page", 4)]
    cache.get(("page", 2))  # used again: now the last to go
    cache.put(("page", 5), Entry(300))
    assert list(cache.items) == [("page", 4), ("page", 2), ("page", 5)] and cache.total == 900
    # Few large pages or many small ones: the budget is the same.
    cache.put(("page", 6), Entry(950))
    assert list(cache.items) == [("page", 6)] and cache.total == 950
    # An entry larger than the whole budget is not kept (and pushes nothing out).
    cache.put(("page", 7), Entry(1001))
    assert cache.get(("page", 7)) is None and cache.get(("page", 6)) is not None


def test_a_new_revision_drops_the_one_it_supersedes_at_once():
    cache = PageCache(max_bytes=10_000)
    cache.put(("page", 1, "rev1"), Entry(100), family=("page", 1))
    cache.put(("page", 2, "rev1"), Entry(100), family=("page", 2))
    cache.put(("page", 1, "rev2"), Entry(100), family=("page", 1))
    assert cache.get(("page", 1, "rev1")) is None
    assert set(cache.items) == {("page", 1, "rev2"), ("page", 2, "rev1")} and cache.total == 200
    cache.put(("page", 1, "rev2"), Entry(150), family=("page", 1))  # the same key again: replaced, not doubled
    assert cache.total == 250
    cache.clear()
    assert cache.total == 0 and not cache.items
    cache.put(("page", 1, "rev3"), Entry(100), family=("page", 1))
    assert cache.total == 100


def test_an_outline_weighs_in_the_cache_at_least_what_it_holds(app, make):
    slug, author = make.demo_article(), make.user()
    quotes = ["neoadjuvant chemotherapy", "rebastinib, a TIE2 inhibitor", "What were the levels of resistance"]
    for n in range(90):
        first = make.annotation(author, slug, quotes[n % len(quotes)], body=f"Comment number {n} on the passage.",
                                tags=["trial", f"tag{n % 7}"])
        if n % 3 == 0:
            make.reply(author, first, body=f"A reply to comment {n}.")
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        reading._build_outline(article, None, reading.Filters(), reading.PUBLIC_LAYER)  # statements compiled once
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            outline = reading._build_outline(article, None, reading.Filters(), reading.PUBLIC_LAYER)
            # What every render of it works out once and keeps with it.
            outline.pages_by_root(50), outline.summary  # noqa: B018
            gc.collect()
            held = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
        finally:
            tracemalloc.stop()
    assert len(outline.rows) == 120
    # The budget counts estimates: one short of the real size lets the cache outgrow it unseen.
    assert held * 0.9 <= outline.nbytes <= held * 1.6, (held, outline.nbytes)
