"""Snippets are escaped text with <mark> only where the engine marked a match; documents are plain text."""
from app.text.search_documents import (
    HEAD,
    annotation_document,
    article_documents,
    index_text,
    plain_text,
    study_document,
)
from app.text.snippets import END, START, marked_html
from app.text.vocabulary import synonyms_of, variants


def test_marked_words_become_mark_elements_and_everything_else_is_escaped():
    fragment = f'<script>alert(1)</script> & "quotes" {START}TIE2{END} <b>bold</b>'
    html = marked_html(fragment)
    assert html == ("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; <mark>TIE2</mark> "
                    "&lt;b&gt;bold&lt;/b&gt;")


def test_marks_are_always_balanced_whatever_the_engine_cut():
    assert marked_html(f"…the {START}macroph") == "…the <mark>macroph</mark>"
    assert marked_html(f"{END}stray{END} {START}{START}x{END}") == "stray <mark>x</mark>"
    assert marked_html(None) == ""


def test_control_characters_in_a_fragment_are_dropped():
    assert marked_html("a\x00b\x1bc") == "abc"


def test_indexed_text_never_carries_the_snippet_markers():
    assert index_text(f"a{START}b{END}c\x00d\n\ne") == "a b c d e"
    assert START not in plain_text(f"<p>x{START}</p>")


def test_an_annotation_is_indexed_as_the_text_a_reader_sees():
    document = annotation_document('<p>See <a href="https://example.org/x">the <strong>TIE2</strong> data</a></p>'
                                   "<ul><li>one</li><li>two</li></ul>", "TMEM sites", ["tmem", "Tie2"])
    assert document.body == "See the TIE2 data one two"
    assert document.quote == "TMEM sites"
    assert document.extra == "tmem Tie2"
    assert "example.org" not in document.body


def test_an_article_is_indexed_by_paragraph_after_its_head():
    documents = article_documents("A title", "The standfirst", ["oncology"], "esanum",
                                  "First paragraph.\n\n- item one\n- item two\n\nLast one.")
    assert [(d.position, d.body) for d in documents] == [
        (HEAD, "The standfirst"), (0, "First paragraph."), (1, "item one item two"), (2, "Last one.")]
    assert all(d.title == "A title" for d in documents)
    assert documents[0].extra == "oncology esanum"


def test_a_study_is_indexed_with_its_authors_journal_and_identifiers():
    document = study_document(title="Neoadjuvant chemotherapy induces metastasis",
                              authors=[{"family": "Karagiannis", "given": "George S."}, {"literal": "et al."}],
                              journal="Science Translational Medicine", journal_short="Sci Transl Med",
                              abstract="Mice.", key_findings=None, population="20 patients", doi="10.1126/x",
                              pmid="123", pmcid=None)
    assert document.body == "Mice. 20 patients"
    assert document.extra == ("Karagiannis George S.; et al. Science Translational Medicine Sci Transl Med "
                              "10.1126/x PMID 123")


def test_spelling_variants_cover_plurals_and_british_american_forms():
    assert "metastases" in variants("metastasis")
    assert "metastasis" in variants("metastases")
    assert "tumor" in variants("tumour") and "tumour" in variants("tumor")
    assert "hemorrhage" in variants("haemorrhage") and "haemorrhage" in variants("hemorrhage")
    assert "randomized" in variants("randomised")
    assert variants("tie2") == () and variants("os") == ()


def test_the_synonym_table_works_both_ways_and_only_for_listed_forms():
    assert synonyms_of(("NAC",)) == (("neoadjuvant", "chemotherapy"),)
    assert synonyms_of(("neoadjuvant", "chemotherapy")) == (("nac",),)
    assert synonyms_of(("chemotherapy",)) == ()
