"""The studies service: duplicate rules, creating and editing, round trips through the database, citing passages."""
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.bibliography import StudyRecord
from app.bibliography.names import is_et_al
from app.extensions import db
from app.models import Study, User, Visibility
from app.services import duplicates, importing, study_reading
from app.services import studies as study_service
from app.services.errors import ServiceError

DATA = Path(__file__).resolve().parents[2] / "data" / "bibliography"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def record(**fields) -> StudyRecord:
    values = {"title": "Circulating tumour cells after neoadjuvant chemotherapy", "issued_year": 2021,
              "authors": [{"family": "Okafor", "given": "Adaeze"}]}
    values.update(fields)
    return StudyRecord(**values)


def test_duplicate_by_doi_is_refused_and_names_the_existing_study(ctx):
    existing = study_service.create_study(record(doi="10.5555/abc.1"))
    with pytest.raises(duplicates.DuplicateStudy) as refused:
        study_service.create_study(record(title="Another title entirely", doi="https://doi.org/10.5555/ABC.1"))
    assert refused.value.existing.id == existing.id
    assert refused.value.field == "doi"
    assert "same DOI (10.5555/abc.1)" in refused.value.message


def test_duplicate_by_pmid_when_there_is_no_doi(ctx):
    existing = study_service.create_study(record(pmid="33000412"))
    with pytest.raises(duplicates.DuplicateStudy) as refused:
        study_service.create_study(record(title="Something else", pmid="PMID: 33000412"))
    assert refused.value.existing.id == existing.id and refused.value.field == "pmid"


def test_duplicate_by_normalised_title_and_year(ctx):
    study_service.create_study(record(title="Circulating Tumour Cells — after Neoadjuvant Chemotherapy!"))
    with pytest.raises(duplicates.DuplicateStudy) as refused:
        study_service.create_study(record())
    assert refused.value.field == "title"
    # Same title, another year: a different study.
    assert study_service.create_study(record(issued_year=2022)).id


def test_a_new_study_gets_a_key_from_author_and_year_and_the_level_its_design_suggests(ctx):
    first = study_service.create_study(record(design="rct"))
    second = study_service.create_study(record(title="A second paper", design="animal"))
    assert (first.citation_key, second.citation_key) == ("okafor2021", "okafor2021a")
    assert (first.evidence_level, second.evidence_level) == (2, 5)
    explicit = study_service.create_study(record(title="Graded down", design="rct", evidence_level=3))
    assert explicit.evidence_level == 3


def test_a_taken_citation_key_is_refused(ctx):
    study_service.create_study(record(citation_key="okafor2021"))
    with pytest.raises(duplicates.DuplicateStudy) as refused:
        study_service.create_study(record(title="Other", citation_key="okafor2021"))
    assert refused.value.field == "citation_key"


def test_editing_may_not_copy_another_study_or_rename_a_cited_key(ctx, make):
    make.demo_article()
    chabner = db.session.scalar(select(Study).where(Study.citation_key == "chabner2018"))
    other = study_service.create_study(record(doi="10.5555/other"))
    with pytest.raises(duplicates.DuplicateStudy):
        study_service.update_study(other, record(doi=chabner.doi))
    with pytest.raises(ServiceError, match=r"cannot change while articles cite this study as \[@chabner2018\]"):
        study_service.update_study(chabner, replace(study_service.record_of(chabner), citation_key="renamed"))
    updated = study_service.update_study(other, record(doi="10.5555/other", key_findings="Counts rose in 18%."))
    assert updated.key_findings == "Counts rose in 18%." and updated.citation_key == other.citation_key


def test_known_studies_index_applies_the_same_rule_as_the_database(ctx):
    by_doi = study_service.create_study(record(doi="10.5555/one"))
    by_pmid = study_service.create_study(record(title="Pmid paper", pmid="123"))
    by_title = study_service.create_study(record(title="Title paper"))
    index = duplicates.KnownStudies.load()
    probes = [record(title="x", doi="10.5555/one"), record(title="y", pmid="123"), record(title="Title  PAPER."),
              record(title="Unrelated")]
    for probe in probes:
        found, how = duplicates.find_other_duplicate(probe)
        assert index.find(probe) == ((found.id, how) if found else (None, None))
    assert [index.find(p)[0] for p in probes] == [by_doi.id, by_pmid.id, by_title.id, None]


def test_merging_a_reference_manager_record_keeps_the_editors_appraisal(ctx):
    study = study_service.create_study(record(doi="10.5555/keep", design="cohort", population="412 women",
                                              key_findings="Counts rose."))
    current = {name: getattr(study, name) for name in study_service.RECORD_FIELDS}
    changes = importing.merged_changes(current, record(doi="10.5555/keep", volume="14", citation_key="zotero1"))
    # Only the volume changes: the design, population, findings and citation key already stored stay.
    assert changes == {"volume": "14"}
    assert (current["design"], current["population"], current["citation_key"]) == ("cohort", "412 women", "okafor2021")


@pytest.mark.parametrize("format_name", ["csl-json", "ris", "bibtex"])
def test_export_then_import_into_an_empty_database_gives_the_same_studies(ctx, format_name):
    for name in ("references.json", "zotero.ris", "endnote.ris", "pubmed.nbib", "library.bib"):
        importing.import_file((DATA / name).read_bytes(), None, name)
    db.session.flush()
    before = {s.citation_key: study_service.record_of(s) for s in study_service.all_studies()}
    assert len(before) >= 14
    text = study_service.export_studies(study_service.all_studies(), format_name, "all").text

    db.session.rollback()
    assert db.session.scalar(select(func.count(Study.id))) == 0
    report = importing.import_file(text.encode("utf-8"), format_name, None)
    assert report.counts == {"created": len(before), "updated": 0, "unchanged": 0, "duplicate": 0,
                             "rejected": 0}
    after = {s.citation_key: study_service.record_of(s) for s in study_service.all_studies()}
    if format_name == "ris":  # RIS cannot say "et al." without making it an author: it is left out there
        before = {key: replace(r, authors=[a for a in r.authors if not is_et_al(a)]) for key, r in before.items()}
    assert after == before


def test_citing_passages_are_the_sentences_around_each_marker(ctx, make):
    make.demo_article()
    karagiannis = db.session.scalar(select(Study).where(Study.citation_key == "karagiannis2017"))
    [citing] = study_reading.citing_articles(karagiannis)
    assert citing.number == 2
    texts = [p.text for p in citing.passages]
    assert texts[0].startswith("A recent analysis by Karagiannis and colleagues has shown")
    assert texts[0].endswith("(TMEM, Tumor Micro-Environment of Metastasis).")
    assert texts[1] == ("The authors show that rebastinib, a TIE2 inhibitor, blocks some prometastatic changes "
                        "in their murine models.")
    assert [p.anchor for p in citing.passages] == ["cite-2-1", "cite-2-2"]


def test_a_marker_inside_a_sentence_takes_the_whole_sentence():
    block = "First sentence. Chemotherapy may promote metastasis3 in mouse models, say some. Last one."
    assert study_reading._sentence_at(block, block.index("3")) == (
        "Chemotherapy may promote metastasis3 in mouse models, say some.")


def test_linked_annotations_are_only_those_the_viewer_may_read(make, app):
    slug = make.demo_article()
    author, other = make.user(trusted=True), make.user(trusted=True)
    with app.app_context():
        karagiannis_id = db.session.scalar(select(Study.id).where(Study.citation_key == "karagiannis2017"))
    quote = "are the models used really representative of the spectrum of human tumors?"
    public = make.annotation(author, slug, quote, body="Public", study_id=karagiannis_id)
    private = make.annotation(author, slug, quote, body="Private", study_id=karagiannis_id,
                              visibility=Visibility.PRIVATE)
    make.annotation(author, slug, quote, body="Not linked")
    with app.app_context():
        study = db.session.get(Study, karagiannis_id)
        assert [a.id for a in study_reading.linked_annotations(study, None)] == [public]
        assert [a.id for a in study_reading.linked_annotations(study, db.session.get(User, other.id))] == [public]
        assert {a.id for a in study_reading.linked_annotations(study, db.session.get(User, author.id))} == {
            public, private}


def test_search_matches_title_words_authors_with_accents_doi_and_pmid(ctx):
    study_service.create_study(record(title="Tumour cells", authors=[{"family": "Moreau", "given": "Céline"}],
                                      doi="10.5555/jcor.2021.0412", pmid="33000412"))
    study_service.create_study(record(title="Unrelated mouse work", issued_year=2019))

    def titles(q):
        query = study_reading.filtered_query(study_reading.StudyFilters(q=q))
        return [s.title for s in db.session.scalars(query)]

    for q in ("tumour", "Céline", "moreau", "10.5555/JCOR.2021.0412", "https://doi.org/10.5555/jcor.2021.0412",
              "33000412"):
        assert titles(q) == ["Tumour cells"], q
    assert titles("100%_") == []
    assert db.session.scalar(select(func.count(Study.id))) == 2
