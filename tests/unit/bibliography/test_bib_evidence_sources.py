"""Pure readers for evidence: pasted identifiers, Crossref and E-utilities answers, notices, appraisals, figures."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.bibliography.appraisal import TOOLS, InvalidAppraisal, tool_for_design, validate_appraisal
from app.bibliography.encodings import decode_text
from app.bibliography.errors import FormatError, InvalidIdentifier
from app.bibliography.figures import SummaryCell, SummaryRow, evidence_pyramid_svg, risk_of_bias_svg
from app.bibliography.formats import parse
from app.bibliography.identifiers import parse_identifier
from app.bibliography.notices import NoticeRecord, read_retraction_watch
from app.bibliography.sources import NotFoundAtSource, SourceFormatError, crossref, pubmed

LOOKUP = Path(__file__).resolve().parents[2] / "data" / "lookup"


@pytest.mark.parametrize("pasted, kind, value", [
    ("10.1126/SCITRANSLMED.AAN0026", "doi", "10.1126/scitranslmed.aan0026"),
    ("  doi: 10.1126/scitranslmed.aan0026 ", "doi", "10.1126/scitranslmed.aan0026"),
    ("http://dx.doi.org/10.1126/scitranslmed.aan0026", "doi", "10.1126/scitranslmed.aan0026"),
    ("https://onlinelibrary.wiley.com/doi/full/10.1002/cncr.31234", "doi", "10.1002/cncr.31234"),
    ("https://link.springer.com/content/pdf/10.1007/s10549-019-05245-8.pdf", "doi", "10.1007/s10549-019-05245-8"),
    ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0123456", "doi",
     "10.1371/journal.pone.0123456"),
    ("28679654", "pmid", "28679654"),
    ("PMID:28679654", "pmid", "28679654"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/28679654", "pmid", "28679654"),
    ("pmc5609456", "pmcid", "PMC5609456"),
    ("https://europepmc.org/article/PMC/PMC5609456", "pmcid", "PMC5609456"),
])
def test_pasted_identifiers_are_recognised_in_any_form(pasted, kind, value):
    identifier = parse_identifier(pasted)
    assert (identifier.kind, identifier.value) == (kind, value)


@pytest.mark.parametrize("pasted", ["", "   ", "1126/scitranslmed.aan0026", "123456789", "PMC", "hello world"])
def test_unusable_pastes_raise_with_a_message(pasted):
    with pytest.raises(InvalidIdentifier):
        parse_identifier(pasted)


def test_a_crossref_work_becomes_a_record_with_notices():
    found = crossref.read_work(json.loads((LOOKUP / "crossref-work.json").read_text()))
    record = found.record
    assert record.title == "Taxane-induced TMEM assembly in a murine orthotopic breast cancer model"
    assert record.authors[2] == {"literal": "Preclinical Oncology Consortium"}
    assert (record.issued_year, record.issued_month, record.issued_day) == (2019, 4, 15)
    assert (record.container_title_short, record.volume, record.issue, record.pages) == ("J Fict Exp Oncol", "12", "4",
                                                                                         "415-427")
    assert [(n.kind, n.key, n.source, n.date) for n in found.notices] == [
        ("retraction", "10.5555/fop.2023.ret1", "Retraction Watch, through Crossref", date(2023, 5, 16)),
        ("correction", "10.5555/fop.2020.err7", "Crossref", date(2020, 1, 9))]


@pytest.mark.parametrize("answer", [{}, [], {"status": "ok", "message-type": "work-list", "message": {}},
                                    {"status": "ok", "message": {"DOI": "10.5555/x"}}])
def test_an_answer_that_is_not_a_crossref_work_is_refused(answer):
    with pytest.raises(SourceFormatError):
        crossref.read_work(answer)


def test_an_esummary_becomes_a_record_with_its_design_from_publication_types():
    found = pubmed.read_summary(json.loads((LOOKUP / "esummary-pubmed.json").read_text()), "39000123")
    assert found.record.design == "rct" and found.record.pmcid == "PMC9900123"
    assert found.record.authors == [{"family": "Haddad", "given": "RM"}, {"family": "Lindqvist", "given": "E"}]
    assert found.record.title.endswith("a randomised phase II trial")


def test_an_unknown_uid_is_not_found():
    answer = {"result": {"uids": ["1"], "1": {"uid": "1", "error": "cannot get document summary"}}}
    with pytest.raises(NotFoundAtSource):
        pubmed.read_summary(answer, "1")


def test_efetch_gives_the_labelled_abstract_and_pubmed_notices():
    abstract, notices = pubmed.read_efetch((LOOKUP / "efetch-pubmed.xml").read_bytes())
    assert abstract.splitlines()[0] == "Background: TIE2 inhibition blocks TMEM doorways in mice."
    assert "We randomly assigned 212 women to paclitaxel with or without rebastinib." in abstract
    assert [(n.kind, n.key, n.date) for n in notices] == [("correction", "pubmed:39000999", date(2024, 6, 3))]
    with pytest.raises(SourceFormatError):
        pubmed.read_efetch(b"<html>oops</html>")


def test_the_retraction_watch_csv_is_read_row_by_row():
    rows = list(read_retraction_watch((LOOKUP / "retraction-watch.csv").read_text()))
    assert [r.record_id for r in rows] == ["900001", "900002", "900003"]
    first = rows[0]
    assert (first.doi, first.pmid) == ("10.1126/scitranslmed.aan0026", None)
    assert first.notice == NoticeRecord(kind="retraction", key="10.5555/test.retraction.900001",
                                        source="Retraction Watch", date=date(2026, 5, 16),
                                        url="https://doi.org/10.5555/test.retraction.900001",
                                        note="Reasons given: Test fixture only: not a real retraction")
    assert rows[1].notice.key == "rw:900002" and rows[1].notice.url is None
    assert rows[2].notice is None and rows[2].nature == "Reinstatement"


def test_notices_round_trip_through_json_and_refuse_anything_else():
    notice = NoticeRecord(kind="correction", key="k", source="PubMed", date=date(2024, 6, 3), url="https://x.org/")
    assert NoticeRecord.from_json(notice.to_json()) == notice
    assert NoticeRecord.from_json({**notice.to_json(), "url": "javascript:alert(1)"}).url is None
    for bad in ({"kind": "praise", "key": "k", "source": "s"}, {"kind": "correction"}, {"date": "yesterday"}):
        with pytest.raises(FormatError):
            NoticeRecord.from_json(bad)


@pytest.mark.parametrize("design, tool", [("rct", "rob2"), ("cohort", "robins_i"), ("case_control", "robins_i"),
                                          ("animal", "syrcle"), ("opinion", "other"), (None, "other")])
def test_the_tool_follows_the_design(design, tool):
    assert tool_for_design(design) == tool


def test_an_appraisal_is_validated_against_its_tool():
    values = validate_appraisal("syrcle", "random_housing", "high", "indirectness")
    assert values.domain_label == "4 Random housing (performance bias)"
    assert validate_appraisal("other", "", "low", domain_text="  Funding   source ").domain_label == "Funding source"
    with pytest.raises(InvalidAppraisal, match="is not a domain of ROBINS-I"):
        validate_appraisal("robins_i", "random_housing", "low")
    with pytest.raises(InvalidAppraisal, match="Choose a judgement"):
        validate_appraisal("rob2", "randomisation", "moderate")
    assert set(TOOLS["rob2"].domains) >= {"randomisation", "deviations", "missing_data", "measurement", "reporting"}


def test_the_summary_figure_says_each_judgement_with_symbol_words_and_a_link():
    rows = [SummaryRow("SYRCLE", "4 Random housing <performance>", {"high": SummaryCell(2, "#cell"),
                                                                  "low": SummaryCell(0)})]
    svg = risk_of_bias_svg(rows, title="Appraisals", title_id="t")
    assert "&lt;performance&gt;" in svg and "<performance>" not in svg
    assert ('<a href="#cell" aria-label="SYRCLE, 4 Random housing &lt;performance&gt;: 2 appraisals judged high '
            'risk') in svg
    assert ">2 high</text>" in svg and ">\u00d7</text>" in svg and svg.count(">none</text>") == 2
    assert "style=" not in svg


def test_the_pyramid_labels_every_level_and_describes_the_references():
    svg = evidence_pyramid_svg({5: [1, 2, 3], 2: [4]}, title="Levels", title_id="p")
    assert svg.count("<polygon") == 5
    assert ">2: 1 study</text>" in svg and ">5: 3 studies</text>" in svg and ">1: none</text>" in svg
    assert "level 2: 1 study (ref. 4); level 3: none" in svg


def test_files_in_other_encodings_are_decoded_and_the_encoding_named():
    ris = "TY  - JOUR\nTI  - Étude randomisée: résultats à cinq ans\nAU  - Müller, Jürgen\nER  - \n"
    for encoding, named in (("utf-16", "UTF-16"), ("latin-1", "Windows-1252"), ("cp1252", "Windows-1252")):
        result = parse(ris.encode(encoding))
        assert result.encoding == named and result.studies[0].title == "Étude randomisée: résultats à cinq ans"
    chinese = "TY  - JOUR\nTI  - 新辅助化疗诱导乳腺癌转移的机制研究：小鼠模型\nAU  - 王, 小明\nER  - \n"
    result = parse(chinese.encode("gbk"))
    assert result.encoding == "GBK (GB18030)" and result.studies[0].title.startswith("新辅助化疗")
    assert decode_text(b"\xef\xbb\xbfplain")[0] == "plain"


def test_titles_come_from_secondary_fields_when_the_main_one_is_missing():
    ris = b"TY  - CPAPER\nT2  - Neoadjuvant taxanes and TMEM: a conference paper\nPY  - 2019\nER  - \n\n" \
          b"TY  - JOUR\nST  - Short title only\nJO  - Some Journal\nER  - \n"
    first, second = parse(ris).records
    assert first.record.title == "Neoadjuvant taxanes and TMEM: a conference paper"
    assert first.record.container_title is None
    assert first.warnings == ("it has no title (TI), so its secondary title (T2) was used",)
    assert second.record.title == "Short title only" and second.record.container_title == "Some Journal"
    bib = parse(b"@inproceedings{p, booktitle={Proceedings of the Breast Symposium}, year={2020}}")
    assert bib.studies[0].title == "Proceedings of the Breast Symposium"
