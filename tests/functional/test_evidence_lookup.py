"""Adding a study by DOI, PMID or PMCID: Crossref and E-utilities through real HTTP against a replaying server."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, Study, StudyNotice
from tests.conftest import csrf_from
from tests.html_forms import form_fields

KARAGIANNIS_DOI = "10.1126/scitranslmed.aan0026"


@pytest.fixture
def admin(make, auth):
    user = make.user(role=Role.ADMIN, name="Dr Ada Admin")
    auth.sign_in(user.email)
    return user


def study_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Study.id)))


def look_up(client, identifier: str):
    token = csrf_from(client.get("/studies/lookup").get_data(as_text=True))
    return client.post("/studies/lookup", data={"csrf_token": token, "identifier": identifier})


def save_reviewed(client, page: str, **changes):
    fields = form_fields(page, "/studies/lookup/save")
    fields.update(changes)
    return client.post("/studies/lookup/save", data=fields)


@pytest.mark.parametrize("pasted", [KARAGIANNIS_DOI, f"https://doi.org/{KARAGIANNIS_DOI}", f"doi:{KARAGIANNIS_DOI}",
                                    f"https://www.science.org/doi/full/{KARAGIANNIS_DOI.upper()}"])
def test_an_identifier_postil_already_has_opens_the_existing_study_without_asking_crossref(
        client, admin, make, app, lookup_server, pasted):
    make.demo_article()
    before = study_count(app)
    response = look_up(client, pasted)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Neoadjuvant chemotherapy induces breast cancer metastasis" in page
    assert "Postil already has this study (the same DOI); here it is. Nothing was added." in page
    assert lookup_server.requests == [] and study_count(app) == before


def test_a_pmid_is_looked_up_in_pubmed_reviewed_then_saved_with_its_notices(client, admin, app, lookup_server):
    review = look_up(client, "PMID: 39000123")
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "Check the study before saving" in page and "Filled from PubMed." in page
    assert "Neoadjuvant paclitaxel with or without a TIE2 inhibitor in early breast cancer" in page
    fields = form_fields(page, "/studies/lookup/save")
    assert fields["authors"].splitlines() == ["Haddad, RM", "Lindqvist, E"]
    assert (fields["container_title"], fields["container_title_short"]) == ("Fictional clinical oncology",
                                                                            "Fict Clin Oncol")
    assert (fields["issued_year"], fields["issued_month"], fields["issued_day"]) == ("2024", "2", "12")
    assert (fields["volume"], fields["issue"], fields["pages"]) == ("31", "2", "101-112")
    assert (fields["doi"], fields["pmid"], fields["pmcid"]) == ("10.5555/fco.2024.0101", "39000123", "PMC9900123")
    assert fields["design"] == "rct"
    assert fields["abstract"].startswith("Background: TIE2 inhibition blocks TMEM doorways in mice.")
    assert "Correction dated 3 June 2024 (PubMed)" in page
    assert study_count(app) == 0, "nothing is saved before the reviewer confirms"

    saved = save_reviewed(client, page)
    assert saved.status_code == 302
    study_page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Study saved. Articles cite it as [@haddad2024]." in study_page
    assert "Level 2: A randomised trial" in study_page
    assert "Corrected 3 June 2024" in study_page and 'href="https://pubmed.ncbi.nlm.nih.gov/39000999/"' in study_page
    with app.app_context():
        notice = db.session.scalar(select(StudyNotice))
        assert (notice.kind.value, notice.source, notice.notice_key) == ("correction", "PubMed", "pubmed:39000999")

    requests = lookup_server.requests
    assert [r.path for r in requests] == ["/esummary.fcgi", "/efetch.fcgi"]
    assert requests[0].headers["User-Agent"].startswith("Postil/1.0 (+http://localhost; mailto:tests@postil.example)")
    assert requests[0].query["email"] == "tests@postil.example" and requests[0].query["tool"] == "postil"


def test_answers_are_cached_so_a_second_lookup_asks_nobody(client, admin, lookup_server):
    assert look_up(client, "39000123").status_code == 200
    assert look_up(client, "https://pubmed.ncbi.nlm.nih.gov/39000123/").status_code == 200
    assert len(lookup_server.requests) == 2, "the second lookup was answered from the cache"


def test_a_pmcid_is_looked_up_through_pubmed_central_then_pubmed(client, admin, lookup_server):
    page = look_up(client, "https://pmc.ncbi.nlm.nih.gov/articles/PMC9900123/").get_data(as_text=True)
    assert "Neoadjuvant paclitaxel with or without a TIE2 inhibitor" in page
    assert [(r.path, r.query.get("db")) for r in lookup_server.requests] == [
        ("/esummary.fcgi", "pmc"), ("/esummary.fcgi", "pubmed"), ("/efetch.fcgi", "pubmed")]
    assert form_fields(page, "/studies/lookup/save")["pmcid"] == "PMC9900123"


def test_a_doi_is_looked_up_in_crossref_with_its_retraction_and_correction(client, admin, app, lookup_server):
    page = look_up(client, "https://doi.org/10.5555/FOP.2019.0415").get_data(as_text=True)
    assert "Filled from Crossref." in page
    fields = form_fields(page, "/studies/lookup/save")
    assert fields["title"] == "Taxane-induced TMEM assembly in a murine orthotopic breast cancer model"
    assert fields["authors"].splitlines() == ["Okonkwo-Larsen, Ines", "Ferreira, Tomás",
                                              "Preclinical Oncology Consortium"]
    assert fields["abstract"] == ("We treated mice bearing orthotopic tumours with paclitaxel & measured TMEM "
                                  "doorways.\n\nDoorways increased threefold.")
    assert "Retraction dated 16 May 2023 (Retraction Watch, through Crossref)" in page
    assert "Correction dated 9 January 2020 (Crossref)" in page
    assert lookup_server.requests[0].path == "/works/10.5555/fop.2019.0415"
    assert lookup_server.requests[0].query["mailto"] == "tests@postil.example"

    saved = save_reviewed(client, page, design="animal")
    assert saved.status_code == 302
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.retracted and study.design == "animal" and study.evidence_level == 5
        assert sorted(n.kind.value for n in study.notices) == ["correction", "retraction"]
    study_page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Retracted 16 May 2023" in study_page and 'href="https://doi.org/10.5555/fop.2023.ret1"' in study_page


def test_a_notice_doi_says_which_study_it_concerns(client, admin, lookup_server):
    page = look_up(client, "10.5555/fop.2023.ret1").get_data(as_text=True)
    assert "This DOI is itself a retraction notice; the study it concerns has the DOI 10.5555/fop.2019.0415." in page


@pytest.mark.parametrize("pasted, message", [
    ("1126/scitranslmed.aan0026", "it lacks the \u201c10.\u201d prefix every DOI starts with "
                                  "(perhaps 10.1126/scitranslmed.aan0026)"),
    ("286796541", "a PMID has at most 8 digits (9 here); check for an extra digit"),
    ("PMC12x", "a PMCID is PMC followed by digits, like PMC5609456"),
    ("metastasis", "is not a DOI, PMID or PMCID"),
    ("https://example.org/paper", "holds no DOI, PMID or PMCID"),
])
def test_a_mistyped_identifier_is_refused_with_what_is_wrong_and_nobody_is_asked(
        client, admin, app, lookup_server, pasted, message):
    response = look_up(client, pasted)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert lookup_server.requests == [] and study_count(app) == 0


def test_an_unknown_doi_is_reported_with_a_way_to_enter_it_by_hand(client, admin, app, lookup_server):
    response = look_up(client, "10.5555/no.such.work")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Crossref has no record of the DOI 10.5555/no.such.work. Check the DOI for a typo" in page
    assert 'href="/studies/new?doi=10.5555/no.such.work"' in page
    manual = client.get("/studies/new?doi=10.5555/no.such.work").get_data(as_text=True)
    assert form_fields(manual, "/studies/new")["doi"] == "10.5555/no.such.work"
    assert study_count(app) == 0


def test_an_unknown_pmid_is_reported(client, admin, lookup_server):
    page = look_up(client, "38999999").get_data(as_text=True)
    assert "PubMed has no record with the PMID 38999999" in page


@pytest.mark.parametrize("doi, status, message", [
    ("10.5555/busy", 503,
     "Crossref is limiting how often Postil may ask (too many requests). Try again in 30 seconds."),
    ("10.5555/down", 503, "Crossref answered with an error (HTTP 503)."),
    ("10.5555/garbled", 503, "Crossref sent an answer Postil cannot read (not valid JSON)."),
])
def test_a_service_in_trouble_is_explained_and_manual_entry_offered(client, admin, app, lookup_server, doi, status,
                                                                    message):
    response = look_up(client, doi)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page and "You can try again later or enter the study by hand." in page
    assert f'href="/studies/new?doi={doi}"' in page
    if doi == "10.5555/busy":
        assert response.headers["Retry-After"] == "30"
    assert study_count(app) == 0
    look_up(client, doi)
    assert len(lookup_server.requests) == 2, "failures are not cached"


def test_a_slow_service_times_out_with_a_clear_message(client, admin, app, lookup_server):
    app.config["LOOKUP_TIMEOUT"] = 0.5
    response = look_up(client, "10.5555/slow")
    assert response.status_code == 503
    assert "Crossref did not answer within 0.5 seconds." in response.get_data(as_text=True)


def test_an_unreachable_service_is_explained(client, admin, app, lookup_server):
    app.config["CROSSREF_API_URL"] = "http://127.0.0.1:9"
    response = look_up(client, "10.5555/fop.2019.0415")
    assert response.status_code == 503
    assert "Crossref cannot be reached from Postil just now." in response.get_data(as_text=True)


def test_tampered_notices_are_refused_and_nothing_is_saved(client, admin, app, lookup_server):
    page = look_up(client, "39000123").get_data(as_text=True)
    response = save_reviewed(client, page, notices=json.dumps([{"kind": "praise", "key": "x", "source": "me"}]))
    assert response.status_code == 422
    assert "The notices found with this study could not be read" in response.get_data(as_text=True)
    assert study_count(app) == 0


def test_the_article_editor_looks_up_with_a_plain_link(client, admin, lookup_server):
    editor = client.get("/admin/articles/new").get_data(as_text=True)
    assert 'action="/studies/lookup" target="_blank"' in editor
    page = client.get("/studies/lookup?identifier=39000123").get_data(as_text=True)
    assert "Check the study before saving" in page


def test_a_saved_lookup_that_duplicates_a_study_is_refused(client, admin, app, lookup_server):
    page = look_up(client, "39000123").get_data(as_text=True)
    assert save_reviewed(client, page).status_code == 302
    again = save_reviewed(client, page)
    assert again.status_code == 409 and "Postil already has this study" in again.get_data(as_text=True)
    assert study_count(app) == 1
