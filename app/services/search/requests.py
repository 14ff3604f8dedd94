"""A search request as a URL carries it, validated: query text, type tab, sort, page, dates, scope.

Bad parameters raise BadSearch with a message naming the one at fault (the page shows it, the API
answers 400), so a malformed URL never reaches the engines.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.services.errors import ServiceError
from app.services.pagination import page_number
from app.text.query import FieldFilter
from app.text.search_documents import DOC_TYPES

PER_PAGE = 20
SORTS = ("relevance", "newest")
SCOPES = ("all", "queue")
DATE_BUCKETS = (("week", "Past 7 days", 7), ("month", "Past 30 days", 30), ("year", "Past 12 months", 365))


class BadSearch(ServiceError):
    """A search request that cannot run (a malformed parameter, a query too long)."""

    status = 400
    code = "invalid_search"


@dataclass(frozen=True)
class SearchRequest:
    """What a search asks for, validated: the query text, a type tab, sorting, page, dates and scope."""

    q: str = ""
    type: str = ""
    sort: str = "relevance"
    page: int = 1
    date_from: date | None = None
    date_to: date | None = None
    scope: str = "all"
    per_page: int = PER_PAGE
    filters: tuple[FieldFilter, ...] = ()


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadSearch(f"“{raw[:40]}” is not a date: write {name} as YYYY-MM-DD, e.g. 2026-01-31.", name) from None


def parse_request(args: Mapping[str, str], *, extra_fields: tuple[str, ...] = ()) -> SearchRequest:
    """Validate search parameters from a URL; raise BadSearch naming the one at fault.

    `extra_fields` names fielded filters also accepted as parameters (`kind=question` for the API).
    """
    kind = (args.get("type") or "").strip().lower()
    if kind and kind not in DOC_TYPES:
        raise BadSearch(f"Unknown type “{kind[:40]}”: choose {', '.join(DOC_TYPES)}.", "type")
    sort = (args.get("sort") or "relevance").strip().lower()
    if sort not in SORTS:
        raise BadSearch(f"Unknown sort “{sort[:40]}”: choose relevance or newest.", "sort")
    scope = (args.get("scope") or "all").strip().lower()
    if scope not in SCOPES:
        raise BadSearch(f"Unknown scope “{scope[:40]}”: choose all or queue.", "scope")
    date_from, date_to = _date(args.get("from") or "", "from"), _date(args.get("to") or "", "to")
    if date_from and date_to and date_from > date_to:
        raise BadSearch("The date range ends before it starts: swap “from” and “to”.", "from")
    filters = tuple(FieldFilter(name, " ".join(str(value).split()).lower()) for name in extra_fields
                    for value in args.getlist(name) if str(value).strip()) if hasattr(args, "getlist") else ()
    return SearchRequest(q=args.get("q") or "", type=kind, sort=sort, page=page_number(args.get("page")),
                         date_from=date_from, date_to=date_to, scope=scope, filters=filters)


def date_range(bucket: str, today: date | None = None) -> tuple[date | None, date | None]:
    """Return the (from, to) dates a date facet value stands for, fixed so that the URL stays stable."""
    today = today or datetime.now(UTC).date()
    days = {key: d for key, _, d in DATE_BUCKETS}
    if bucket in days:
        return today - timedelta(days=days[bucket]), None
    if bucket == "older":
        return None, today - timedelta(days=DATE_BUCKETS[-1][2] + 1)
    return None, None
