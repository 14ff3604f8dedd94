"""Walk trusted article HTML the way a browser builds its DOM, counting canonical offsets.

This is the single implementation of the canonical-text rule described in
`app.text.markdown`: every text node counts, in document order, except text
inside an element carrying the `data-nc` attribute. Offsets are Python string
indices (Unicode code points).

The walker is meant for HTML that this package produced (well formed, every
element closed, no raw CR or NUL, no `<script>`). For such HTML Python's
`html.parser` yields the same text nodes as a browser, with one browser quirk
reproduced here: a newline directly after a `<pre>` start tag is dropped by the
browser, so it is reported as non-canonical text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input",
        "link", "meta", "param", "source", "track", "wbr",
    }
)
NON_CANONICAL_ATTR = "data-nc"
# Browsers drop one newline right after these start tags (HTML spec, "in body").
_LEADING_NEWLINE_DROPPED = frozenset({"pre", "listing", "textarea"})

EventKind = Literal["start", "end", "text", "other"]


@dataclass(slots=True)
class Event:
    """One piece of the HTML, in source order, with enough context to re-emit it."""

    kind: EventKind
    # The serialised form; concatenating every `raw` gives back equivalent HTML.
    raw: str
    # Canonical offset where this event sits (for text: offset of its first character).
    offset: int
    tag: str = ""
    attrs: dict[str, str | None] = field(default_factory=dict)
    # Decoded text of a text event.
    text: str = ""
    # False for events inside (or opening) a data-nc element, and for the
    # newline a browser drops after <pre>; only canonical text counts.
    canonical: bool = False
    # Tag of the element enclosing a text event ("" at the top level).
    parent: str = ""
    # Nesting depth of the element a start/end event opens or closes (0 = top level).
    depth: int = 0
    # True for a start tag that opens no element (void element).
    void: bool = False


def escape_text(text: str) -> str:
    """Escape text for an HTML text node, keeping CR as a character reference."""
    # A raw CR would be turned into LF by the browser's input preprocessing,
    # while `&#13;` survives as CR in both the browser and html.parser.
    return html.escape(text, quote=False).replace("\r", "&#13;")


def escape_attr(value: str) -> str:
    """Escape text for a double-quoted HTML attribute value."""
    return html.escape(value, quote=True).replace("\r", "&#13;")


class _EventRecorder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[Event] = []
        # Canonical offset so far (HTMLParser already uses `offset` for source positions).
        self._position = 0
        self._stack: list[str] = []
        # Depth of the outermost open data-nc element, None outside any.
        self._nc_depth: int | None = None
        self._after_newline_dropping_tag = False

    @property
    def text_length(self) -> int:
        return self._position

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr_map = dict(attrs)
        void = tag in VOID_ELEMENTS
        depth = len(self._stack)
        canonical = self._nc_depth is None and NON_CANONICAL_ATTR not in attr_map
        self.events.append(
            Event(
                "start",
                self.get_starttag_text() or f"<{tag}>",
                self._position,
                tag=tag,
                attrs=attr_map,
                canonical=canonical,
                depth=depth,
                void=void,
            )
        )
        if not void:
            if self._nc_depth is None and not canonical:
                self._nc_depth = depth
            self._stack.append(tag)
        self._after_newline_dropping_tag = tag in _LEADING_NEWLINE_DROPPED

    # Browsers ignore the slash of `<span/>`, so treat it as a plain start tag.
    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self._after_newline_dropping_tag = False
        if tag not in self._stack:
            # A stray end tag creates no node; keep it only so output round-trips.
            self.events.append(Event("other", f"</{tag}>", self._position))
            return
        while self._stack[-1] != tag:
            self._stack.pop()
        self._stack.pop()
        depth = len(self._stack)
        canonical = self._nc_depth is None
        if self._nc_depth is not None and depth <= self._nc_depth:
            self._nc_depth = None
        self.events.append(
            Event("end", f"</{tag}>", self._position, tag=tag, canonical=canonical, depth=depth)
        )

    def handle_data(self, data: str) -> None:
        parent = self._stack[-1] if self._stack else ""
        if self._after_newline_dropping_tag and data.startswith("\n"):
            self._add_text("\n", parent, canonical=False)
            data = data[1:]
        self._after_newline_dropping_tag = False
        if data:
            self._add_text(data, parent, canonical=self._nc_depth is None)

    def _add_text(self, text: str, parent: str, canonical: bool) -> None:
        self.events.append(
            Event(
                "text",
                escape_text(text),
                self._position,
                text=text,
                canonical=canonical,
                parent=parent,
            )
        )
        if canonical:
            self._position += len(text)

    def handle_comment(self, data: str) -> None:
        self._other(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._other(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._other(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._other(f"<![{data}]>")

    def _other(self, raw: str) -> None:
        self._after_newline_dropping_tag = False
        self.events.append(Event("other", raw, self._position))


def parse_events(html_text: str) -> tuple[list[Event], int]:
    """Split HTML into events and return them with the canonical text length."""
    recorder = _EventRecorder()
    recorder.feed(html_text)
    recorder.close()
    return recorder.events, recorder.text_length


def canonical_text(html_text: str) -> str:
    """Return the canonical text of article HTML (text nodes outside data-nc elements)."""
    events, _ = parse_events(html_text)
    return "".join(e.text for e in events if e.kind == "text" and e.canonical)
