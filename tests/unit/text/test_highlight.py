"""Tests for highlight marks, block links and the canonical-text walker."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.text.dom import VOID_ELEMENTS, parse_events
from app.text.highlight import Span, add_block_links, canonical_text, highlight, highlight_blocks
from app.text.markdown import render_article, split_front_matter

DEMO = Path(__file__).resolve().parents[2] / "data" / "chemotherapy-metastases.md"
EXTRA = """
## Notes — *émphasis* and 𝛼-levels

Text with *emphasis*, **strong _nested_ text**, a [link to x](https://x.org) and
a citation [@chabner2018; @esserman2017] mid-sentence, then `code & <tags>`.

- first item with é
- second item [@karagiannis2017]

> Quoted "words" & more 𝛼𝛽 text.

| col — a | col b |
|---------|------:|
| 𝛼 cell  | 2 &amp; 3 |

```
code block [@x]
```
"""
NO_TEXT_PARENTS = {"", "ul", "ol", "table", "thead", "tbody", "tr"}
KINDS = ["comment", "question", "critique", "support", "practice"]


@pytest.fixture(scope="module")
def article():
    _, body = split_front_matter(DEMO.read_text(encoding="utf-8"))
    return render_article(body + "\n" + EXTRA)


class StructureChecker(HTMLParser):
    """Record structural problems a browser would silently repair."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        parent = self.stack[-1] if self.stack else ""
        if parent == "mark":
            self.problems.append(f"<{tag}> inside <mark>")
        if tag == "mark" and parent in NO_TEXT_PARENTS:
            self.problems.append(f"<mark> directly in <{parent or 'root'}>")
        if tag == "a" and "a" in self.stack:
            self.problems.append("nested <a>")
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack})")
            return
        self.stack.pop()

    def check(self, html: str) -> list[str]:
        self.feed(html)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed {self.stack}")
        return self.problems


def text_and_marks(html: str) -> tuple[str, dict[int, str]]:
    """Return the canonical text and, for each highlighted offset, its mark's data-ids."""
    parts: list[str] = []
    marked: dict[int, str] = {}
    ids: str | None = None
    for event in parse_events(html)[0]:
        if event.kind == "start" and event.tag == "mark":
            ids = event.attrs["data-ids"]
        elif event.kind == "end" and event.tag == "mark":
            ids = None
        elif event.kind == "text" and event.canonical:
            parts.append(event.text)
            if ids is not None:
                offsets = range(event.offset, event.offset + len(event.text))
                marked.update(dict.fromkeys(offsets, ids))
    return "".join(parts), marked


def random_spans(rng: random.Random, length: int) -> list[Span]:
    spans = []
    for annotation_id in rng.sample(range(1, 1000), rng.randint(1, 8)):
        start = rng.randrange(length)
        # Mostly short spans, some crossing several blocks.
        size = rng.choice([1, 2, rng.randint(1, 40), rng.randint(1, 800)])
        spans.append(Span(start, min(length, start + size), annotation_id, rng.choice(KINDS)))
    return spans


# --- canonical text walker ------------------------------------------------


def test_canonical_text_skips_non_canonical_elements():
    html = '<p>a<span data-nc>X<b>Y</b></span>b<a data-nc href="#">Z</a>c</p>\n'
    assert canonical_text(html) == "abc\n"


def test_canonical_text_decodes_entities():
    assert canonical_text("<p>&amp; &lt; &quot; &#13; &eacute;</p>") == '& < " \r é'


def test_canonical_text_drops_newline_after_pre_like_a_browser():
    assert canonical_text("<pre>\nx\n</pre>") == "x\n"
    assert canonical_text("<pre><code>\nx</code></pre>") == "\nx"


# --- highlight properties -------------------------------------------------


def test_random_highlights_keep_text_and_structure(article):
    length = len(article.text)
    for seed in range(300):
        rng = random.Random(seed)
        spans = random_spans(rng, length)
        out = highlight(article.html, spans)
        text, marked = text_and_marks(out)
        assert text == article.text, f"seed {seed}"
        assert StructureChecker().check(out) == [], f"seed {seed}"
        covering: dict[int, set[int]] = {}
        for span in spans:
            for offset in range(span.start, span.end):
                covering.setdefault(offset, set()).add(span.annotation_id)
        for offset, ids in marked.items():
            assert ids == " ".join(map(str, sorted(covering[offset]))), f"seed {seed}"
        # Every covered character that is not layout whitespace is highlighted.
        for offset in covering:
            assert offset in marked or article.text[offset].isspace(), f"seed {seed}"
        # Each span with a visible mark gets one link; a span over layout only gets none.
        visible = [s for s in spans if any(o in marked for o in range(s.start, s.end))]
        assert out.count('class="hl-ref') == len(visible), f"seed {seed}"


def test_highlight_with_no_spans_returns_html_unchanged(article):
    assert highlight(article.html, []) == article.html


def test_empty_and_out_of_range_spans_are_ignored(article):
    length = len(article.text)
    spans = [
        Span(5, 5, 1, "comment"),
        Span(-1, 4, 2, "comment"),
        Span(length - 2, length + 1, 3, "comment"),
        Span(9, 3, 4, "comment"),
    ]
    assert highlight(article.html, spans) == article.html


def test_overlapping_spans_use_innermost_kind_and_list_all_ids():
    html = render_article("alpha beta gamma").html
    out = highlight(html, [Span(0, 16, 7, "comment"), Span(6, 10, 3, "question")])
    assert '<mark class="hl hl-comment" data-ids="7">alpha </mark>' in out
    assert '<mark class="hl hl-question hl-multi" data-ids="3 7">beta</mark>' in out
    assert '<mark class="hl hl-comment" data-ids="7"> gamma</mark>' in out


def test_ref_link_follows_last_character_with_marker_and_label():
    html = render_article("alpha beta gamma").html
    out = highlight(html, [Span(6, 10, 3, "question")])
    assert out == (
        '<p id="b-0" data-block="0">alpha <mark class="hl hl-question" data-ids="3">beta</mark>'
        '<a class="hl-ref hl-ref-question" data-nc href="#a-3" id="hl-3"'
        ' aria-label="Annotation 3 (question)">Q</a> gamma</p>\n'
    )


def test_label_is_escaped():
    html = render_article("alpha").html
    out = highlight(html, [Span(0, 5, 1, "support")], label_for=lambda s: 'Dr "X" <y> & co')
    assert 'aria-label="Dr &quot;X&quot; &lt;y&gt; &amp; co"' in out


def test_highlight_across_citation_marker(article):
    start = article.text.index("their formation?1")
    end = start + len("their formation?1")
    out = highlight(article.html, [Span(start, end, 5, "critique")])
    assert '<mark class="hl hl-critique" data-ids="5">their formation?</mark>' in out
    assert 'aria-label="Reference 1"><mark class="hl hl-critique" data-ids="5">1</mark></a>' in out
    # The link marker cannot sit inside the citation's own link.
    assert '1</mark></a><a class="hl-ref hl-ref-critique"' in out
    assert StructureChecker().check(out) == []


def test_highlight_across_paragraphs_skips_whitespace_between_blocks(article):
    first, second = article.blocks[3], article.blocks[4]
    out = highlight(article.html, [Span(first.end - 5, second.start + 5, 9, "support")])
    assert "</p>\n<p" in out
    assert out.count("<mark") == 2
    assert out.count('class="hl-ref') == 1
    assert canonical_text(out) == article.text


def test_highlight_of_astral_character_counts_one_code_point():
    article = render_article("x é — 𝛼 y")
    start = article.text.index("𝛼")
    out = highlight(article.html, [Span(start, start + 1, 1, "comment")])
    assert '<mark class="hl hl-comment" data-ids="1">𝛼</mark>' in out


def test_entities_survive_highlighting():
    article = render_article('Tom & Jerry <b> "quoted"')
    out = highlight(article.html, [Span(0, len(article.text) - 1, 1, "comment")])
    assert "&amp; Jerry &lt;b&gt;" in out and "<b>" not in out
    assert canonical_text(out) == article.text


def test_span_covering_only_block_separator_produces_nothing():
    article = render_article("one\n\ntwo")
    assert highlight(article.html, [Span(3, 4, 1, "comment")]) == article.html


def test_highlight_inside_table_and_list_stays_valid(article):
    start = article.text.index("first item")
    end = article.text.index("col b") + 5
    out = highlight(article.html, [Span(start, end, 2, "practice")])
    assert StructureChecker().check(out) == []
    assert canonical_text(out) == article.text


def test_duplicate_annotation_id_gets_one_anchor_id():
    html = render_article("alpha beta").html
    out = highlight(html, [Span(0, 2, 4, "comment"), Span(6, 8, 4, "comment")])
    assert out.count('id="hl-4"') == 1
    assert out.count('href="#a-4"') == 2


def test_span_rejects_unsafe_kind_and_id():
    with pytest.raises(ValueError):
        Span(0, 1, 1, 'comment" onclick="x')
    with pytest.raises(ValueError):
        Span(0, 1, 1, "Comment")
    with pytest.raises(TypeError):
        Span(0, 1, "1", "comment")  # type: ignore[arg-type]


def test_five_thousand_overlapping_annotations_are_each_marked_on_their_words(article):
    # How long this takes is measured by bench/pure_layers.py; here only the result counts.
    rng = random.Random(1)
    length = len(article.text)
    spans = []
    for annotation_id in range(5000):
        start = rng.randrange(length - 1)
        spans.append(Span(start, min(length, start + rng.randint(1, 60)), annotation_id, "comment"))
    out = highlight(article.html, spans)
    text, marked = text_and_marks(out)
    assert text == article.text
    assert StructureChecker().check(out) == []
    covering: dict[int, set[int]] = {}
    for span in spans:
        for offset in range(span.start, span.end):
            covering.setdefault(offset, set()).add(span.annotation_id)
    assert {offset: set(map(int, ids.split())) for offset, ids in marked.items()} == {
        offset: ids for offset, ids in covering.items() if not article.text[offset].isspace() or offset in marked}


# --- block links ----------------------------------------------------------


def test_block_links_keep_canonical_text_and_go_in_valid_places(article):
    out = add_block_links(article.html, lambda i: f"/annotate?block={i}&x=1", "Annotate")
    assert canonical_text(out) == article.text
    assert out.count('class="block-annotate"') == len(article.blocks)
    assert (
        '<a data-nc class="block-annotate" href="/annotate?block=0&amp;x=1">Annotate</a></p>'
        in out
    )
    # Lists, tables and code get the link right after the block, not inside it.
    assert re.search(r'</ul><a data-nc class="block-annotate"', out)
    assert re.search(r'</table><a data-nc class="block-annotate"', out)
    assert StructureChecker().check(out) == []


def test_block_links_add_aria_labels():
    out = add_block_links(render_article("a\n\n---").html, str, "+", lambda i: f"Annotate {i}")
    assert 'href="0" aria-label="Annotate 0">+</a></p>' in out
    assert '<hr id="b-1" data-block="1"><a data-nc class="block-annotate" href="1"' in out


def test_highlight_after_block_links_marks_the_same_text(article):
    rng = random.Random(42)
    spans = random_spans(rng, len(article.text))
    linked = add_block_links(article.html, str, "Annotate")
    out = highlight(linked, spans)
    assert canonical_text(out) == article.text
    assert text_and_marks(out)[1] == text_and_marks(highlight(article.html, spans))[1]
    assert StructureChecker().check(out) == []


# --- block by block, for reuse ---------------------------------------------


def _label(span: Span) -> str:
    return f"Annotation {span.annotation_id}"


def _href(span: Span) -> str:
    return f"/articles/a?threads={span.annotation_id % 3 + 1}#a-{span.annotation_id}"


def test_highlighting_block_by_block_gives_the_same_html_as_the_whole_body(article):
    html = add_block_links(article.html, lambda n: f"/annotate?block={n}", "annotate")
    length = len(canonical_text(html))
    rng = random.Random(7)
    for _ in range(200):
        spans = random_spans(rng, length)
        whole = highlight(html, spans, _label, _href)
        assert highlight_blocks(html, spans, _label, _href, lambda index, signature, render: render()) == whole


def _changed(rng: random.Random, spans: list[Span], length: int, pages: dict[int, int]) -> list[Span]:
    """Return `spans` after one small change, as an annotation makes: added, dropped, moved, of another kind or page."""
    spans = list(spans)
    change = rng.choice(["add", "drop", "move", "kind", "page"]) if spans else "add"
    if change == "add" or len(spans) < 2:
        start = rng.randrange(length)
        size = rng.choice([1, 3, rng.randint(1, 60), rng.randint(1, 900)])
        spans.append(Span(start, min(length, start + size), rng.randrange(1, 10**6), rng.choice(KINDS)))
    elif change == "drop":
        spans.pop(rng.randrange(len(spans)))
    else:
        n = rng.randrange(len(spans))
        old = spans[n]
        if change == "move":
            # Its start, its end or both, by a character.
            moves = rng.choice([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1)])
            start = min(max(0, old.start + moves[0]), length - 1)
            end = min(max(old.end + moves[1], start + 1), length)
            spans[n] = Span(start, end, old.annotation_id, old.kind)
        elif change == "kind":
            spans[n] = Span(old.start, old.end, old.annotation_id, rng.choice(KINDS))
        else:
            pages[old.annotation_id] = pages.get(old.annotation_id, 1) + 1
    return spans


def test_blocks_kept_under_their_signatures_are_never_stale(article):
    """Whatever changes, a block reused from what was kept is the block rendered afresh."""
    html = add_block_links(article.html, lambda n: f"/annotate?block={n}", "annotate")
    length = len(canonical_text(html))
    rng = random.Random(11)
    kept: dict[tuple, str] = {}
    pages: dict[int, int] = {}

    def reuse(index, signature, render):
        if (index, signature) not in kept:
            kept[(index, signature)] = render()
        return kept[(index, signature)]

    def href(span: Span) -> str:
        return f"/articles/a?threads={pages.get(span.annotation_id, 1)}#a-{span.annotation_id}"

    spans = random_spans(rng, length)
    for _ in range(400):
        spans = _changed(rng, spans, length, pages)
        assert highlight_blocks(html, spans, _label, href, reuse) == highlight(html, spans, _label, href)
    assert len(kept) > 100


def test_a_new_span_renders_again_only_the_blocks_it_touches(article):
    html = add_block_links(article.html, lambda n: f"/annotate?block={n}", "annotate")
    text = canonical_text(html)
    kept: dict[tuple, str] = {}
    rendered: list[int] = []

    def reuse(index, signature, render):
        if (index, signature) not in kept:
            rendered.append(index)
            kept[(index, signature)] = render()
        return kept[(index, signature)]

    first_word = text.index("Karagiannis")
    spans = [Span(first_word, first_word + 11, 1, "comment"), Span(text.index("TIE2"), text.index("TIE2") + 4, 2,
                                                                   "question")]
    highlight_blocks(html, spans, _label, _href, reuse)
    blocks = len(rendered)
    rendered.clear()
    spans.append(Span(first_word, first_word + 5, 3, "critique"))
    again = highlight_blocks(html, spans, _label, _href, reuse)
    assert len(rendered) == 1 and blocks > 5
    assert again == highlight(html, spans, _label, _href)
