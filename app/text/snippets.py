"""Search snippets as safe HTML: the engine marks matched words, this module escapes everything else.

The engines return fragments of stored text with the matched words between two control characters
(START and END), which the indexed text never contains (app.text.search_documents removes them).
Only those two characters become `<mark>` and `</mark>`; every other character is escaped, so a
snippet never carries HTML from the index, whatever a reader wrote.
"""
from __future__ import annotations

import html

START = "\x02"
END = "\x03"
ELLIPSIS = "…"


def marked_html(fragment: str | None) -> str:
    """Return `fragment` escaped, with START…END turned into balanced <mark> elements."""
    out: list[str] = []
    open_mark = False
    for part in _split_markers(fragment or ""):
        if part == START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(part, quote=True))
    if open_mark:
        out.append("</mark>")
    return "".join(out).replace("</mark><mark>", "")


def _split_markers(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for char in text:
        if char in (START, END):
            if current:
                parts.append("".join(current))
                current = []
            parts.append(char)
        elif char >= " " or char in "\n\t":
            current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def has_mark(fragment: str | None) -> bool:
    """Tell whether the engine marked a word in `fragment`."""
    return START in (fragment or "")
