"""Search as a reader sees it: results by type, facets, pages, snippets, the same rules as the article page.

One request costs a bounded number of queries whatever the size of the index: the facets, the
counts per type and the ids of one page or of the first results of each type (one statement, the
page asked again over a wider window at most twice, see below), the documents and their snippets,
then the annotations shown with the replies each counts for the reader, the articles and the
studies (one query each). In that first statement the engine's matches of each type are gathered once, and
ranked once, for the counts and for the page alike.

Two bounds keep a search's cost from growing with the number of matches (a common word matches
half the corpus):

- Counts stop at COUNT_CAP results of each type. Up to the cap every count is exact; beyond it the
  type's count is shown as "200+" and the facets count the first COUNT_CAP + 1 readable results
  of each type (`SearchResults.capped`): every count shown is then a lower bound, and says so.
- A page ranked by relevance is taken from a window of the engine's best matches (`_windows`,
  ties with the last included, so that everything left outside ranks below everything inside),
  filtered for the viewer; when the window cannot fill the page, the page is asked again over a
  wider window, at most twice (the last over every match). Newest-first pages
  use every match. The engine itself keeps the matches of the type asked for (SQLite indexes each
  document's type), so a type is never looked for among the matches of the others.

Visibility is never stored in the index. Every statement joins the live rows and keeps only what
the viewer may read: annotations through app.services.visibility.readable_clause (so private notes
of others never count anywhere, not even in a facet), deleted annotations never, articles when
published (drafts too for admins), studies always. Moderators may instead search the moderation
queue (scope "queue"), with the queue's own condition.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise

from markupsafe import Markup
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload, load_only

from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, SearchDocument, Study, User
from app.services.errors import Forbidden
from app.services.moderation_queue import queue_clause
from app.services.pagination import MAX_PAGE, MAX_PER_PAGE, Page
from app.services.search.engines import Engine, Snippet, engine_for
from app.services.search.facets import FacetCounting
from app.services.search.filters import ANNOTATION_STATES, FilterResolver
from app.services.search.requests import BadSearch, SearchRequest
from app.services.search.results import Hit, SearchResults
from app.services.search.statements import VIEWER_PARAM, BoundViewer, MatchesFirst, built_statements
from app.services.visibility import readable_clause, viewer_id_of
from app.text.query import Identifier, Query, QueryError, parse
from app.text.search_documents import ANNOTATION, ARTICLE, DOC_TYPES, STUDY
from app.text.snippets import marked_html

DOCS = SearchDocument.__table__
GROUP_SIZE = 5
# A relevance-ranked page is taken from the engine's best matches: WINDOW_FACTOR times as many as
# the page needs (at least MIN_WINDOW), then ten times more, then every match, until it is exact.
# Without filters a reader may read nearly every match (all but others' private and pending notes),
# so OPEN_WINDOW_FACTOR times the page is enough; a filter such as `kind:question` may keep one
# match in twenty.
MIN_WINDOW = 20
WINDOW_FACTOR = 25
OPEN_WINDOW_FACTOR = 2
BODY_PREVIEW = 240
# A page taken from every match needs no proof (typed, for PostgreSQL's UNION with the facets' rows).
NO_PROOF = [cast(null(), Float).label("floor"), cast(null(), Integer).label("seen")]


def search(request: SearchRequest, viewer: User | None, *, grouped: bool = True, w3c: bool = False) -> SearchResults:
    """Run a search for `viewer`; raise BadSearch for an unusable query, Forbidden for a queue search by a reader.

    Without a type, `grouped` gives the first results of each type (the page's "All" tab); otherwise
    one page of every type ranked together (the API). `w3c` loads what serialising annotations needs.
    """
    if request.scope == "queue" and not (viewer is not None and getattr(viewer, "is_moderator", False)):
        raise Forbidden("Only moderators search the moderation queue.")
    try:
        query = parse(request.q)
    except QueryError as exc:
        raise BadSearch(str(exc), "q") from None
    results = SearchResults(request=request, query=query, notices=list(query.notices))
    if query.identifier is not None and not request.filters and request.scope == "all":
        results.study = study_by_identifier(query.identifier)
        if results.study is not None:
            results.counts = {STUDY: 1}
            return results
        results.notices.append(f"No study in Postil has the {query.identifier.scheme.upper()} "
                               f"{query.identifier.value}; searching for it as words.")
    if not results.asked:
        return results
    plan = _Plan(engine_for(), query, request, viewer, w3c=w3c)
    results.notices.extend(plan.notices)
    if request.type or not grouped:
        results.counts, results.capped, results.facets, ids = plan.facets_and_page(
            request.type or None, request.page, request.per_page)
        hits = plan.hits_for(list(ids.items))
        results.page = Page(items=hits, page=ids.page, per_page=ids.per_page, total=ids.total)
    else:
        results.counts, results.capped, results.facets, top = plan.facets_and_top()
        for hit in plan.hits_for(top):
            results.groups.setdefault(hit.doc_type, []).append(hit)
    return results


def annotation_ids_matching(article_id: int, text: str, viewer: User | None) -> tuple[set[int], list[str]]:
    """Return the ids of the article's annotations `viewer` may read that match `text`, and notices (one query).

    The article page's discussion filter: the same syntax, engine and visibility as the search page.
    Raises BadSearch for an unusable query.
    """
    try:
        query = parse(text)
    except QueryError as exc:
        raise BadSearch(str(exc), "q") from None
    if query.is_empty:
        return set(), list(query.notices) or ["Type a word to filter the discussion."]
    plan = _Plan(engine_for(), query, SearchRequest(q=text), viewer,
                 only=[DOCS.c.doc_type == ANNOTATION, DOCS.c.article_id == article_id])
    hits = plan._hits(ranked=False).subquery("hits")
    ids = set(db.session.scalars(select(hits.c.annotation_id)))
    return ids, [*query.notices, *plan.notices]


def study_by_identifier(identifier: Identifier) -> Study | None:
    """Return the study with this DOI, PMID or PMCID, if Postil has it."""
    column = {"doi": Study.doi, "pmid": Study.pmid, "pmcid": Study.pmcid}[identifier.scheme]
    return db.session.scalar(select(Study).where(func.lower(column) == identifier.value.lower()).limit(1))


class _Plan(FacetCounting):
    """The SQL of one search: the matching documents the viewer may read, then facets, pages and hits."""

    def __init__(self, engine: Engine, query: Query, request: SearchRequest, viewer: User | None, w3c: bool = False,
                 only: list | None = None):
        self.engine, self.query, self.request, self.viewer, self.w3c = engine, query, request, viewer, w3c
        # The statements name the viewer by a parameter: one built for a reader serves every reader of the role.
        self.sql_viewer = viewer if request.scope == "queue" or viewer_id_of(viewer) is None else BoundViewer(viewer)
        resolver = FilterResolver(engine, self.sql_viewer)
        self.conditions = [*resolver.conditions([*query.filters, *request.filters]), *(only or [])]
        self.notices, self.types = resolver.notices, resolver.types
        self._sources: dict[tuple, object] = {}
        self.shape = None if only or request.scope == "queue" else (
            engine.name, replace(request, q=""), query.filters, bool(query.required), bool(query.excluded),
            self.sql_viewer.role if isinstance(self.sql_viewer, BoundViewer) else None)

    # --- Statements built once per shape -------------------------------------------------------

    def _statement(self, kind: tuple, build):
        """Return the statement `build()` makes for this search, built once for every search of the same shape.

        The shape is everything a statement depends on but the words and the viewer's id, which are
        parameters (`values`): the request but its words, the filters, whether there are words to
        match and to exclude, and the viewer's role. `kind` tells which of the search's statements.
        """
        return build() if self.shape is None else built_statements.get((*self.shape, *kind), build)

    def values(self) -> dict:
        """Return the values of the parameters this search's statements bind: words, viewer, cap, dates."""
        viewer = {VIEWER_PARAM: self.viewer.id} if isinstance(self.sql_viewer, BoundViewer) else {}
        return {**self.engine.match_values(self.query.required, self.query.excluded), **viewer,
                **self._facet_values()}

    def _visible(self):
        if self.request.scope == "queue":
            return and_(DOCS.c.doc_type == ANNOTATION, queue_clause(self.viewer))
        admin = self.sql_viewer is not None and getattr(self.sql_viewer, "is_admin", False)
        # Article rows are large (their bodies): one subquery of ids instead of a lookup per match.
        published = DOCS.c.article_id.in_(select(Article.id).where(Article.status == ArticleStatus.PUBLISHED))
        return or_(and_(DOCS.c.doc_type == ANNOTATION, readable_clause(self.sql_viewer),
                        Annotation.deleted_at.is_(None), published),
                   and_(DOCS.c.doc_type == ARTICLE, true() if admin else published),
                   DOCS.c.doc_type == STUDY)

    def _dates(self) -> list:
        out = []
        if self.request.date_from:
            out.append(DOCS.c.dated >= datetime.combine(self.request.date_from, time(), UTC))
        if self.request.date_to:
            out.append(DOCS.c.dated < datetime.combine(self.request.date_to + timedelta(days=1), time(), UTC))
        return out

    @cached_property
    def _state_columns(self) -> list:
        signed_in = viewer_id_of(self.sql_viewer) is not None
        return [case((state.condition(self.sql_viewer), 1), else_=0).label(f"is_{name}")
                for name, state in ANNOTATION_STATES.items() if signed_in or not state.signed_in_only]

    @property
    def _ranking(self) -> bool:
        """Tell whether this search ranks by relevance (it does whenever it has words to rank by)."""
        return bool(self.query.required) and self.request.sort == "relevance"

    def _matches(self, doc_type: str | None = None, ranked: bool | None = None):
        """Return the engine's matches of `doc_type` (None: every type) as a materialised CTE, or None without words.

        Ranked (with a score) when the search ranks by relevance, unless `ranked` says otherwise.
        Built once per plan: the counts, the facets and the page of one statement read the same
        matches, which the engine then finds and ranks once. Materialised, so that the database never
        probes the full-text index once per row of a filter (SQLite would, for `kind:question tie2`,
        when it starts from the annotations).
        """
        if not self.query.required:
            return None
        if ranked is None:
            # Only the types shown ranked are ranked: the others are only counted.
            ranked = self._ranking and (not self.request.type or doc_type == self.request.type)
            if doc_type is None and ranked:
                return self._every_type_ranked()
        key = (doc_type, ranked)
        if key not in self._sources:
            matches = self.engine.matches(self.query.required, self.query.excluded, ranked=ranked, doc_type=doc_type)
            name = f"{'ranked_' if ranked else ''}matches{f'_{doc_type}' if doc_type else ''}"
            self._sources[key] = matches.cte(name).prefix_with("MATERIALIZED")
        return self._sources[key]

    @property
    def looked_for(self) -> list[str]:
        """Return the types of documents this search looks for (those its filters can keep; at least one)."""
        return [t for t in DOC_TYPES if t in self.types] or DOC_TYPES[:1]

    def _every_type_ranked(self):
        """Return the ranked matches of every type looked for: each type's own, which the counts read too."""
        if (None, True) not in self._sources:
            parts = [select(m.c.doc_id, m.c.score) for m in (self._matches(t) for t in self.looked_for)]
            self._sources[None, True] = (union_all(*parts) if len(parts) > 1 else parts[0]).cte("ranked_matches")
        return self._sources[None, True]

    def _hits(self, ranked: bool, matched=None, slim: bool = False):
        """Return the documents matching the query that the viewer may read, with the filters applied.

        `matched` is the engine's matches to start from (every match by default). Each hit carries what
        the facets count, so that they need no further lookups; `slim` hits carry only what ranking
        a page needs (fewer columns for each subquery that selects them to copy).
        """
        columns, where = self._page_columns if slim else self._hit_columns, self._hit_conditions
        matched = matched if matched is not None else self._matches(ranked=ranked)
        if matched is not None:
            score = matched.c.score if ranked else literal(0.0).label("score")
            stmt = select(*columns, score).select_from(MatchesFirst(matched, DOCS, DOCS.c.id == matched.c.doc_id))
        else:
            stmt = select(*columns, literal(0.0).label("score")).select_from(DOCS)
            if self.query.excluded:
                stmt = stmt.where(DOCS.c.id.not_in(self.engine.any_match(self.query.excluded)))
        stmt = (stmt.outerjoin(Annotation, Annotation.id == DOCS.c.annotation_id)
                .outerjoin(Study, Study.id == DOCS.c.study_id))
        return stmt.where(*where)

    @cached_property
    def _hit_columns(self) -> list:
        """The columns of a hit (built once: a search selects its hits several times)."""
        return [DOCS.c.id.label("doc_id"), DOCS.c.doc_type, *map(_plain, (DOCS.c.article_id, DOCS.c.annotation_id,
                DOCS.c.study_id)), DOCS.c.position, DOCS.c.dated, _group_key().label("group_key"),
                cast(Annotation.kind, String).label("kind"), _plain(Annotation.parent_id),
                _plain(Annotation.author_id), Annotation.tags, Study.design, Study.evidence_level.label("level"),
                *self._state_columns]

    @cached_property
    def _page_columns(self) -> list:
        """The columns of a hit that ranking a page (or counting it) reads."""
        return [DOCS.c.id.label("doc_id"), DOCS.c.doc_type, _plain(DOCS.c.article_id), DOCS.c.position,
                DOCS.c.dated, _group_key().label("group_key")]

    @cached_property
    def _hit_conditions(self) -> list:
        """The conditions on a hit: what the viewer may read, the filters and the dates (built once)."""
        return [self._visible(), *self.conditions, *self._dates()]

    # --- Pages ---------------------------------------------------------------------------------

    def _order(self, source) -> list:
        if self.request.sort == "newest":
            return [source.c.dated.desc().nulls_last(), source.c.doc_id.desc()]
        return [source.c.score.desc(), source.c.dated.desc().nulls_last(), source.c.doc_id.desc()]

    def _windows(self, needed: int) -> tuple[int | None, ...]:
        """Return the windows a page ending at result `needed` is tried in (None: every match)."""
        if not self._ranking:
            return (None,)
        filtered = bool(self.conditions or self.request.date_from or self.request.date_to)
        first = max(MIN_WINDOW, (WINDOW_FACTOR if filtered else OPEN_WINDOW_FACTOR) * needed)
        return first, 10 * first, None

    def _ranked(self, window: int | None, doc_type: str | None = None):
        """Return the hits of `doc_type` (None: every type) in `window` (None: every match), and proof columns.

        The window holds the `window` best matches and every match tied with the last of them, so
        that every match outside it ranks strictly below every match inside. `seen` is how many
        matches it holds (fewer than `window`: every match), `floor` its lowest score.
        """
        matched = self._matches(doc_type)
        if window is None or matched is None:
            return self._hits(ranked=self._ranking, matched=matched, slim=True).cte(
                f"ranked_hits_{doc_type}" if doc_type else "ranked_hits"), NO_PROOF
        cut = select(matched.c.score).order_by(matched.c.score.desc()).limit(window).subquery()
        best = (select(matched.c.doc_id, matched.c.score)
                .where(matched.c.score >= select(func.min(cut.c.score)).scalar_subquery())
                .cte(f"best_matches_{doc_type}" if doc_type else "best_matches").prefix_with("MATERIALIZED"))
        hits = self._hits(ranked=True, matched=best, slim=True).cte(
            f"window_hits_{doc_type}" if doc_type else "window_hits")
        return hits, [select(func.min(best.c.score)).scalar_subquery().label("floor"),
                      select(func.count()).select_from(best).scalar_subquery().label("seen")]

    def _best(self, h, doc_type: str):
        """Return the hits `h` of `doc_type` in the order of this search (articles: their best passage)."""
        if doc_type != ARTICLE:
            return select(h).where(h.c.doc_type == doc_type).subquery(f"{doc_type}_hits")
        passage_rank = func.row_number().over(partition_by=h.c.article_id,
                                              order_by=(h.c.score.desc(), h.c.position))
        ranked = select(h, passage_rank.label("passage_rank")).where(h.c.doc_type == ARTICLE).subquery("ranked")
        return select(ranked).where(ranked.c.passage_rank == 1).subquery("article_hits")

    @staticmethod
    def _exact(rows, wanted: int, window: int) -> bool:
        """Tell whether `rows`, taken from a window of the best matches, are the `wanted` first of all matches.

        They are when the window held every match, or when they are as many as wanted: every match
        left outside the window ranks below each of them (`_ranked`).
        """
        return bool(rows and rows[0].seen < window) or len(rows) >= wanted

    def _sort_key(self):
        """Return the Python twin of `_order`, for rows read back from a union of several types."""
        if self.request.sort == "newest":
            return lambda r: (r.dated is None, -(r.dated.timestamp() if r.dated else 0), -r.doc_id)
        return lambda r: (-(r.score or 0), r.dated is None, -(r.dated.timestamp() if r.dated else 0), -r.doc_id)

    def _page_select(self, doc_type: str | None, window: int | None, offset: int, per_page: int):
        """Return the statement of one page's (doc_id, doc_type, score, dated, floor, seen) rows in `window`."""
        h, proof = self._ranked(window, doc_type)
        if doc_type is None:
            parts = [select(b.c.doc_id, b.c.doc_type, b.c.score, b.c.dated)
                     for b in (self._best(h, t) for t in DOC_TYPES)]
            best = union_all(*parts).subquery("every_type")
        else:
            best = self._best(h, doc_type)
        return (select(best.c.doc_id, best.c.doc_type, best.c.score, best.c.dated, *proof)
                .order_by(*self._order(best)).limit(per_page).offset(offset))

    def _top_select(self, doc_types: list[str], window: int | None):
        """Return the statement of the first GROUP_SIZE rows of each of `doc_types` in `window`."""
        parts = []
        for doc_type in doc_types:
            h, proof = self._ranked(window, doc_type)
            best = self._best(h, doc_type)
            top = select(best.c.doc_id, best.c.doc_type, best.c.score, best.c.dated, *proof).order_by(
                *self._order(best)).limit(GROUP_SIZE).subquery(f"top_{doc_type}")
            parts.append(select(top))
        return union_all(*parts) if len(parts) > 1 else parts[0]

    def facets_and_page(self, doc_type: str | None, number: int, per_page: int):
        """Return the counts, capped types, facets and page `number` of `doc_type` (None: every type ranked together).

        One statement reads the facets and the page from the first window; a page that window
        cannot prove exact is asked again over the wider ones (`_windows`). When the total is only
        a lower bound (capped), pages go on past it while they are full (a full page counts one
        more result, so that there is a next one).
        """
        number, per_page = min(max(int(number), 1), MAX_PAGE), min(max(int(per_page), 1), MAX_PER_PAGE)
        offset = (number - 1) * per_page
        windows = self._windows(offset + per_page)
        counts, capped_types, facets, rows = self._with_facets(
            ("page", doc_type, windows[0], offset, per_page),
            lambda: self._page_select(doc_type, windows[0], offset, per_page))
        rows = sorted(rows, key=self._sort_key())
        total = counts.get(doc_type, 0) if doc_type else sum(counts.values())
        capped = doc_type in capped_types if doc_type else bool(capped_types)
        wanted = per_page if capped else max(0, min(per_page, total - offset))
        for tried, wider in pairwise(windows):
            if self._exact(rows, wanted, tried):
                break
            rows = db.session.execute(self._page_select(doc_type, wider, offset, per_page), self.values()).all()
        if capped:
            total = max(total, offset + len(rows) + (len(rows) == per_page))
        return counts, capped_types, facets, Page(items=rows, page=number, per_page=per_page, total=total)

    def facets_and_top(self):
        """Return the counts, capped types, facets and the first results of every type, types in order.

        One statement reads the facets and each type's first rows from the first window; a type
        whose window cannot prove its rows exact is asked again over a wider window (one more
        statement each time, `_windows`).
        """
        key, windows = self._sort_key(), self._windows(GROUP_SIZE)
        counts, capped, facets, rows = self._with_facets(("top", windows[0]),
                                                         lambda: self._top_select(self.looked_for, windows[0]))
        wanted = {t: GROUP_SIZE if t in capped else min(GROUP_SIZE, counts.get(t, 0)) for t in DOC_TYPES}
        pending, found = [t for t in DOC_TYPES if wanted[t]], []
        for i, window in enumerate(windows):
            if i:
                rows = db.session.execute(self._top_select(pending, window), self.values()).all() if pending else []
            by_type = {t: sorted((r for r in rows if r.doc_type == t), key=key) for t in pending}
            done = [t for t in pending if window is None or self._exact(by_type[t], wanted[t], window)]
            found += [r for t in done for r in by_type[t]]
            pending = [t for t in pending if t not in done]
            if not pending:
                break
        return counts, capped, facets, sorted(found, key=lambda r: (DOC_TYPES.index(r.doc_type), key(r)))

    # --- Hits ----------------------------------------------------------------------------------

    def hits_for(self, ranked: list) -> list[Hit]:
        """Return the hits of the (doc_id, score) rows `ranked`, in that order, with snippets and objects shown."""
        if not ranked:
            return []
        found = self.engine.documents(self.query, [row.doc_id for row in ranked])
        docs = {doc_id: doc for doc_id, (doc, _) in found.items()}
        hits = [self._hit(*found[row.doc_id], row.score) for row in ranked if row.doc_id in found]
        self._attach(hits, docs)
        return hits

    def _hit(self, doc, snippet: Snippet | None, score: float | None) -> Hit:
        if snippet is None:
            body = doc.body if len(doc.body) <= BODY_PREVIEW else doc.body[:BODY_PREVIEW].rsplit(" ", 1)[0] + " …"
            snippet = Snippet(doc.title, body, doc.quote)
        return Hit(doc_type=doc.doc_type, doc_id=doc.id, score=round(float(score or 0.0), 6), position=doc.position,
                   title_html=Markup(marked_html(snippet.title)), body_html=Markup(marked_html(snippet.body)),
                   quote_html=Markup(marked_html(snippet.quote)))

    def _attach(self, hits: list[Hit], docs: dict) -> None:
        annotation_ids = [docs[h.doc_id].annotation_id for h in hits if h.doc_type == ANNOTATION]
        study_ids = [docs[h.doc_id].study_id for h in hits if h.doc_type == STUDY]
        article_ids = list({docs[h.doc_id].article_id for h in hits if docs[h.doc_id].article_id is not None})
        annotations, replies = {}, {}
        if annotation_ids:
            statement = self._statement(("shown", self.w3c), lambda: _annotations_shown(self.sql_viewer, self.w3c))
            for annotation, count in db.session.execute(statement, {**self.values(), IDS: annotation_ids}).unique():
                annotations[annotation.id], replies[annotation.id] = annotation, count
        articles = {a.id: a for a in db.session.scalars(_ARTICLES_SHOWN, {IDS: article_ids})} if article_ids else {}
        studies = {s.id: s for s in db.session.scalars(_STUDIES_SHOWN, {IDS: study_ids})} if study_ids else {}
        for hit in hits:
            doc = docs[hit.doc_id]
            hit.article = articles.get(doc.article_id)
            hit.annotation = annotations.get(doc.annotation_id)
            hit.study = studies.get(doc.study_id)
            hit.replies = replies.get(doc.annotation_id, 0)


# The objects a page of results shows, by id: statements built once (IDS is their list of ids).
IDS = "shown_ids"
_ARTICLES_SHOWN = select(Article).where(Article.id.in_(bindparam(IDS, expanding=True))).options(
    load_only(Article.id, Article.slug, Article.title, Article.standfirst, Article.status, Article.created_at))
_STUDIES_SHOWN = select(Study).where(Study.id.in_(bindparam(IDS, expanding=True)))


def _annotations_shown(viewer, w3c: bool):
    """Return the statement of the annotations among IDS, each with how many of its replies `viewer` may read."""
    options = [joinedload(Annotation.author)]
    if w3c:  # what serialising them as W3C annotations reads
        options += [joinedload(Annotation.study), joinedload(Annotation.article).selectinload(Article.citations)]
    reply = aliased(Annotation)
    replies = select(func.count(reply.id)).where(reply.root_id == Annotation.id, readable_clause(viewer, reply),
                                                 reply.deleted_at.is_(None)).scalar_subquery()
    return (select(Annotation, replies.label("replies")).where(Annotation.id.in_(bindparam(IDS, expanding=True)))
            .options(*options))


def _group_key():
    """Return what a result counts as one of: its article for an article's passages, else the document."""
    return case((DOCS.c.doc_type == ARTICLE, -DOCS.c.article_id), else_=DOCS.c.id)


def _plain(column):
    """Return `column` without its foreign key: each CTE and subquery that selects it need not copy the key.

    Copying foreign keys into every derived column is most of the time SQLAlchemy spends building a search.
    """
    return type_coerce(column, column.type).label(column.key)
