"""Tests for reading PubMed MEDLINE (.nbib) exports."""

import pytest

from app.bibliography.errors import FormatError
from app.bibliography.formats import parse


@pytest.fixture
def pubmed(bib_data):
    result = parse(bib_data("pubmed.nbib"), filename="pubmed.nbib")
    assert result.errors == []
    return result.studies


def test_three_records_are_read_with_their_pmids(pubmed):
    assert [s.pmid for s in pubmed] == ["36000101", "35000202", "34000303"]


def test_continuation_lines_are_joined_and_the_final_full_stop_dropped(pubmed):
    assert pubmed[0].title == (
        "Dose-dense versus conventional neoadjuvant chemotherapy and distant metastasis in "
        "HER2-negative breast cancer: a multicentre randomised controlled trial"
    )
    assert "METHODS: We randomly assigned 1204 women" in pubmed[0].abstract


def test_full_author_names_and_collective_authors_keep_their_order(pubmed):
    assert pubmed[0].authors == [
        {"family": "Nakamura", "given": "Yui"},
        {"family": "O'Connell", "given": "Siobhan M"},
        {"family": "van der Berg", "given": "Pieter"},
        {"family": "Achebe", "given": "Chidi"},
        {"literal": "DENSE-NAC Investigators"},
    ]


def test_short_author_names_are_split_into_family_and_initials(pubmed):
    assert pubmed[2].authors == [
        {"family": "Petrov", "given": "A"},
        {"family": "Lindgren", "given": "K"},
    ]


def test_journal_date_and_identifiers_are_mapped(pubmed):
    trial = pubmed[0]
    assert (trial.container_title, trial.container_title_short) == (
        "Journal of breast oncology",
        "J Breast Oncol",
    )
    assert (trial.issued_year, trial.issued_month, trial.issued_day) == (2022, 10, 12)
    assert (trial.volume, trial.issue, trial.pages) == ("31", "4", "455-467")
    assert trial.doi == "10.5555/jbo.2022.455"
    assert trial.pmcid == "PMC9000101"
    assert (pubmed[1].issued_month, pubmed[1].doi) == (7, "10.5555/sro.2021.0202")


def test_publication_types_give_the_design(pubmed):
    assert [s.design for s in pubmed] == ["rct", "systematic_review", None]


def test_retracted_publications_are_flagged_with_the_retraction_notice(pubmed):
    retracted = pubmed[2]
    assert retracted.retracted is True
    assert retracted.retraction_note == "Retraction in: Mol Oncol Rep. 2021 Mar;6(1):5. PMID: 34000404"
    assert not pubmed[0].retracted


def test_a_bad_pmid_is_left_out_with_a_warning_and_the_record_kept():
    text = b"PMID- 12\nTI  - Fine.\n\nPMID- 123456789\nTI  - Too long a PMID.\n"
    result = parse(text, "nbib")
    assert [s.pmid for s in result.studies] == ["12", None] and result.errors == []
    assert result.records[1].warnings == (
        "its PMID was left out (PMID '123456789' is not valid: a PMID is 1 to 8 digits, like 28679654)",)


def test_text_without_medline_records_is_refused():
    with pytest.raises(FormatError, match="No PubMed"):
        parse(b"just some words\n", "nbib")
