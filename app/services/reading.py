"""The discussion of an article as a reader sees it: threads in reading order, highlights, counts.

Every page load runs a fixed number of queries whatever the number of annotations: one Core query
for the few columns of every annotation the viewer may read (the outline: thread order,
highlights, counts, filter choices), one for the positions of parents the viewer may not read
(shown as stubs so replies survive), and one loading whole annotations (authors and linked
studies joined) for the threads of the page shown only: an article page shows one page of
threads, and thousands of annotations cost no ORM objects. The highlighted article body is
rendered once per article version and display revision, and reused until a reader-visible change
bumps the revision; only viewers with annotations of their own that others cannot see (private,
pending, hidden) get a body rendered for them. Shared renderings (no viewer, public layer) keep
each thread's HTML under a stamp of what it shows and the body block by block, so a change renders
again only what it touches. The page shows one layer at a time (app.services.visibility.Layer):
only the public layer is cached; a journal club's layer and "mine" are always rendered for the
reader asking, so no cache ever holds group content.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from markupsafe import Markup
from sqlalchemy import String, Text, case, cast, func, select
from sqlalchemy.orm import joinedload

from app.database.versions import sortable_time, version_mark
from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, User, Visibility
from app.services.anchoring import ATTACHED
from app.services.evidence_map import mark_body
from app.services.search.requests import BadSearch
from app.services.search.searching import annotation_ids_matching
from app.services.shared_pages import page_cache
from app.services.visibility import GROUP, PUBLIC_LAYER, Layer, is_public, layer_clause
from app.text.highlight import Span, add_block_links, highlight, highlight_blocks

# Replies deeper than this are shown at this depth, with "in reply to".
MAX_DEPTH = 2


@dataclass
class Stub:
    """A parent the viewer may not read (pending, hidden, removed), kept so its replies stay in place."""

    id: int
    start: int | None
    reason: str = "not shown"
    is_stub: bool = True


@dataclass
class Reply:
    """A reply with its display depth (1 or 2) and, when flattened, the reply it answers."""

    annotation: Annotation | Stub
    depth: int
    in_reply_to: Annotation | None = None


@dataclass
class Thread:
    """A top-level annotation (or a stub) and its replies in order; a question's accepted answer comes first.

    Built from annotation rows (AnnotationRow); `hydrate` swaps in whole annotations for rendering,
    unless `html` already holds the thread's cached rendering (kept under `cache_key`).
    """

    root: Annotation | AnnotationRow | Stub
    replies: list[Reply] = field(default_factory=list)
    answer_id: int | None = None
    html: Markup | None = None
    cache_key: tuple | None = None

    @property
    def is_question(self) -> bool:
        return not getattr(self.root, "is_stub", False) and self.root.kind == AnnotationKind.QUESTION

    @property
    def start(self) -> int:
        start = self.root.start
        return start if start is not None else 10 ** 9

    def copy(self) -> Thread:
        """Return a copy whose root and replies may be replaced (hydrated) without touching this one."""
        return Thread(self.root, list(self.replies), self.answer_id)

    def nodes(self) -> list:
        """Return the root and every reply, in order."""
        return [self.root, *(r.annotation for r in self.replies)]

    def hydrate(self, full: dict[int, Annotation]) -> None:
        """Replace the thread's rows by the whole annotations in `full` (one deleted meanwhile is left out)."""
        def whole(node):
            return node if isinstance(node, Stub) or node is None else full.get(node.id)

        root = whole(self.root)
        self.root = root if root is not None else Stub(id=self.root.id, start=self.root.start)
        self.replies = [Reply(whole(r.annotation), r.depth, whole(r.in_reply_to)) for r in self.replies
                        if whole(r.annotation) is not None]

    def stamp_key(self, mode: str) -> tuple:
        """Key the thread's rendering in `mode` by its root and what every annotation shown in it shows."""
        def stamp(node):
            return ("stub", node.id) if isinstance(node, Stub) else node.stamp

        shown = (stamp(self.root), self.answer_id, [(stamp(r.annotation), r.depth, r.in_reply_to and r.in_reply_to.id)
                                                  for r in self.replies])
        digest = hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()
        return ("thread", mode, self.root.id, digest)


UNANSWERED = "unanswered"
SORTS = {"position": "Reading order", "helpful": "Most helpful first"}


@dataclass
class Filters:
    """Thread filters and order from the query string (`kind` may be "unanswered": questions without an answer)."""

    kind: str | None = None
    tag: str | None = None
    author: int | None = None
    mine: bool = False
    sort: str = "position"
    # Words, searched with the search engine and syntax (app.services.search).
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.kind or self.tag or self.author or self.mine or self.q or self.sort != "position")


@dataclass
class Discussion:
    """What the article page shows beside and under the article."""

    threads: list[Thread]
    # Annotations not drawn on the article: their passage's figures changed, or it was not found.
    changed: list[Thread]
    orphans: list[Thread]
    counts: dict[str, int]
    tags: list[str]
    authors: list[tuple[int, str]]
    body_html: str
    total: int
    # What the text filter could not use (a prefix too short, a query too long), for the reader.
    filter_notices: list[str] = field(default_factory=list)
    layer: Layer = PUBLIC_LAYER
    # In a journal club's layer: its session prompts on this article (annotation id -> session), shown first.
    prompts: dict = field(default_factory=dict)
    # Which page of threads `threads` is, out of how many, and how to link to another (`page_url(n)`).
    page: int = 1
    pages: int = 1
    thread_total: int = 0
    per_page: int = 0
    page_url: object = None
    # Every listed thread, by its first annotation's id -> its page.
    page_of: dict = field(default_factory=dict)

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.per_page + 1

    def keep(self, thread: Thread, html: Markup) -> Markup:
        """Keep a thread's fresh rendering in the fragment cache when it may be shared; return it."""
        if thread.cache_key is not None:
            page_cache.put(thread.cache_key, html, family=thread.cache_key[:3])
        return html


def _distinct_tags(roots: list[Annotation]) -> list[str]:
    """Return the tags used, each once whatever its case (the first spelling met), sorted ignoring case."""
    seen: dict[str, str] = {}
    for annotation in roots:
        for tag in annotation.tags or []:
            seen.setdefault(tag.lower(), tag)
    return sorted(seen.values(), key=str.lower)


def _label(row_by_id: dict[int, AnnotationRow]):
    def label_for(span: Span) -> str:
        row = row_by_id.get(span.annotation_id)
        return "Annotation: open discussion" if row is None else row.label
    return label_for


def _highlighted_body(article: Article, roots: list[AnnotationRow], personal: bool, filters: Filters,
                      annotate_url: str, href_for) -> str:
    """Return the article body with `roots` highlighted; cached only when `personal` is False (public layer).

    `href_for(span)` is the link to the span's thread (on whichever page of threads holds it). The
    shared body is kept whole per article state, and block by block under what each block shows, so
    that a new annotation highlights again only the blocks it (or a thread moved to another page) touches.
    """
    by_id = {a.id: a for a in roots}
    spans = [a.span for a in roots if a.span is not None]
    if personal or filters.active:
        return highlight(_body_with_links(article, annotate_url), spans, _label(by_id), href_for)
    # created_at tells apart an article re-created under a reused id.
    key = ("body", article.id, article.created_at.isoformat(), article.version, article.display_rev)
    cached = page_cache.get(key)
    if cached is None:
        def reuse(index: int, signature: tuple, render) -> str:
            # The signature (the block's HTML and highlights) is the key: hashing and comparing it costs
            # less than a digest of it, and a block whose evidence marks or links changed is new.
            block_key = ("body-block", article.id, index, signature)
            block = page_cache.get(block_key)
            if block is None:
                block = render()
                page_cache.put(block_key, block, family=("body-block", article.id, index))
            return block

        cached = highlight_blocks(_body_with_links(article, annotate_url), spans, _label(by_id), href_for, reuse)
        page_cache.put(key, cached, family=("body", article.id))
    return cached


def _body_with_links(article: Article, annotate_url: str) -> str:
    """Return the article body with its evidence marks and an "annotate" link after each block."""
    return add_block_links(mark_body(article, article.body_html), lambda n: f"{annotate_url}?block={n}",
                           "annotate", lambda n: f"Annotate paragraph {n + 1}")


@dataclass(slots=True)
class AnnotationRow:
    """The columns of one annotation that every page of threads needs (order, highlights, counts, filters).

    Read with Core for all of an article's annotations; whole Annotation objects are loaded only for
    the threads a page renders. `stamp` holds every column a rendered thread shows or depends on,
    so that a thread's rendering can be cached under the stamps of its annotations. A row is never
    changed: a changed annotation is read into a new row, so what is worked out from a row once
    (its highlight and the highlight's label) holds for as long as the row.
    """

    id: int
    parent_id: int | None
    root_id: int | None
    kind: AnnotationKind
    start: int | None
    end: int | None
    anchor_state: str
    deleted: bool
    tags: list
    author_id: int
    author_name: str
    accepted_answer_id: int | None
    helpful_count: int
    visibility: Visibility
    status: AnnotationStatus
    study_id: int | None
    # Its creation time as text that sorts as the time (app.database.versions.sortable_time).
    created: str
    stamp: tuple
    # Its highlight on the article (None for a reply, or a passage not drawn), and the highlight's label.
    span: Span | None = field(init=False)
    label: str = field(init=False)

    def __post_init__(self) -> None:
        drawn = (self.parent_id is None and not self.deleted and self.start is not None and self.end is not None
                 and self.anchor_state in ATTACHED)
        self.span = Span(self.start, self.end, self.id, self.kind.value) if drawn else None
        self.label = _highlight_label(self.kind, self.author_name)

    @property
    def is_deleted(self) -> bool:
        return bool(self.deleted)

    @property
    def order(self) -> tuple[str, int]:
        """Its place in the outline's rows: by creation time, then id (as `readable_rows` reads them)."""
        return self.created, self.id


@lru_cache(maxsize=4096)
def _highlight_label(kind: AnnotationKind, author_name: str) -> str:
    """Return the label of a highlight's link, one string for all of an author's annotations of a kind."""
    # The marker the link shows starts its name, so that what is seen is what speech input can say.
    return f"{kind.marker} {kind.label} by {author_name}: open discussion"


# What a rendered thread shows beyond the outline's own columns: a change to any of them changes the
# stamp. Times are read as text: they are only compared, and decoding thousands costs more than the query.
# A linked study's notices and appraisals live in other tables: threads showing one are never cached.
_STAMP_COLUMNS = (cast(Annotation.modified_at, String), cast(Annotation.edited_at, String), Annotation.anchor_version,
                  Annotation.group_id, User.profession, User.competing_interests)
_ROW_COLUMNS = (Annotation.id, Annotation.parent_id, Annotation.root_id, Annotation.kind, Annotation.start,
                Annotation.end, Annotation.anchor_state, Annotation.deleted_at.is_not(None),
                cast(Annotation.tags, Text), Annotation.author_id, User.display_name, Annotation.accepted_answer_id,
                Annotation.helpful_count, Annotation.visibility, Annotation.status, Annotation.study_id,
                sortable_time(Annotation.created_at))
_TAGS = 8


def readable_rows(article_id: int, viewer: User | None, layer: Layer = PUBLIC_LAYER) -> list[AnnotationRow]:
    """Return the outline of every annotation of the article that `viewer` may read in `layer`, oldest first.

    One Core query, without building ORM objects: cheap for thousands of annotations.
    """
    statement = (select(*_ROW_COLUMNS, *_STAMP_COLUMNS)
                 .join(User, User.id == Annotation.author_id)
                 .where(Annotation.article_id == article_id, layer_clause(viewer, layer))
                 .order_by(Annotation.created_at, Annotation.id))
    return _rows(db.session.connection().execute(statement).all())


def _rows(results) -> list[AnnotationRow]:
    width = len(_ROW_COLUMNS)
    tags: dict[str | None, list] = {None: []}
    rows = []
    for row in results:
        values = list(row[:width])
        # Tags come as their JSON text, decoded once for each distinct list (most annotations share a few).
        raw = values[_TAGS]
        if raw not in tags:
            tags[raw] = json.loads(raw) or []
        values[_TAGS] = tags[raw]
        rows.append(AnnotationRow(*values, stamp=tuple(row)))
    return rows


def public_rows_since(article_id: int, mark: int) -> tuple[list[AnnotationRow], set[int]]:
    """Return the public rows of the article's annotations changed at or after `mark`, and the ids no longer public.

    `mark` is a `version_mark` taken before the rows last read: with these, they become the rows
    `readable_rows` would read now (`_merged`).
    """
    readable = case((layer_clause(None, PUBLIC_LAYER), 1), else_=0)
    statement = (select(*_ROW_COLUMNS, *_STAMP_COLUMNS, readable)
                 .join(User, User.id == Annotation.author_id)
                 .where(Annotation.article_id == article_id, Annotation.row_version >= mark)
                 .order_by(Annotation.created_at, Annotation.id))
    results = db.session.connection().execute(statement).all()
    return _rows(row[:-1] for row in results if row[-1]), {row[0] for row in results if not row[-1]}


def _merged(rows: list[AnnotationRow], changed: list[AnnotationRow], gone: set[int]) -> list[AnnotationRow]:
    """Return `rows` with the `changed` ones put in (in place, or in order when new) and the `gone` ones left out."""
    fresh = {row.id: row for row in changed}
    merged = [fresh.pop(row.id, row) for row in rows if row.id not in gone]
    newcomers = list(fresh.values())  # in order, as read
    if newcomers and merged and newcomers[0].order < merged[-1].order:
        merged += newcomers
        merged.sort(key=lambda row: row.order)
    else:
        merged += newcomers
    return merged


def _full_annotations(ids: set[int], viewer: User | None, layer: Layer) -> dict[int, Annotation]:
    """Load those of the annotations `ids` that `viewer` reads in `layer`, with authors and linked studies.

    One query (none for no ids). Read again under the same rule as the outline: one hidden since
    the outline was read is left out rather than shown.
    """
    if not ids:
        return {}
    # Many ids (a whole discussion, for an export) are read by article instead: a list of thousands
    # of bound parameters would pass what some databases accept in one statement.
    if len(ids) <= _MAX_IDS:
        wanted = Annotation.id.in_(sorted(ids))
    else:
        article_of = select(Annotation.article_id).where(Annotation.id == min(ids)).scalar_subquery()
        wanted = Annotation.article_id == article_of
    loaded = db.session.scalars(
        select(Annotation).where(wanted, layer_clause(viewer, layer))
        .options(joinedload(Annotation.author), joinedload(Annotation.study))).unique()
    return {a.id: a for a in loaded if a.id in ids}


_MAX_IDS = 2000


def _stubs(article: Article, missing: set[int]) -> dict[int, Stub]:
    if not missing:
        return {}
    rows = db.session.execute(select(Annotation.id, Annotation.start, Annotation.parent_id)
                              .where(Annotation.id.in_(missing))).all()
    return {row.id: Stub(id=row.id, start=row.start) for row in rows}


def _matches(annotation: AnnotationRow, filters: Filters, viewer: User | None, answered: set[int],
             searched: set[int] | None = None) -> bool:
    if searched is not None and annotation.id not in searched:
        return False
    if filters.kind == UNANSWERED:
        if annotation.kind != AnnotationKind.QUESTION or annotation.id in answered:
            return False
    elif filters.kind and annotation.kind.value != filters.kind:
        return False
    if filters.tag and filters.tag.lower() not in {t.lower() for t in annotation.tags or []}:
        return False
    if filters.author and annotation.author_id != filters.author:
        return False
    if filters.mine and (viewer is None or annotation.author_id != getattr(viewer, "id", None)):
        return False
    return True


def _stub_thread(stub: Stub, children: dict[int, list[AnnotationRow]], collect) -> Thread:
    """Hang the readable replies of an unreadable parent under its stub."""
    thread = Thread(stub)
    for child in children.get(stub.id, []):
        thread.replies.append(Reply(child, 1))
        collect(child.id, 2, child, thread.replies)
    return thread


def _thread_order(filters: Filters, pinned: dict | None = None):
    """Return the sort key of threads: reading order, or most helpful first (then reading order).

    `pinned` threads (a session's prompts, in their order) come before all others.
    """
    rank = {annotation_id: n for n, annotation_id in enumerate(pinned or {})}
    first = len(rank)
    if filters.sort == "helpful":
        return lambda t: (rank.get(t.root.id, first), -getattr(t.root, "helpful_count", 0), t.start, t.root.id)
    return lambda t: (rank.get(t.root.id, first), t.start, t.root.id)


def _answered(roots: list[AnnotationRow], by_id: dict[int, AnnotationRow]) -> set[int]:
    """Return the questions answered for this viewer: those whose accepted reply they may read."""
    return {a.id for a in roots if a.accepted_answer_id in by_id and not by_id[a.accepted_answer_id].is_deleted
            and by_id[a.accepted_answer_id].root_id == a.id}


def _answer_first(thread: Thread, answer_id: int, children: dict[int, list[AnnotationRow]],
                  by_id: dict[int, AnnotationRow]) -> None:
    """Move the accepted answer, with the replies under it, to the top of the thread's replies."""
    below = {answer_id}
    stack = [answer_id]
    while stack:
        for child in children.get(stack.pop(), []):
            below.add(child.id)
            stack.append(child.id)
    block = [r for r in thread.replies if r.annotation.id in below]
    if not block:
        return
    rest = [r for r in thread.replies if r.annotation.id not in below]
    answer = block[0].annotation
    # An answer that replied to another reply says so, since it now stands first.
    block[0] = Reply(answer, 1, in_reply_to=None if answer.parent_id == thread.root.id else by_id.get(answer.parent_id))
    thread.replies = block + rest
    thread.answer_id = answer_id


@dataclass
class Outline:
    """Every thread of an article for one viewer, in order, built from annotation rows alone."""

    threads: list[Thread]
    changed: list[Thread]
    orphans: list[Thread]
    rows: list[AnnotationRow]
    roots: list[AnnotationRow]
    prompts: dict
    notices: list[str]
    # A shared outline's article state (creation time, version), and the version mark its rows were
    # read after (app.database.versions): the next state's outline reads only the rows changed since.
    state: tuple | None = None
    mark: int | None = None
    _pages: dict = field(default_factory=dict, repr=False)

    @property
    def nbytes(self) -> int:
        """Estimate the memory the outline holds: a row with its stamp, strings and highlight, a thread with its
        list and its place in the page map, and the summary worked out once.

        Measured with tracemalloc (tests/unit/services/test_page_cache.py keeps it honest): 120 rows
        in 90 threads hold 157 kB. An estimate short of it would let the page cache outgrow its budget.
        """
        return 1100 * len(self.rows) + 350 * (len(self.threads) + len(self.changed) + len(self.orphans))

    @cached_property
    def live_roots(self) -> list[AnnotationRow]:
        """The top-level annotations not deleted."""
        return [a for a in self.roots if not a.is_deleted]

    @cached_property
    def summary(self) -> tuple[dict[str, int], list[str], list[tuple[int, str]], bool]:
        """Worked out once per outline: the count of drawn highlights by kind, the tags used, the authors
        (id, name) by name, and whether every top-level annotation is public."""
        live = self.live_roots
        counts = Counter(a.kind.value for a in live if a.anchor_state in ATTACHED)
        return ({k.value: counts.get(k.value, 0) for k in AnnotationKind}, _distinct_tags(live),
                sorted({(a.author_id, a.author_name) for a in self.rows}, key=lambda x: x[1]),
                all(is_public(a) for a in self.roots))

    def pages_by_root(self, per_page: int) -> dict[int, int]:
        """Return the page of threads (of `per_page`) on which each listed thread, by its first annotation, is.

        Worked out once per outline and page size; callers do not change it.
        """
        pages = self._pages.get(per_page)
        if pages is None:
            pages = self._pages[per_page] = {thread.root.id: n // per_page + 1 for n, thread in enumerate(self.threads)}
        return pages


def outline(article: Article, viewer: User | None, filters: Filters | None = None,
            layer: Layer = PUBLIC_LAYER) -> Outline:
    """Build every thread of `article` that `viewer` reads in `layer`, in order, from annotation rows (few queries).

    The public outline (no viewer, no filter) is kept per article state: the anonymous and the
    signed-in readers' renderings of every page of threads share it. The next state's outline starts
    from it, reading only the rows changed since (`public_rows_since`); a new version of the article's
    text reads them all. Callers copy a thread before changing it (`Thread.copy`).
    """
    filters = filters or Filters()
    if viewer is not None or filters.active or not layer.shared:
        return _build_outline(article, viewer, filters, layer)
    state = (article.created_at.isoformat(), article.version)
    key = ("outline", article.id, *state, article.display_rev)
    plan = page_cache.get(key)
    if plan is None:
        family = ("outline", article.id)
        base = page_cache.latest(family)
        mark = version_mark(db.session.connection(), article.id)
        if base is not None and base.state == state and base.mark is not None:
            rows = _merged(base.rows, *public_rows_since(article.id, base.mark))
        else:
            rows = readable_rows(article.id, None, layer)
        plan = _build_outline(article, None, filters, layer, rows)
        plan.state, plan.mark = state, mark
        page_cache.put(key, plan, family=family)
    return plan


def _build_outline(article: Article, viewer: User | None, filters: Filters, layer: Layer,
                   rows: list[AnnotationRow] | None = None) -> Outline:
    """Build the outline from `rows` (by default, every row `viewer` reads in `layer`, read now)."""
    rows = readable_rows(article.id, viewer, layer) if rows is None else rows
    prompts = _prompts(article, layer)
    searched, notices = _text_matches(article, viewer, filters)
    by_id = {a.id: a for a in rows}
    missing = {a.parent_id for a in rows if a.parent_id and a.parent_id not in by_id}
    missing |= {a.root_id for a in rows if a.root_id and a.root_id not in by_id}
    stubs = _stubs(article, missing)

    children: dict[int, list[AnnotationRow]] = {}
    for a in rows:
        if a.parent_id is not None:
            children.setdefault(a.parent_id, []).append(a)

    def has_live_descendant(node_id: int) -> bool:
        stack = list(children.get(node_id, []))
        while stack:
            node = stack.pop()
            if not node.is_deleted:
                return True
            stack.extend(children.get(node.id, []))
        return False

    def collect(node_id: int, depth: int, parent: AnnotationRow | None, out: list[Reply]) -> None:
        for child in children.get(node_id, []):
            if child.is_deleted and not has_live_descendant(child.id):
                continue
            shown = min(depth, MAX_DEPTH)
            out.append(Reply(child, shown, in_reply_to=parent if depth > MAX_DEPTH else None))
            collect(child.id, depth + 1, child, out)

    threads: list[Thread] = []
    changed: list[Thread] = []
    orphans: list[Thread] = []
    roots = [a for a in rows if a.parent_id is None]
    answered = _answered(roots, by_id)
    for root in roots:
        if (root.is_deleted and not has_live_descendant(root.id)) or not _matches(root, filters, viewer, answered,
                                                                                  searched):
            continue
        thread = Thread(root)
        collect(root.id, 1, root, thread.replies)
        if root.id in answered:
            _answer_first(thread, root.accepted_answer_id, children, by_id)
        {"orphaned": orphans, "changed": changed}.get(root.anchor_state, threads).append(thread)
    if not filters.active:
        root_ids = {r.id for r in roots}
        stub_threads = [_stub_thread(stub, children, collect) for stub in stubs.values()
                        if stub.id in missing and stub.id not in root_ids]
        threads += [thread for thread in stub_threads if thread.replies]
    threads.sort(key=_thread_order(filters, prompts))
    return Outline(threads=threads, changed=changed, orphans=orphans, rows=rows, roots=roots, prompts=prompts,
                   notices=notices)


def discussion(article: Article, viewer: User | None, filters: Filters | None = None, *,
               annotate_url: str, layer: Layer = PUBLIC_LAYER, page: int | None = None, per_page: int = 50,
               open_id: int | None = None, page_url=None, cache_as: str | None = None) -> Discussion:
    """Build the threads, counts, filter choices and highlighted body of `article` for `viewer` in `layer`.

    `annotate_url` is the article's no-JavaScript annotate page, linked after each paragraph. In a
    group's layer the group's session prompts come first. With a `page`, only that page of
    `per_page` threads is loaded and rendered (the passages whose wording changed come with the
    first); `page_url(n)` is the address of page n, which every highlight of a thread elsewhere
    links to; with an `open_id`, the page is the one holding that thread. `cache_as` names the
    shared rendering ("anonymous", "member") whose threads may be taken from and kept in the
    fragment cache: honoured only without a viewer, in the public layer.
    """
    filters = filters or Filters()
    plan = outline(article, viewer, filters, layer)
    threads, changed, orphans = plan.threads, plan.changed, plan.orphans
    page_of = plan.pages_by_root(per_page)
    pages = max(1, -(-len(threads) // per_page)) if page is not None else 1
    if page is not None:
        page = page_of.get(open_id, page) if open_id is not None else page
        page = min(max(page, 1), pages)
        threads = threads[(page - 1) * per_page:page * per_page]
        if page > 1:
            changed, orphans = [], []

    addresses: dict[int, str] = {}

    def href_for(span: Span) -> str:
        if page_url is None:
            return f"#a-{span.annotation_id}"
        number = page_of.get(span.annotation_id, 1)
        if number not in addresses:
            addresses[number] = page_url(number)
        return f"{addresses[number]}#a-{span.annotation_id}"

    live_roots = plan.live_roots
    counts, tags, authors, all_public = plan.summary
    personal = not layer.shared or not all_public
    if filters.active:
        live_roots = [t.root for t in plan.threads if isinstance(t.root, AnnotationRow) and not t.root.is_deleted]
    body = _highlighted_body(article, live_roots, personal, filters, annotate_url, href_for)
    shared = cache_as if viewer is None and layer.shared and not personal else None
    threads, changed, orphans = ([t.copy() for t in group] for group in (threads, changed, orphans))
    _load_threads([*threads, *changed, *orphans], shared, viewer, layer)
    return Discussion(threads=threads, changed=changed, orphans=orphans,
                      counts=dict(counts), tags=list(tags), authors=list(authors),
                      body_html=body, total=len(plan.live_roots), filter_notices=plan.notices, layer=layer,
                      prompts=plan.prompts, page=page or 1, pages=pages, thread_total=len(plan.threads),
                      per_page=per_page if page is not None else len(plan.threads), page_url=page_url,
                      page_of=page_of)


def _load_threads(threads: list[Thread], shared: str | None, viewer: User | None, layer: Layer) -> None:
    """Put whole annotations in `threads`, or their cached rendering when `shared` content may reuse it."""
    if shared is not None:
        for thread in threads:
            if not any(getattr(node, "study_id", None) for node in thread.nodes()):
                thread.cache_key = thread.stamp_key(shared)
                thread.html = page_cache.get(thread.cache_key)
    wanted = {node.id for thread in threads if thread.html is None for node in thread.nodes()
              if isinstance(node, AnnotationRow)}
    full = _full_annotations(wanted, viewer, layer)
    for thread in threads:
        if thread.html is None:
            thread.hydrate(full)


def _prompts(article: Article, layer: Layer) -> dict:
    """Return the prompts of the layer's group on the article, in session order (empty outside a group's layer)."""
    if layer.kind != GROUP or layer.group is None:
        return {}
    from app.services.group_sessions import prompt_ids

    return prompt_ids(layer.group.id, article.id)



def _text_matches(article: Article, viewer: User | None, filters: Filters) -> tuple[set[int] | None, list[str]]:
    """Return the roots of the threads in which the text filter matches an annotation (None: no text filter)."""
    if not filters.q:
        return None, []
    try:
        ids, notices = annotation_ids_matching(article.id, filters.q, viewer)
    except BadSearch as exc:
        return set(), [exc.message]
    roots = set(db.session.scalars(select(func.coalesce(Annotation.root_id, Annotation.id))
                                   .where(Annotation.id.in_(ids)))) if ids else set()
    return roots, notices
