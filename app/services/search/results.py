"""What a search answers: hits with their marked text and objects, facets, counts, a page or groups."""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from app.models import Annotation, Article, Study
from app.services.pagination import Page
from app.services.search.requests import DATE_BUCKETS, SearchRequest
from app.text.query import Query
from app.text.search_documents import HEAD

# Counts are exact up to this many results of a type; beyond, a type shows "200+" and every count
# of the search is a lower bound (app.services.search.searching explains why).
COUNT_CAP = 200


@dataclass
class Hit:
    """One result: what it is, its marked text, and the objects a page shows about it."""

    doc_type: str
    doc_id: int
    score: float
    position: int | None = None
    title_html: Markup = Markup("")
    body_html: Markup = Markup("")
    quote_html: Markup = Markup("")
    annotation: Annotation | None = None
    article: Article | None = None
    study: Study | None = None
    replies: int = 0
    # Filled by the conversation feature once helpful votes exist.
    helpful: int | None = None


@dataclass(frozen=True)
class FacetValue:
    """A value of a facet and how many results have it."""

    value: str
    label: str
    count: int


@dataclass
class Facet:
    """A way to narrow the results: `field` is the query field (or "type", "date") its links set."""

    field: str
    label: str
    values: list[FacetValue]


@dataclass
class SearchResults:
    """The answer to a search: counts per type, facets, one page (a type) or a few of each type (all)."""

    request: SearchRequest
    query: Query
    notices: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Types with more results than COUNT_CAP: their count and every facet count are then lower
    # bounds, shown with a "+".
    capped: set[str] = field(default_factory=set)
    facets: list[Facet] = field(default_factory=list)
    page: Page | None = None
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    study: Study | None = None

    @property
    def total(self) -> int:
        """Return how many results there are across types."""
        return sum(self.counts.values())

    def count_text(self, doc_type: str | None = None) -> str:
        """Return the count of `doc_type` (None: of every type) as shown: "200+" when it is a lower bound."""
        count = self.counts.get(doc_type, 0) if doc_type else self.total
        capped = doc_type in self.capped if doc_type else bool(self.capped)
        return f"{count}+" if capped else str(count)

    @property
    def asked(self) -> bool:
        """Tell whether anything was asked for (an empty search shows the syntax help)."""
        return not self.query.is_empty or bool(self.request.filters or self.request.date_from
                                                or self.request.date_to)


def date_facet(rows: list[tuple[str, str, int]]) -> Facet | None:
    """Return the date facet from bucket counts: each range includes the shorter ones."""
    counts = {value: count for value, _, count in rows}
    values, running = [], 0
    for key, label, _ in DATE_BUCKETS:
        running += counts.get(key, 0)
        if running:
            values.append(FacetValue(key, label, running))
    if counts.get("older"):
        values.append(FacetValue("older", "Earlier", counts["older"]))
    return Facet("date", "Date", values) if values else None


def passage_anchor(hit: Hit) -> str:
    """Return the fragment that opens an article at the matched passage ("" for its head)."""
    return f"#b-{hit.position}" if hit.position is not None and hit.position != HEAD else ""
