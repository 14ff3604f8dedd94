"""The cache of rendered pages and fragments, and the per-reader switches of shared content.

Anonymous pages, signed-in readers' shared content, thread fragments and highlighted blocks live in
one cache per worker, bounded in bytes (`page_cache`). Content shared by every signed-in reader
carries, on each element that differs from one reader to another, a switch (`data-own="12"`,
`data-vote="12" hidden`...): `share` indexes them once, when the content is cached, and
`reader_edits` lists the few a reader's own annotations, votes, follows and role flip.
"""
from __future__ import annotations

import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Visibility
from app.text.compression import Block, cut_blocks


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

    def latest(self, family: tuple):
        """Return the family's current entry, whatever its key, or None."""
        with self.lock:
            key = self.families.get(family)
            return None if key is None else self.items.get(key)

    def discard(self, key: tuple) -> None:
        """Forget the entry under `key`, if there is one."""
        with self.lock:
            self._drop(key)

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
