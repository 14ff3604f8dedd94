"""Render article Markdown to HTML, and define an article's canonical text.

Articles are CommonMark (raw HTML off) plus tables, strikethrough and
Pandoc-style citations `[@key]` / `[@a; @b]`, numbered in order of first
appearance (Vancouver style). Annotations point into an article by offsets in
its canonical text, so that text must be computed identically here and in the
browser.

Canonical text
--------------
The canonical text of an article is the concatenation, in document order, of
every text node inside the article body element as served, except text inside
any element carrying the attribute `data-nc` (non-canonical: UI elements
injected into the body, such as highlight markers and "annotate" links).
Nothing else counts: no attribute values, no CSS-generated content, no
`alt` text. The "\\n" text nodes that separate blocks (e.g. between `</p>` and
`<p>`, or between `<li>` elements) count as one character each; soft line
breaks are rendered as a single space; citation numbers and the "," between
them are ordinary text (e.g. "formation?1"). Offsets are counted in Unicode
code points (Python `str` indices); browser code must convert from UTF-16 code
units, so an astral character such as "𝛼" is one position, not two. The
server computes `RenderedArticle.text` by parsing the produced HTML with the
same rule (`app.text.dom.canonical_text`), so the definition is literally
"text nodes of the HTML". For this to hold in the browser the body element
must contain exactly `RenderedArticle.html` (plus `data-nc` elements): no
whitespace added by the template between the element's tags and the HTML.

Other rendering decisions
-------------------------
* Each top-level block gets `id="b-N" data-block="N"` (N from 0); for fenced
  code the attributes go on `<pre>`.
* Links are kept only for http, https, mailto and scheme-less (relative or
  fragment) URLs; other links render as their literal Markdown text.
* Images never load (the site CSP forbids other hosts): `![alt](src)` becomes
  a link `<a class="image-link" href="src">alt</a>` (text "image" when alt is
  empty); inside a link text, where a nested link is not allowed, only the alt
  text remains.
* Table alignment becomes `class="align-left|center|right"` instead of an
  inline `style`, which the CSP would block.
* Citations drop the whitespace before them (`formation? [@a]` renders as
  `formation?<sup>1</sup>`), and adjacent citations merge into one marker.
  Only key-only citations are recognised; `[see @a, p. 3]` and citations inside
  link text stay literal text, so nothing the author wrote is silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from app.text.dom import escape_attr, escape_text, parse_events

CITATION_KEY = r"[A-Za-z0-9_][\w:.#$%&\-+?<>~/]*"
_CITATION_RE = re.compile(
    rf"\[\s*@(?:{CITATION_KEY})\s*(?:;\s*@(?:{CITATION_KEY})\s*)*\]"
)
_KEY_RE = re.compile(rf"@({CITATION_KEY})")
# As in Pandoc, a blank line right after the opening `---` means a thematic break instead.
_FRONT_MATTER_RE = re.compile(
    r"---[ \t]*\n(?![ \t]*\n)(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL
)
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_ALIGN_STYLE_RE = re.compile(r"text-align:(left|center|right)")
# Whitespace dropped before a citation, so the marker sits against the word.
_SPACE_BEFORE_CITATION = " \t"


@dataclass(frozen=True)
class Block:
    """A top-level block of an article and its range in the canonical text."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class RenderedArticle:
    """An article rendered to HTML with its canonical text and citation order."""

    html: str
    text: str
    # Keys in order of first appearance: citation_keys[0] is reference 1.
    citation_keys: list[str]
    # Cited keys missing from known_keys, in order of first appearance.
    unknown_keys: list[str]
    blocks: list[Block]


def normalise_source(text: str) -> str:
    """Normalise line endings, NUL characters, a leading BOM and trailing whitespace."""
    # The browser's HTML parser turns CR into LF and drops NUL; doing it here
    # first keeps server and browser offsets identical.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    return text.removeprefix("\ufeff").rstrip()


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from a Markdown document; raise ValueError if it is invalid.

    Returns ({}, text) when the document does not start with a `---` line
    (not followed by a blank line) closed by a `---` or `...` line. The
    returned body is normalised.
    """
    text = normalise_source(text)
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        raise ValueError(f"Front matter is not valid YAML: {exc}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError(
            f"Front matter must be a YAML mapping (key: value lines), got {type(meta).__name__}"
        )
    return meta, text[match.end():]


def render_article(source: str, known_keys: Collection[str] | None = None) -> RenderedArticle:
    """Render an article body (front matter already removed) to HTML and canonical text.

    When known_keys is given, citations of other keys are marked as unknown
    and are not numbered.
    """
    env: dict[str, Any] = {"known_keys": None if known_keys is None else frozenset(known_keys)}
    md = _article_parser()
    html_out = md.render(normalise_source(source), env)
    text, blocks = _read_canonical(html_out)
    return RenderedArticle(
        html=html_out,
        text=text,
        citation_keys=list(env.get("citation_numbers", {})),
        unknown_keys=list(env.get("unknown_keys", {})),
        blocks=blocks,
    )


def _read_canonical(html_text: str) -> tuple[str, list[Block]]:
    events, _ = parse_events(html_text)
    parts: list[str] = []
    blocks: list[Block] = []
    open_block: tuple[int, int, int] | None = None  # (index, start, depth)
    for event in events:
        if event.kind == "text" and event.canonical:
            parts.append(event.text)
        elif (
            event.kind == "start"
            and event.canonical
            and open_block is None
            and "data-block" in event.attrs
        ):
            index = int(event.attrs["data-block"] or 0)
            if event.void:
                blocks.append(Block(index, event.offset, event.offset, ""))
            else:
                open_block = (index, event.offset, event.depth)
        elif event.kind == "end" and open_block is not None and event.depth == open_block[2]:
            index, start, _ = open_block
            blocks.append(Block(index, start, event.offset, ""))
            open_block = None
    text = "".join(parts)
    return text, [Block(b.index, b.start, b.end, text[b.start:b.end]) for b in blocks]


# --- markdown-it configuration ---------------------------------------------


def _validate_link(url: str) -> bool:
    match = _SCHEME_RE.match(url)
    return match is None or match.group(1).lower() in _ALLOWED_SCHEMES


_article_md: MarkdownIt | None = None


def _article_parser() -> MarkdownIt:
    global _article_md
    if _article_md is None:
        md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False})
        md.enable(["table", "strikethrough"])
        md.validateLink = _validate_link  # type: ignore[method-assign]
        md.inline.ruler.before("link", "citation", _citation_rule)
        md.core.ruler.push("citations", _number_citations)
        md.core.ruler.push("images_as_links", _images_as_links)
        md.core.ruler.push("table_align_classes", _table_align_classes)
        md.core.ruler.push("block_ids", _block_ids)
        md.add_render_rule("citation", _render_citation)
        md.add_render_rule("softbreak", _render_softbreak)
        md.add_render_rule("text", _render_text)
        md.add_render_rule("fence", _render_fence)
        _article_md = md
    return _article_md


def _citation_rule(state: StateInline, silent: bool) -> bool:
    # Silent mode only serves link-label scanning, and a citation inside link
    # text stays literal (a nested <a> would be split apart by the browser).
    if silent or state.linkLevel > 0 or state.src[state.pos] != "[":
        return False
    match = _CITATION_RE.match(state.src, state.pos, state.posMax)
    # `[@a](url)` is a link whose text happens to start with "@".
    if match is None or state.src[match.end() : state.posMax].startswith("("):
        return False
    token = state.push("citation", "", 0)
    token.meta = {"keys": _KEY_RE.findall(match.group(0))}
    state.pos = match.end()
    return True


def _number_citations(state: StateCore) -> None:
    known: frozenset[str] | None = state.env.get("known_keys")
    # Dicts keep first-appearance order and give O(1) look-ups.
    numbers: dict[str, int] = state.env.setdefault("citation_numbers", {})
    unknown: dict[str, None] = state.env.setdefault("unknown_keys", {})
    uses: dict[str, int] = {}
    for block_token in state.tokens:
        if block_token.type != "inline" or not block_token.children:
            continue
        children = _attach_citations(block_token.children)
        block_token.children = children
        for token in children:
            if token.type != "citation":
                continue
            items: list[tuple[str, int | None, int]] = []
            for key in token.meta["keys"]:
                if known is not None and key not in known:
                    unknown.setdefault(key, None)
                    items.append((key, None, 0))
                    continue
                number = numbers.setdefault(key, len(numbers) + 1)
                uses[key] = uses.get(key, 0) + 1
                items.append((key, number, uses[key]))
            token.meta["items"] = items


def _attach_citations(children: list[Token]) -> list[Token]:
    """Drop whitespace before each citation and merge citations that end up adjacent."""
    result: list[Token] = []
    for token in children:
        if token.type == "citation":
            while result and result[-1].type in ("text", "softbreak"):
                previous = result[-1]
                if previous.type == "text":
                    previous.content = previous.content.rstrip(_SPACE_BEFORE_CITATION)
                    if previous.content:
                        break
                result.pop()
            if result and result[-1].type == "citation":
                result[-1].meta["keys"].extend(token.meta["keys"])
                continue
        result.append(token)
    return result


def _images_as_links(state: StateCore) -> None:
    for block_token in state.tokens:
        if block_token.type != "inline" or not block_token.children:
            continue
        result: list[Token] = []
        link_depth = 0
        for token in block_token.children:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            if token.type != "image":
                result.append(token)
                continue
            alt = state.md.renderer.renderInlineAsText(
                token.children, state.md.options, state.env
            ).replace("\n", " ")
            if link_depth > 0:
                if alt:
                    result.append(_text_token(alt, token.level))
                continue
            link = Token("link_open", "a", 1, level=token.level)
            link.attrSet("href", token.attrGet("src") or "")
            link.attrSet("class", "image-link")
            if token.attrGet("title"):
                link.attrSet("title", token.attrGet("title") or "")
            result += [
                link,
                _text_token(alt or "image", token.level + 1),
                Token("link_close", "a", -1, level=token.level),
            ]
        block_token.children = result


def _text_token(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


def _table_align_classes(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            match = _ALIGN_STYLE_RE.fullmatch(str(token.attrGet("style") or ""))
            if match:
                del token.attrs["style"]
                token.attrJoin("class", f"align-{match.group(1)}")


def _block_ids(state: StateCore) -> None:
    index = 0
    for token in state.tokens:
        if token.level == 0 and token.nesting in (0, 1) and token.block:
            token.attrSet("id", f"b-{index}")
            token.attrSet("data-block", str(index))
            index += 1


def _render_citation(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    items: list[tuple[str, int | None, int]] = tokens[idx].meta["items"]
    if len(items) == 1 and items[0][1] is None:
        key = escape_attr(items[0][0])
        return f'<sup class="cite cite-unknown" data-cite="{key}">?</sup>'
    parts = []
    for key, number, use in items:
        if number is None:
            parts.append(f'<span class="cite-unknown" data-cite="{escape_attr(key)}">?</span>')
        else:
            parts.append(
                f'<a href="#ref-{number}" id="cite-{number}-{use}" data-cite="{escape_attr(key)}"'
                f' aria-label="Reference {number}">{number}</a>'
            )
    unknown = " cite-unknown" if any(number is None for _, number, _ in items) else ""
    return f'<sup class="cite{unknown}">' + ",".join(parts) + "</sup>"


def _render_softbreak(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return " "


def _render_text(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Entities such as `&#13;` decode to a raw CR, which the browser would turn into LF.
    return escape_text(tokens[idx].content)


def _render_fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # The default renderer puts a fence's attributes on <code>; block ids belong on <pre>.
    token = tokens[idx]
    block_attrs = {
        name: token.attrs.pop(name) for name in ("id", "data-block") if name in token.attrs
    }
    rendered = RendererHTML.fence(self, tokens, idx, options, env)
    token.attrs.update(block_attrs)
    attrs = "".join(f' {name}="{escape_attr(str(value))}"' for name, value in block_attrs.items())
    return "<pre" + attrs + rendered.removeprefix("<pre")
