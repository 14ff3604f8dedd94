"""The W3C Web Annotation Protocol (Recommendation, 23 February 2017), requirement by requirement.

Each test names the section and the MUST (or the SHOULD the issue asks for) it checks. Where Postil
departs from a MUST, the test shows what it does instead and the OpenAPI document says why (its
"Where Postil departs" paragraph is checked at the end). Every request goes through the `api`
client, so each answer is also checked against the served OpenAPI document.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Role
from tests.functional.api.conftest import ANNO, QUOTE, new_annotation, reply_to

LDP = "http://www.w3.org/ns/ldp#"
PROTOCOL = "http://www.w3.org/TR/annotation-protocol/"
MINIMAL = f'return=representation;include="{LDP}PreferMinimalContainer"'
IRIS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
DESCRIPTIONS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedDescriptions"'


@pytest.fixture
def author(make):
    return make.user(trusted=True, name="Dr Author")


@pytest.fixture
def writer(api, author, token_for):
    """The API client, authenticated as the author."""
    return api.as_token(token_for(author))


@pytest.fixture
def container(slug):
    return f"http://localhost/api/articles/{slug}/annotations/"


@pytest.fixture
def created(app, writer, container, slug) -> dict:
    """An annotation the author posted to the container, as the server answered it."""
    response = writer.post(container, new_annotation(app, slug))
    assert response.status_code == 201
    return response.get_json()


def _methods(response) -> set[str]:
    return {m.strip() for m in response.headers["Allow"].split(",")}


def _links(response) -> str:
    return response.headers.get("Link", "")


# --- Annotation Retrieval -----------------------------------------------------------------------------

def test_retrieval_must_support_get_head_and_options_on_the_annotation_iri(writer, created):
    for method in ("GET", "HEAD", "OPTIONS"):
        response = writer.request(method, created["id"])
        assert response.status_code == 200, method
    assert writer.head(created["id"]).data == b""


def test_retrieval_must_serve_json_ld_with_the_annotation_profile(writer, created):
    response = writer.get(created["id"], headers={"Accept": f'application/ld+json; profile="{ANNO}"'})
    assert response.mimetype == "application/ld+json"
    assert response.mimetype_params["profile"] == ANNO
    assert response.get_json()["id"] == created["id"]


def test_retrieval_must_link_the_ldp_resource_type(writer, created):
    for method in ("GET", "HEAD", "OPTIONS"):
        assert f'<{LDP}Resource>; rel="type"' in _links(writer.request(method, created["id"])), method


def test_retrieval_must_send_an_etag(writer, created):
    get, head, options = (writer.request(m, created["id"]) for m in ("GET", "HEAD", "OPTIONS"))
    etag = get.headers["ETag"]
    assert etag.startswith('"') and head.headers["ETag"] == options.headers["ETag"] == etag


def test_retrieval_must_send_allow_listing_the_annotations_methods(writer, created):
    assert _methods(writer.get(created["id"])) >= {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}


def test_retrieval_vary_names_accept(writer, created):
    # A MUST only for servers negotiating formats (Postil serves JSON-LD alone), kept so caches stay right.
    assert "Accept" in writer.get(created["id"]).headers["Vary"]


# --- Annotation Containers -----------------------------------------------------------------------------

def test_containers_must_exist_and_their_iri_must_end_in_a_slash(api, slug):
    article = api.get(f"/api/articles/{slug}").get_json()
    assert article["annotations"].endswith(f"/api/articles/{slug}/annotations/")
    assert api.get(article["annotations"]).get_json()["type"] == ["BasicContainer", "AnnotationCollection"]


def test_containers_must_give_annotations_iris_below_their_own(created, container):
    assert created["id"].startswith(container)
    assert "/" not in created["id"][len(container):]


def test_container_retrieval_must_support_get_head_and_options(api, container):
    for method in ("GET", "HEAD", "OPTIONS"):
        assert api.request(method, container).status_code == 200, method


def test_container_retrieval_must_answer_json_ld_when_no_accept_header_is_sent(api, container):
    response = api.get(container)
    assert response.mimetype == "application/ld+json"
    assert response.get_json()["@context"] == [ANNO, "http://www.w3.org/ns/ldp.jsonld"]


def test_container_retrieval_must_list_every_method_in_allow_on_get_head_and_options(api, container):
    for method in ("GET", "HEAD", "OPTIONS"):
        assert _methods(api.request(method, container)) >= {"GET", "HEAD", "OPTIONS", "POST"}, method


def test_containers_must_link_their_type_and_constraints_on_all_responses(api, writer, container, slug):
    answers = {
        "GET": api.get(container), "HEAD": api.head(container), "OPTIONS": api.options(container),
        "a page": api.get(container + "?page=0"),
        "401": api.post(container, {}),                                   # anonymous
        "422": writer.post(container, {"@context": ANNO}),
        "415": writer.post(container, data="text", content_type="text/plain"),
        "404 page": api.get(container + "?page=9"),
        "400": api.get(container + "?page=x"),
    }
    for what, response in answers.items():
        assert f'<{LDP}BasicContainer>; rel="type"' in _links(response), what
        assert f'<{PROTOCOL}>; rel="{LDP}constrainedBy"' in _links(response), what


def test_containers_must_send_an_etag_on_get_head_and_options(api, container):
    get, head, options = api.get(container), api.head(container), api.options(container)
    assert get.headers["ETag"] == head.headers["ETag"] == options.headers["ETag"]
    # Documented exception: an error is not a representation of the container, so it carries no ETag.
    assert "ETag" not in api.get(container + "?page=9").headers


def test_containers_should_advertise_accept_post(api, container):
    for method in ("GET", "HEAD", "OPTIONS"):
        assert "application/ld+json" in api.request(method, container).headers["Accept-Post"], method


def test_container_preferences_minimal_container_embeds_no_annotations(api, container, created):
    response = api.get(container, headers={"Prefer": MINIMAL})
    body = response.get_json()
    assert body["first"] == container + "?page=0" and body["last"] == container + "?page=0"
    assert body["total"] == 1 and "items" not in str(body)
    assert response.headers["Preference-Applied"] == "return=representation"


def test_container_preferences_contained_iris_list_only_iris(api, container, created):
    response = api.get(container, headers={"Prefer": IRIS})
    body = response.get_json()
    assert body["first"]["items"] == [created["id"]]
    # The collection's IRI says which form it is, and the response names it.
    assert body["id"] == container + "?iris=1" == response.headers["Content-Location"]
    assert api.get(body["first"]["id"]).get_json()["items"] == [created["id"]]


def test_container_preferences_contained_descriptions_are_the_default(api, container, created):
    default, asked = api.get(container), api.get(container, headers={"Prefer": DESCRIPTIONS})
    assert default.get_json() == asked.get_json()
    assert default.get_json()["first"]["items"][0]["id"] == created["id"]
    assert default.headers["Content-Location"] == container


def test_container_representations_differ_by_preference_so_vary_names_prefer(api, container):
    assert {"Accept", "Prefer"} <= {v.strip() for v in api.get(container).headers["Vary"].split(",")}


def test_responses_with_annotations_must_be_paged_with_first_last_and_total(app, api, container, make, slug):
    author = make.user(trusted=True)
    for _ in range(3):
        make.annotation(author, slug, QUOTE)
    body = api.get(container).get_json()
    assert body["total"] == 3 and body["first"]["id"] == container + "?page=0" and body["last"] == body["first"]["id"]


def test_pages_must_link_their_container_and_their_neighbours(app, api, container, make, slug):
    from app.models import Article

    author = make.user(trusted=True)
    first_id = make.annotation(author, slug, QUOTE)
    with app.app_context():
        first, article = db.session.get(Annotation, first_id), db.session.scalar(select(Article))
        for n in range(400):
            db.session.add(Annotation(article_id=article.id, author_id=author.id, body=f"n{n}", body_html="",
                                      tags=[], exact=first.exact, start=first.start, end=first.end,
                                      created_at=first.created_at, modified_at=first.modified_at))
        db.session.commit()
    api.checking = False  # 401 annotations: the other tests check the shapes; here the links matter
    middle = api.get(container + "?page=1").get_json()
    assert middle["partOf"] == {"id": container, "total": 401}
    assert middle["prev"] == container + "?page=0" and middle["next"] == container + "?page=2"
    last = api.get(middle["next"]).get_json()
    assert "next" not in last and len(last["items"]) == 1
    assert "prev" not in api.get(container + "?page=0").get_json()


def test_discovery_links_the_annotation_service_from_the_article(api, slug, container):
    link = api.get(f"/api/articles/{slug}").headers["Link"]
    assert link == f'<{container}>; rel="http://www.w3.org/ns/oa#annotationService"'


# --- Creation, Updating and Deletion ---------------------------------------------------------------

def test_create_must_assign_the_servers_iri_and_keeps_a_sent_id_as_via(app, writer, container, slug):
    sent = new_annotation(app, slug, id="https://elsewhere.example/annotations/77")
    body = writer.post(container, sent).get_json()
    assert body["id"].startswith(container) and body["via"] == "https://elsewhere.example/annotations/77"


def test_create_must_keep_canonical_unchanged(app, writer, container, slug):
    canonical = "urn:uuid:2f1b8a3e-1c3d-4a5b-9e7f-0a1b2c3d4e5f"
    body = writer.post(container, new_annotation(app, slug, canonical=canonical)).get_json()
    assert body["canonical"] == canonical
    assert writer.get(body["id"]).get_json()["canonical"] == canonical
    changed = writer.patch(body["id"], {"canonical": "urn:uuid:another", "bodyValue": "New text."})
    assert changed.status_code == 409 and writer.get(body["id"]).get_json()["canonical"] == canonical


def test_create_must_answer_201_with_location_and_the_annotation_as_managed(app, writer, container, slug):
    response = writer.post(container, new_annotation(app, slug, role="admin", status="published"))
    body = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == body["id"] == response.headers["Content-Location"]
    assert "role" not in body  # what was sent but not stored is not echoed
    assert writer.get(body["id"]).get_json() == body


def test_create_must_link_ldp_resource_and_vary_by_prefer(app, writer, container, slug):
    response = writer.post(container, new_annotation(app, slug))
    assert f'<{LDP}Resource>; rel="type"' in _links(response)
    assert {"Accept", "Prefer"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert response.headers["ETag"] == writer.get(response.get_json()["id"]).headers["ETag"]


def test_update_must_replace_with_put_and_answer_200_with_the_new_state(app, writer, created):
    state = {**created, "motivation": "questioning",
             "body": [{"type": "TextualBody", "value": "Is this *reproducible*?", "format": "text/markdown"},
                      {"type": "TextualBody", "purpose": "tagging", "value": "reproducibility"}]}
    response = writer.put(created["id"], state, headers={"If-Match": writer.get(created["id"]).headers["ETag"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["motivation"] == "questioning" and body["body"] == state["body"]
    assert body["edited"] is not None and writer.get(created["id"]).get_json() == body


def test_update_put_replaces_the_whole_state(app, writer, created):
    # No motivation: a comment; no tags: none; the passage stays what it was.
    tagged = {**created, "body": [created["body"][0], {"type": "TextualBody", "purpose": "tagging", "value": "t"}]}
    writer.put(created["id"], tagged)
    bare = {"@context": ANNO, "target": created["target"], "bodyValue": "Plain now."}
    body = writer.put(created["id"], bare).get_json()
    assert body["motivation"] == "commenting" and body["body"] == [
        {"type": "TextualBody", "value": "Plain now.", "format": "text/markdown"}]


def test_update_cannot_move_an_annotation_to_another_passage(app, writer, created, slug):
    other = new_annotation(app, slug, quote="rebastinib, a TIE2 inhibitor")
    response = writer.put(created["id"], other)
    assert response.status_code == 409 and "target" in response.get_json()["error"]["message"]
    assert writer.get(created["id"]).get_json()["target"] == created["target"]


def test_update_must_advertise_put_in_allow(writer, created):
    assert "PUT" in _methods(writer.options(created["id"]))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(app, writer, created, method):
    seen = writer.get(created["id"]).headers["ETag"]
    assert writer.patch(created["id"], {"bodyValue": "Changed on another device."}).status_code == 200
    now = writer.get(created["id"]).get_json()
    body = {"PUT": created, "PATCH": {"bodyValue": "Mine."}, "DELETE": None}[method]
    response = writer.request(method, created["id"], body, headers={"If-Match": seen})
    assert response.status_code == 412
    assert "changed since you fetched it" in response.get_json()["error"]["message"]
    assert writer.get(created["id"]).get_json() == now


def test_a_current_if_match_lets_the_change_through(writer, created):
    etag = writer.get(created["id"]).headers["ETag"]
    response = writer.patch(created["id"], {"bodyValue": "Mine."}, headers={"If-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert writer.patch(created["id"], {"bodyValue": "Again."}, headers={"If-Match": "*"}).status_code == 200
    # A weak tag never matches If-Match (strong comparison).
    weak = "W/" + writer.get(created["id"]).headers["ETag"]
    assert writer.patch(created["id"], {"bodyValue": "Weak."}, headers={"If-Match": weak}).status_code == 412


def test_if_none_match_answers_304_while_nothing_changed(api, writer, created, container, slug):
    for path in (created["id"], container, f"/api/articles/{slug}", "/api/studies", "/api/articles"):
        first = writer.get(path)
        again = writer.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
    etag = writer.get(created["id"]).headers["ETag"]
    writer.patch(created["id"], {"bodyValue": "Changed."})
    assert writer.get(created["id"], headers={"If-None-Match": etag}).status_code == 200


def test_delete_must_answer_204_and_remove_the_iri_from_its_container(writer, created, container):
    etag = writer.get(created["id"]).headers["ETag"]
    assert writer.delete(created["id"], headers={"If-Match": etag}).status_code == 204
    assert created["id"] not in str(writer.get(container).get_json())
    assert writer.get(created["id"]).status_code == 404


# --- Postil's own promises on top of the protocol ---------------------------------------------------

def test_the_earlier_addresses_still_answer_and_name_the_canonical_iri(app, writer, created, slug):
    number = created["id"].rsplit("/", 1)[1]
    short = writer.get(f"/api/annotations/{number}")
    assert short.status_code == 200 and short.headers["Content-Location"] == created["id"]
    assert short.get_json() == writer.get(created["id"]).get_json()
    old_container = writer.get(f"/api/articles/{slug}/annotations")
    assert old_container.headers["Content-Location"] == f"http://localhost/api/articles/{slug}/annotations/"
    assert writer.patch(f"/api/annotations/{number}", {"bodyValue": "Through the old IRI."}).status_code == 200
    reply = writer.post(f"/api/articles/{slug}/annotations", reply_to(f"http://localhost/api/annotations/{number}"))
    assert reply.status_code == 201 and reply.get_json()["target"] == created["id"]


def test_an_annotation_is_not_found_in_another_articles_container(app, writer, created):
    from app.services import articles as article_service

    with app.app_context():
        article_service.save_article(article_service.ArticleInput(title="Other", body="Other text.", slug="other"),
                                     editor=None)
        db.session.commit()
    number = created["id"].rsplit("/", 1)[1]
    assert writer.get(f"/api/articles/other/annotations/{number}").status_code == 404


def test_only_the_author_replaces_and_moderators_read_but_do_not_write(app, api, created, make, token_for):
    moderator = make.user(role=Role.MODERATOR)
    api.as_token(token_for(moderator))
    assert api.get(created["id"]).status_code == 200
    assert api.put(created["id"], created).status_code == 403


def test_the_document_says_where_postil_departs_from_the_protocol(api):
    description = " ".join(api.get("/api/openapi.json").get_json()["info"]["description"].split())
    for departure in ("no Turtle", "`Slug` is ignored", "no CORS", "no `ETag`"):
        assert departure in description


def test_an_edit_waiting_for_a_concurrent_one_compares_if_match_with_what_it_left(app, writer, created):
    """Two editors with the same ETag: the one that waits for the other's transaction gets 412, never overwrites."""
    import threading

    from sqlalchemy import update

    number = int(created["id"].rsplit("/", 1)[1])
    etag = writer.get(created["id"]).headers["ETag"]
    answers = []

    def edit():
        client = app.test_client()
        answers.append(client.patch(created["id"], json={"bodyValue": "Second editor."},
                                    headers={"Authorization": f"Bearer {writer.token}", "If-Match": etag}))

    with app.app_context():
        with db.engine.connect() as other:
            transaction = other.begin()  # on SQLite, BEGIN IMMEDIATE: the write lock
            other.execute(select(Annotation.id).where(Annotation.id == number).with_for_update())
            other.execute(update(Annotation).where(Annotation.id == number)
                          .values(body="First editor.", body_html="<p>First editor.</p>"))
            second = threading.Thread(target=edit)
            second.start()
            second.join(timeout=2)
            assert second.is_alive(), "the second edit did not wait for the first one's transaction"
            transaction.commit()
        second.join(timeout=60)
    assert answers[0].status_code == 412
    assert writer.get(created["id"]).get_json()["body"][0]["value"] == "First editor."
