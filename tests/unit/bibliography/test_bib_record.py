"""Tests for StudyRecord validation and its CSL-JSON mapping."""

import pytest

from app.bibliography.errors import InvalidIdentifier, InvalidRecord
from app.bibliography.record import EXTRA_FIELDS, StudyRecord


def full_record() -> StudyRecord:
    return StudyRecord(
        citation_key="karagiannis2017",
        title="Neoadjuvant chemotherapy induces breast cancer metastasis through a TMEM-mediated mechanism",
        authors=[{"family": "Karagiannis", "given": "George S."}, {"literal": "et al."}],
        container_title="Science Translational Medicine",
        container_title_short="Sci Transl Med",
        issued_year=2017,
        issued_month=7,
        issued_day=5,
        volume="9",
        issue="397",
        pages="eaan0026",
        doi="10.1126/scitranslmed.aan0026",
        pmid="28679654",
        pmcid="PMC5609456",
        url="https://example.org/karagiannis",
        abstract="Chemotherapy increased TMEM doorway activity.",
        design="animal",
        population="murine breast cancer models",
        sample_size=20,
        key_findings="More TMEM doorways after paclitaxel.",
        evidence_level=5,
    )


def test_csl_round_trip_keeps_every_field():
    record = full_record()
    assert StudyRecord.from_csl(record.to_csl()) == record


def test_csl_item_carries_all_postil_extras_even_when_empty():
    item = StudyRecord(title="Bare").to_csl()
    assert set(item["postil"]) == set(EXTRA_FIELDS)
    assert item["postil"]["retracted"] is False
    assert "author" not in item and "issued" not in item


def test_csl_item_uses_csl_names_and_date_parts():
    item = full_record().to_csl()
    assert item["id"] == "karagiannis2017"
    assert item["DOI"] == "10.1126/scitranslmed.aan0026"
    assert item["issued"] == {"date-parts": [[2017, 7, 5]]}
    assert item["page"] == "eaan0026"
    assert item["postil"]["evidence_level"] == 5


def test_an_explicit_postil_block_stops_design_inference():
    item = {"title": "An editorial", "genre": "Editorial", "postil": {"design": None}}
    assert StudyRecord.from_csl(item).design is None
    assert StudyRecord.from_csl({"title": "An editorial", "genre": "Editorial"}).design == "opinion"


def test_from_csl_tolerates_common_csl_variations():
    record = StudyRecord.from_csl(
        {
            "title": ["A title in a list"],
            "author": [{"family": "Berg", "non-dropping-particle": "van der", "given": "Jan"}],
            "issued": {"date-parts": [["2017", "7"]]},
            "volume": 9,
            "doi": "https://doi.org/10.1126/X",
        }
    )
    assert record.title == "A title in a list"
    assert record.authors == [{"family": "van der Berg", "given": "Jan"}]
    assert (record.issued_year, record.issued_month, record.volume) == (2017, 7, "9")
    assert record.doi == "10.1126/x"
    assert StudyRecord.from_csl({"title": "T", "issued": {"raw": "2018 Mar"}}).issued_month == 3


def test_identifiers_are_normalised_on_construction():
    record = StudyRecord(title="T", doi=" DOI:10.5555/ABC ", pmid="PMID: 12", pmcid="pmc34")
    assert (record.doi, record.pmid, record.pmcid) == ("10.5555/abc", "12", "PMC34")


def test_a_record_needs_a_title():
    with pytest.raises(InvalidRecord, match="no title"):
        StudyRecord(title="   ")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"design": "anecdote"}, "design 'anecdote'"),
        ({"evidence_level": 6}, "evidence level '6'"),
        ({"evidence_level": True}, "evidence level"),
        ({"sample_size": -1}, "sample size"),
        ({"issued_year": 2017, "issued_month": 13}, "month"),
    ],
)
def test_invalid_extras_are_rejected(fields, message):
    with pytest.raises(InvalidRecord, match=message):
        StudyRecord(title="T", **fields)


def test_invalid_doi_is_rejected_on_construction():
    with pytest.raises(InvalidIdentifier):
        StudyRecord(title="T", doi="abc")


def test_postil_values_from_text_are_coerced_to_their_types():
    record = StudyRecord.from_csl(
        {"title": "T", "postil": {"evidence_level": "2", "sample_size": "1204", "retracted": "true"}}
    )
    assert (record.evidence_level, record.sample_size, record.retracted) == (2, 1204, True)
    with pytest.raises(InvalidRecord, match="not a whole number"):
        StudyRecord.from_csl({"title": "T", "postil": {"evidence_level": "high"}})
