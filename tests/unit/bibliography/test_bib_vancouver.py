"""Tests for Vancouver (NLM) reference formatting."""

from app.bibliography.formats import parse
from app.bibliography.record import StudyRecord
from app.bibliography.vancouver import format_vancouver, format_vancouver_html


def _demo(bib_data, key):
    studies = parse(bib_data("references.json")).studies
    return next(s for s in studies if s.citation_key == key)


def test_demo_karagiannis_study_in_vancouver_style(bib_data):
    assert format_vancouver(_demo(bib_data, "karagiannis2017")) == (
        "Karagiannis GS, et al. Neoadjuvant chemotherapy induces breast cancer metastasis "
        "through a TMEM-mediated mechanism. Sci Transl Med. 2017 Jul 5;9(397):eaan0026. "
        "doi:10.1126/scitranslmed.aan0026"
    )


def test_editorials_are_marked_and_page_ranges_shortened(bib_data):
    assert format_vancouver(_demo(bib_data, "chabner2018")) == (
        "Chabner BA. Does Chemotherapy Induce Metastases? [editorial]. Oncologist. "
        "2018 Mar;23(3):273-4. doi:10.1634/theoncologist.2017-0648"
    )


def test_a_reference_without_doi_points_to_its_url(bib_data):
    text = format_vancouver(_demo(bib_data, "esserman2017"))
    assert text.startswith("Esserman L, et al. The neoadjuvant chemotherapy (NAC) setting")
    assert text.endswith(
        "[eLetter]. Science Translational Medicine (eLetter). "
        "Available from: https://stm.sciencemag.org/content/9/397/eaan0026/tab-e-letters"
    )


def test_more_than_six_authors_are_cut_to_six_and_et_al():
    authors = [{"family": f"Author{n}", "given": "Anna Maria"} for n in range(1, 9)]
    record = StudyRecord(title="Big trial", authors=authors, container_title="BMJ", issued_year=2020)
    assert format_vancouver(record) == (
        "Author1 AM, Author2 AM, Author3 AM, Author4 AM, Author5 AM, Author6 AM, et al. "
        "Big trial. BMJ. 2020."
    )


def test_chapters_cite_their_book_and_pages():
    record = StudyRecord(
        csl_type="chapter",
        title="Imaging response",
        authors=[{"family": "Silva", "given": "Jean-Pierre"}],
        container_title="Handbook of Breast Imaging",
        issued_year=2015,
        pages="211-236",
    )
    assert format_vancouver(record) == (
        "Silva JP. Imaging response. In: Handbook of Breast Imaging. 2015. p. 211-36."
    )


def test_html_form_is_escaped_text_without_markup():
    record = StudyRecord(title="<script>alert(1)</script> & more", authors=[{"literal": "A&B Group"}])
    html = format_vancouver_html(record)
    assert html == "A&amp;B Group. &lt;script&gt;alert(1)&lt;/script&gt; &amp; more."
    assert "<" not in html
