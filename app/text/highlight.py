"""Insert annotation highlights and no-JavaScript "annotate" links into article HTML.

Both functions take the trusted HTML produced by `app.text.markdown.render_article`
(possibly already carrying `data-nc` elements) and never change its canonical
text: highlights only wrap existing text in `<mark>`, and everything they add
that has text of its own carries `data-nc`.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.text.dom import Event, canonical_text, escape_attr, escape_text, parse_events
from app.text.kinds import KINDS

__all__ = ["Span", "add_block_links", "canonical_text", "highlight", "highlight_blocks"]

_KIND_RE = re.compile(r"[a-z-]+")
# For a kind the table does not know; known kinds have their own marker (colour is never the only signal).
DEFAULT_MARKER = "*"
# Elements whose content model has no room for text: a <mark> there would be
# invalid, and inside a table the browser would move it out ("foster parenting").
_NO_TEXT_PARENTS = frozenset(
    {"", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "colgroup"}
)
_ASCII_WHITESPACE = " \t\n\f\r"
# Blocks that take phrasing content, so an annotate link can go inside them.
_PHRASING_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True, slots=True)
class Span:
    """A highlighted range [start, end) of canonical text belonging to one annotation."""

    start: int
    end: int
    annotation_id: int
    kind: str

    def __post_init__(self) -> None:
        # Both end up inside HTML attributes, so only safe values get through.
        if not isinstance(self.annotation_id, int) or isinstance(self.annotation_id, bool):
            raise TypeError(f"Span annotation_id must be an int, got {self.annotation_id!r}")
        if not isinstance(self.kind, str) or not _KIND_RE.fullmatch(self.kind):
            raise ValueError(f"Span kind must match [a-z-]+, got {self.kind!r}")


def highlight(
    html: str,
    spans: Sequence[Span],
    label_for: Callable[[Span], str] | None = None,
    href_for: Callable[[Span], str] | None = None,
) -> str:
    """Wrap the text covered by spans in <mark> elements and add a link after each span.

    Each maximal run of text covered by the same spans becomes
    `<mark class="hl hl-KIND[ hl-multi]" data-ids="...">`, where KIND is that of
    the shortest covering span; marks never cross element boundaries. After the
    last highlighted character of each span comes a focusable, non-canonical
    `<a class="hl-ref" data-nc href="#a-ID" id="hl-ID">` (moved after the
    enclosing link when that character is inside one, as links cannot nest).
    Empty spans and spans outside the text are ignored, as are spans covering
    only whitespace between blocks. label_for gives each link's aria-label,
    href_for its target when the thread is not `#a-ID` on the same page.
    """
    events, length = parse_events(html)
    valid = [s for s in spans if 0 <= s.start < s.end <= length]
    if not valid:
        return html
    return _Highlighter(events, valid, label_for or _default_label, href_for or _default_href).render()


def highlight_blocks(
    html: str,
    spans: Sequence[Span],
    label_for: Callable[[Span], str],
    href_for: Callable[[Span], str],
    reuse: Callable[[int, tuple, Callable[[], str]], str],
) -> str:
    """Highlight like `highlight`, one top-level block at a time, so that a block can be reused.

    For each block, `reuse(index, signature, render)` returns the block's highlighted HTML: the
    caller may keep it under (index, signature), which holds everything the block's rendering
    depends on (the block's own HTML, each span touching it with its label and its link, and which
    spans end there), and calls `render()` when it has nothing kept. Each annotation must
    have one span at most (then its link, and the link's id, are in one block only).
    """
    events, length = parse_events(html)
    valid = sorted((s for s in spans if 0 <= s.start < s.end <= length), key=lambda s: (s.start, s.end))
    refs_at = _ref_positions(events, valid)
    blocks = _top_level_blocks(events)
    # Block n holds the text [begins[n], ends[n]); the blocks follow one another without gaps.
    begins = [events[low].offset for low, _ in blocks]
    ends = begins[1:] + [length]
    touching: list[list[Span]] = [[] for _ in blocks]
    for span in valid:  # in order, so each block's spans are too
        for index in range(bisect_right(ends, span.start), bisect_left(begins, span.end)):
            touching[index].append(span)
    ending_in: list[dict[int, list[Span]]] = [{} for _ in blocks]
    for offset, found in refs_at.items():
        # A link goes after a highlighted character: in the block whose text holds offset - 1.
        ending_in[bisect_left(ends, offset)][offset] = found
    out: list[str] = []
    for index, (low, high) in enumerate(blocks):
        block, inside, refs = events[low:high], touching[index], ending_in[index]
        signature = ("".join(event.raw for event in block),
                     tuple((s.start, s.end, s.annotation_id, s.kind, label_for(s), href_for(s)) for s in inside),
                     tuple(sorted((offset, tuple(s.annotation_id for s in found)) for offset, found in refs.items())))
        out.append(reuse(index, signature, lambda block=block, inside=inside, refs=refs: _Highlighter(
            block, inside, label_for, href_for, refs).render()))
    return "".join(out)


def _top_level_blocks(events: list[Event]) -> list[tuple[int, int]]:
    """Cut the events into runs [low, high), each a whole top-level element with the text before it."""
    blocks, low = [], 0
    for number, event in enumerate(events):
        closes = event.depth == 0 and (event.kind == "end" or (event.kind == "start" and event.void))
        if closes:
            blocks.append((low, number + 1))
            low = number + 1
    if low < len(events):
        blocks.append((low, len(events)))
    return blocks


def add_block_links(
    html: str,
    href_for: Callable[[int], str],
    label: str,
    aria_label_for: Callable[[int], str] | None = None,
) -> str:
    """Add a non-canonical annotate link to each top-level block (`data-block`).

    The link goes at the end of paragraphs and headings, and right after
    other blocks (lists, tables, code, rules), where a link inside would be
    invalid HTML. href_for and aria_label_for receive the block index.
    """
    events, _ = parse_events(html)
    out: list[str] = []
    open_block: tuple[int, int, str] | None = None  # (index, depth, tag)

    def link(index: int) -> str:
        aria = f' aria-label="{escape_attr(aria_label_for(index))}"' if aria_label_for else ""
        return (
            f'<a data-nc class="block-annotate" href="{escape_attr(href_for(index))}"{aria}>'
            f"{escape_text(label)}</a>"
        )

    for event in events:
        if (
            event.kind == "start"
            and event.canonical
            and open_block is None
            and "data-block" in event.attrs
        ):
            index = int(event.attrs["data-block"] or 0)
            if event.void:
                out.append(event.raw + link(index))
                continue
            open_block = (index, event.depth, event.tag)
        elif event.kind == "end" and open_block is not None and event.depth == open_block[1]:
            index, _, tag = open_block
            open_block = None
            if tag in _PHRASING_BLOCKS:
                out.append(link(index) + event.raw)
            else:
                out.append(event.raw + link(index))
            continue
        out.append(event.raw)
    return "".join(out)


class _Highlighter:
    """One pass over the HTML events, splitting text at span boundaries."""

    def __init__(
        self, events: list[Event], spans: list[Span], label_for: Callable[[Span], str],
        href_for: Callable[[Span], str], refs_at: dict[int, list[Span]] | None = None,
    ) -> None:
        self.events = events
        self.cuts, self.mark_tags = _mark_segments(spans)
        self.refs_at = _ref_positions(events, spans) if refs_at is None else refs_at
        self.label_for = label_for
        self.href_for = href_for
        self.emitted_ids: set[int] = set()
        self.out: list[str] = []
        # Links found inside an <a> wait until it closes, as links cannot nest.
        self.deferred_refs: list[str] = []
        self.link_depth = 0
        self.segment = 0  # index of the last cut at or before the current position

    def render(self) -> str:
        for event in self.events:
            if event.kind == "text" and event.canonical:
                self._text(event)
                continue
            self.out.append(event.raw)
            if event.tag == "a" and event.kind == "start":
                self.link_depth += 1
            elif event.tag == "a" and event.kind == "end":
                self.link_depth -= 1
                if self.link_depth == 0:
                    self.out += self.deferred_refs
                    self.deferred_refs.clear()
        return "".join(self.out + self.deferred_refs)

    def _text(self, event: Event) -> None:
        cuts = self.cuts
        wrappable = _is_wrappable(event)
        position, node_end = event.offset, event.offset + len(event.text)
        while position < node_end:
            while self.segment + 1 < len(cuts) and cuts[self.segment + 1] <= position:
                self.segment += 1
            if not cuts or position < cuts[0]:
                tag, next_cut = None, cuts[0] if cuts else node_end
            else:
                tag = self.mark_tags[self.segment] if self.segment < len(self.mark_tags) else None
                next_cut = cuts[self.segment + 1] if self.segment + 1 < len(cuts) else node_end
            piece_end = min(node_end, next_cut)
            piece = escape_text(event.text[position - event.offset : piece_end - event.offset])
            self.out.append(f"{tag}{piece}</mark>" if wrappable and tag else piece)
            if wrappable and piece_end in self.refs_at:
                target = self.deferred_refs if self.link_depth > 0 else self.out
                target.append(self._refs(piece_end))
            position = piece_end

    def _refs(self, offset: int) -> str:
        parts = []
        for span in self.refs_at.pop(offset):
            # Two spans of one annotation get one id, so the #hl-ID target stays unique.
            with_id = span.annotation_id not in self.emitted_ids
            self.emitted_ids.add(span.annotation_id)
            parts.append(_ref_link(span, self.label_for(span), self.href_for(span), with_id))
        return "".join(parts)


def _mark_segments(spans: list[Span]) -> tuple[list[int], list[str | None]]:
    """Return the sorted span boundaries and the <mark> start tag between each pair."""
    starting: dict[int, list[int]] = {}
    ending: dict[int, list[int]] = {}
    for number, span in enumerate(spans):
        starting.setdefault(span.start, []).append(number)
        ending.setdefault(span.end, []).append(number)
    cuts = sorted(starting.keys() | ending.keys())
    active_ids: list[int] = []  # sorted, one entry per active span
    alive = [False] * len(spans)
    # Shortest span first; ended spans are dropped lazily when they reach the top.
    innermost: list[tuple[int, int, int]] = []
    tags: list[str | None] = []
    for cut in cuts[:-1]:
        for number in ending.get(cut, ()):
            alive[number] = False
            del active_ids[bisect_left(active_ids, spans[number].annotation_id)]
        for number in starting.get(cut, ()):
            span = spans[number]
            alive[number] = True
            insort(active_ids, span.annotation_id)
            heapq.heappush(innermost, (span.end - span.start, span.annotation_id, number))
        while innermost and not alive[innermost[0][2]]:
            heapq.heappop(innermost)
        if not active_ids:
            tags.append(None)
            continue
        ids = list(dict.fromkeys(active_ids))
        kind = spans[innermost[0][2]].kind
        multi = " hl-multi" if len(ids) > 1 else ""
        tags.append(
            f'<mark class="hl hl-{kind}{multi}" data-ids="{" ".join(map(str, ids))}">'
        )
    return cuts, tags


def _ref_positions(events: list[Event], spans: list[Span]) -> dict[int, list[Span]]:
    """Map each offset to the spans whose link goes right after it."""
    # A span's link follows its last character that actually gets highlighted.
    starts: list[int] = []
    ends: list[int] = []
    for event in events:
        if event.kind == "text" and event.canonical and _is_wrappable(event):
            starts.append(event.offset)
            ends.append(event.offset + len(event.text))
    refs_at: dict[int, list[Span]] = {}
    for span in spans:
        node = bisect_left(starts, span.end) - 1
        if node < 0:
            continue
        end = min(ends[node], span.end)
        if end > span.start:
            refs_at.setdefault(end, []).append(span)
    for refs in refs_at.values():
        refs.sort(key=lambda s: s.annotation_id)
    return refs_at


def _is_wrappable(event: Event) -> bool:
    if event.text.strip(_ASCII_WHITESPACE):
        return True
    # Whitespace-only text with a line break is the layout markdown-it puts between blocks.
    return "\n" not in event.text and event.parent not in _NO_TEXT_PARENTS


def _ref_link(span: Span, label: str, href: str, with_id: bool) -> str:
    id_attr = f' id="hl-{span.annotation_id}"' if with_id else ""
    style = KINDS.get(span.kind)  # a kind's value finds its row: AnnotationKind is a StrEnum
    marker = style.marker if style is not None else DEFAULT_MARKER
    return (
        f'<a class="hl-ref hl-ref-{span.kind}" data-nc href="{escape_attr(href)}"{id_attr}'
        f' aria-label="{escape_attr(label)}">{escape_text(marker)}</a>'
    )


def _default_href(span: Span) -> str:
    return f"#a-{span.annotation_id}"


def _default_label(span: Span) -> str:
    return f"Annotation {span.annotation_id} ({span.kind})"
