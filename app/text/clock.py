"""Times as readers write and read them: a local date and time in an IANA time zone, stored in UTC.

Pure functions (no Flask, no database) over the standard library's zoneinfo. A local time that does
not exist (skipped when clocks go forward) or that happens twice (when they go back) is refused
with a message rather than guessed, since a session announced at the wrong hour misses its members.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_ZONE = "UTC"


class BadTime(ValueError):
    """A date, time or time zone that cannot be used; the message says why, for a person."""


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Return every IANA time zone name the system knows, sorted (UTC first)."""
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return (DEFAULT_ZONE, *names)


def zone(name: str | None) -> ZoneInfo:
    """Return the time zone called `name`; raise BadTime for an unknown one."""
    name = (name or DEFAULT_ZONE).strip()
    if name not in zone_names():
        raise BadTime(f"“{name[:64]}” is not a time zone: choose one from the list, e.g. Europe/London.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTime(f"“{name[:64]}” is not a time zone: choose one from the list, e.g. Europe/London.") from None


def to_utc(day: date, at: time, zone_name: str) -> datetime:
    """Return the UTC instant of local `day` `at` in `zone_name`; raise BadTime when it is skipped or ambiguous."""
    tz = zone(zone_name)
    first = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    second = first.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        earlier, later = sorted((first.astimezone(UTC), second.astimezone(UTC)))
        if _round_trips(first) and _round_trips(second):
            raise BadTime(f"{at:%H:%M} happens twice on {day:%d %b %Y} in {tz.key} (the clocks go back): choose "
                          "a time outside that hour.")
        raise BadTime(f"{at:%H:%M} does not exist on {day:%d %b %Y} in {tz.key} (the clocks go forward): choose "
                      "another time.")
    return first.astimezone(UTC)


def _round_trips(local: datetime) -> bool:
    """Tell whether a local time survives a trip to UTC and back (it exists on the wall clock)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def local(moment: datetime, zone_name: str | None) -> datetime:
    """Return the aware UTC `moment` in the time zone `zone_name` (UTC when unknown)."""
    try:
        tz = zone(zone_name)
    except BadTime:
        tz = ZoneInfo(DEFAULT_ZONE)
    return moment.astimezone(tz)


def describe(moment: datetime, zone_name: str | None) -> str:
    """Return `moment` as a reader reads it in their zone: “Tue 15 Dec 2026, 18:30 (Europe/London, GMT)”."""
    shown = local(moment, zone_name)
    abbreviation = shown.tzname() or ""
    key = getattr(shown.tzinfo, "key", DEFAULT_ZONE)
    suffix = key if abbreviation in ("", key) else f"{key}, {abbreviation}"
    return f"{shown:%a %d %b %Y, %H:%M} ({suffix})"
