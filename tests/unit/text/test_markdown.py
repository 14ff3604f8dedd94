"""Tests for article/comment Markdown rendering and the canonical text it defines."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from app.text.dom import canonical_text
from app.text.markdown import (
    normalise_source,
    render_article,
    split_front_matter,
)

DEMO = Path(__file__).resolve().parents[2] / "data" / "chemotherapy-metastases.md"
DEMO_KEYS = {"chabner2018", "karagiannis2017", "esserman2017"}
QUESTION = "are the models used really representative of the spectrum of human tumors?"


@pytest.fixture(scope="module")
def demo():
    meta, body = split_front_matter(DEMO.read_text(encoding="utf-8"))
    return meta, render_article(body, known_keys=DEMO_KEYS)


def cited(html: str) -> list[tuple[str, int]]:
    pattern = r'data-cite="([^"]+)" aria-label="Reference (\d+)">(\d+)</a>'
    found = re.findall(pattern, html)
    assert all(label == shown for _, label, shown in found)
    return [(key, int(number)) for key, number, _ in found]


# --- front matter and normalisation --------------------------------------


def test_demo_front_matter_is_parsed(demo):
    meta, _ = demo
    assert meta["title"] == "Chemotherapy: a cause of metastases?"
    assert meta["tags"] == [
        "breast cancer",
        "neoadjuvant chemotherapy",
        "metastasis",
        "TMEM",
        "rebastinib",
    ]
    assert meta["commented_work"] == "chabner2018"


def test_body_excludes_front_matter():
    meta, body = split_front_matter("---\ntitle: T\n---\n\nHello\n")
    assert meta == {"title": "T"}
    assert body.strip() == "Hello"


def test_document_without_front_matter_is_returned_whole():
    assert split_front_matter("Just text\n\n---\n") == ({}, "Just text\n\n---")


def test_thematic_break_at_start_is_not_front_matter():
    text = "---\n\nIntro\n\n---\n\nMore"
    assert split_front_matter(text) == ({}, text)


def test_empty_front_matter_gives_empty_mapping():
    assert split_front_matter("---\n---\nBody") == ({}, "Body")


def test_crlf_front_matter_is_recognised():
    meta, body = split_front_matter("---\r\ntitle: T\r\n---\r\nBody\r\n")
    assert meta == {"title": "T"}
    assert body == "Body"


def test_malformed_front_matter_yaml_raises_value_error():
    with pytest.raises(ValueError, match="not valid YAML"):
        split_front_matter("---\ntitle: [unclosed\n---\nBody\n")


def test_front_matter_that_is_not_a_mapping_raises_value_error():
    with pytest.raises(ValueError, match="mapping"):
        split_front_matter("---\n- a\n- b\n---\nBody\n")


def test_normalise_source_fixes_line_endings_nul_and_trailing_space():
    assert normalise_source("a\r\nb\rc\0d \n\n  \t") == "a\nb\nc\ufffdd"


def test_carriage_returns_give_same_text_as_line_feeds():
    crlf = render_article("one\r\ntwo\r\n\r\nthree")
    assert crlf.text == render_article("one\ntwo\n\nthree").text


# --- citations -----------------------------------------------------------


def test_demo_citations_are_numbered_by_first_appearance(demo):
    _, article = demo
    assert article.citation_keys == ["chabner2018", "karagiannis2017", "esserman2017"]
    assert cited(article.html) == [
        ("chabner2018", 1),
        ("karagiannis2017", 2),
        ("esserman2017", 3),
        ("karagiannis2017", 2),
    ]
    assert 'id="cite-2-1"' in article.html and 'id="cite-2-2"' in article.html
    assert article.unknown_keys == []


def test_demo_has_no_citation_source_left(demo):
    _, article = demo
    assert "[@" not in article.html
    assert "[@" not in article.text


def test_citation_replaces_preceding_space_and_text_continues_after_it(demo):
    _, article = demo
    assert "accelerate their formation?1\n" in article.text
    assert "Tumor Micro-Environment of Metastasis).2 These TMEM sites" in article.text
    assert "their murine models.2 It would be useful" in article.text
    assert "formation?<sup class=\"cite\">" in article.html


def test_unknown_keys_are_reported_and_marked(demo):
    _, body = split_front_matter(DEMO.read_text(encoding="utf-8"))
    article = render_article(body, known_keys={"chabner2018", "karagiannis2017"})
    assert article.unknown_keys == ["esserman2017"]
    assert article.citation_keys == ["chabner2018", "karagiannis2017"]
    assert '<sup class="cite cite-unknown" data-cite="esserman2017">?</sup>' in article.html
    assert "sufficient evidence.?\n" in article.text


def test_without_known_keys_every_key_is_numbered():
    article = render_article("A [@x] and B [@y].")
    assert article.citation_keys == ["x", "y"]
    assert article.unknown_keys == []


def test_several_keys_share_one_superscript():
    article = render_article("Claim [@a; @b]. Again [@b].")
    assert article.text == "Claim1,2. Again2.\n"
    assert article.html.count("<sup") == 2
    assert cited(article.html) == [("a", 1), ("b", 2), ("b", 2)]
    assert 'id="cite-2-2"' in article.html


def test_adjacent_citations_merge_instead_of_reading_as_one_number():
    article = render_article("Claim [@a] [@b].")
    assert article.text == "Claim1,2.\n"


def test_citation_on_next_line_drops_the_line_break():
    assert render_article("Claim\n[@a] next").text == "Claim1 next\n"


def test_citations_in_code_are_untouched():
    article = render_article("Use `[@x]` here.\n\n```\n[@y; @z]\n```\n\n    [@w]\n")
    assert article.citation_keys == []
    assert "<code>[@x]</code>" in article.html
    assert "[@y; @z]" in article.text and "[@w]" in article.text


def test_escaped_bracket_is_not_a_citation():
    assert render_article(r"See \[@a].").text == "See [@a].\n"


def test_citations_with_locators_stay_literal():
    article = render_article("As shown [see @a, p. 3].")
    assert article.citation_keys == []
    assert "[see @a, p. 3]" in article.text


def test_citation_key_characters():
    article = render_article("X [@Smith_2019:ch.3-b/x].")
    assert article.citation_keys == ["Smith_2019:ch.3-b/x"]


# --- canonical text and blocks --------------------------------------------


def test_demo_text_contains_question_once_and_offsets_round_trip(demo):
    _, article = demo
    assert article.text.count(QUESTION) == 1
    start = article.text.index(QUESTION)
    end = start + len(QUESTION)
    assert article.text[start:end] == QUESTION
    (block,) = [b for b in article.blocks if b.start <= start and end <= b.end]
    assert block.text[start - block.start : end - block.start] == QUESTION


# The canonical text written out by hand from the definition in the README ("How the canonical text
# is defined"): every text node of the HTML, "\n" for each newline between tags, soft line breaks as
# spaces, citation numbers as text, entities decoded, an image as its alt text.
SAMPLE = """# Does *chemotherapy* spread cancer?

Macrophages gather at TMEM sites
in mouse models. [@karagiannis2017]
Both trials disagree. [@esserman2017; @chabner2018]

- paclitaxel & doxorubicin
- rebastinib (a TIE2 inhibitor)

> Not a trial: 𝛼 < 0.05 is not enough.

```
dose = 80
```

| drug | effect |
|:-----|-------:|
| A | more |

See [the editorial](https://example.org/ed) and ![a figure](fig.png).
"""
SAMPLE_TEXT = (
    "Does chemotherapy spread cancer?\n"                                # </h1>
    "Macrophages gather at TMEM sites in mouse models.1 Both trials disagree.2,3\n"  # </p>
    "\npaclitaxel & doxorubicin\nrebastinib (a TIE2 inhibitor)\n\n"   # <ul>, between and after the items
    "\nNot a trial: 𝛼 < 0.05 is not enough.\n\n"                      # <blockquote> and its <p>
    "dose = 80\n\n"                                                    # the code keeps its newline
    "\n\n\ndrug\neffect\n\n\n\n\nA\nmore\n\n\n\n"                    # <table>, <thead>, <tr>, cells...
    "See the editorial and a figure.\n"
)
DEMO_TEXT = Path(__file__).resolve().parents[2] / "data" / "chemotherapy-metastases.canonical.txt"


def test_canonical_text_is_what_the_definition_says_for_every_kind_of_block():
    article = render_article(SAMPLE, known_keys={"karagiannis2017", "esserman2017", "chabner2018"})
    assert article.text == SAMPLE_TEXT
    assert canonical_text(article.html) == SAMPLE_TEXT
    assert [b.text for b in article.blocks][:2] == [
        "Does chemotherapy spread cancer?",
        "Macrophages gather at TMEM sites in mouse models.1 Both trials disagree.2,3"]


def test_demo_text_is_its_paragraphs_with_citation_numbers(demo):
    # The expected file is the Markdown's paragraphs with " [@key]" replaced by the reference's number.
    _, article = demo
    assert article.text == DEMO_TEXT.read_text(encoding="utf-8")


def test_blocks_are_numbered_and_match_the_text(demo):
    _, article = demo
    assert [b.index for b in article.blocks] == list(range(6))
    for block in article.blocks:
        assert f'id="b-{block.index}" data-block="{block.index}"' in article.html
        assert article.text[block.start : block.end] == block.text
    # One "\n" text node separates consecutive blocks.
    for before, after in pairwise(article.blocks):
        assert after.start == before.end + 1
        assert article.text[before.end] == "\n"


def test_every_top_level_block_kind_gets_an_id():
    source = (
        "# Title\n\npara\n\n- a\n- b\n\n> quote\n\n```py\ncode\n```\n\n---\n\n"
        "| h |\n|---|\n| c |\n"
    )
    article = render_article(source)
    tags = re.findall(r'<(\w+) id="b-(\d+)" data-block="\2"', article.html)
    assert [tag for tag, _ in tags] == ["h1", "p", "ul", "blockquote", "pre", "hr", "table"]
    assert [b.text for b in article.blocks][:2] == ["Title", "para"]
    assert article.blocks[5].start == article.blocks[5].end  # <hr> has no text


def test_softbreak_is_a_single_space():
    article = render_article("one\ntwo\nthree")
    assert article.text == "one two three\n"


def test_entities_are_decoded_in_text_and_escaped_in_html():
    article = render_article('Tom & Jerry <b> "quoted" &eacute; &amp;amp;')
    assert article.text == 'Tom & Jerry <b> "quoted" é &amp;\n'
    assert "&amp; Jerry &lt;b&gt;" in article.html
    assert "<b>" not in article.html


def test_carriage_return_entity_stays_a_character_reference():
    # A raw CR in the HTML would become LF in the browser but not in html.parser.
    article = render_article("a&#13;b")
    assert "\r" not in article.html
    assert article.text == "a\rb\n"


def test_code_block_has_no_newline_right_after_pre():
    article = render_article("```\n\nfirst line blank\n```")
    assert "<pre" in article.html
    assert re.search(r"<pre[^>]*>\n", article.html) is None
    assert article.text.startswith("\nfirst line blank\n")


def test_non_ascii_text_counts_code_points():
    article = render_article("é — 𝛼 end")
    assert article.text == "é — 𝛼 end\n"
    assert article.blocks[0].end == 9


# --- links and images -----------------------------------------------------


def test_safe_links_are_kept_and_other_schemes_dropped():
    html = render_article(
        "[a](https://x.org) [b](mailto:a@b.org) [c](/rel) [d](#frag) "
        "[e](javascript:alert(1)) [f](ftp://x.org) [g](data:text/html,x)"
    ).html
    for href in ("https://x.org", "mailto:a@b.org", "/rel", "#frag"):
        assert f'href="{href}"' in html
    assert 'href="javascript' not in html
    assert 'href="ftp' not in html and 'href="data' not in html


def test_images_become_links_and_never_load():
    article = render_article('See ![A *chart*](https://x.org/c.png "T") and ![](/i.png).')
    assert "<img" not in article.html
    assert '<a href="https://x.org/c.png" class="image-link" title="T">A chart</a>' in article.html
    assert '<a href="/i.png" class="image-link">image</a>' in article.html


def test_image_inside_link_keeps_only_its_alt_text():
    article = render_article("[![logo](/l.png) home](https://x.org)")
    assert article.html.count("<a ") == 1
    assert article.text == "logo home\n"


def test_raw_html_is_escaped():
    article = render_article('<script>alert(1)</script>\n\nx <span onclick="y">z</span>')
    assert "<script" not in article.html and "<span" not in article.html
    assert "<script>alert(1)</script>" in article.text


def test_table_alignment_uses_classes_not_inline_style():
    html = render_article("| a | b |\n|:-:|--:|\n| 1 | 2 |").html
    assert "style=" not in html
    assert '<th class="align-center">a</th>' in html


