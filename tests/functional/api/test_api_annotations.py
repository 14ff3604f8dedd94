"""Annotations through the API: create, read, reply, edit, delete, visibility, validation and paging."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, Role, User, Visibility
from app.services import articles as article_service
from tests.functional.api.conftest import ANNO, QUOTE, SECOND_QUOTE, article_text, new_annotation, reply_to


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Annotation.id)))


def test_a_clinician_annotates_a_passage_and_gets_it_back(app, api, make, slug, token_for):
    author = make.user(trusted=True, name="Dr Ada Lovelace", profession="Oncologist",
                       competing_interests="Speaker fees from Acme Pharma")
    api.as_token(token_for(author))
    refs = api.get(f"/api/articles/{slug}").get_json()["references"]
    posted = new_annotation(app, slug, text="Mouse *models* may not transfer.", body=[
        {"type": "TextualBody", "value": "Mouse *models* may not transfer.", "format": "text/markdown"},
        {"type": "TextualBody", "purpose": "tagging", "value": "Animal Models"},
        {"type": "SpecificResource", "purpose": "linking", "source": refs[1]["url"]},
    ])

    created = api.post(f"/api/articles/{slug}/annotations", posted)

    assert created.status_code == 201
    annotation = created.get_json()
    assert created.headers["Location"] == annotation["id"]
    assert annotation["id"].startswith(f"http://localhost/api/articles/{slug}/annotations/")
    assert annotation["type"] == "Annotation" and annotation["motivation"] == "assessing"
    assert annotation["creator"]["name"] == "Dr Ada Lovelace"
    assert annotation["creator"]["type"] == "Person"
    assert annotation["creator"]["competing_interests"] == "Speaker fees from Acme Pharma"
    assert annotation["created"].endswith("Z") and annotation["modified"].endswith("Z")
    assert annotation["status"] == "published" and annotation["visibility"] == "public"
    assert annotation["anchor"] == {"state": "anchored", "article_version": 1,
                                    "original": {"exact": "TMEM sites", "article_version": 1}}
    assert annotation["body"] == [
        {"type": "TextualBody", "value": "Mouse *models* may not transfer.", "format": "text/markdown"},
        {"type": "TextualBody", "purpose": "tagging", "value": "Animal Models"},  # tags keep their case
        {"type": "SpecificResource", "purpose": "linking", "source": refs[1]["url"]},
    ]
    assert annotation["body_html"] == "<p>Mouse <em>models</em> may not transfer.</p>\n"
    selectors = {s["type"]: s for s in annotation["target"]["selector"]}
    text = article_text(app, slug)
    position = selectors["TextPositionSelector"]
    assert text[position["start"]:position["end"]] == QUOTE == selectors["TextQuoteSelector"]["exact"]
    assert annotation["target"]["source"] == f"http://localhost/articles/{slug}"

    fetched = api.as_token(None).get(annotation["id"])
    assert fetched.status_code == 200
    assert fetched.get_json()["body"] == annotation["body"]
    assert "moderation_reason" not in fetched.get_json()  # only for the author and moderators


def test_every_kind_maps_to_its_w3c_motivation_both_ways(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    expected = {"commenting": AnnotationKind.COMMENT, "questioning": AnnotationKind.QUESTION,
                "assessing": AnnotationKind.CRITIQUE, "linking": AnnotationKind.SUPPORT,
                "describing": AnnotationKind.PRACTICE}
    for motivation, kind in expected.items():
        response = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, motivation=motivation))
        assert response.get_json()["motivation"] == motivation
        with app.app_context():
            assert db.session.get(Annotation, int(response.get_json()["id"].rsplit("/", 1)[1])).kind == kind


def test_posting_without_a_motivation_makes_a_comment(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    posted = new_annotation(app, slug)
    del posted["motivation"]
    assert api.post(f"/api/articles/{slug}/annotations", posted).get_json()["motivation"] == "commenting"


def test_a_reply_targets_its_parent_and_is_listed_with_it(app, api, make, slug, token_for):
    author, replier = make.user(trusted=True), make.user(trusted=True)
    parent = api.as_token(token_for(author)).post(f"/api/articles/{slug}/annotations",
                                                  new_annotation(app, slug)).get_json()

    reply = api.as_token(token_for(replier)).post(f"/api/articles/{slug}/annotations",
                                                   reply_to(parent["id"], "Good point."))

    assert reply.status_code == 201
    body = reply.get_json()
    assert body["motivation"] == "replying" and body["target"] == parent["id"]
    assert "anchor" not in body
    items = api.as_token(None).get(f"/api/articles/{slug}/annotations").get_json()["first"]["items"]
    assert [i["id"] for i in items] == [parent["id"], body["id"]]
    nested = api.as_token(token_for(author)).post(f"/api/articles/{slug}/annotations",
                                                  reply_to(body["id"], "Thanks."))
    assert nested.status_code == 201 and nested.get_json()["target"] == body["id"]


def test_a_reply_to_an_annotation_the_replier_cannot_read_is_refused(app, api, make, slug, token_for):
    owner, other = make.user(trusted=True), make.user(trusted=True)
    private_id = make.annotation(owner, slug, QUOTE, visibility=Visibility.PRIVATE)
    api.as_token(token_for(other))
    before = _count(app)

    response = api.post(f"/api/articles/{slug}/annotations", reply_to(f"http://localhost/api/annotations/{private_id}"))

    assert response.status_code == 422
    assert "target" in response.get_json()["error"]["message"]
    assert _count(app) == before


def test_a_reply_in_a_private_thread_stays_private(app, api, make, slug, token_for):
    owner = make.user(trusted=True)
    api.as_token(token_for(owner))
    parent = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, visibility="private")).get_json()
    reply = api.post(f"/api/articles/{slug}/annotations", {**reply_to(parent["id"]), "visibility": "public"})
    assert reply.get_json()["visibility"] == "private"
    assert reply.get_json()["status"] == "published"


def test_a_private_annotation_is_invisible_to_everyone_else(app, api, make, slug, token_for):
    owner, other = make.user(trusted=True), make.user(trusted=True)
    make.annotation(owner, slug, SECOND_QUOTE)
    owner_token = token_for(owner)
    private = api.as_token(owner_token).post(f"/api/articles/{slug}/annotations",
                                             new_annotation(app, slug, visibility="private"))
    assert private.status_code == 201 and private.get_json()["visibility"] == "private"
    private_iri = private.get_json()["id"]

    def seen_by(token):
        api.as_token(token)
        listing = api.get(f"/api/articles/{slug}/annotations").get_json()
        count = api.get("/api/articles").get_json()["items"][0]["annotation_count"]
        return [i["id"] for i in listing["first"]["items"]], listing["total"], count, api.get(private_iri)

    ids, total, count, one = seen_by(owner_token)
    assert private_iri in ids and total == count == 2 and one.status_code == 200

    for token in (token_for(other), None):
        ids, total, count, one = seen_by(token)
        assert private_iri not in ids and total == count == 1
        assert one.status_code == 404
        missing = api.get("/api/annotations/999999")
        assert one.get_json() == missing.get_json()  # the same answer as for an annotation that never existed


def test_a_new_accounts_public_annotation_waits_for_a_moderator(app, api, make, slug, token_for):
    newcomer, other = make.user(trusted=False), make.user(trusted=True)
    api.as_token(token_for(newcomer))

    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)).get_json()

    assert created["status"] == "pending"
    assert api.get(created["id"]).status_code == 200  # the author sees it, with its status
    assert api.as_token(token_for(other)).get(created["id"]).status_code == 404
    assert api.get(f"/api/articles/{slug}/annotations").get_json()["total"] == 0


def test_server_managed_fields_in_the_posted_annotation_are_ignored(app, api, make, slug, token_for):
    author, victim = make.user(trusted=False), make.user(name="Dr Someone Else")
    api.as_token(token_for(author))
    posted = new_annotation(app, slug, id="http://localhost/api/annotations/4242", status="published",
                            creator={"id": f"http://localhost/api/users/{victim.id}", "type": "Person",
                                     "name": "Dr Someone Else"},
                            created="2001-01-01T00:00:00Z", role="admin", anchor={"state": "orphaned"},
                            moderation_reason="approved")

    response = api.post(f"/api/articles/{slug}/annotations", posted)

    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != "http://localhost/api/annotations/4242"
    assert body["status"] == "pending"  # still pre-moderated
    assert body["creator"]["name"] == author.name
    assert not body["created"].startswith("2001")
    assert body["anchor"]["state"] == "anchored"
    assert body["moderation_reason"] is None
    with app.app_context():
        assert db.session.get(User, author.id).role == Role.READER


def test_the_author_edits_text_tags_and_kind(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)).get_json()

    edited = api.patch(created["id"], {"motivation": "questioning", "body": [
        {"type": "TextualBody", "value": "Is this **reproducible**?", "format": "text/markdown"},
        {"type": "TextualBody", "purpose": "tagging", "value": "reproducibility"}]})

    assert edited.status_code == 200
    body = edited.get_json()
    assert body["motivation"] == "questioning"
    assert body["body"][0]["value"] == "Is this **reproducible**?"
    assert [b["value"] for b in body["body"] if b.get("purpose") == "tagging"] == ["reproducibility"]
    assert body["edited"] is not None and body["modified"] >= created["modified"]
    assert api.get(created["id"]).get_json()["body"] == body["body"]


def test_changing_only_the_motivation_keeps_the_text_and_tags(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    posted = new_annotation(app, slug)
    posted["body"].append({"type": "TextualBody", "purpose": "tagging", "value": "mice"})
    created = api.post(f"/api/articles/{slug}/annotations", posted).get_json()

    edited = api.patch(created["id"], {"motivation": "describing"}).get_json()

    assert edited["motivation"] == "describing" and edited["body"] == created["body"]


def test_visibility_cannot_be_changed_by_an_edit(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, visibility="private")).get_json()
    response = api.patch(created["id"], {"visibility": "public", "bodyValue": "Now public?"})
    assert response.status_code == 409 and "Visibility cannot change" in response.get_json()["error"]["message"]
    assert api.get(created["id"]).get_json()["visibility"] == "private"


def test_only_the_author_edits_or_deletes(app, api, make, slug, token_for):
    author, other, moderator = make.user(trusted=True), make.user(trusted=True), make.user(role=Role.MODERATOR)
    created = api.as_token(token_for(author)).post(f"/api/articles/{slug}/annotations",
                                                   new_annotation(app, slug)).get_json()

    for intruder in (other, moderator):
        api.as_token(token_for(intruder))
        assert api.patch(created["id"], {"bodyValue": "Defaced"}).status_code == 403
        assert api.delete(created["id"]).status_code == 403

    assert api.as_token(None).get(created["id"]).get_json()["body"][0]["value"] == "Mouse models may not transfer."


def test_editing_or_deleting_an_unreadable_annotation_is_not_found(app, api, make, slug, token_for):
    owner, other = make.user(trusted=True), make.user(trusted=True)
    private_id = make.annotation(owner, slug, QUOTE, visibility=Visibility.PRIVATE)
    api.as_token(token_for(other))
    assert api.patch(f"/api/annotations/{private_id}", {"bodyValue": "x"}).status_code == 404
    assert api.delete(f"/api/annotations/{private_id}").status_code == 404


def test_deleting_is_soft_and_the_annotation_disappears_from_the_api(app, api, make, slug, token_for):
    author = make.user(trusted=True)
    api.as_token(token_for(author))
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)).get_json()
    reply = api.post(f"/api/articles/{slug}/annotations", reply_to(created["id"])).get_json()

    response = api.delete(created["id"])

    assert response.status_code == 204 and response.data == b""
    assert api.get(created["id"]).status_code == 404
    listing = api.get(f"/api/articles/{slug}/annotations").get_json()
    assert [i["id"] for i in listing["first"]["items"]] == [reply["id"]]
    with app.app_context():
        row = db.session.get(Annotation, int(created["id"].rsplit("/", 1)[1]))
        assert row is not None and row.deleted_at is not None
    assert api.delete(created["id"]).status_code == 404


def test_invalid_selectors_are_refused_with_the_anchoring_message(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    text_length = len(article_text(app, slug))
    cases = [
        ([{"type": "TextQuoteSelector", "exact": "words that are nowhere in the article"}], "not found"),
        ([{"type": "TextQuoteSelector", "exact": QUOTE},
          {"type": "TextPositionSelector", "start": 10, "end": text_length + 50}], "outside the article"),
        ([{"type": "TextQuoteSelector", "exact": QUOTE},
          {"type": "TextPositionSelector", "start": 40, "end": 20}], "reversed"),
        ([{"type": "TextQuoteSelector", "exact": "   "}], "empty"),
        ([{"type": "TextPositionSelector", "start": 0, "end": 4}], "TextQuoteSelector"),
    ]
    for selector, message in cases:
        posted = new_annotation(app, slug)
        posted["target"]["selector"] = selector
        response = api.post(f"/api/articles/{slug}/annotations", posted)
        assert response.status_code == 422, selector
        assert message in response.get_json()["error"]["message"]
    assert _count(app) == 0


def test_offsets_count_unicode_code_points(app, api, make, token_for):
    with app.app_context():
        article = article_service.save_article(article_service.ArticleInput(
            title="Emoji", body="Patients 😀 reported 𝔽ever after the dose.", slug="emoji"), editor=None)
        db.session.commit()
        text = article.body_text
    api.as_token(token_for(make.user(trusted=True)))
    start = text.index("reported")
    posted = new_annotation(app, "emoji", quote="reported")
    posted["target"]["selector"][1].update(start=start, end=start + len("reported"))
    response = api.post("/api/articles/emoji/annotations", posted)
    assert response.status_code == 201
    position = response.get_json()["target"]["selector"][1]
    assert (position["start"], position["end"]) == (start, start + 8)
    assert len(text[:start].encode("utf-16-le")) // 2 != start  # a UTF-16 count would differ here


def test_the_text_must_be_present_and_at_most_10000_characters(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    empty = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, text="   "))
    assert empty.status_code == 422 and "empty" in empty.get_json()["error"]["message"]
    no_body = new_annotation(app, slug)
    del no_body["body"]
    assert api.post(f"/api/articles/{slug}/annotations", no_body).status_code == 422
    too_long = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, text="x" * 10_001))
    assert too_long.status_code == 422 and "10,000" in too_long.get_json()["error"]["message"]
    just_right = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, text="x" * 10_000))
    assert just_right.status_code == 201
    created = just_right.get_json()["id"]
    assert api.patch(created, {"bodyValue": "y" * 10_001}).status_code == 422
    assert api.get(created).get_json()["body"][0]["value"] == "x" * 10_000


def test_malformed_annotations_are_refused_with_a_reason(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    base = new_annotation(app, slug)
    cases = [
        ({**base, "@context": "http://example.org/other"}, "@context"),
        ({**base, "motivation": "bookmarking"}, "motivation"),
        ({**base, "visibility": "friends"}, "visibility"),
        ({**base, "target": {**base["target"], "source": "http://localhost/articles/another"}}, "target.source"),
        ({**base, "body": [{"type": "TextualBody", "value": "x", "format": "text/html"}]}, "format"),
        ({**base, "body": [*base["body"], {"type": "SpecificResource", "purpose": "linking",
                                           "source": "https://doi.org/10.1000/unrelated"}]}, "references"),
        ({**base, "body": [*base["body"], *[{"type": "TextualBody", "purpose": "tagging", "value": f"t{n}"}
                                            for n in range(11)]]}, "tags"),
        (["not", "an", "object"], "JSON object"),
    ]
    for posted, message in cases:
        response = api.post(f"/api/articles/{slug}/annotations", posted)
        assert response.status_code == 422, posted
        assert message in response.get_json()["error"]["message"]
    assert _count(app) == 0


def test_requests_that_are_not_json_are_refused(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)).get_json()

    form = api.post(f"/api/articles/{slug}/annotations", data={"body": "hello"})
    plain = api.patch(created["id"], data='{"bodyValue": "x"}', content_type="text/plain")
    empty = api.post(f"/api/articles/{slug}/annotations")
    broken = api.post(f"/api/articles/{slug}/annotations", data="{not json", content_type="application/json")
    ld = api.post(f"/api/articles/{slug}/annotations", data=__import__("json").dumps(new_annotation(app, slug)),
                  content_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"')

    assert form.status_code == plain.status_code == empty.status_code == 415
    assert form.get_json()["error"]["code"] == "unsupported_media_type"
    assert broken.status_code == 400
    assert ld.status_code == 201
    assert _count(app) == 2


def test_an_oversized_request_body_is_refused(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    response = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug, text="x" * 300_000))
    assert response.status_code == 413
    assert _count(app) == 0


def test_a_suspended_author_can_read_but_not_write(app, api, make, slug, token_for):
    from datetime import timedelta

    from app.models.base import utcnow

    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE)
    # Issued before the suspension, which is written straight to the row here (the service would also
    # revoke the token; a suspended account cannot create one): the token still only reads.
    api.as_token(token_for(author))
    with app.app_context():
        user = db.session.get(User, author.id)
        user.suspended_until = utcnow() + timedelta(days=3)
        user.suspension_reason = "Repeated off-topic posts."
        db.session.commit()

    assert api.get(f"/api/annotations/{annotation_id}").status_code == 200
    for response in (api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)),
                     api.patch(f"/api/annotations/{annotation_id}", {"bodyValue": "edit"}),
                     api.delete(f"/api/annotations/{annotation_id}")):
        assert response.status_code == 403
        assert "suspended" in response.get_json()["error"]["message"]
        assert "Repeated off-topic posts." in response.get_json()["error"]["message"]


def test_anonymous_callers_cannot_write(app, api, make, slug):
    annotation_id = make.annotation(make.user(trusted=True), slug, QUOTE)
    assert api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug)).status_code == 401
    assert api.patch(f"/api/annotations/{annotation_id}", {"bodyValue": "x"}).status_code == 401
    assert api.delete(f"/api/annotations/{annotation_id}").status_code == 401
    assert _count(app) == 1


def test_unknown_articles_and_annotations_are_not_found(api, make, slug):
    assert api.get("/api/articles/no-such-article").status_code == 404
    assert api.get("/api/articles/no-such-article/annotations").status_code == 404
    assert api.get("/api/annotations/12345").status_code == 404
    assert api.get("/api/articles/nothing/here/at/all").get_json()["error"]["code"] == "not_found"


def test_collections_are_paged_by_200_with_next_links(app, api, make, slug):
    author = make.user(trusted=True)
    first_id = make.annotation(author, slug, QUOTE)
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        first = db.session.get(Annotation, first_id)
        for n in range(449):
            db.session.add(Annotation(article_id=article.id, author_id=author.id, body=f"Note {n}",
                                      body_html=f"<p>Note {n}</p>", tags=[], exact=first.exact, prefix=first.prefix,
                                      suffix=first.suffix, start=first.start, end=first.end,
                                      original_exact=first.exact, created_at=first.created_at,
                                      modified_at=first.modified_at))
        db.session.commit()

    collection = api.get(f"/api/articles/{slug}/annotations").get_json()
    assert collection["total"] == 450
    seen, page = [], collection["first"]
    while True:
        assert len(page["items"]) <= 200
        seen += [item["id"] for item in page["items"]]
        if "next" not in page:
            break
        page = api.get(page["next"]).get_json()
        assert page["partOf"]["total"] == 450
    assert len(seen) == len(set(seen)) == 450
    assert [len(p) for p in (collection["first"]["items"], page["items"])] == [200, 50]
    assert collection["last"] == page["id"]
    assert api.get(f"/api/articles/{slug}/annotations?page=3").status_code == 404
    assert api.get(f"/api/articles/{slug}/annotations?page=-1").status_code == 400


def test_served_selectors_follow_the_current_article_version(app, api, make, slug, token_for):
    author = make.user(trusted=True)
    moved_id = make.annotation(author, slug, SECOND_QUOTE)
    orphan_id = make.annotation(author, slug, QUOTE)
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        body = ("A new opening paragraph pushes everything down.\n\n"
                + article.body_source.replace("These TMEM sites show", "Those sites show"))
        article_service.save_article(article_service.ArticleInput(title=article.title, body=body, slug=slug),
                                     editor=None)
        db.session.commit()
    text = article_text(app, slug)
    api.as_token(token_for(author))

    moved = api.get(f"/api/annotations/{moved_id}").get_json()
    assert moved["anchor"] == {"state": "moved", "article_version": 2,
                               "original": {"exact": SECOND_QUOTE, "article_version": 1}}
    quote, position = moved["target"]["selector"]
    assert text[position["start"]:position["end"]] == quote["exact"] == SECOND_QUOTE

    orphan = api.get(f"/api/annotations/{orphan_id}").get_json()
    assert orphan["anchor"] == {"state": "orphaned", "article_version": 2,
                                "original": {"exact": QUOTE, "article_version": 1}}
    assert orphan["target"]["selector"] == [{"type": "TextQuoteSelector", "exact": QUOTE}]
    assert api.get(f"/api/articles/{slug}").get_json()["version"] == 2


def test_authors_are_public_only_through_annotations_the_caller_can_read(app, api, make, slug, token_for):
    public_author, private_author = make.user(trusted=True, name="Dr Public"), make.user(trusted=True)
    make.annotation(public_author, slug, QUOTE)
    make.annotation(private_author, slug, QUOTE, visibility=Visibility.PRIVATE)

    person = api.get(f"/api/users/{public_author.id}")
    assert person.status_code == 200 and person.get_json()["name"] == "Dr Public"
    assert api.get(f"/api/users/{private_author.id}").status_code == 404
    assert api.as_token(token_for(private_author)).get(f"/api/users/{private_author.id}").status_code == 200


def test_the_author_sees_why_their_annotation_was_hidden_others_do_not(app, api, make, slug, token_for):
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE)
    with app.app_context():
        row = db.session.get(Annotation, annotation_id)
        row.status, row.moderation_reason = AnnotationStatus.HIDDEN, "Contains patient details."
        db.session.commit()
    own = api.as_token(token_for(author)).get(f"/api/annotations/{annotation_id}").get_json()
    assert own["status"] == "hidden" and own["moderation_reason"] == "Contains patient details."
    assert api.as_token(token_for(make.user())).get(f"/api/annotations/{annotation_id}").status_code == 404


def test_context_document_defines_postils_terms(api):
    response = api.get("/api/context.jsonld")
    context = response.get_json()["@context"]
    assert response.mimetype == "application/ld+json"
    assert {"status", "visibility", "anchor"} <= set(context)
    assert context["postil"].startswith("http://localhost/api/context.jsonld")
    assert ANNO != context["postil"]
