"""Pure text helpers for evidence: citing sentences, citation markers, and reading other tools' annotations."""
from __future__ import annotations

import pytest

from app.text.claims import citing_sentences, mark_citations
from app.text.dom import canonical_text
from app.text.markdown import render_article
from app.text.w3c_import import NotAnnotations, read_annotations


def test_each_citing_sentence_is_found_with_its_offsets_and_keys():
    rendered = render_article("Dr. Smith showed it. [@a] Then more.\n\nA claim here [@b; @c] in passing. Another one.")
    sentences = citing_sentences(rendered.html, rendered.text)
    assert [(s.text, s.keys) for s in sentences] == [("Dr. Smith showed it.", ["a"]),
                                                     ("A claim here2,3 in passing.", ["b", "c"])]
    for s in sentences:
        assert " ".join(rendered.text[s.start:s.end].split()) == s.text
    assert sentences[1].anchors == {"b": "cite-2-1", "c": "cite-3-1"}


def test_marking_citations_describes_markers_and_badges_without_changing_the_canonical_text():
    rendered = render_article("A claim. [@a; @b] Another. [@a]")
    marked = mark_citations(rendered.html, {"a": "tip-1", "b": "tip-2"},
                            {"a": '<span class="cite-notice" data-nc>Retracted</span>'})
    assert marked.count('aria-describedby="tip-1"') == 2 and marked.count('aria-describedby="tip-2"') == 1
    assert marked.count("Retracted</span>") == 2
    assert canonical_text(marked) == rendered.text


def test_w3c_collections_lists_and_hypothesis_exports_are_read():
    w3c = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection", "first": {"items": [
        {"id": "a1", "type": "Annotation", "motivation": "questioning",
         "body": [{"type": "TextualBody", "value": "Why?"},
                  {"type": "TextualBody", "purpose": "tagging", "value": "t"}],
         "target": {"source": "x", "selector": [{"type": "TextQuoteSelector", "exact": "quote\x00", "prefix": "p"},
                                                {"type": "TextPositionSelector", "start": 3, "end": 8}]}},
        {"id": "a2", "type": "Annotation", "motivation": "replying", "body": {"value": "Because."}, "target": "a1"}]}}
    first, reply = read_annotations(w3c)
    assert (first.text, first.tags, first.motivation, first.exact, first.prefix, first.start, first.end) == (
        "Why?", ["t"], "questioning", "quote", "p", 3, 8)
    assert reply.reply_to == "a1" and reply.text == "Because."
    hypothesis = read_annotations({"rows": [{"id": "h", "text": "Note", "tags": ["x"], "references": ["p", "q"],
                                             "target": [{"source": "u"}]}]})
    assert hypothesis[0].reply_to == "q" and hypothesis[0].exact is None


@pytest.mark.parametrize("data", [{}, {"type": "Person"}, [], [1, 2], {"items": []}, "text", 3])
def test_anything_else_is_not_annotations(data):
    with pytest.raises(NotAnnotations, match="The file holds no annotations"):
        read_annotations(data)
