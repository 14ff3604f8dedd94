"""The page cache is bounded by bytes, not entries, and drops a superseded revision at once."""
from __future__ import annotations

from dataclasses import dataclass

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
