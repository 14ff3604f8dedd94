"""Search as a reader sees it: results by type, facets, pages, snippets, the same rules as the article page.

One request costs a fixed number of queries whatever the size of the index: the facets and the
counts per type (one statement over the matching documents), the ids of one page (through
app.services.pagination), the documents and their snippets, then the annotations, articles and
studies shown (one query each), and the replies counted for the annotations shown.

Visibility is never stored in the index. Every statement joins the live rows and keeps only what
the viewer may read: annotations through app.services.visibility.readable_clause (so private notes
of others never count anywhere, not even in a facet), deleted annotations never, articles when
published (drafts too for admins), studies always. Moderators may instead search the moderation
queue (scope "queue"), with the queue's own condition.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from markupsafe import Markup
from sqlalchemy import String, and_, case, cast, func, literal, null, or_, select, true, union_all
from sqlalchemy.orm import joinedload, load_only

from app.bibliography.evidence import DESIGNS
from app.extensions import db
from app.models import Annotation, AnnotationKind, Article, ArticleStatus, SearchDocument, Study, User
from app.services.errors import Forbidden
from app.services.moderation_queue import queue_clause
from app.services.pagination import Page, paginate
from app.services.search.engines import Engine, Snippet, engine_for
from app.services.search.filters import ANNOTATION_STATES, FilterResolver
from app.services.search.requests import DATE_BUCKETS, BadSearch, SearchRequest
from app.services.search.results import Facet, FacetValue, Hit, SearchResults, date_facet
from app.services.visibility import readable_clause
from app.text.query import Identifier, Query, QueryError, parse
from app.text.search_documents import ANNOTATION, ARTICLE, DOC_TYPES, STUDY
from app.text.snippets import marked_html

DOCS = SearchDocument.__table__
GROUP_SIZE = 5
TYPE_LABELS = {ARTICLE: "Articles", ANNOTATION: "Annotations", STUDY: "Studies"}
FACET_TOP = 10
BODY_PREVIEW = 240


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
    results.counts, results.facets = plan.facets()
    if request.type or not grouped:
        total = results.counts.get(request.type, 0) if request.type else results.total
        ids = paginate(plan.ranked(request.type or None), request.page, request.per_page, total=total)
        hits = plan.hits_for(list(ids.items))
        results.page = Page(items=hits, page=ids.page, per_page=ids.per_page, total=ids.total)
    else:
        hits = plan.hits_for(plan.top_of_each_type())
        for hit in hits:
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
    ids = set(db.session.scalars(select(plan.hits.c.annotation_id)))
    return ids, [*query.notices, *plan.notices]


def study_by_identifier(identifier: Identifier) -> Study | None:
    """Return the study with this DOI, PMID or PMCID, if Postil has it."""
    column = {"doi": Study.doi, "pmid": Study.pmid, "pmcid": Study.pmcid}[identifier.scheme]
    return db.session.scalar(select(Study).where(func.lower(column) == identifier.value.lower()).limit(1))


class _Plan:
    """The SQL of one search: the matching documents the viewer may read, then facets, pages and hits."""

    def __init__(self, engine: Engine, query: Query, request: SearchRequest, viewer: User | None, w3c: bool = False,
                 only: list | None = None):
        self.engine, self.query, self.request, self.viewer, self.w3c = engine, query, request, viewer, w3c
        resolver = FilterResolver(engine, viewer)
        self.conditions = [*resolver.conditions([*query.filters, *request.filters]), *(only or [])]
        self.notices = resolver.notices
        # Facets and counts need no score: the engine then skips ranking every match.
        self.hits = self._hits(ranked=False).cte("hits")
        self.ranked_hits = self._hits(ranked=True).cte("ranked_hits")

    def _visible(self):
        if self.request.scope == "queue":
            return and_(DOCS.c.doc_type == ANNOTATION, queue_clause(self.viewer))
        admin = self.viewer is not None and getattr(self.viewer, "is_admin", False)
        # Article rows are large (their bodies): one subquery of ids instead of a lookup per match.
        published = DOCS.c.article_id.in_(select(Article.id).where(Article.status == ArticleStatus.PUBLISHED))
        return or_(and_(DOCS.c.doc_type == ANNOTATION, readable_clause(self.viewer), Annotation.deleted_at.is_(None),
                        published),
                   and_(DOCS.c.doc_type == ARTICLE, true() if admin else published),
                   DOCS.c.doc_type == STUDY)

    def _dates(self) -> list:
        out = []
        if self.request.date_from:
            out.append(DOCS.c.dated >= datetime.combine(self.request.date_from, time(), UTC))
        if self.request.date_to:
            out.append(DOCS.c.dated < datetime.combine(self.request.date_to + timedelta(days=1), time(), UTC))
        return out

    def _state_columns(self) -> list:
        signed_in = self.viewer is not None and getattr(self.viewer, "is_authenticated", False)
        return [case((state.condition(self.viewer), 1), else_=0).label(f"is_{name}")
                for name, state in ANNOTATION_STATES.items() if signed_in or not state.signed_in_only]

    def _hits(self, ranked: bool):
        """Return the documents matching the query that the viewer may read, with the filters applied.

        The engine's matches are materialised first, so that the database never probes the full-text
        index once per row of a filter (SQLite would, for `kind:question tie2`, when it starts from the
        annotations). Each hit carries what the facets count, so that they need no further lookups.
        """
        group_key = case((DOCS.c.doc_type == ARTICLE, -DOCS.c.article_id), else_=DOCS.c.id)
        columns = [DOCS.c.id.label("doc_id"), DOCS.c.doc_type, DOCS.c.article_id, DOCS.c.annotation_id,
                   DOCS.c.study_id, DOCS.c.position, DOCS.c.dated, group_key.label("group_key"),
                   cast(Annotation.kind, String).label("kind"), Annotation.parent_id, Annotation.author_id,
                   Annotation.tags, Study.design, Study.evidence_level.label("level"), *self._state_columns()]
        if self.query.required:
            matched = self.engine.matches(self.query.required, self.query.excluded, ranked=ranked).cte(
                "ranked_matches" if ranked else "matches").prefix_with("MATERIALIZED")
            score = matched.c.score if ranked else literal(0.0).label("score")
            stmt = select(*columns, score).select_from(matched.join(DOCS, DOCS.c.id == matched.c.doc_id))
        else:
            stmt = select(*columns, literal(0.0).label("score")).select_from(DOCS)
            if self.query.excluded:
                stmt = stmt.where(DOCS.c.id.not_in(self.engine.any_match(self.query.excluded)))
        stmt = (stmt.outerjoin(Annotation, Annotation.id == DOCS.c.annotation_id)
                .outerjoin(Study, Study.id == DOCS.c.study_id))
        return stmt.where(self._visible(), *self.conditions, *self._dates())

    # --- Facets --------------------------------------------------------------------------------

    def facets(self) -> tuple[dict[str, int], list[Facet]]:
        """Return the number of results per type and the facets, from one statement."""
        rows = db.session.execute(union_all(*self._facet_selects())).all()
        by_facet: dict[str, list[tuple[str, str, int]]] = {}
        for name, value, label, count in rows:
            if value is not None and count:
                by_facet.setdefault(name, []).append((str(value), label or str(value), int(count)))
        counts = {t: 0 for t in DOC_TYPES}
        counts.update({value: count for value, _, count in by_facet.get("type", [])})
        return counts, self._facet_list(by_facet)

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
        h = self.hits
        distinct = func.count(func.distinct(h.c.group_key))
        is_annotation = h.c.doc_type == ANNOTATION
        tags = self.engine.json_elements(h.c.tags, lateral=True)
        bucket = case(*[(h.c.dated >= _ago(days), key) for key, _, days in DATE_BUCKETS], else_="older")
        selects = [
            self._row("type", h.c.doc_type, distinct, source=h),
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
        for column in self._state_columns():
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

    # --- Pages ---------------------------------------------------------------------------------

    def _order(self, source) -> list:
        if self.request.sort == "newest":
            return [source.c.dated.desc().nulls_last(), source.c.doc_id.desc()]
        return [source.c.score.desc(), source.c.dated.desc().nulls_last(), source.c.doc_id.desc()]

    def _best(self, doc_type: str):
        """Return the hits of `doc_type` with their rank in the order of this search (articles: best passage)."""
        h = self.ranked_hits
        if doc_type != ARTICLE:
            return select(h).where(h.c.doc_type == doc_type).subquery(f"{doc_type}_hits")
        passage_rank = func.row_number().over(partition_by=h.c.article_id,
                                              order_by=(h.c.score.desc(), h.c.position))
        ranked = select(h, passage_rank.label("passage_rank")).where(h.c.doc_type == ARTICLE).subquery("ranked")
        return select(ranked).where(ranked.c.passage_rank == 1).subquery("article_hits")

    def ranked(self, doc_type: str | None):
        """Return a select of the doc ids of `doc_type` (None: every type) in result order, one per article."""
        if doc_type is None:
            parts = [select(b.c.doc_id, b.c.score, b.c.dated) for b in map(self._best, DOC_TYPES)]
            best = union_all(*parts).subquery("every_type")
        else:
            best = self._best(doc_type)
        return select(best.c.doc_id).order_by(*self._order(best))

    def top_of_each_type(self) -> list[int]:
        """Return the doc ids of the first results of every type (one statement)."""
        parts = []
        for doc_type in DOC_TYPES:
            best = self._best(doc_type)
            top = select(best.c.doc_id, best.c.doc_type, best.c.score, best.c.dated).order_by(
                *self._order(best)).limit(GROUP_SIZE).subquery(f"top_{doc_type}")
            parts.append(select(top))
        rows = db.session.execute(union_all(*parts)).all()
        newest = self.request.sort == "newest"
        key = (lambda r: (r.dated is None, -(r.dated.timestamp() if r.dated else 0), -r.doc_id)) if newest else (
            lambda r: (-(r.score or 0), r.dated is None, -(r.dated.timestamp() if r.dated else 0), -r.doc_id))
        return [r.doc_id for r in sorted(rows, key=lambda r: (DOC_TYPES.index(r.doc_type), key(r)))]

    # --- Hits ----------------------------------------------------------------------------------

    def hits_for(self, doc_ids: list[int]) -> list[Hit]:
        """Return the hits of `doc_ids`, in that order, with snippets and the objects they show."""
        if not doc_ids:
            return []
        docs = {row.id: row for row in db.session.execute(select(DOCS).where(DOCS.c.id.in_(doc_ids)))}
        snippets = self.engine.snippets(self.query, doc_ids)
        hits = [self._hit(docs[i], snippets.get(i)) for i in doc_ids if i in docs]
        self._attach(hits, docs)
        return hits

    def _hit(self, doc, snippet: Snippet | None) -> Hit:
        if snippet is None:
            body = doc.body if len(doc.body) <= BODY_PREVIEW else doc.body[:BODY_PREVIEW].rsplit(" ", 1)[0] + " …"
            snippet = Snippet(doc.title, body, doc.quote)
        return Hit(doc_type=doc.doc_type, doc_id=doc.id, score=round(float(snippet.score), 6), position=doc.position,
                   title_html=Markup(marked_html(snippet.title)), body_html=Markup(marked_html(snippet.body)),
                   quote_html=Markup(marked_html(snippet.quote)))

    def _attach(self, hits: list[Hit], docs: dict) -> None:
        annotation_ids = [docs[h.doc_id].annotation_id for h in hits if h.doc_type == ANNOTATION]
        study_ids = [docs[h.doc_id].study_id for h in hits if h.doc_type == STUDY]
        options = [joinedload(Annotation.author)]
        if self.w3c:
            options += [joinedload(Annotation.study),
                        joinedload(Annotation.article).selectinload(Article.citations)]
        annotations = {a.id: a for a in db.session.scalars(
            select(Annotation).where(Annotation.id.in_(annotation_ids)).options(*options)
        ).unique()} if annotation_ids else {}
        article_ids = {docs[h.doc_id].article_id for h in hits if docs[h.doc_id].article_id is not None}
        articles = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(article_ids)).options(
            load_only(Article.id, Article.slug, Article.title, Article.standfirst, Article.status,
                      Article.created_at)))} if article_ids else {}
        studies = {s.id: s for s in db.session.scalars(select(Study).where(Study.id.in_(study_ids)))} \
            if study_ids else {}
        replies = reply_counts(annotation_ids, self.viewer)
        for hit in hits:
            doc = docs[hit.doc_id]
            hit.article = articles.get(doc.article_id)
            hit.annotation = annotations.get(doc.annotation_id)
            hit.study = studies.get(doc.study_id)
            hit.replies = replies.get(doc.annotation_id, 0)


def reply_counts(annotation_ids: list[int], viewer: User | None) -> dict[int, int]:
    """Return, per thread root, how many replies `viewer` may read (one query; none for an empty list)."""
    if not annotation_ids:
        return {}
    rows = db.session.execute(select(Annotation.root_id, func.count(Annotation.id)).where(
        Annotation.root_id.in_(annotation_ids), readable_clause(viewer), Annotation.deleted_at.is_(None))
        .group_by(Annotation.root_id)).all()
    return {root_id: count for root_id, count in rows}


def _ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
