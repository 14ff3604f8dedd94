"""Read the many ways reference files write publication dates.

Handles "2017/07/05/", "2017-07", "2018 Mar", "2017 Jul-Aug", "Jul 5, 2017",
"5 July 2017" and bare years. Seasons ("2016 Winter") keep only the year.
"""

from __future__ import annotations

import re

__all__ = ["MONTH_ABBREVIATIONS", "month_number", "parse_date"]

MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

_NUMERIC = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})?(?:[-/.](\d{1,2})?)?)?")
_YEAR = re.compile(r"\b(1[5-9]\d\d|2[01]\d\d)\b")
_MONTH_NAME = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.I)
_DAY = re.compile(r"(?<![\d-])(\d{1,2})(?!\d)")

Date = tuple[int | None, int | None, int | None]


def month_number(text: str | int | None) -> int | None:
    """Return 1-12 for "jul", "July", "7" or 7, or None if it names no month."""
    if text is None:
        return None
    value = str(text).strip().strip("{}")
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    match = _MONTH_NAME.match(value)
    if not match:
        return None
    return MONTH_ABBREVIATIONS.index(match.group(1).capitalize()) + 1


def _valid(year: int | None, month: int | None, day: int | None) -> Date:
    if month is not None and not 1 <= month <= 12:
        month = None
    if month is None or (day is not None and not 1 <= day <= 31):
        day = None
    return year, month, day


def parse_date(text: str | None) -> Date:
    """Return (year, month, day) read from a date string; unknown parts are None."""
    if not text or not text.strip():
        return None, None, None
    numeric = _NUMERIC.match(text)
    if numeric and not _MONTH_NAME.search(text):
        year, month, day = (int(g) if g else None for g in numeric.groups())
        return _valid(year, month, day)
    year_match = _YEAR.search(text)
    month_match = _MONTH_NAME.search(text)
    year = int(year_match.group(1)) if year_match else None
    month = month_number(month_match.group(1)) if month_match else None
    day = None
    if month_match:
        rest = text.replace(year_match.group(0), " ", 1) if year_match else text
        day_match = _DAY.search(rest)
        day = int(day_match.group(1)) if day_match else None
    return _valid(year, month, day)
