"""The discussion of an article as a reader sees it: threads in reading order, highlights, counts.

Every page load runs a fixed number of queries whatever the number of annotations: one for the
annotations the viewer may read (with authors and linked studies joined), one for the positions
of parents the viewer may not read (shown as stubs so replies survive). The highlighted article
body is rendered once per article version and display revision, and reused until a reader-visible
change bumps the revision; only viewers with annotations of their own that others cannot see
(private, pending, hidden) get a body rendered for them. The page shows one layer at a time
(app.services.visibility.Layer): only the public layer is cached; a journal club's layer and
"mine" are always rendered for the reader asking, so no cache ever holds group content.
"""
from __future__ import annotations

import re
import sys
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, User, Visibility
from app.services.anchoring import ATTACHED
from app.services.evidence_map import mark_body
from app.services.search.requests import BadSearch
from app.services.search.searching import annotation_ids_matching
from app.services.visibility import GROUP, PUBLIC_LAYER, Layer, is_public, layer_clause
from app.text.compression import Block, cut_blocks
from app.text.highlight import Span, add_block_links, highlight

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
    """A top-level annotation (or a stub) and its replies in order; a question's accepted answer comes first."""

    root: Annotation | Stub
    replies: list[Reply] = field(default_factory=list)
    answer_id: int | None = None

    @property
    def is_question(self) -> bool:
        return isinstance(self.root, Annotation) and self.root.kind == AnnotationKind.QUESTION

    @property
    def start(self) -> int:
        start = self.root.start
        return start if start is not None else 10 ** 9


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


def weight(value) -> int:
    """Estimate the bytes a cached value holds: its `nbytes` if it says, else its size as an object."""
    return getattr(value, "nbytes", None) or sys.getsizeof(value)


class PageCache:
    """An LRU of rendered pages and fragments, bounded by their total size in bytes.

    Each entry may name its family (e.g. the article's anonymous page): putting a new entry in a
    family drops the family's previous one at once, so a superseded revision never waits for
    eviction. An entry larger than the whole budget is not kept.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.items: OrderedDict[tuple, object] = OrderedDict()
        self.weights: dict[tuple, int] = {}
        self.families: dict[tuple, tuple] = {}
        self.family_of: dict[tuple, tuple] = {}
        self.total = 0
        self.lock = Lock()

    def get(self, key: tuple):
        """Return the entry under `key` (and mark it recently used), or None."""
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple, value, family: tuple | None = None) -> None:
        """Keep `value` under `key`; drop the family's previous entry, and the oldest entries past the budget."""
        size = weight(value)
        with self.lock:
            if family is not None:
                previous = self.families.get(family)
                if previous is not None and previous != key:
                    self._drop(previous)
            self._drop(key)
            if size > self.max_bytes:
                return
            self.items[key] = value
            self.weights[key] = size
            self.total += size
            if family is not None:
                self.families[family] = key
                self.family_of[key] = family
            while self.total > self.max_bytes and self.items:
                self._drop(next(iter(self.items)))

    def clear(self) -> None:
        """Forget every entry."""
        with self.lock:
            self.items.clear()
            self.weights.clear()
            self.families.clear()
            self.family_of.clear()
            self.total = 0

    def _drop(self, key: tuple) -> None:
        if key in self.items:
            del self.items[key]
            self.total -= self.weights.pop(key)
            family = self.family_of.pop(key, None)
            if family is not None and self.families.get(family) == key:
                del self.families[family]


# Rendered bodies, whole anonymous pages and signed-in readers' shared content, per article state.
page_cache = PageCache()


@dataclass(frozen=True)
class OwnAnnotations:
    """The viewer's annotations on an article: their ids, and whether any is unseen by others."""

    ids: tuple[int, ...]
    personal: bool


def own_annotations(article_id: int, user_id: int) -> OwnAnnotations:
    """Return the user's annotations on the article (one query)."""
    rows = db.session.execute(select(Annotation.id, Annotation.visibility, Annotation.status)
                              .where(Annotation.article_id == article_id, Annotation.author_id == user_id)).all()
    # Group annotations are not on the public layer, so they never make the shared content personal.
    personal = any(r.visibility == Visibility.PRIVATE or (r.visibility == Visibility.PUBLIC and r.status not in (
        AnnotationStatus.PUBLISHED, AnnotationStatus.REMOVED)) for r in rows)
    return OwnAnnotations(ids=tuple(r.id for r in rows), personal=personal)


# Per-reader switches in shared member content: each element carrying one of these attributes,
# last in its start tag, is shown or hidden for a reader by `personalise`. `data-check` marks the
# re-attach links admins see on every annotation whose passage needs checking.
_SWITCH = re.compile(r'(data-own|data-flag|data-vote|data-unvote|data-new|data-follow|data-unfollow|data-asker'
                     r'|data-check)="(\d+)"( hidden)?>')


@dataclass(frozen=True)
class SharedContent:
    """Member content as seen by a reader with nothing of their own, and where each per-reader switch is."""

    html: str
    # (attribute, id) -> [(start, end, replacement)]: the spans of `html` to flip for readers it concerns.
    edits: dict[tuple[str, str], list[tuple[int, int, str]]]
    # attribute -> the ids carrying it (for switches a role flips on every annotation).
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # `html` cut into separately compressed blocks, never inside a switch (app.main.compression).
    blocks: tuple[Block, ...] = ()

    @property
    def nbytes(self) -> int:
        """Estimate the memory the entry holds (the text, its blocks, the switch index)."""
        # A str takes 1, 2 or 4 bytes a character; each switch holds a key, a list and a tuple of three.
        return sys.getsizeof(self.html) + sum(len(b.raw) + len(b.run) + 100 for b in self.blocks) + 400 * len(
            self.edits)


def share(content_html: str) -> SharedContent:
    """Index rendered member content once, when it is cached, and compress it in blocks."""
    html = str(content_html)
    edits: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    ids: dict[str, list[str]] = {}
    for match in _SWITCH.finditer(html):
        attribute, annotation_id, hidden = match.groups()
        replacement = f'{attribute}="{annotation_id}"' + ("" if hidden else " hidden") + ">"
        if (attribute, annotation_id) not in edits:
            ids.setdefault(attribute, []).append(annotation_id)
        edits.setdefault((attribute, annotation_id), []).append((match.start(), match.end(), replacement))
    spans = sorted((start, end) for spans in edits.values() for start, end, _ in spans)
    return SharedContent(html, edits, {a: tuple(v) for a, v in ids.items()}, cut_blocks(html, spans))


@dataclass(frozen=True)
class ReaderMarks:
    """What is particular to one reader on an article page: their votes, followed threads, what is new."""

    voted: frozenset[int] = frozenset()
    followed_threads: frozenset[int] = frozenset()
    new: tuple[int, ...] = ()


NO_MARKS = ReaderMarks()


@dataclass(frozen=True)
class Role:
    """What a reader's role switches on in shared content: moderators accept answers, admins re-attach."""

    accepts_answers: bool = False
    reattaches: bool = False


READER = Role()


def reader_edits(content: SharedContent, own_ids: tuple[int, ...], marks: ReaderMarks = NO_MARKS,
                 role: Role = READER) -> list[tuple[int, int, str]]:
    """Return the edits (start, end, replacement), in order, that turn shared content into one reader's.

    For the reader's own annotations: edit/delete and "accept as answer" (on their questions) shown,
    flag and helpful hidden; for those they found helpful, "withdraw" shown; for the threads they
    follow, "unfollow" shown; for annotations new since their last visit, the "new" marker shown.
    Moderators may accept an answer in every thread; admins see "re-attach" on every annotation
    whose passage needs checking (their own already show it among their own actions).
    """
    own = {str(i) for i in own_ids}
    voted = {str(i) for i in marks.voted}
    followed = {str(i) for i in marks.followed_threads}
    flips = {"data-own": own, "data-flag": own, "data-asker": own, "data-vote": own | voted,
             "data-unvote": voted, "data-new": {str(i) for i in marks.new}, "data-follow": followed,
             "data-unfollow": followed}
    if role.accepts_answers:
        flips["data-asker"] = set(content.ids.get("data-asker", ()))
    if role.reattaches:
        flips["data-check"] = set(content.ids.get("data-check", ())) - own
    return sorted(edit for attribute, chosen in flips.items() for i in chosen
                  for edit in content.edits.get((attribute, i), ()))


def apply_edits(html: str, edits: list[tuple[int, int, str]]) -> str:
    """Return `html` with the sorted, non-overlapping `edits` applied (one copy of the text)."""
    if not edits:
        return html
    out, position = [], 0
    for start, end, replacement in edits:
        out.append(html[position:start])
        out.append(replacement)
        position = end
    out.append(html[position:])
    return "".join(out)


def personalise(content: SharedContent, own_ids: tuple[int, ...], marks: ReaderMarks = NO_MARKS,
                role: Role = READER) -> Markup:
    """Flip the per-reader switches of shared member content for one reader (see `reader_edits`).

    Costs time in the number of switches concerning the reader, plus one copy of the page.
    """
    return Markup(apply_edits(content.html, reader_edits(content, own_ids, marks, role)))


def _distinct_tags(roots: list[Annotation]) -> list[str]:
    """Return the tags used, each once whatever its case (the first spelling met), sorted ignoring case."""
    seen: dict[str, str] = {}
    for annotation in roots:
        for tag in annotation.tags or []:
            seen.setdefault(tag.lower(), tag)
    return sorted(seen.values(), key=str.lower)


def _label(annotation_by_id: dict[int, Annotation]):
    def label_for(span: Span) -> str:
        ann = annotation_by_id.get(span.annotation_id)
        if ann is None:
            return "Annotation: open discussion"
        # The marker the link shows starts its name, so that what is seen is what speech input can say.
        return f"{ann.kind.marker} {ann.kind.label} by {ann.author.display_name}: open discussion"
    return label_for


def _highlighted_body(article: Article, roots: list[Annotation], personal: bool, filters: Filters,
                      annotate_url: str) -> str:
    """Return the article body with `roots` highlighted; cached only when `personal` is False (public layer)."""
    by_id = {a.id: a for a in roots}
    spans = [Span(a.start, a.end, a.id, a.kind.value) for a in roots
             if a.start is not None and a.end is not None and a.anchor_state in ATTACHED]
    if personal or filters.active:
        return _render_body(article, spans, by_id, annotate_url)
    # created_at tells apart an article re-created under a reused id.
    key = ("body", article.id, article.created_at.isoformat(), article.version, article.display_rev)
    cached = page_cache.get(key)
    if cached is None:
        cached = _render_body(article, spans, by_id, annotate_url)
        page_cache.put(key, cached, family=("body", article.id))
    return cached


def _render_body(article: Article, spans: list[Span], by_id: dict[int, Annotation], annotate_url: str) -> str:
    with_links = add_block_links(mark_body(article, article.body_html), lambda n: f"{annotate_url}?block={n}",
                                 "annotate",
                                 lambda n: f"Annotate paragraph {n + 1}")
    return highlight(with_links, spans, _label(by_id))


def readable_annotations(article: Article, viewer: User | None, layer: Layer = PUBLIC_LAYER) -> list[Annotation]:
    """Return every annotation of `article` that `viewer` may read in `layer`, oldest first (one query)."""
    return list(db.session.scalars(
        select(Annotation)
        .where(Annotation.article_id == article.id, layer_clause(viewer, layer))
        .options(joinedload(Annotation.author), joinedload(Annotation.study))
        .order_by(Annotation.created_at, Annotation.id)
    ).unique())


def _stubs(article: Article, missing: set[int]) -> dict[int, Stub]:
    if not missing:
        return {}
    rows = db.session.execute(select(Annotation.id, Annotation.start, Annotation.parent_id)
                              .where(Annotation.id.in_(missing))).all()
    return {row.id: Stub(id=row.id, start=row.start) for row in rows}


def _matches(annotation: Annotation, filters: Filters, viewer: User | None, answered: set[int],
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


def _stub_thread(stub: Stub, children: dict[int, list[Annotation]], collect) -> Thread:
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


def _answered(roots: list[Annotation], by_id: dict[int, Annotation]) -> set[int]:
    """Return the questions answered for this viewer: those whose accepted reply they may read."""
    return {a.id for a in roots if a.accepted_answer_id in by_id and not by_id[a.accepted_answer_id].is_deleted
            and by_id[a.accepted_answer_id].root_id == a.id}


def _answer_first(thread: Thread, answer_id: int, children: dict[int, list[Annotation]],
                  by_id: dict[int, Annotation]) -> None:
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


def discussion(article: Article, viewer: User | None, filters: Filters | None = None, *,
               annotate_url: str, layer: Layer = PUBLIC_LAYER) -> Discussion:
    """Build the threads, counts, filter choices and highlighted body of `article` for `viewer` in `layer`.

    `annotate_url` is the article's no-JavaScript annotate page, linked after each paragraph. In a
    group's layer the group's session prompts come first.
    """
    filters = filters or Filters()
    rows = readable_annotations(article, viewer, layer)
    prompts = _prompts(article, layer)
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

    live_roots = [a for a in roots if not a.is_deleted]
    counts = Counter(a.kind.value for a in live_roots if a.anchor_state in ATTACHED)
    tags = _distinct_tags(live_roots)
    authors = sorted({(a.author_id, a.author.display_name) for a in rows}, key=lambda x: x[1])
    personal = not layer.shared or any(not is_public(a) for a in roots)
    shown_roots = [t.root for t in threads if isinstance(t.root, Annotation) and not t.root.is_deleted]
    body = _highlighted_body(article, shown_roots if filters.active else live_roots, personal, filters,
                             annotate_url)
    kind_counts = {k.value: counts.get(k.value, 0) for k in AnnotationKind}
    return Discussion(threads=threads, changed=changed, orphans=orphans, counts=kind_counts,
                      tags=tags, authors=authors, body_html=body, total=len(live_roots), filter_notices=notices,
                      layer=layer, prompts=prompts)


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
