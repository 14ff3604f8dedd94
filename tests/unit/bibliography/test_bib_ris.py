"""Tests for reading and writing RIS."""

import pytest

from app.bibliography.errors import FormatError
from app.bibliography.formats import parse, to_ris
from app.bibliography.record import StudyRecord


def test_zotero_export_reads_every_good_record_and_names_the_bad_one(bib_data):
    result = parse(bib_data("zotero.ris"), filename="zotero.ris")
    assert [entry.ok for entry in result.records] == [True, True, True, True]
    assert result.errors == []
    assert result.records[1].label.startswith("Record 2 (\u2018Chemotherapy-induced tumour microenvironment")
    assert result.records[1].record.doi is None
    assert result.records[1].warnings == (
        "its DOI was left out (DOI 'abc' is not valid: a DOI looks like 10.1234/abcd)",)


def test_zotero_record_maps_journal_date_pages_and_identifiers(bib_data):
    cohort = parse(bib_data("zotero.ris")).studies[0]
    assert cohort.authors[2] == {"family": "Moreau", "given": "Céline"}
    assert len(cohort.authors) == 4
    assert cohort.container_title == "Journal of Clinical Oncology Research"
    assert cohort.container_title_short == "J Clin Oncol Res"
    assert (cohort.issued_year, cohort.issued_month, cohort.issued_day) == (2021, 3, 15)
    assert (cohort.volume, cohort.issue, cohort.pages) == ("14", "2", "101-109")
    assert cohort.doi == "10.5555/jcor.2021.0412"
    assert cohort.pmid == "33000412"  # AN, trusted because DP says PubMed
    assert cohort.pmcid == "PMC8000412"  # Zotero's Extra-style "PMCID:" note
    assert cohort.abstract.startswith("Background: Whether")


def test_zotero_commentary_gets_opinion_design_and_a_clean_doi(bib_data):
    commentary = parse(bib_data("zotero.ris")).studies[2]
    assert commentary.doi == "10.5555/oncpersp.2018.33"
    assert commentary.genre == "Commentary"
    assert commentary.design == "opinion"
    assert commentary.pmid == "30000033"


def test_zotero_book_does_not_treat_its_series_as_a_journal(bib_data):
    book = parse(bib_data("zotero.ris")).studies[3]
    assert book.csl_type == "book"
    assert book.container_title is None


def test_endnote_export_with_crlf_and_doi_in_m3(bib_data):
    study, chapter = parse(bib_data("endnote.ris"), filename="endnote.ris").studies
    assert study.authors == [
        {"family": "Brennan", "given": "P. J."},
        {"family": "Kowalczyk", "given": "Anna"},
        {"literal": "World Cancer Study Group"},
    ]
    assert study.container_title == "European Review of Surgical Oncology"
    assert study.container_title_short == "Eur Rev Surg Oncol"
    assert (study.issued_year, study.issued_month) == (2016, 11)
    assert study.doi == "10.5555/ersc.2016.1123"
    assert study.genre is None
    assert study.pmid == "27000003"
    assert study.design == "case_control"
    assert study.population == "220 cases and 660 matched controls from two registries"
    assert study.abstract.startswith("We compared 220 women")
    assert chapter.csl_type == "chapter"
    assert chapter.container_title == "Handbook of Breast Imaging"


def test_accession_number_is_not_a_pmid_without_a_pubmed_source():
    text = b"TY  - JOUR\nTI  - From Embase\nAN  - 12345\nDB  - Embase\nER  - \n"
    assert parse(text, "ris").studies[0].pmid is None


def test_a_file_cut_off_in_its_first_record_is_refused(bib_data):
    with pytest.raises(FormatError, match="truncated"):
        parse(bib_data("truncated.ris"), filename="truncated.ris")


def test_a_record_cut_off_after_good_ones_is_reported_alone(bib_data):
    result = parse(bib_data("zotero.ris") + b"\n" + bib_data("truncated.ris"), "ris")
    assert len(result.studies) == 4
    assert result.errors[-1] == (
        "Record 5 (\u2018Macrophage density after neoadjuvant paclitaxel in breast t\u2026\u2019): "
        "the file ends before this record's 'ER  - ' line; the file looks truncated"
    )


def test_a_file_without_records_is_refused():
    with pytest.raises(FormatError, match="No RIS records"):
        parse(b"Provider: Nowhere\nER  - \n", "ris")


def test_tags_written_with_one_space_are_still_read():
    result = parse(b"TY - JOUR\nTI - Sloppy export\nPY - 2020\nER -\n", "ris")
    assert result.studies[0].title == "Sloppy export"
    assert result.studies[0].issued_year == 2020


def test_written_ris_has_no_numbered_header_and_one_line_values():
    record = StudyRecord(title="Two\nlines", abstract="First paragraph.\n\nSecond.", pages="273-274")
    text = to_ris([record])
    assert text.startswith("TY  - JOUR\n")
    assert "AB  - First paragraph. Second.\n" in text
    assert "SP  - 273\nEP  - 274\n" in text
    assert text.rstrip().endswith("ER  -")


def test_written_ris_never_makes_et_al_an_author():
    record = StudyRecord(title="A trial", authors=[{"family": "Karagiannis", "given": "George S."},
                                                   {"literal": "et al."}, {"literal": "Et al"}])
    text = to_ris([record])
    assert "AU  - Karagiannis, George S.\n" in text
    assert "et al" not in text.lower()
    assert [a for a in parse(text.encode(), "ris").studies[0].authors] == [{"family": "Karagiannis",
                                                                             "given": "George S."}]
