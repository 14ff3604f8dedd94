"""Importing reference files: one outcome per record, nothing half-written, whole-file errors change nothing."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Study
from app.services import duplicates, importing
from app.services import studies as study_service
from app.services.errors import ServiceError

DATA = Path(__file__).resolve().parents[2] / "data" / "bibliography"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def studies_count() -> int:
    return db.session.scalar(select(func.count(Study.id)))


def import_fixture(name: str, format_name: str | None = None) -> importing.ImportReport:
    return importing.import_file((DATA / name).read_bytes(), format_name, name)


def test_every_record_gets_an_outcome_and_a_bad_identifier_is_named(ctx):
    report = import_fixture("zotero.ris")
    assert [o.outcome for o in report.outcomes] == ["created", "created", "created", "created"]
    kept = report.outcomes[1]
    assert kept.label.startswith("Record 2 (\u2018Chemotherapy-induced tumour microenvironment")
    assert "its DOI was left out (DOI 'abc' is not valid: a DOI looks like 10.1234/abcd)" in kept.message
    assert report.summary() == "4 records: 4 created." and report.encoding == "UTF-8"
    assert studies_count() == 4


def test_importing_the_same_file_again_updates_by_identifier_and_creates_nothing(ctx):
    import_fixture("pubmed.nbib")
    again = import_fixture("pubmed.nbib")
    assert {o.outcome for o in again.outcomes} == {"unchanged"}
    assert {o.outcome_label for o in again.outcomes} == {"Already up to date"}
    # Said once, by the outcome: the message only says how the record was matched.
    assert all(o.message.startswith("matched by ") and "up to date" not in o.message for o in again.outcomes)
    assert again.summary() == "3 records: 3 already up to date."
    assert studies_count() == 3


def test_same_title_and_year_is_skipped_as_a_duplicate_pointing_to_the_stored_study(ctx):
    stored = study_service.create_study(study_service.StudyRecord(title="Macrophages after paclitaxel",
                                                                  issued_year=2022))
    report = importing.import_file(b"TY  - JOUR\nTI  - Macrophages after Paclitaxel.\nPY  - 2022\n"
                                   b"DO  - 10.5555/new\nER  - \n", "ris")
    [outcome] = report.outcomes
    assert (outcome.outcome, outcome.study_id) == ("duplicate", stored.id)
    assert "same title and year" in outcome.message
    assert studies_count() == 1


def test_a_record_repeated_in_one_file_is_reported_as_a_duplicate_of_the_first(ctx):
    one = b"TY  - JOUR\nTI  - A study\nPY  - 2020\nDO  - 10.5555/x\nER  - \n"
    report = importing.import_file(one + b"\n" + one.replace(b"A study", b"A study (again)"), "ris")
    assert [o.outcome for o in report.outcomes] == ["created", "duplicate"]
    assert report.outcomes[1].message == "the same study as record 1 of this file"


def test_records_without_keys_get_citable_keys_and_clashing_keys_are_renamed(ctx):
    study_service.create_study(study_service.StudyRecord(title="Held", citation_key="smith2020",
                                                         doi="10.5555/held"))
    text = ("@article{smith2020, title={Different}, author={Smith, Ann}, year={2020}, doi={10.5555/other}}\n"
            "@article{weird#key, title={Odd key}, author={Jones, Bo}, year={2019}}\n")
    bib = importing.import_file(text.encode(), "bibtex")
    ris = importing.import_file(b"TY  - JOUR\nTI  - No key\nAU  - Moreau, C\xc3\xa9line\nPY  - 2021\nER  - \n", "ris")
    keys = [o.citation_key for o in bib.outcomes + ris.outcomes]
    assert keys == ["smith2020a", "weird-key", "moreau2021"]
    assert bib.outcomes[0].message == "its key smith2020 is already used by another study; cite it as [@smith2020a]"
    assert ris.outcomes[0].message == "cite it as [@moreau2021]"


def test_a_record_matched_by_citation_key_and_title_is_updated(ctx):
    # The demo's eLetter has no DOI, PMID or year: only its key and title identify it.
    import_fixture("references.json")
    report = import_fixture("references.json")
    assert [o.outcome for o in report.outcomes] == ["unchanged", "unchanged", "unchanged"]
    assert report.outcomes[2].message.startswith("matched by citation key")


@pytest.mark.parametrize("name, message", [
    ("truncated.ris", "the file looks truncated"),
    ("invalid.bib", "BibTeX syntax error in the entry on line 1"),
    ("not_csl.json", "The JSON is not CSL-JSON"),
])
def test_an_unreadable_file_is_refused_whole_and_changes_nothing(ctx, name, message):
    study_service.create_study(study_service.StudyRecord(title="Already here"))
    with pytest.raises(ServiceError) as refused:
        import_fixture(name)
    assert message in refused.value.message and refused.value.message.endswith("Nothing was imported.")
    assert refused.value.field == "file"
    assert studies_count() == 1


def test_a_record_the_database_refuses_leaves_nothing_and_the_others_import(ctx, monkeypatch):
    study_service.create_study(study_service.StudyRecord(title="Stored meanwhile", doi="10.5555/race"))
    # As if another import stored it after this one read the identifiers: only the INSERT can tell.
    monkeypatch.setattr(duplicates.KnownStudies, "load", classmethod(lambda cls: cls()))
    text = b"".join(f"TY  - JOUR\nTI  - {title}\nAU  - {title}\nPY  - 2020\nDO  - 10.5555/{doi}\nER  - \n\n".encode()
                    for title, doi in (("First", "first"), ("Second", "race"), ("Third", "third")))
    report = importing.import_file(text, "ris")
    assert [o.outcome for o in report.outcomes] == ["created", "rejected", "created"]
    assert "the database refused it" in report.outcomes[1].message
    assert report.outcomes[1].study_id is None
    assert sorted(db.session.scalars(select(Study.title))) == ["First", "Stored meanwhile", "Third"]


def test_a_field_longer_than_its_column_is_rejected_by_name(ctx):
    report = importing.import_file(f"TY  - JOUR\nTI  - Long volume\nVL  - {'9' * 50}\nER  - \n".encode(), "ris")
    [outcome] = report.outcomes
    assert (outcome.outcome, outcome.message) == ("rejected", "The volume is longer than 40 characters.")


def _big_ris(count: int) -> bytes:
    lines = []
    for n in range(count):
        lines += ["TY  - JOUR", f"TI  - Synthetic study number {n} of tumour cells", f"AU  - Author{n % 97}, Ann",
                  "PY  - 2020", f"DO  - 10.5555/synthetic.{n}", f"AN  - {30000000 + n}", "ER  - ", ""]
    return "\n".join(lines).encode()


def test_five_thousand_records_are_created_then_found_again(ctx):
    # How long this takes is measured by bench/pure_layers.py; here only the outcome counts.
    data = _big_ris(5000)
    report = importing.import_file(data, "ris")
    assert report.counts["created"] == 5000 and studies_count() == 5000
    again = importing.import_file(data, "ris")
    assert again.counts["unchanged"] == 5000 and studies_count() == 5000
    assert db.session.scalar(select(Study.title).where(Study.doi == "10.5555/synthetic.4999")) == (
        "Synthetic study number 4999 of tumour cells")


def test_duplicates_are_found_without_a_query_per_record(ctx, app):
    importing.import_file(_big_ris(200), "ris")
    statements = []
    from sqlalchemy import event

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        importing.import_file(_big_ris(200).replace(b"Synthetic", b"Retitled"), "ris")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # One UPDATE per changed record; identifiers and rows are read, and savepoints taken, per few hundred.
    assert len(statements) <= 200 + 10


def test_a_web_address_that_is_not_http_is_left_out(ctx):
    report = importing.import_file(b"TY  - JOUR\nTI  - Sneaky\nUR  - javascript:alert(1)\nER  - \n", "ris")
    [outcome] = report.outcomes
    assert outcome.outcome == "created" and "is not an http(s) link and was left out" in outcome.message
    assert db.session.scalar(select(Study.url)) is None
