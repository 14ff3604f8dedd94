"""Tests for the format dispatcher: decoding, guessing the format, export choices."""

import pytest

from app.bibliography.errors import FormatError
from app.bibliography.formats import export, guess_format, parse
from app.bibliography.record import StudyRecord


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("references.json", "csl-json"),
        ("zotero.ris", "ris"),
        ("endnote.ris", "ris"),
        ("pubmed.nbib", "nbib"),
        ("library.bib", "bibtex"),
    ],
)
def test_format_is_guessed_from_content_whatever_the_extension(bib_data, name, expected):
    assert guess_format(bib_data(name).decode("utf-8"), "renamed.txt") == expected


def test_extension_decides_when_content_does_not():
    assert guess_format("%% nothing recognisable", "refs.bib") == "bibtex"
    with pytest.raises(FormatError, match="Could not tell"):
        guess_format("nothing recognisable", "notes.txt")


def test_a_latin1_file_is_decoded_and_its_encoding_named(bib_data):
    result = parse(bib_data("latin1.ris"), filename="latin1.ris")
    assert result.encoding in ("Windows-1252", "Latin-1 (ISO-8859-1)")
    assert "\u00e9" in bib_data("latin1.ris").decode("latin-1") and result.studies
    assert all("\ufffd" not in s.title for s in result.studies)


def test_a_byte_order_mark_is_ignored():
    result = parse("\ufeffTY  - JOUR\nTI  - With BOM\nER  - \n".encode("utf-8"))
    assert result.studies[0].title == "With BOM"


def test_an_empty_file_is_refused():
    with pytest.raises(FormatError, match="empty"):
        parse(b" \n ")


def test_format_names_have_aliases_and_unknown_ones_are_refused(bib_data):
    assert len(parse(bib_data("library.bib"), "BIB").records) == 4
    with pytest.raises(FormatError, match="Unknown format 'endnote-xml'"):
        parse(bib_data("library.bib"), "endnote-xml")


def test_parse_result_splits_studies_from_errors(bib_data):
    result = parse(bib_data("zotero.ris"))
    assert len(result.records) == 4
    assert len(result.studies) == 4  # record 2's bad DOI is left out, the record kept
    assert result.errors == [] and result.records[1].warnings
    assert [entry.index for entry in result.records] == [1, 2, 3, 4]


def test_medline_cannot_be_exported():
    with pytest.raises(FormatError, match="cannot write nbib"):
        export([StudyRecord(title="T")], "nbib")
