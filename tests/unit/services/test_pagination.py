"""The one pagination helper: bounded page numbers, totals, and neighbours, on a real database."""
from __future__ import annotations

from sqlalchemy import select

from app.models import User
from app.services.pagination import MAX_PAGE, Page, page_number, paginate


def _users_by_name():
    return select(User).order_by(User.display_name, User.id)


def test_pages_hold_the_rows_in_order_with_the_total_and_neighbours(app, make):
    for i in range(5):
        make.user(name=f"Person {i}")
    with app.app_context():
        first = paginate(_users_by_name(), page=1, per_page=2)
        last = paginate(_users_by_name(), page=3, per_page=2)
    assert [u.display_name for u in first.items] == ["Person 0", "Person 1"]
    assert (first.total, first.pages, first.has_prev, first.next_num) == (5, 3, False, 2)
    assert [u.display_name for u in last.items] == ["Person 4"]
    assert (last.prev_num, last.has_next, last.offset) == (2, False, 4)


def test_a_page_beyond_the_last_is_empty_and_a_huge_one_never_overflows_the_offset(app, make):
    make.user(name="Only one")
    with app.app_context():
        beyond = paginate(_users_by_name(), page=7, per_page=10)
        huge = paginate(_users_by_name(), page=2**70, per_page=10)
    assert beyond.items == [] and beyond.total == 1
    assert huge.items == [] and huge.page == MAX_PAGE


def test_an_empty_listing_has_one_empty_page():
    empty = Page(items=[], page=1, per_page=20, total=0)
    assert empty.pages == 1 and not empty.has_next and not empty.has_prev


def test_page_numbers_from_urls_are_bounded_and_unreadable_ones_fall_back():
    assert page_number("3") == 3
    assert page_number("0") == 1 and page_number("-4") == 1
    assert page_number("x") == 1 and page_number(None) == 1 and page_number("", default=2) == 2
    assert page_number("9" * 40) == MAX_PAGE
