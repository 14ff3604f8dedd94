"""Sanitise user-written content before it is stored.

This is the only module that imports bleach: upstream no longer maintains it,
so keeping every use behind these functions lets us replace it in one place.
Content is sanitised once, at write time; templates may mark the resulting
``*_html`` fields safe and must escape everything else.

- ``clean_html`` reduces untrusted HTML to a small allow-list of tags and
  attributes, with links limited to http, https and mailto.
- ``render_markdown`` renders user Markdown (raw HTML shown as text, images
  shown as their alt text) and passes the result through ``clean_html``.
- ``clean_text`` normalises plain-text fields, which Jinja escapes on output.
- ``is_safe_url`` accepts only absolute http(s) URLs for plain URL fields.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from bleach.html5lib_shim import (
    BleachHTMLParser,
    BleachHTMLSerializer,
    Filter,
    HTMLSerializer,
    getTreeWalker,
)
from bleach.sanitizer import BleachSanitizerFilter
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

# No tables: foster parenting builds trees (a heading inside a heading, a
# list item inside a list item) that change when serialised and parsed
# again, so clean_html would not be idempotent; CommonMark has no tables.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "sup", "sub",
        "code", "pre", "blockquote", "ul", "ol", "li", "a",
        "h3", "h4", "h5", "h6",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # rel is never taken from users: every link gets LINK_REL instead.
        "a": frozenset({"href", "title"}),
        "ol": frozenset({"start"}),
    }
)

ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})

LINK_REL = "nofollow ugc noopener"

# Elements whose content is code, metadata or fallback that a reader never
# sees as text: they go together with their content, while other disallowed
# tags go and leave their text behind. svg and math are here because their
# text means nothing without the markup and they are the usual vehicles for
# namespace-confusion payloads.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "title", "textarea", "noscript",
        "noembed", "noframes", "iframe", "object", "applet", "svg", "math",
    }
)  # fmt: skip

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

_URL_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")

# Zero-width and bidi-control characters can hide or reorder text (spoofed
# names, "Trojan Source" tricks). U+061C (Arabic letter mark) and U+2060
# (word joiner) belong to the same two families.
_INVISIBLE_FORMAT_RE = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_CONTROL_EXCEPT_NEWLINE_AND_TAB_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _is_invisible(char: str) -> bool:
    """Return whether char is whitespace, a control or a format character."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _url_scheme(url: str) -> str | None:
    """Return the lower-cased scheme a browser could read in url, or None."""
    # Browsers drop only tabs and newlines inside a URL; dropping every
    # invisible character can expose a hidden scheme but never hide one.
    visible = "".join(char for char in url if not _is_invisible(char))
    match = _URL_SCHEME_RE.match(visible.lower())
    return match.group(1) if match else None


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """Return whether bleach may keep this attribute, value still entity-encoded."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name != "href":
        return True
    # bleach checks hrefs as well, but it neither decodes "&colon;" nor
    # numeric references without ";", and keeps such links with a mangled
    # href. html.unescape decodes more than a browser does in an attribute,
    # so any doubt ends in dropping the href.
    scheme = _url_scheme(html.unescape(value))
    return scheme is None or scheme in ALLOWED_PROTOCOLS


class _DropContentFilter(Filter):
    """Remove the elements in _DROPPED_WITH_CONTENT along with everything inside."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in super().__iter__():
            if token.get("name") in _DROPPED_WITH_CONTENT:
                if token["type"] == "StartTag":
                    depth += 1
                elif token["type"] == "EndTag":
                    depth -= 1
            elif depth == 0:
                yield token


class _LinkRelFilter(Filter):
    """Give every link exactly LINK_REL (bleach has already dropped any user rel)."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                token["data"] = {**token["data"], (None, "rel"): LINK_REL}
            yield token


class _PreNewlineFilter(Filter):
    """Double a newline that opens a <pre>, as HTML serialisation requires."""

    # Parsers drop one newline right after <pre>; without this, a <pre>
    # whose text starts with a newline (often left by a stripped block tag)
    # would lose it on each pass and clean_html would not be idempotent.
    def __iter__(self) -> Iterator[dict[str, Any]]:
        after_pre = False
        for token in super().__iter__():
            if (
                after_pre
                and token["type"] in ("Characters", "SpaceCharacters")
                and token["data"].startswith("\n")
            ):
                token["data"] = "\n" + token["data"]
            after_pre = token["type"] == "StartTag" and token["name"] == "pre"
            yield token


class _NestedHeadingFilter(Filter):
    """Unwrap a heading nested in another heading, keeping its text."""

    # Misnested formatting tags can make the parser put a heading inside a
    # heading; parsed again, the inner heading closes the outer one, so
    # without this clean_html would not be idempotent.
    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in super().__iter__():
            if token.get("name") in _HEADINGS:
                if token["type"] == "StartTag":
                    depth += 1
                    if depth > 1:
                        continue
                elif token["type"] == "EndTag":
                    depth -= 1
                    if depth > 0:
                        continue
            yield token


class _Serializer(BleachHTMLSerializer):
    """bleach's serializer with its attribute-value tracking corrected."""

    def __init__(self) -> None:
        super().__init__(
            quote_attr_values="always",
            # bleach picks single quotes for values containing '"' and then
            # skips its entity handling, so "&amp;" grew on every pass.
            use_best_quote_char=False,
            omit_optional_tags=False,
            escape_lt_in_attrs=True,
            resolve_entities=False,
            sanitize=False,
            alphabetical_attributes=False,
        )

    def serialize(
        self, treewalker: Iterable[dict[str, Any]], encoding: str | None = None
    ) -> Iterator[str]:
        """Yield the HTML for treewalker, keeping valid entities in attribute values."""
        # bleach's own serialize() never notices that an end tag is over, so
        # after one it treats text following "=" as an attribute value and
        # "=&colon;" became "=&amp;colon;" on the next pass. Attributes are
        # always emitted as ' ', name, '=', '"', value, '"'.
        in_start_tag = False
        tokens_until_value = 0
        for stoken in HTMLSerializer.serialize(self, treewalker, encoding):
            if tokens_until_value:
                tokens_until_value -= 1
                if tokens_until_value == 0:
                    stoken = "".join(self.escape_base_amp(stoken))
            elif in_start_tag:
                if stoken == "=":
                    tokens_until_value = 2
                elif stoken == ">":
                    in_start_tag = False
            elif stoken.startswith("<") and not stoken.startswith("</"):
                in_start_tag = True
            yield stoken


def clean_html(html_text: str) -> str:
    """Return untrusted HTML reduced to ALLOWED_TAGS, ALLOWED_ATTRIBUTES and safe links.

    Disallowed tags are removed and their text kept, except for script,
    style and the other elements in _DROPPED_WITH_CONTENT, which are removed
    with their content. Comments are removed. A link whose scheme is not in
    ALLOWED_PROTOCOLS loses its href, and every link gets rel=LINK_REL.
    The result is stable: clean_html(clean_html(x)) == clean_html(x).
    """
    # bleach's tokenizer turns each tag the parser is not told about into
    # text before the tree is built, which would leave the body of <script>
    # as visible junk. Telling it about _DROPPED_WITH_CONTENT too makes them
    # real elements that _DropContentFilter removes whole; the sanitiser
    # still allows only ALLOWED_TAGS. The parser keeps state between calls
    # and is not thread-safe, so each call builds its own (about 0.1 ms).
    parser = BleachHTMLParser(
        tags=ALLOWED_TAGS | _DROPPED_WITH_CONTENT,
        strip=True,
        consume_entities=False,
        namespaceHTMLElements=False,
    )
    tree = parser.parseFragment(html_text)
    stream: Iterable[dict[str, Any]] = BleachSanitizerFilter(
        source=_DropContentFilter(getTreeWalker("etree")(tree)),
        allowed_tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        allowed_protocols=ALLOWED_PROTOCOLS,
        strip_disallowed_tags=True,
        strip_html_comments=True,
    )
    stream = _PreNewlineFilter(_NestedHeadingFilter(_LinkRelFilter(stream)))
    return _Serializer().render(stream)


def _render_image_as_alt_text(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """Render a Markdown image as its alt text, so no remote asset is loaded."""
    children = tokens[idx].children or []
    return escapeHtml(self.renderInlineAsText(children, options, env))


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
_MARKDOWN.add_render_rule("image", _render_image_as_alt_text)

# The page owns h1 and h2, so user headings start at h3.
_HEADING_TAGS = {f"h{level}": f"h{min(level + 2, 6)}" for level in range(1, 7)}


# A line of plain prose: it starts with a letter or a digit (never a list's "1." or "1)"), holds no
# character that starts Markdown's inline syntax or HTML (emphasis, code, links, entities, raw tags,
# escapes), and neither starts nor ends with a space (a hard break). "#", ">" and "~" mean something
# only at the start of a line, which here is a letter or a digit.
_PROSE_LINE_RE = re.compile(r"(?!\d+[.)])[^\W_](?:[^\\`*_\[\]<&\t]*[^\s\\`*_\[\]<&])?")


def _prose_html(source: str) -> str | None:
    """Return the HTML of `source` when it is plain prose (what most comments are), else None.

    Markdown gives such text paragraphs at its blank lines and nothing else, and the sanitiser has
    nothing to remove, so the result is the same as the full rendering (a property test holds the
    two together) at a hundredth of the cost.
    """
    if not source.replace("\n", "").isprintable():
        return None
    paragraphs, lines = [], []
    for line in (*source.split("\n"), ""):
        if line:
            if not _PROSE_LINE_RE.fullmatch(line):
                return None
            lines.append(line)
        elif lines:
            paragraphs.append("<p>" + "\n".join(lines).replace(">", "&gt;").replace('"', "&quot;") + "</p>\n")
            lines = []
    return "".join(paragraphs)


def render_markdown(source: str) -> str:
    """Render user Markdown to sanitised HTML; raw HTML is shown as text."""
    prose = _prose_html(source)
    return prose if prose is not None else _render_markdown_fully(source)


def _render_markdown_fully(source: str) -> str:
    env: dict[str, Any] = {}
    tokens = _MARKDOWN.parse(source, env)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_TAGS[token.tag]
    return clean_html(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env))


def clean_text(value: str, max_length: int | None = None) -> str:
    """Return a plain-text field normalised, without hidden characters, trimmed.

    Line endings become "\\n"; other control characters except tab are
    removed, as are zero-width and bidi-control characters; the result is
    NFC-normalised, stripped of surrounding whitespace and, if max_length is
    given, cut to at most max_length code points. No HTML escaping is done:
    Jinja escapes these fields on output.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_EXCEPT_NEWLINE_AND_TAB_RE.sub("", text)
    text = _INVISIBLE_FORMAT_RE.sub("", text)
    # Normalise only now: a removed character may have sat between a letter
    # and its combining accent.
    text = unicodedata.normalize("NFC", text).strip()
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text


def is_safe_url(url: str) -> bool:
    """Return whether url is an absolute http(s) URL that is safe to link to.

    Surrounding whitespace and control characters are ignored. Any inside
    the URL make it unsafe: a real URL has them percent-encoded, and
    browsers silently drop some of them (``java\\tscript:``).
    """
    visible = [index for index, char in enumerate(url) if not _is_invisible(char)]
    if not visible:
        return False
    candidate = url[visible[0] : visible[-1] + 1]
    if len(candidate) != len(visible):
        return False
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
