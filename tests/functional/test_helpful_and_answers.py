"""Helpful votes, accepted answers, the unanswered filter, sorting by helpful, and public profiles."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationKind, HelpfulVote, Visibility
from tests.conftest import AuthActions, csrf_from

QUOTE = "TMEM sites"
OTHER = "rebastinib, a TIE2 inhibitor"


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    return slug, make.user(name="Dr Asker", trusted=True), make.user(name="Dr Helper", trusted=True)


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).sign_in(user.email, user.password)
    return client


def act(client, path, page):
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).get_data(as_text=True))})


def test_helpful_once_per_reader_never_ones_own_withdrawable_and_counted(app, make, scene):
    slug, asker, helper = scene
    note = make.annotation(asker, slug, QUOTE, body="Worth reading.")
    helper_client = signed_in(app, helper)
    page = f"/annotations/{note}/helpful"
    assert helper_client.get(page).status_code == 200
    assert act(helper_client, page, page).status_code == 303
    again = act(helper_client, page, page)
    assert again.status_code == 409 and "already marked" in again.get_data(as_text=True)
    article = helper_client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "1 found this helpful" in article and f'data-unvote="{note}">' in article
    assert "1 found this helpful" in app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    asker_client = signed_in(app, asker)
    assert asker_client.get(page).status_code == 403
    own = act(asker_client, page, "/")
    assert own.status_code == 403 and "your own annotation" in own.get_data(as_text=True)
    assert f'data-vote="{note}" hidden>' in asker_client.get(f"/articles/{slug}").get_data(as_text=True)
    assert act(helper_client, page + "/withdraw", page).status_code == 303
    assert act(helper_client, page + "/withdraw", page).status_code == 409
    with app.app_context():
        assert db.session.get(Annotation, note).helpful_count == 0
        assert db.session.scalar(select(func.count(HelpfulVote.id))) == 0


def test_private_or_hidden_annotations_cannot_be_voted_on_and_counts_stay_with_them(app, make, scene):
    slug, asker, helper = scene
    private = make.annotation(asker, slug, QUOTE, visibility=Visibility.PRIVATE)
    client = signed_in(app, helper)
    assert client.get(f"/annotations/{private}/helpful").status_code == 404
    assert client.post(f"/api/annotations/{private}/helpful", headers={
        "X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True))}).status_code == 404


def test_threads_sort_by_most_helpful(app, make, scene):
    slug, asker, helper = scene
    first = make.annotation(asker, slug, QUOTE, body="Earlier in the text.")
    second = make.annotation(asker, slug, OTHER, body="Later in the text, but helpful.")
    for voter in (helper, make.user(trusted=True)):
        client = signed_in(app, voter)
        act(client, f"/annotations/{second}/helpful", f"/annotations/{second}/helpful")
    reading = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    assert reading.index(f'id="a-{first}"') < reading.index(f'id="a-{second}"')
    helpful = app.test_client().get(f"/articles/{slug}?sort=helpful").get_data(as_text=True)
    assert helpful.index(f'id="a-{second}"') < helpful.index(f'id="a-{first}"')
    assert "2 found this helpful" in helpful


def test_the_asker_or_a_moderator_accepts_a_reply_and_the_thread_shows_answered(app, make, scene):
    slug, asker, helper = scene
    moderator = make.user(role="moderator", name="Dr Mod")
    question = make.annotation(asker, slug, QUOTE, body="Is this seen in patients?", kind=AnnotationKind.QUESTION)
    early = make.reply(helper, question, "Maybe.")
    answer = make.reply(helper, question, "Yes, in 20 patients.")
    other_question = make.annotation(helper, slug, OTHER, body="Another question?", kind=AnnotationKind.QUESTION)
    unanswered = app.test_client().get(f"/articles/{slug}?kind=unanswered").get_data(as_text=True)
    assert f'id="a-{question}"' in unanswered and f'id="a-{other_question}"' in unanswered

    helper_client = signed_in(app, helper)
    assert helper_client.get(f"/annotations/{answer}/accept").status_code == 403  # not the asker
    assert act(helper_client, f"/annotations/{answer}/accept", "/").status_code == 403
    asker_client = signed_in(app, asker)
    assert act(asker_client, f"/annotations/{answer}/accept", f"/annotations/{answer}/accept").status_code == 303
    page = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    thread = page[page.index(f'id="a-{question}"'):page.index(f'id="a-{other_question}"')]
    assert "Answered" in thread and thread.index(f'id="a-{answer}"') < thread.index(f'id="a-{early}"')
    unanswered = app.test_client().get(f"/articles/{slug}?kind=unanswered").get_data(as_text=True)
    assert f'id="a-{question}"' not in unanswered and f'id="a-{other_question}"' in unanswered
    # A moderator may choose another; the asker may withdraw.
    mod_client = signed_in(app, moderator)
    assert act(mod_client, f"/annotations/{early}/accept", f"/annotations/{early}/accept").status_code == 303
    with app.app_context():
        assert db.session.get(Annotation, question).accepted_answer_id == early
    assert act(asker_client, f"/annotations/{question}/answer/withdraw", "/").status_code == 303
    assert act(asker_client, f"/annotations/{question}/answer/withdraw", "/").status_code == 409
    # A comment's replies cannot be accepted.
    comment = make.annotation(asker, slug, OTHER)
    reply = make.reply(helper, comment, "Not an answer.")
    assert asker_client.get(f"/annotations/{reply}/accept").status_code == 400


def test_an_accepted_answer_hidden_later_no_longer_answers_for_other_readers(app, make, scene):
    slug, asker, helper = scene
    moderator = make.user(role="moderator")
    question = make.annotation(asker, slug, QUOTE, kind=AnnotationKind.QUESTION)
    answer = make.reply(helper, question, "SECRET-ANSWER hidden later.")
    with app.app_context():
        from app.models import User
        from app.services import answers, moderation

        answers.accept(db.session.get(Annotation, question), db.session.get(Annotation, answer),
                       db.session.get(User, asker.id))
        moderation.transition(db.session.get(Annotation, answer), "hide", db.session.get(User, moderator.id),
                              reason="Off topic")
        db.session.commit()
    page = signed_in(app, make.user(trusted=True)).get(f"/articles/{slug}").get_data(as_text=True)
    assert "SECRET-ANSWER" not in page and "Not answered yet" in page
    api = app.test_client().get(f"/api/annotations/{question}").get_json()
    assert api["answer"] is None


def test_a_public_profile_shows_public_work_only_and_validates_the_orcid(app, make, scene):
    slug, asker, helper = scene
    make.annotation(asker, slug, QUOTE, body="PUBLIC note.")
    make.annotation(asker, slug, QUOTE, body="SECRET private note.", visibility=Visibility.PRIVATE)
    client = signed_in(app, asker)
    form = {"csrf_token": csrf_from(client.get("/profile").get_data(as_text=True)), "display_name": "Dr Asker",
            "profession": "Oncologist", "affiliation": "Clinic", "interests_choice": "none"}
    bad = client.post("/profile", data={**form, "orcid": "0000-0002-1825-0098"})
    assert bad.status_code == 422 and "check digit" in bad.get_data(as_text=True)
    assert client.post("/profile", data={**form, "orcid": "https://orcid.org/0000-0002-1825-0097"}).status_code == 302
    page = app.test_client().get(f"/people/{asker.id}").get_data(as_text=True)
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in page and "PUBLIC note." in page
    assert "SECRET" not in page and "Oncologist" in page and "None declared" in page
    assert app.test_client().get(f"/people/{helper.id}").status_code == 404  # no public work yet
    assert signed_in(app, asker).get(f"/people/{helper.id}").status_code == 200
    person = app.test_client().get(f"/api/users/{asker.id}").get_json()
    assert person["orcid"] == "https://orcid.org/0000-0002-1825-0097"
