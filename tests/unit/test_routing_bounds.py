"""Ids in URLs are bounded by what the database holds, in the routes' regular expressions themselves."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app import digits_up_to
from app.models.base import INTEGER_MAX

BOUNDED = re.compile(digits_up_to(INTEGER_MAX))


@settings(max_examples=500, derandomize=True, database=None)
@given(st.integers(min_value=0, max_value=10**13) | st.integers(min_value=INTEGER_MAX - 1000,
                                                                max_value=INTEGER_MAX + 1000))
def test_the_pattern_matches_exactly_the_numbers_up_to_the_bound(number):
    assert bool(BOUNDED.fullmatch(str(number))) == (number <= INTEGER_MAX)


def test_leading_zeros_and_small_bounds():
    assert BOUNDED.fullmatch("000" + str(INTEGER_MAX)) and not BOUNDED.fullmatch("0" + str(INTEGER_MAX + 1))
    small = re.compile(digits_up_to(305))
    assert [n for n in range(1000) if small.fullmatch(str(n))] == list(range(306))
    assert re.compile(digits_up_to(0)).fullmatch("0") and not re.compile(digits_up_to(0)).fullmatch("1")
