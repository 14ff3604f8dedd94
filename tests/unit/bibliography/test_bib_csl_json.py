"""Tests for reading CSL-JSON, including Postil's demo references."""

import json

import pytest

from app.bibliography.errors import FormatError
from app.bibliography.formats import parse


def _by_key(result):
    return {entry.record.citation_key: entry.record for entry in result.records}


def test_demo_references_get_designs_from_their_notes(bib_data):
    result = parse(bib_data("references.json"), filename="references.json")
    assert result.errors == []
    studies = _by_key(result)
    assert studies["chabner2018"].design == "opinion"
    assert studies["chabner2018"].genre == "Editorial"
    assert studies["karagiannis2017"].design == "animal"
    assert studies["esserman2017"].design == "opinion"


def test_demo_animal_study_population_comes_from_the_note(bib_data):
    karagiannis = _by_key(parse(bib_data("references.json")))["karagiannis2017"]
    assert karagiannis.population == (
        "murine breast cancer models, with tissue from 20 patients treated with "
        "neoadjuvant chemotherapy"
    )
    assert karagiannis.authors == [
        {"family": "Karagiannis", "given": "George S."},
        {"literal": "et al."},
    ]
    assert (karagiannis.issued_year, karagiannis.issued_month, karagiannis.issued_day) == (2017, 7, 5)


def test_demo_eletter_keeps_its_container_and_url(bib_data):
    esserman = _by_key(parse(bib_data("references.json")))["esserman2017"]
    assert esserman.container_title == "Science Translational Medicine (eLetter)"
    assert esserman.url == "https://stm.sciencemag.org/content/9/397/eaan0026/tab-e-letters"
    assert esserman.issued_year is None


def test_a_bad_item_is_reported_and_the_others_are_kept():
    items = [
        {"id": "a", "title": "Good one"},
        {"id": "b", "title": "Bad DOI", "DOI": "abc"},
        {"id": "c"},
        "not an object",
        {"id": "e", "title": "Also good"},
    ]
    result = parse(json.dumps(items).encode(), "csl-json")
    assert [e.index for e in result.records if e.ok] == [1, 2, 5]
    assert result.records[1].record.doi is None
    assert result.records[1].warnings == (
        "its DOI was left out (DOI 'abc' is not valid: a DOI looks like 10.1234/abcd)",)
    assert result.errors == [
        "Record 3 (c): the record has no title",
        "Record 4: the entry is not a CSL-JSON object",
    ]


def test_a_single_item_or_an_items_wrapper_is_accepted():
    assert len(parse(b'{"title": "One"}', "csl-json").studies) == 1
    assert len(parse(b'{"items": [{"title": "One"}, {"title": "Two"}]}').studies) == 2


def test_json_that_is_not_csl_is_refused(bib_data):
    with pytest.raises(FormatError, match="not CSL-JSON"):
        parse(bib_data("not_csl.json"), filename="not_csl.json")
    with pytest.raises(FormatError, match="not CSL-JSON"):
        parse(b"[1, 2, 3]")


def test_broken_json_is_refused_with_its_position():
    with pytest.raises(FormatError, match=r"not valid JSON \(line 2"):
        parse(b'[{"title": "x"},\n  {oops}]', "csl-json")
