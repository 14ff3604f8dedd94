"""Session times: a local date and time in a time zone to UTC and back, never guessed across clock changes."""
from datetime import UTC, date, datetime, time

import pytest

from app.text.clock import BadTime, describe, to_utc, zone


def test_a_london_evening_in_winter_and_in_summer_is_stored_in_utc():
    assert to_utc(date(2026, 12, 15), time(18, 30), "Europe/London") == datetime(2026, 12, 15, 18, 30, tzinfo=UTC)
    assert to_utc(date(2026, 7, 15), time(18, 30), "Europe/London") == datetime(2026, 7, 15, 17, 30, tzinfo=UTC)
    assert to_utc(date(2026, 7, 15), time(9, 0), "America/New_York") == datetime(2026, 7, 15, 13, 0, tzinfo=UTC)


def test_each_reader_reads_the_same_instant_in_their_own_zone():
    moment = datetime(2026, 12, 15, 18, 30, tzinfo=UTC)
    assert describe(moment, "Europe/London") == "Tue 15 Dec 2026, 18:30 (Europe/London, GMT)"
    assert describe(moment, "Australia/Sydney") == "Wed 16 Dec 2026, 05:30 (Australia/Sydney, AEDT)"
    assert describe(moment, "UTC") == "Tue 15 Dec 2026, 18:30 (UTC)"
    assert describe(moment, "Not/A_Zone") == "Tue 15 Dec 2026, 18:30 (UTC)"


def test_a_time_skipped_or_repeated_by_a_clock_change_is_refused_not_guessed():
    with pytest.raises(BadTime, match="does not exist .* clocks go forward"):
        to_utc(date(2026, 3, 29), time(1, 30), "Europe/London")
    with pytest.raises(BadTime, match="happens twice .* clocks go back"):
        to_utc(date(2026, 10, 25), time(1, 30), "Europe/London")


def test_an_unknown_zone_is_named():
    with pytest.raises(BadTime, match="“Mars/Olympus” is not a time zone"):
        zone("Mars/Olympus")
