"""Tests for app.text.sanitize: the XSS corpus plus the behaviour users see."""

from __future__ import annotations

import base64
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.text.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    LINK_REL,
    _prose_html,
    _render_markdown_fully,
    clean_html,
    clean_text,
    is_safe_url,
    render_markdown,
)
from tests.xss_corpus import load_vectors

_SENTINEL_RE = re.compile(r"\b(alert|confirm|prompt)\b|window\.__xss\s*=\s*1")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")

SANITISERS: dict[str, Callable[[str], str]] = {
    "clean_html": clean_html,
    "render_markdown": render_markdown,
}


VECTORS = load_vectors()
VECTOR_PARAMS = [pytest.param(vector, id=f"line{number}") for number, vector in VECTORS]
SANITISER_PARAMS = [pytest.param(name, id=name) for name in SANITISERS]


@cache
def _sanitise(sanitiser: str, vector: str) -> str:
    """Return the sanitiser's output, computed once for all the corpus tests."""
    return SANITISERS[sanitiser](vector)


class _MarkupAudit(HTMLParser):
    """Parse sanitised HTML the stdlib way and record anything not allowed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            elif name not in allowed and (tag, name) != ("a", "rel"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and not _href_scheme_is_allowed(value or ""):
                self.problems.append(f"href {value!r}")
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def _href_scheme_is_allowed(href: str) -> bool:
    """Return whether an (already unescaped) href is relative or uses an allowed scheme."""
    # Strip more than browsers do (they drop tab and newlines inside URLs),
    # so that no hidden character can mask a scheme from this check.
    visible = "".join(
        char
        for char in href
        if not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")
    )
    match = _SCHEME_RE.match(visible.lower())
    return match is None or match.group(1) in ALLOWED_PROTOCOLS


def _audit(markup: str) -> _MarkupAudit:
    """Parse markup and return the audit of what it contains."""
    audit = _MarkupAudit()
    audit.feed(markup)
    audit.close()
    return audit


def _contains_sentinel(vector: str) -> bool:
    """Return whether the vector, once entity-, percent- and base64-decoded, calls a sentinel."""
    decoded = urllib.parse.unquote(html.unescape(vector))
    for blob in re.findall(r"base64,([A-Za-z0-9+/=]+)", vector):
        decoded += base64.b64decode(blob).decode("utf-8", "replace")
    return bool(_SENTINEL_RE.search(decoded))


# --- the corpus itself ---


def test_corpus_has_at_least_180_distinct_vectors() -> None:
    vectors = [vector for _, vector in VECTORS]
    assert len(vectors) >= 180
    assert len(set(vectors)) == len(vectors)


def test_every_corpus_vector_calls_a_sentinel() -> None:
    silent = [number for number, vector in VECTORS if not _contains_sentinel(vector)]
    assert silent == [], f"vectors on lines {silent} call no sentinel"


# --- every vector through both sanitisers ---


@pytest.mark.parametrize("sanitiser", SANITISER_PARAMS)
@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_output_contains_only_allowed_markup(sanitiser: str, vector: str) -> None:
    output = _sanitise(sanitiser, vector)
    assert _audit(output).problems == [], output


@pytest.mark.parametrize("sanitiser", SANITISER_PARAMS)
@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_sanitising_again_changes_nothing(sanitiser: str, vector: str) -> None:
    output = _sanitise(sanitiser, vector)
    assert clean_html(output) == output


@pytest.mark.parametrize("sanitiser", SANITISER_PARAMS)
@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_every_link_carries_only_the_ugc_rel(sanitiser: str, vector: str) -> None:
    links = _audit(_sanitise(sanitiser, vector)).links
    assert all(link.get("rel") == LINK_REL for link in links), links


def test_corpus_tests_see_links_and_allowed_tags() -> None:
    # Guards against the corpus tests passing because everything was dropped.
    outputs = [_sanitise(name, vector) for name in SANITISERS for _, vector in VECTORS]
    assert sum("<a " in output for output in outputs) > 20
    assert sum("<p>" in output for output in outputs) > 100


# --- clean_html behaviour ---


def test_clean_html_drops_script_and_style_with_their_content() -> None:
    source = "<p>before<script>alert(1)</script><style>p{}</style>after</p>"
    assert clean_html(source) == "<p>beforeafter</p>"


def test_clean_html_keeps_the_text_of_other_removed_tags() -> None:
    assert clean_html("<p>Dose: <span>5 mg</span> <font>daily</font></p>") == (
        "<p>Dose: 5 mg daily</p>"
    )


def test_clean_html_removes_comments() -> None:
    assert clean_html("<p>a<!-- secret -->b</p>") == "<p>ab</p>"


def test_clean_html_keeps_allowed_tags_and_attributes() -> None:
    source = (
        '<h3>Results</h3><ol start="2"><li><em>x</em> <sup>2</sup></li></ol>'
        '<pre><code>x</code></pre><p><del>old</del> <a href="/s" title="t">s</a></p>'
    )
    expected = source.replace('title="t"', f'title="t" rel="{LINK_REL}"')
    assert clean_html(source) == expected


def test_clean_html_replaces_user_rel_on_links() -> None:
    output = clean_html('<a href="https://example.org/" rel="opener">x</a>')
    assert output == (
        f'<a href="https://example.org/" rel="{LINK_REL}">x</a>'
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("<h3><a href=/x>a<h3>b<a href=/y>c", id="heading-in-heading-via-links"),
        pytest.param("<h4><b>a<h5>b</b>c", id="heading-in-heading-via-bold"),
        pytest.param("<a title='say \"hi\" &amp; bye'>x</a>", id="single-quoted-title"),
        pytest.param("<pre>\n\ncode</pre>", id="pre-opening-newline"),
        pytest.param("<pre><div>x</div></pre>", id="pre-stripped-block-tag"),
        pytest.param("<p>x</p>&gt;=&colon;", id="entity-after-end-tag"),
    ],
)
def test_clean_html_is_idempotent_where_stock_bleach_is_not(source: str) -> None:
    once = clean_html(source)
    assert clean_html(once) == once


def test_clean_html_keeps_quotes_and_ampersands_in_titles() -> None:
    output = clean_html("<a title='say \"hi\" &amp; bye'>x</a>")
    assert output == f'<a title="say &quot;hi&quot; &amp; bye" rel="{LINK_REL}">x</a>'


def test_clean_html_keeps_entities_in_text_after_an_end_tag() -> None:
    assert clean_html("<p>x</p>&gt;=&colon;") == "<p>x</p>&gt;=&colon;"


@pytest.mark.parametrize(
    "href",
    [
        "https://example.org/trial?id=1&amp;arm=2",
        "http://example.org/",
        "mailto:editor@example.org",
        "/studies/12",
        "#methods",
    ],
)
def test_clean_html_keeps_safe_links(href: str) -> None:
    source = f'<a href="{href}">x</a>'
    assert clean_html(source) == f'<a href="{href}" rel="{LINK_REL}">x</a>'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\u200bscript:alert(1)",
        "java\tscript:alert(1)",
        "javascript&colon;alert(1)",
        "&#106avascript:alert(1)",
        "data:text/html,x",
        "ftp://example.org/",
    ],
)
def test_clean_html_removes_unsafe_href_but_keeps_link_text(href: str) -> None:
    assert clean_html(f'<a href="{href}">x</a>') == f'<a rel="{LINK_REL}">x</a>'


# --- render_markdown behaviour ---


def test_markdown_keeps_ordinary_formatting() -> None:
    source = (
        "Some **bold**, *emphasis* and `code`.\n\n"
        "- one\n- two\n\n"
        "> see [the trial](https://example.org/t?a=1&b=2)\n\n"
        "```python\nif a < b: pass\n```\n"
    )
    assert render_markdown(source) == (
        "<p>Some <strong>bold</strong>, <em>emphasis</em> and <code>code</code>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        "<blockquote>\n<p>see <a href=\"https://example.org/t?a=1&amp;b=2\""
        f' rel="{LINK_REL}">the trial</a></p>\n</blockquote>\n'
        "<pre><code>if a &lt; b: pass\n</code></pre>\n"
    )


def test_markdown_headings_start_at_h3() -> None:
    assert render_markdown("# Title\n\n## Part") == "<h3>Title</h3>\n<h4>Part</h4>\n"


def test_markdown_leaves_a_bare_url_as_text() -> None:
    assert render_markdown("see https://example.org/") == "<p>see https://example.org/</p>\n"


def test_markdown_shows_raw_html_as_text() -> None:
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_markdown_image_is_shown_as_its_alt_text() -> None:
    output = render_markdown("![ECG *trace*](https://example.org/ecg.png)")
    assert output == "<p>ECG trace</p>\n"


def test_markdown_link_to_javascript_stays_text() -> None:
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"


# Plain prose skips the Markdown parser and the sanitiser: it must come out exactly as through them.
_PROSE_PIECES = ["a", "Bc", "1", "12", "2.", " ", "  ", "\n", "\n\n", ".", ",", ")", "(", ":", "%", "@", "'", '"',
                 "-", "+", "=", "*", "_", "`", "[", "]", "<", ">", "&", "#", "!", "~", "|", "{", "}", "\\", "\t",
                 "amp;", "http://x.org", "\u00a0", "\u00e9", "\u03b1", "\u2265", "\u0301", "\u200b", "\u2028",
                 "\ufffd", "\x0c", "\x7f"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PROSE_PIECES), max_size=14).map("".join).map(str.strip))
@example("1. first\nsecond")
@example("Text\n---")
@example("Text\n===")
@example("ends with two spaces  \nnext")
@example("12) twelve")
def test_prose_renders_exactly_as_the_full_markdown_and_sanitiser(source: str) -> None:
    prose = _prose_html(source)
    if prose is not None:
        assert prose == _render_markdown_fully(source)


@pytest.mark.parametrize("source", [
    "Agree: the 5-FU arm's dose was 20% lower (p=0.04), so the comparison is not fair.",
    "Was the HR adjusted for age?\nThe methods don't say.\n\nSee the supplement, table S2.",
    "2005 data; n = 1,204 patients \u2265 65 years \u00b1 SD, HR>1 in #3 (~5%). @Dr Jones would know!",
    "\u00c9tude r\u00e9trospective : \u03b1 = 0.05, \u00b5g/L \u2014 \u201cconfirmed\u201d.",
])
def test_ordinary_comments_take_the_prose_path(source: str) -> None:
    assert _prose_html(source) is not None
    assert render_markdown(source) == _render_markdown_fully(source)


@pytest.mark.parametrize("source", ["- item", "1. first", "# Title", "a *b* c", "a _b_ c", "x `c` d", "[x](y)",
                                    "a &amp; b", "a <http://x.org> b", "line  \nbreak", "    code", "a\\\nb",
                                    "> quote", "~~~"])
def test_markdown_keeps_its_meaning_outside_plain_prose(source: str) -> None:
    assert _prose_html(source) is None


# --- clean_text ---


def test_clean_text_removes_zero_width_and_bidi_characters() -> None:
    value = "Dr\u200b \u202eAnna\u202c \u2066Smith\u2069\ufeff"
    assert clean_text(value) == "Dr Anna Smith"


def test_clean_text_composes_accents() -> None:
    decomposed = "Jose\u0301 Mu\u0308ller"
    assert clean_text(decomposed) == "José Müller"
    assert clean_text(decomposed) == unicodedata.normalize("NFC", decomposed)


def test_clean_text_removes_control_characters_but_keeps_newlines_and_tabs() -> None:
    assert clean_text("a\x00b\x07c\x1b\x85d\te\r\nf") == "abcd\te\nf"


def test_clean_text_trims_surrounding_whitespace_only() -> None:
    assert clean_text("  \n Anna  Smith \t ") == "Anna  Smith"


def test_clean_text_leaves_markup_for_jinja_to_escape() -> None:
    assert clean_text("<b>Ann & Co</b>") == "<b>Ann & Co</b>"


def test_clean_text_cuts_to_max_length() -> None:
    assert clean_text("  Cardiology unit  ", max_length=11) == "Cardiology"
    assert clean_text("abc", max_length=10) == "abc"


# --- is_safe_url ---


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/study?id=1&arm=2",
        "http://example.org",
        "HTTPS://EXAMPLE.ORG/",
        "  https://example.org/path \n",
    ],
)
def test_is_safe_url_accepts_absolute_http_urls(url: str) -> None:
    assert is_safe_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\u200bscript:alert(1)",
        "https://exa\u200bmple.org/",
        "https://example.org/a b",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:alert(1)",
        "mailto:a@example.org",
        "ftp://example.org/",
        "//example.org/",
        "/relative/path",
        "example.org",
        "https://",
        "https:example.org",
        "http://[::1",
    ],
)
def test_is_safe_url_rejects_everything_else(url: str) -> None:
    assert not is_safe_url(url)
