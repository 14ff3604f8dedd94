"""Tests for DOI/PMID/PMCID normalisation and duplicate detection."""

import pytest

from app.bibliography.identifiers import (
    DuplicateIndex,
    InvalidIdentifier,
    duplicate_key,
    is_duplicate,
    normalise_doi,
    normalise_pmcid,
    normalise_pmid,
    normalise_title,
)
from app.bibliography.record import StudyRecord


@pytest.mark.parametrize(
    "raw",
    [
        "10.1126/SciTranslMed.aan0026",
        "  10.1126/scitranslmed.aan0026\n",
        "https://doi.org/10.1126/scitranslmed.aan0026",
        "HTTPS://DOI.ORG/10.1126/scitranslmed.aan0026",
        "http://dx.doi.org/10.1126/scitranslmed.aan0026",
        "doi:10.1126/scitranslmed.aan0026",
        "DOI: 10.1126/scitranslmed.aan0026",
        "https://doi.org/10.1126%2Fscitranslmed.aan0026",
    ],
)
def test_doi_prefixes_are_stripped_and_case_folded(raw):
    assert normalise_doi(raw) == "10.1126/scitranslmed.aan0026"


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_identifiers_are_none(blank):
    assert normalise_doi(blank) is None
    assert normalise_pmid(blank) is None
    assert normalise_pmcid(blank) is None


@pytest.mark.parametrize(
    "raw",
    ["abc", "10.12/short-registrant", "10.1234/", "10.1234/has space"],
)
def test_invalid_doi_is_rejected_with_an_example_of_a_good_one(raw):
    with pytest.raises(InvalidIdentifier) as error:
        normalise_doi(raw)
    assert str(error.value) == f"DOI '{raw}' is not valid: a DOI looks like 10.1234/abcd"


@pytest.mark.parametrize("raw", ["28679654", "PMID: 28679654", "pmid:28679654", " 28679654 ", 28679654])
def test_pmid_keeps_only_the_digits(raw):
    assert normalise_pmid(raw) == "28679654"


@pytest.mark.parametrize("raw", ["123456789", "PMID 12a", "abc", "PMC123"])
def test_invalid_pmid_is_rejected(raw):
    with pytest.raises(InvalidIdentifier, match=r"PMID '.*' is not valid"):
        normalise_pmid(raw)


@pytest.mark.parametrize("raw", ["PMC5609456", "pmc5609456", "PMCID: PMC5609456", "PMC 5609456"])
def test_pmcid_is_upper_case_pmc_and_digits(raw):
    assert normalise_pmcid(raw) == "PMC5609456"


@pytest.mark.parametrize("raw", ["5609456", "PMCX12", "PMID: 123"])
def test_invalid_pmcid_is_rejected(raw):
    with pytest.raises(InvalidIdentifier, match=r"PMCID '.*' is not valid"):
        normalise_pmcid(raw)


def test_title_normalisation_ignores_case_accents_and_punctuation():
    assert normalise_title("  Neoadjuvant Chemotherapy\u2014Induces  Métastasis?! ") == (
        "neoadjuvant chemotherapy induces metastasis"
    )
    assert normalise_title("STRASSE") == normalise_title("Straße")


def _study(**fields) -> StudyRecord:
    return StudyRecord(**{"title": "Neoadjuvant chemotherapy and metastasis", **fields})


def test_duplicate_key_prefers_doi_then_pmid_then_title_and_year():
    assert duplicate_key(_study(doi="10.5555/a", pmid="1")) == ("doi", "10.5555/a")
    assert duplicate_key(_study(pmid="PMID: 1")) == ("pmid", "1")
    assert duplicate_key(_study(title="The TITLE!", issued_year=2017)) == ("title", "the title", 2017)


def test_same_doi_is_a_duplicate_even_with_different_titles():
    assert is_duplicate(_study(doi="10.5555/A"), _study(title="Other", doi="https://doi.org/10.5555/a"))


def test_different_dois_are_different_studies_even_with_the_same_title():
    assert not is_duplicate(_study(doi="10.5555/a"), _study(doi="10.5555/b"))


def test_pmid_decides_when_only_one_side_has_a_doi():
    assert is_duplicate(_study(doi="10.5555/a", pmid="1"), _study(title="Other", pmid="1"))
    assert not is_duplicate(_study(doi="10.5555/a", pmid="1"), _study(pmid="2"))


def test_title_match_needs_the_same_year():
    assert is_duplicate(_study(issued_year=2017, doi="10.5555/a"),
                        _study(title="NEOADJUVANT chemotherapy and metastasis.", issued_year=2017))
    assert not is_duplicate(_study(issued_year=2017), _study(issued_year=2018))


def test_duplicate_index_returns_the_earliest_matching_reference():
    index = DuplicateIndex()
    index.add(_study(title="Unrelated"), ref=1)
    index.add(_study(issued_year=2017), ref=2)
    index.add(_study(doi="10.5555/a", issued_year=2017), ref=3)
    found = index.find(_study(doi="10.5555/a", issued_year=2017))
    assert found is not None and found[1] == 2
    assert index.find(_study(title="Something new")) is None
    assert len(index) == 3


def test_duplicate_index_does_not_match_a_different_doi_with_the_same_title():
    index = DuplicateIndex()
    index.add(_study(doi="10.5555/a", issued_year=2017), ref="first")
    assert index.find(_study(doi="10.5555/b", issued_year=2017)) is None


def test_orcid_ids_are_normalised_and_checked_with_iso_7064_mod_11_2():
    import pytest

    from app.bibliography.identifiers import normalise_orcid, orcid_check_digit

    assert orcid_check_digit("000000021825009") == "7"
    assert orcid_check_digit("000000021694233") == "X"
    assert normalise_orcid("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert normalise_orcid("000000021694233x") == "0000-0002-1694-233X"
    assert normalise_orcid("  ") is None
    for bad in ("0000-0002-1825-0098", "0000-0002-1825", "orcid.org/abcd", "0000-0002-1825-00977"):
        with pytest.raises(ValueError):
            normalise_orcid(bad)
