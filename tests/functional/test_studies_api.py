"""The studies API: list with filters and pages, one study with the articles citing it, all as documented."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Study
from tests.functional.api.conftest import Api


@pytest.fixture
def api(app, client):
    return Api(app, client)


def test_a_study_is_served_as_csl_fields_plus_appraisal_and_citing_articles(api, make, app):
    slug = make.demo_article()
    with app.app_context():
        sid = db.session.scalar(select(Study.id).where(Study.citation_key == "karagiannis2017"))
    body = api.get(f"/api/studies/{sid}").get_json()
    assert body["id"] == sid and body["citation_key"] == "karagiannis2017"
    assert body["type"] == "article-journal" and body["DOI"] == "10.1126/scitranslmed.aan0026"
    assert body["issued"] == {"date-parts": [[2017, 7, 5]]}
    assert body["author"][0] == {"family": "Karagiannis", "given": "George S."}
    assert body["design"] == "animal" and body["design_label"] == "Animal model"
    assert body["population"].startswith("murine breast cancer models")
    assert body["retracted"] is False and body["articles"] == [slug]
    assert body["url"].endswith(f"/studies/{sid}")


def test_the_list_filters_searches_and_pages(api, make):
    make.demo_article()
    everything = api.get("/api/studies").get_json()
    assert everything["total"] == 3 and everything["next"] is None and everything["prev"] is None
    opinions = api.get("/api/studies?design=opinion").get_json()
    assert sorted(s["citation_key"] for s in opinions["items"]) == ["chabner2018", "esserman2017"]
    assert [s["citation_key"] for s in api.get("/api/studies?q=TMEM").get_json()["items"]] == ["karagiannis2017"]
    assert api.get("/api/studies?evidence_level=1").get_json()["total"] == 0
    first = api.get("/api/studies?per_page=2").get_json()
    assert len(first["items"]) == 2 and first["pages"] == 2
    second = api.get(first["next"]).get_json()
    assert len(second["items"]) == 1 and "page=1" in second["prev"] and second["next"] is None


def test_draft_articles_are_not_listed_as_citing(api, make, app):
    from app.models import Article, ArticleStatus

    make.demo_article()
    with app.app_context():
        db.session.scalar(select(Article)).status = ArticleStatus.DRAFT
        db.session.commit()
    assert all(s["articles"] == [] for s in api.get("/api/studies").get_json()["items"])


@pytest.mark.parametrize("query, message", [
    ("design=bogus", "`design` must be one of \"systematic_review\""),
    ("design=", "`design` must be one of"),                       # empty is not "no filter"
    ("evidence_level=7", "`evidence_level` must be a whole number from 1 to 5, not 7"),
    ("evidence_level=two", "`evidence_level` must be a whole number"),
    ("page=0", "`page` must be a whole number from 1 to 1,000,000, not 0"),
    ("page=99999999999999999999999", "`page` must be a whole number from 1 to 1,000,000"),
    ("per_page=500", "`per_page` must be a whole number from 1 to 100, not 500"),
    ("q=" + "x" * 201, "`q` is too long: 201 characters, 200 at most"),
])
def test_bad_filters_are_a_400_naming_the_parameter(api, clean_db, query, message):
    response = api.get(f"/api/studies?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_a_page_beyond_the_last_is_empty_not_an_error(api, make):
    make.demo_article()
    far = api.get("/api/studies?page=1000000").get_json()
    assert far["items"] == [] and far["total"] == 3 and far["next"] is None


def test_ids_beyond_the_databases_range_are_not_found(api, clean_db):
    for path in ("/api/studies/2147483648", "/api/studies/99999999999999999999", "/api/users/2147483648",
                 "/api/annotations/2147483648", "/api/annotations/99999999999999999999/flags"):
        method = "POST" if path.endswith("/flags") else "GET"
        assert api.request(method, path).status_code == 404, path


def test_an_unknown_study_is_a_json_404(api, clean_db):
    response = api.get("/api/studies/12345")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
