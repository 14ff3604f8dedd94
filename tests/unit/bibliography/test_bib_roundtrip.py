"""Tests that exporting records and reading the export back gives the same records."""

import dataclasses

import pytest

from app.bibliography.formats import export, parse, to_bibtex, to_csl_json, to_ris
from app.bibliography.names import is_et_al
from app.bibliography.record import StudyRecord

FIXTURES = ["references.json", "zotero.ris", "endnote.ris", "pubmed.nbib", "library.bib"]


def _fixture_studies(bib_data) -> list[StudyRecord]:
    studies = [s for name in FIXTURES for s in parse(bib_data(name), filename=name).studies]
    for number, study in enumerate(studies):
        # Keys are generated on export when missing; give them one to compare whole records.
        study.citation_key = study.citation_key or f"study{number}"
    return studies


def awkward_record() -> StudyRecord:
    return StudyRecord(
        citation_key="obrien2020",
        title="A {braced} title: 50% & $5 # _x_ ~ ^caret \\ back -- dash, mRNA and TMEM",
        authors=[
            {"family": "O'Brien", "given": "Seán", "suffix": "Jr"},
            {"family": "Solo"},
            {"family": "van der Berg", "given": "Jan"},
            {"literal": "et al."},
        ],
        container_title="J; Test",
        issued_year=2020,
        issued_month=2,
        issued_day=29,
        volume="1",
        issue="2",
        pages="S1-S10, S12",
        doi="10.5555/a_b;c(d)",
        pmid="123",
        pmcid="PMC9",
        url="https://example.org/a_b%20c~d?e=f;g",
        abstract="Done in 50% of cases; fine.",
        genre="Letter",
        design="rct",
        population="adults; aged 50%+\nin two towns",
        sample_size=0,
        key_findings="x=y; postil:design=animal",
        evidence_level=2,
        retracted=True,
        retraction_note="Retraction in: J Test. 2021;1:1.",
    )


@pytest.mark.parametrize("format_name", ["csl-json", "ris", "bibtex"])
def test_fixture_studies_survive_a_round_trip(bib_data, format_name):
    studies = _fixture_studies(bib_data)
    back = parse(export(studies, format_name).encode("utf-8"), format_name)
    assert back.errors == []
    assert back.studies == [_as_written(s, format_name) for s in studies]


@pytest.mark.parametrize("format_name", ["csl-json", "ris", "bibtex"])
def test_special_characters_and_all_postil_extras_survive_a_round_trip(format_name):
    record = awkward_record()
    back = parse(export([record], format_name).encode("utf-8"), format_name).studies
    assert back == [_as_written(record, format_name)]


def _as_written(record: StudyRecord, format_name: str) -> StudyRecord:
    """Return `record` as the format can carry it: RIS has no "et al." (it would read back as an author)."""
    if format_name != "ris":
        return record
    return dataclasses.replace(record, authors=[a for a in record.authors if not is_et_al(a)])


def test_ris_carries_postil_extras_in_an_n1_note():
    record = StudyRecord(title="T", design="animal", evidence_level=5)
    assert "N1  - postil:design=animal; postil:evidence_level=5\n" in to_ris([record])


def test_bibtex_carries_postil_extras_in_the_note_field():
    record = StudyRecord(title="T", design="animal", evidence_level=5)
    assert "  note = {postil:design=animal; postil:evidence\\_level=5}," in to_bibtex([record])


def test_a_record_without_extras_writes_no_postil_note():
    record = StudyRecord(title="T")
    assert "postil" not in to_ris([record])
    assert "postil" not in to_bibtex([record])


def test_missing_citation_keys_are_generated_and_unique():
    def study(year):
        return StudyRecord(
            title="Neoadjuvant chemotherapy",
            authors=[{"family": "Karagiannis", "given": "George S."}],
            issued_year=year,
        )

    bibtex = to_bibtex([study(2017), study(2017), study(None)])
    assert "@article{karagiannis2017," in bibtex
    assert "@article{karagiannis2017a," in bibtex
    assert "@article{karagiannisnd," in bibtex
    assert '"id": "karagiannis2017a"' in to_csl_json([study(2017), study(2017)])


def test_bibtex_keys_lose_characters_bibtex_cannot_hold():
    record = StudyRecord(citation_key="smith 2020, {draft}", title="T")
    assert to_bibtex([record]).startswith("@article{smith-2020-draft,")


def test_bibtex_protects_acronyms_and_marks_et_al_as_others(bib_data):
    studies = parse(bib_data("references.json")).studies
    bibtex = to_bibtex(studies)
    assert "author = {Karagiannis, George S. and others}," in bibtex
    assert "through a {TMEM}-mediated mechanism}," in bibtex
    assert "pages = {273--274}," in bibtex
    assert "month = jul," in bibtex
