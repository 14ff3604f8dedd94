"""The conversation in the API: helpful votes, accepted answers (postil:answer), follows, preferences, notifications."""
from __future__ import annotations

import pytest

from app.models import AnnotationKind

QUOTE = "TMEM sites"
OTHER = "rebastinib, a TIE2 inhibitor"


@pytest.fixture
def scene(make, slug):
    return slug, make.user(name="Dr Asker", trusted=True), make.user(name="Dr Helper", trusted=True)


def test_api_helpful_and_answer(app, make, scene, api, token_for):
    slug, asker, helper = scene
    question = make.annotation(asker, slug, QUOTE, kind=AnnotationKind.QUESTION)
    answer = make.reply(helper, question, "The answer.")
    elsewhere = make.reply(helper, make.annotation(asker, slug, OTHER, kind=AnnotationKind.QUESTION), "Elsewhere.")
    api.as_token(token_for(helper))
    voted = api.post(f"/api/annotations/{question}/helpful")
    assert voted.status_code == 201 and voted.get_json()["helpful_count"] == 1
    assert api.post(f"/api/annotations/{question}/helpful").status_code == 409
    assert api.get(f"/api/annotations/{question}").get_json()["helpful"] == 1
    assert api.delete(f"/api/annotations/{question}/helpful").get_json() == {
        "annotation": f"http://localhost/api/articles/{slug}/annotations/{question}", "helpful_count": 0,
        "voted": False}
    refused = api.request("PUT", f"/api/annotations/{question}/answer", {"answer": answer})
    assert refused.status_code == 403 and "Only the person who asked" in refused.get_json()["error"]["message"]
    api.as_token(token_for(asker))
    wrong = api.request("PUT", f"/api/annotations/{question}/answer",
                        {"answer": f"http://localhost/api/annotations/{elsewhere}"})
    assert wrong.status_code == 400 and "another thread" in wrong.get_json()["error"]["message"]
    iri = f"http://localhost/api/articles/{slug}/annotations/{answer}"
    accepted = api.request("PUT", f"/api/annotations/{question}/answer", {"answer": iri})
    assert accepted.status_code == 200
    body = accepted.get_json()
    assert body["answer"] == iri and body["motivation"] == "questioning"
    assert api.request("PUT", f"/api/annotations/{question}/answer", {"answer": iri}).status_code == 409
    context = api.get("/api/context.jsonld").get_json()["@context"]
    assert context["answer"] == {"@id": "postil:answer", "@type": "@id"}
    assert api.delete(f"/api/annotations/{question}/answer").get_json()["answer"] is None


def test_api_follows_preferences_and_notifications(app, make, scene, api, token_for):
    slug, asker, helper = scene
    root = make.annotation(asker, slug, QUOTE)
    api.as_token(token_for(asker))
    created = api.post("/api/follows", {"type": "tag", "target": "Taxanes"})
    assert created.status_code == 201 and created.get_json()["target"] == "taxanes"
    assert api.post("/api/follows", {"type": "tag", "target": "taxanes"}).status_code == 409
    items = api.get("/api/follows").get_json()["items"]
    assert {(i["type"], i["automatic"]) for i in items} == {("tag", False), ("thread", True)}
    assert api.delete(f"/api/follows/{created.get_json()['id']}").status_code == 204
    api.as_token(token_for(helper))
    assert api.delete(f"/api/follows/{items[0]['id']}").status_code == 404  # someone else's
    api.as_token(token_for(asker))

    prefs = api.get("/api/notifications/preferences").get_json()
    assert prefs["preferences"]["reply"] == "instant" and prefs["preferences"]["followed"] == "daily"
    changed = api.patch("/api/notifications/preferences", {"preferences": {"reply": "weekly"}, "auto_follow": False})
    assert changed.get_json()["preferences"]["reply"] == "weekly" and changed.get_json()["auto_follow"] is False
    bad = api.patch("/api/notifications/preferences", {"preferences": {"reply": "hourly"}})
    assert bad.status_code == 422 and "preferences.reply" in bad.get_json()["error"]["message"]
    assert api.get("/api/notifications/preferences").get_json()["preferences"]["reply"] == "weekly"

    make.reply(helper, root, "A reply to read.")
    listed = api.get("/api/notifications").get_json()
    assert listed["unread"] == 1 and listed["items"][0]["read"] is False
    assert listed["items"][0]["event_type"] == "reply"
    assert api.post("/api/notifications/read").get_json() == {"marked": 1}
    assert api.get("/api/notifications").get_json()["items"][0]["read"] is True


def test_listing_answered_questions_costs_the_same_queries_for_1_or_30(app, api, make, scene, token_for):
    from app.extensions import db
    from app.models import Annotation, User
    from app.services import answers
    from tests.functional.api.test_api_queries import _queries_for

    slug, asker, helper = scene

    def answered_question():
        question = make.annotation(asker, slug, QUOTE, kind=AnnotationKind.QUESTION)
        reply = make.reply(helper, question, "Answer.")
        with app.app_context():
            answers.accept(db.session.get(Annotation, question), db.session.get(Annotation, reply),
                           db.session.get(User, asker.id))
            db.session.commit()

    answered_question()
    api.as_token(token_for(helper))
    path = f"/api/articles/{slug}/annotations"
    one = _queries_for(app, api, [path])
    for _ in range(29):
        answered_question()
    assert _queries_for(app, api, [path]) == one
    answered = [a for a in api.get(path).get_json()["first"]["items"] if a.get("answer")]
    assert len(answered) == 30
