"""Tests for reading BibTeX."""

import pytest

from app.bibliography.errors import FormatError
from app.bibliography.formats import parse


@pytest.fixture
def library(bib_data):
    return parse(bib_data("library.bib"), filename="library.bib")


def test_latex_accents_become_unicode(library):
    muller = library.studies[0]
    assert muller.authors == [
        {"family": "Müller", "given": "Jörg"},
        {"family": "García", "given": "José"},
        {"family": "Çelik", "given": "Ayşe"},
        {"literal": "et al."},
    ]
    assert muller.title == (
        "TMEM doorways and östrogen receptor status after neoadjuvant chemotherapy: "
        "a retrospective cohort"
    )
    assert library.studies[1].authors[0] == {"family": "Straßer", "given": "Hans-Peter"}


def test_string_macros_months_pages_and_escapes_are_resolved(library):
    muller = library.studies[0]
    assert muller.container_title == "Journal of Surgical Oncology Research"
    assert (muller.issued_year, muller.issued_month) == (2018, 5)
    assert muller.pages == "301-309"
    assert muller.abstract == "We reviewed 311 women; 12% had TMEM scores above 40."


def test_identifiers_and_urls_are_read_verbatim(library):
    muller = library.studies[0]
    assert muller.doi == "10.5555/jsor.2018_301"
    assert muller.pmid == "29000301"
    assert muller.url == "https://example.org/jsor/2018_301?ref=a%20b"


def test_note_study_type_gives_design_and_population(library):
    assert library.studies[0].design == "cohort"
    assert library.studies[0].population == "311 women treated at two centres"


def test_entry_types_map_to_csl_types_and_braced_names_stay_whole(library):
    book, misc = library.studies[1], library.studies[2]
    assert book.csl_type == "book"
    assert book.title == "Breast Cancer Care & Survivorship"
    assert book.authors[1] == {"literal": "World Health Organization"}
    assert misc.csl_type == "article"
    assert misc.url == "https://example.org/forum/thread_42"


def test_a_bad_doi_is_left_out_with_a_warning_and_the_entry_kept(library):
    assert len(library.studies) == 4 and library.errors == []
    kept = library.records[3]
    assert kept.record.title == "A study with a malformed identifier" and kept.record.doi is None
    assert kept.warnings == ("its DOI was left out (DOI 'not-a-doi' is not valid: a DOI looks like 10.1234/abcd)",)


def test_a_syntax_error_fails_only_its_entry():
    text = b"@article{bad, title = {Unclosed\n@misc{good, title = {Fine}}\n"
    result = parse(text, "bibtex")
    assert [s.title for s in result.studies] == ["Fine"]
    assert result.errors == ["Record 1: BibTeX syntax error in the entry on line 1"]


def test_entries_with_duplicate_keys_or_fields_are_still_imported():
    text = b"@article{dup, title={A}}\n@article{dup, title={B}, year=2017}\n@misc{x, title={C}, title={D}}\n"
    assert [s.title for s in parse(text, "bibtex").studies] == ["A", "B", "C"]


def test_a_file_with_no_readable_entry_is_refused(bib_data):
    with pytest.raises(FormatError, match="No BibTeX entry could be read"):
        parse(bib_data("invalid.bib"), filename="invalid.bib")
    with pytest.raises(FormatError, match="No BibTeX entries found"):
        parse(b"% only a comment\n", "bibtex")
