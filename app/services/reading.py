"""The discussion of an article as a reader sees it: threads in reading order, highlights, counts.

Every page load runs a fixed number of queries whatever the number of annotations: one for the
annotations the viewer may read (with authors and linked studies joined), one for the positions
of parents the viewer may not read (shown as stubs so replies survive). The highlighted article
body is rendered once per article version and display revision, and reused until a reader-visible
change bumps the revision; only viewers with annotations of their own that others cannot see
(private, pending, hidden) get a body rendered for them.
"""
from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, User, Visibility
from app.services.visibility import is_public, readable_clause
from app.text.highlight import Span, add_block_links, highlight

KIND_LABELS = {
    AnnotationKind.COMMENT: "Comment",
    AnnotationKind.QUESTION: "Question",
    AnnotationKind.CRITIQUE: "Critique of evidence",
    AnnotationKind.SUPPORT: "Supporting evidence",
    AnnotationKind.PRACTICE: "Clinical practice note",
}
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
    """A top-level annotation (or a stub) and its replies in order."""

    root: Annotation | Stub
    replies: list[Reply] = field(default_factory=list)

    @property
    def start(self) -> int:
        start = self.root.start
        return start if start is not None else 10 ** 9


@dataclass
class Filters:
    """Thread filters from the query string."""

    kind: str | None = None
    tag: str | None = None
    author: int | None = None
    mine: bool = False
    # Words, searched with the search engine and syntax (app.services.search).
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.kind or self.tag or self.author or self.mine or self.q)


@dataclass
class Discussion:
    """What the article page shows beside and under the article."""

    threads: list[Thread]
    orphans: list[Thread]
    counts: dict[str, int]
    tags: list[str]
    authors: list[tuple[int, str]]
    body_html: str
    total: int
    # What the text filter could not use (a prefix too short, a query too long), for the reader.
    filter_notices: list[str] = field(default_factory=list)


class _BodyCache:
    """A small LRU of highlighted article bodies keyed by (article, version, display revision)."""

    def __init__(self, size: int = 64):
        self.size = size
        self.items: OrderedDict[tuple, str] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> str | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple, value: str) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


# Rendered bodies, whole anonymous pages and signed-in readers' shared content, per article state.
page_cache = _BodyCache(size=256)


@dataclass(frozen=True)
class OwnAnnotations:
    """The viewer's annotations on an article: their ids, and whether any is unseen by others."""

    ids: tuple[int, ...]
    personal: bool


def own_annotations(article_id: int, user_id: int) -> OwnAnnotations:
    """Return the user's annotations on the article (one query)."""
    rows = db.session.execute(select(Annotation.id, Annotation.visibility, Annotation.status)
                              .where(Annotation.article_id == article_id, Annotation.author_id == user_id)).all()
    personal = any(r.visibility != Visibility.PUBLIC or r.status not in (AnnotationStatus.PUBLISHED,
                                                                          AnnotationStatus.REMOVED) for r in rows)
    return OwnAnnotations(ids=tuple(r.id for r in rows), personal=personal)


_OWN_OR_FLAG = re.compile(r'(data-own|data-flag)="(\d+)"(?: hidden)?>')


@dataclass(frozen=True)
class SharedContent:
    """Member content as seen by a reader with no annotations, and where each annotation's controls are."""

    html: str
    # annotation id -> [(start, end, replacement)] spans of `html` to rewrite for that annotation's author.
    own_edits: dict[str, list[tuple[int, int, str]]]


def share(content_html: str) -> SharedContent:
    """Index rendered member content once, when it is cached."""
    html = str(content_html)
    edits: dict[str, list[tuple[int, int, str]]] = {}
    for match in _OWN_OR_FLAG.finditer(html):
        attribute, annotation_id = match.group(1), match.group(2)
        # For the author: own-actions shown, flag link hidden.
        replacement = f'{attribute}="{annotation_id}"' + ("" if attribute == "data-own" else " hidden") + ">"
        edits.setdefault(annotation_id, []).append((match.start(), match.end(), replacement))
    return SharedContent(html, edits)


def personalise(content: SharedContent, own_ids: tuple[int, ...]) -> Markup:
    """Switch on the edit/delete controls of the viewer's own annotations in shared member content.

    The shared content carries every annotation's own-actions hidden and a flag link; for the
    viewer's annotations the former are shown and the latter hidden (one cannot flag oneself).
    Costs time in the number of the viewer's annotations, plus one copy of the page.
    """
    edits = sorted(edit for i in own_ids for edit in content.own_edits.get(str(i), ()))
    if not edits:
        return Markup(content.html)
    out, position = [], 0
    for start, end, replacement in edits:
        out.append(content.html[position:start])
        out.append(replacement)
        position = end
    out.append(content.html[position:])
    return Markup("".join(out))


def _label(annotation_by_id: dict[int, Annotation]):
    def label_for(span: Span) -> str:
        ann = annotation_by_id.get(span.annotation_id)
        kind = KIND_LABELS.get(ann.kind, "Annotation") if ann else "Annotation"
        who = f" by {ann.author.display_name}" if ann is not None else ""
        return f"{kind}{who}: open discussion"
    return label_for


def _highlighted_body(article: Article, roots: list[Annotation], personal: bool, filters: Filters) -> str:
    by_id = {a.id: a for a in roots}
    spans = [Span(a.start, a.end, a.id, a.kind.value) for a in roots
             if a.start is not None and a.end is not None and a.anchor_state != "orphaned"]
    if personal or filters.active:
        return _render_body(article, spans, by_id)
    # created_at tells apart an article re-created under a reused id.
    key = ("body", article.id, article.created_at.isoformat(), article.version, article.display_rev)
    cached = page_cache.get(key)
    if cached is None:
        cached = _render_body(article, spans, by_id)
        page_cache.put(key, cached)
    return cached


def _render_body(article: Article, spans: list[Span], by_id: dict[int, Annotation]) -> str:
    from flask import url_for

    base = url_for("annotating.annotate", slug=article.slug)
    with_links = add_block_links(article.body_html, lambda n: f"{base}?block={n}", "annotate",
                                 lambda n: f"Annotate paragraph {n + 1}")
    return highlight(with_links, spans, _label(by_id))


def readable_annotations(article: Article, viewer: User | None) -> list[Annotation]:
    """Return every annotation of `article` that `viewer` may read, oldest first (one query)."""
    return list(db.session.scalars(
        select(Annotation)
        .where(Annotation.article_id == article.id, readable_clause(viewer))
        .options(joinedload(Annotation.author), joinedload(Annotation.study))
        .order_by(Annotation.created_at, Annotation.id)
    ).unique())


def _stubs(article: Article, missing: set[int]) -> dict[int, Stub]:
    if not missing:
        return {}
    rows = db.session.execute(select(Annotation.id, Annotation.start, Annotation.parent_id)
                              .where(Annotation.id.in_(missing))).all()
    return {row.id: Stub(id=row.id, start=row.start) for row in rows}


def _matches(annotation: Annotation, filters: Filters, viewer: User | None, searched: set[int] | None = None) -> bool:
    if searched is not None and annotation.id not in searched:
        return False
    if filters.kind and annotation.kind.value != filters.kind:
        return False
    if filters.tag and filters.tag not in (annotation.tags or []):
        return False
    if filters.author and annotation.author_id != filters.author:
        return False
    if filters.mine and (viewer is None or annotation.author_id != getattr(viewer, "id", None)):
        return False
    return True


def _stub_thread(stub: Stub, children: dict[int, list[Annotation]], collect) -> Thread:
    """Hang the readable replies of an unreadable parent under its stub."""
    thread = Thread(stub)
    for child in children.get(stub.id, []):
        thread.replies.append(Reply(child, 1))
        collect(child.id, 2, child, thread.replies)
    return thread


def discussion(article: Article, viewer: User | None, filters: Filters | None = None) -> Discussion:
    """Build the threads, counts, filter choices and highlighted body of `article` for `viewer`."""
    filters = filters or Filters()
    rows = readable_annotations(article, viewer)
    searched, notices = _text_matches(article, viewer, filters)
    by_id = {a.id: a for a in rows}
    missing = {a.parent_id for a in rows if a.parent_id and a.parent_id not in by_id}
    missing |= {a.root_id for a in rows if a.root_id and a.root_id not in by_id}
    stubs = _stubs(article, missing)

    children: dict[int, list[Annotation]] = {}
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

    def collect(node_id: int, depth: int, parent: Annotation | None, out: list[Reply]) -> None:
        for child in children.get(node_id, []):
            if child.is_deleted and not has_live_descendant(child.id):
                continue
            shown = min(depth, MAX_DEPTH)
            out.append(Reply(child, shown, in_reply_to=parent if depth > MAX_DEPTH else None))
            collect(child.id, depth + 1, child, out)

    threads: list[Thread] = []
    orphans: list[Thread] = []
    roots = [a for a in rows if a.parent_id is None]
    for root in roots:
        if (root.is_deleted and not has_live_descendant(root.id)) or not _matches(root, filters, viewer, searched):
            continue
        thread = Thread(root)
        collect(root.id, 1, root, thread.replies)
        (orphans if root.anchor_state == "orphaned" else threads).append(thread)
    if not filters.active:
        root_ids = {r.id for r in roots}
        for stub in stubs.values():
            if stub.id in missing and stub.id not in root_ids:
                thread = _stub_thread(stub, children, collect)
                if thread.replies:
                    threads.append(thread)
    threads.sort(key=lambda t: (t.start, t.root.id))

    live_roots = [a for a in roots if not a.is_deleted]
    counts = Counter(a.kind.value for a in live_roots if a.anchor_state != "orphaned")
    tags = sorted({t for a in live_roots for t in (a.tags or [])})
    authors = sorted({(a.author_id, a.author.display_name) for a in rows}, key=lambda x: x[1])
    personal = any(not is_public(a) for a in roots)
    shown_roots = [t.root for t in threads if isinstance(t.root, Annotation) and not t.root.is_deleted]
    body = _highlighted_body(article, shown_roots if filters.active else live_roots, personal, filters)
    kind_counts = {k.value: counts.get(k.value, 0) for k in AnnotationKind}
    return Discussion(threads=threads, orphans=orphans, counts=kind_counts,
                      tags=tags, authors=authors, body_html=body, total=len(live_roots), filter_notices=notices)


def _text_matches(article: Article, viewer: User | None, filters: Filters) -> tuple[set[int] | None, list[str]]:
    """Return the roots of the threads in which the text filter matches an annotation (None: no text filter)."""
    if not filters.q:
        return None, []
    from app.services.search.requests import BadSearch
    from app.services.search.searching import annotation_ids_matching

    try:
        ids, notices = annotation_ids_matching(article.id, filters.q, viewer)
    except BadSearch as exc:
        return set(), [exc.message]
    roots = set(db.session.scalars(select(func.coalesce(Annotation.root_id, Annotation.id))
                                   .where(Annotation.id.in_(ids)))) if ids else set()
    return roots, notices
