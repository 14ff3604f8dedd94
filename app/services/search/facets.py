"""Counts and facets of a search: how many results of each type, and of each value worth narrowing to.

One statement counts everything from the first COUNT_CAP + 1 readable results of each type (the
engine hands over each type's matches itself), and carries the ranked results shown beside the
counts (`_with_facets`): both read the same matches. Below the cap every count is exact; above it the
type is "capped" and every count shown is a lower bound (app.services.search.searching says why).
`FacetCounting` is the part of a search's plan that builds that statement and reads its rows.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Float, Integer, String, bindparam, case, cast, func, literal, null, select, true, union_all

from app.bibliography.evidence import DESIGNS
from app.extensions import db
from app.models import AnnotationKind, Article, SearchDocument, User
from app.services.search.filters import ANNOTATION_STATES
from app.services.search.requests import DATE_BUCKETS
from app.services.search.results import COUNT_CAP, Facet, FacetValue, date_facet
from app.text.search_documents import ANNOTATION, ARTICLE, DOC_TYPES, STUDY

DOCS = SearchDocument.__table__
TYPE_LABELS = {ARTICLE: "Articles", ANNOTATION: "Annotations", STUDY: "Studies"}
FACET_TOP = 10
COUNTED = "counted_per_type"
# The `facet` of the rows that carry ranked results rather than counts, in the statement they share.
HIT = "hit"


class Ranked(NamedTuple):
    """One ranked result: its document, type, score and date, and the proof of its window (see searching)."""

    doc_id: int
    doc_type: str
    score: float | None
    dated: datetime | None
    floor: float | None
    seen: int | None


class FacetCounting:
    """Counts and facets for a plan that provides `looked_for`, `_matches`, `_hits`, `_state_columns`,
    `_statement` and `values`."""

    def _counted(self, doc_types: list[str], slim: bool = False):
        """Return the hits the counts and facets read: the first COUNT_CAP + 1 of each of `doc_types`, in no order.

        The engine hands over each type's matches itself, so that a rare type is not looked for
        among every match of the others; a type no filter can keep (studies for `kind:question`) is
        not looked for at all (if none can, the conditions still keep nothing of the first).
        `slim` hits carry only what counting them needs.
        """
        parts = []
        for doc_type in doc_types:
            hits = self._hits(ranked=False, matched=self._matches(doc_type), slim=slim)
            name = f"{'tallied' if slim else 'counted'}_{doc_type}"
            parts.append(select(hits.where(DOCS.c.doc_type == doc_type).limit(bindparam(COUNTED, COUNT_CAP + 1))
                                .subquery(name)))
        return union_all(*parts) if len(parts) > 1 else parts[0]

    def _faceted_types(self) -> tuple[list[str], list[str]]:
        """Return the types whose results the facets describe (the tab's, or all), and the types only counted."""
        shown = [t for t in self.looked_for if t == self.request.type] or self.looked_for
        return shown, [t for t in self.looked_for if t not in shown]

    def _with_facets(self, kind: tuple, ranked):
        """Run the facets with `ranked()` in one statement; return counts, capped types, facets and its rows.

        `ranked` builds a select of (doc_id, doc_type, score, dated, floor, seen) rows: a page, or
        the first results of each type; `kind` names it among the plan's statements (built once per
        shape). A capped type's count is COUNT_CAP; it and every facet are then lower bounds.
        """
        rows = db.session.execute(self._statement(("facets", *kind), lambda: self._facets_statement(ranked())),
                                  self.values()).all()
        return (*self._read_facets([r[:4] for r in rows if r.facet != HIT]),
                [Ranked(*r[4:]) for r in rows if r.facet == HIT])

    def _facets_statement(self, ranked):
        facet_rows = union_all(*self._facet_selects()).subquery("facet_rows")
        hits = ranked.subquery("ranked_rows")
        padding = [cast(null(), Integer).label("doc_id"), cast(null(), String).label("doc_type"),
                   cast(null(), Float).label("score"), cast(null(), DOCS.c.dated.type).label("dated"),
                   cast(null(), Float).label("floor"), cast(null(), Integer).label("seen")]
        return union_all(select(facet_rows, *padding),
                         select(literal(HIT).label("facet"), null(), null(), null(), hits.c.doc_id, hits.c.doc_type,
                                hits.c.score, hits.c.dated, hits.c.floor, hits.c.seen))

    @staticmethod
    def _facet_values() -> dict:
        """Return the values of the parameters the facets bind: the cap, and the date buckets' starts, as of now."""
        return {COUNTED: COUNT_CAP + 1, **{f"since_{key}": _ago(days) for key, _, days in DATE_BUCKETS}}

    def _read_facets(self, rows) -> tuple[dict[str, int], set[str], list[Facet]]:
        """Return the number of results per type, the types counted up to COUNT_CAP only, and the facets."""
        by_facet: dict[str, list[tuple[str, str, int]]] = {}
        for name, value, label, count in rows:
            if value is not None and count:
                by_facet.setdefault(name, []).append((str(value), label or str(value), int(count)))
        capped = {value for value, _, count in by_facet.pop("rows", []) if count > COUNT_CAP}
        if capped:  # every count is then a lower bound, and none says more than the cap
            by_facet = {name: [(v, label, min(n, COUNT_CAP)) for v, label, n in rows]
                        for name, rows in by_facet.items()}
        counts = {t: 0 for t in DOC_TYPES}
        counts.update({value: count for value, _, count in by_facet.get("type", [])})
        return counts, capped, self._facet_list(by_facet)

    @staticmethod
    def _row(name: str, value, count, *, source, where=(), label=None):
        """Return one facet's rows: (facet, value, label, count) grouped by value."""
        stmt = select(literal(name).label("facet"), cast(value, String).label("value"),
                      cast(label if label is not None else null(), String).label("label"), count.label("n"))
        return stmt.select_from(source).where(*where).group_by(value)

    def _top(self, name: str, key, count, named, *, source, where=()):
        """Return the FACET_TOP most frequent values of `key`, named by `named` (a table joined by id)."""
        top = (select(key.label("key"), count.label("n")).select_from(source).where(*where).group_by(key)
               .order_by(count.desc()).limit(FACET_TOP).subquery(f"top_{name}"))
        table, value, label = named
        return select(literal(name).label("facet"), cast(value, String).label("value"),
                      cast(label, String).label("label"), top.c.n).select_from(
            top.join(table, table.id == top.c.key))

    def _facet_selects(self) -> list:
        # The facets describe the tab's results; the other tabs only need their counts.
        shown, others = self._faceted_types()
        h = self._counted(shown).cte("counted")
        distinct = func.count(func.distinct(h.c.group_key))
        is_annotation = h.c.doc_type == ANNOTATION
        tags = self.engine.json_elements(h.c.tags, lateral=True)
        bucket = case(*[(h.c.dated >= bindparam(f"since_{key}", _ago(days)), key) for key, _, days in DATE_BUCKETS],
                      else_="older")
        selects = [
            self._row("type", h.c.doc_type, distinct, source=h),
            self._row("rows", h.c.doc_type, func.count(), source=h),
            self._row("kind", h.c.kind, func.count(), source=h, where=[is_annotation, h.c.parent_id.is_(None)]),
            self._top("article", h.c.article_id, distinct, (Article, Article.slug, Article.title), source=h,
                      where=[h.c.article_id.is_not(None)]),
            self._top("author", h.c.author_id, func.count(), (User, User.display_name, User.display_name),
                      source=h, where=[is_annotation]),
            self._tag_row(h, tags),
            self._row("design", h.c.design, func.count(), source=h, where=[h.c.design.is_not(None)]),
            self._row("level", h.c.level, func.count(), source=h, where=[h.c.level.is_not(None)]),
            self._row("date", bucket, distinct, source=h, where=[h.c.dated.is_not(None)]),
        ]
        if others:
            tallied = self._counted(others, slim=True).cte("tallied")
            selects += [self._row("type", tallied.c.doc_type, func.count(func.distinct(tallied.c.group_key)),
                                  source=tallied),
                        self._row("rows", tallied.c.doc_type, func.count(), source=tallied)]
        for column in self._state_columns:
            name = column.name.removeprefix("is_")
            flag = h.c[column.name]
            selects.append(select(literal("is").label("facet"), cast(literal(name), String).label("value"),
                                  cast(literal(ANNOTATION_STATES[name].label), String).label("label"),
                                  func.coalesce(func.sum(flag), 0).label("n")).select_from(h).where(is_annotation))
        return selects

    @staticmethod
    def _tag_row(h, tags):
        value = func.lower(tags.c.value)
        top = (select(value.label("value"), func.count().label("n")).select_from(h.join(tags, true()))
               .where(h.c.doc_type == ANNOTATION).group_by(value).order_by(func.count().desc()).limit(FACET_TOP)
               .subquery("top_tag"))
        return select(literal("tag").label("facet"), cast(top.c.value, String).label("value"),
                      cast(null(), String).label("label"), top.c.n)

    def _facet_list(self, by_facet: dict[str, list[tuple[str, str, int]]]) -> list[Facet]:
        kind_labels = {k.value: k.label for k in AnnotationKind}
        labels = {
            "type": lambda v: TYPE_LABELS.get(v, v), "kind": lambda v: kind_labels.get(v, v),
            "design": lambda v: DESIGNS.get(v, v), "level": lambda v: f"Level {v}",
        }
        facets = []
        for name, title in (("type", "Type"), ("kind", "Kind of annotation"), ("is", "Show only"),
                            ("article", "Article"), ("author", "Author"), ("tag", "Tag"),
                            ("design", "Study design"), ("level", "CEBM level of evidence")):
            rows = by_facet.get(name, [])
            label_of = labels.get(name, lambda v, _rows=rows: next((lab for val, lab, _ in _rows if val == v), v))
            values = [FacetValue(value, label_of(value), count) for value, _, count in rows]
            if name in ("kind", "type", "design"):
                order = {"type": list(DOC_TYPES), "kind": list(kind_labels), "design": list(DESIGNS)}[name]
                values.sort(key=lambda fv: order.index(fv.value) if fv.value in order else 99)
            elif name == "level":
                values.sort(key=lambda fv: fv.value)
            else:
                values.sort(key=lambda fv: (-fv.count, fv.label.lower()))
            if values:
                facets.append(Facet(name, title, values))
        dates = date_facet(by_facet.get("date", []))
        if dates is not None:
            facets.append(dates)
        return facets


def _ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
