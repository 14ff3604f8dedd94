"""GET /api/search: the documented shape, W3C annotation items, paging, filters as parameters, errors."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Study
from tests.functional.api.conftest import Api, assert_w3c_annotation
from tests.functional.search.conftest import QUOTE


@pytest.fixture
def api(app, client):
    return Api(app, client)


def _annotation_ids(body: dict) -> set[int]:
    return {int(item["id"].rsplit("/", 1)[1]) for item in body["items"] if item["type"] == "Annotation"}


def test_results_carry_their_type_iri_title_snippet_and_score(api, corpus):
    body = api.get("/api/search?q=tie2+macrophages").get_json()
    assert body["total"] == 2 and body["next"] is None and body["page"] == 1
    by_type = {item["type"]: item for item in body["items"]}
    article, annotation = by_type["Article"], by_type["Annotation"]
    assert article["id"] == f"http://localhost/api/articles/{corpus.slug}"
    assert article["url"] == f"http://localhost/articles/{corpus.slug}#b-1" and article["passage"] == 1
    assert "<mark>TIE2</mark>" in article["snippet_html"] and article["score"] > 0
    assert annotation["id"] == f"http://localhost/api/articles/{corpus.slug}/annotations/{corpus.ids['question']}"
    assert annotation["motivation"] == "questioning" and annotation["replies"] == 1
    assert "<mark>macrophages</mark>" in annotation["snippet_html"]
    assert annotation["creator"]["name"] == "Dr Reader Alpha"
    assert_w3c_annotation(annotation)
    assert body["facets"]["type"] == {"article": 1, "annotation": 1, "study": 0}
    assert body["facets"]["kind"] == {"question": 1}


def test_study_items_carry_their_appraisal(api, corpus):
    body = api.get("/api/search?q=karagiannis&type=study").get_json()
    (study,) = body["items"]
    assert study["type"] == "Study" and study["design"] == "animal" and study["evidence_level"] == 5
    assert study["authors"][0] == "Karagiannis George S." and study["year"] == 2017 and study["retracted"] is False


def test_pages_of_twenty_link_to_the_next(api, make, corpus):
    for n in range(25):
        make.annotation(corpus.users["reader_b"], corpus.slug, QUOTE, body=f"Okapi note {n}.")
    first = api.get("/api/search?q=okapi&type=annotation").get_json()
    assert first["total"] == 25 and len(first["items"]) == 20
    assert first["next"] == "http://localhost/api/search?q=okapi&type=annotation&page=2"
    second = api.get(first["next"]).get_json()
    assert len(second["items"]) == 5 and second["next"] is None
    assert _annotation_ids(first).isdisjoint(_annotation_ids(second))


def test_every_type_is_ranked_together_without_a_type(api, corpus):
    body = api.get("/api/search?q=metastasis").get_json()
    assert body["total"] == 5
    assert sorted(item["type"] for item in body["items"]) == ["Annotation", "Article", "Study", "Study", "Study"]
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_filters_may_be_given_as_parameters(api, corpus):
    assert _annotation_ids(api.get("/api/search?q=metastases&kind=critique").get_json()) == {corpus.ids["critique"]}
    assert _annotation_ids(api.get("/api/search?tag=tie2").get_json()) == {corpus.ids["question"]}
    assert _annotation_ids(api.get("/api/search?author=beta&q=patients").get_json()) == {corpus.ids["reply"]}
    unknown = api.get("/api/search?q=tie2&kind=poem")
    assert unknown.status_code == 400 and "`kind`" in unknown.get_json()["error"]["message"]


def test_an_identifier_alone_answers_its_study(app, api, corpus):
    with app.app_context():
        study_id = db.session.query(Study.id).filter_by(citation_key="karagiannis2017").scalar()
    body = api.get("/api/search?q=doi:10.1126/scitranslmed.aan0026").get_json()
    assert body["total"] == 1 and body["items"][0]["id"] == f"http://localhost/api/studies/{study_id}"


def test_bad_requests_are_documented_errors(api, corpus, auth):
    too_long = api.get("/api/search?q=" + "x" * 10_000)
    assert too_long.status_code == 400 and "`q`" in too_long.get_json()["error"]["message"]
    assert api.get("/api/search?type=poem").status_code == 400
    assert api.get("/api/search?q=x&sort=random").status_code == 400
    assert api.get("/api/search?q=x&scope=queue").status_code == 401
    auth.sign_in(corpus.users["reader_a"].email)
    assert api.get("/api/search?q=x&scope=queue").status_code == 403
    assert api.get('/api/search?q=" NEAR ( ^ : AND').status_code == 200


def test_a_token_searches_as_its_owner(api, corpus, token_for_user):
    secret = token_for_user(corpus.users["reader_a"])
    assert _annotation_ids(api.get("/api/search?q=zanzibar").get_json()) == set()
    assert _annotation_ids(api.as_token(secret).get("/api/search?q=zanzibar").get_json()) == {corpus.ids["private"]}


@pytest.fixture
def token_for_user(app):
    from app.models import User
    from app.services import tokens

    def create(user) -> str:
        with app.app_context():
            _, secret = tokens.create(db.session.get(User, user.id), "search test")
            db.session.commit()
            return secret

    return create


def test_a_tab_s_facets_describe_its_results_and_every_tab_keeps_its_count(client, corpus):
    everything = client.get("/api/search?q=metastases").get_json()["facets"]
    assert everything["type"].get("annotation") and everything["type"].get("study")
    assert "kind" in everything and "design" in everything
    annotations = client.get("/api/search?q=metastases&type=annotation").get_json()["facets"]
    studies = client.get("/api/search?q=metastases&type=study").get_json()["facets"]
    assert annotations["type"] == studies["type"] == everything["type"]
    assert "kind" in annotations and "design" not in annotations and "level" not in annotations
    assert "design" in studies and "kind" not in studies and "author" not in studies
