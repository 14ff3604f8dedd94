"""Pre-moderation covers edits: an untrusted author's edit of an approved annotation waits in the queue.

Until an author's annotations are published without review, changing one that a moderator approved
sends it back to the pending queue (logged "edit held for review"): nobody else sees it, in any
version, until a moderator approves the new text. Trusted authors, moderators, private notes and
edits that change nothing are unaffected; flag-hidden and removed annotations keep their own rules.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, ModerationLog, Role, Visibility
from tests.conftest import AuthActions, csrf_from

S = AnnotationStatus
QUOTE = "are the models used really representative of the spectrum of human tumors?"
SPAM = "Buy cheap oncology supplements at example.test, patient John Smith agrees!"


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    newcomer = make.user(name="Dr Newcomer")  # untrusted: new annotations wait (PREMODERATION_COUNT 3)
    approved = make.annotation(newcomer, slug, QUOTE, body="A careful, harmless first comment.")
    return {"slug": slug, "newcomer": newcomer, "approved": approved, "reader": make.user(name="Dr Reader"),
            "mod": make.user(role=Role.MODERATOR, name="Mod Erator"), "make": make}


def _status(app, annotation_id: int) -> AnnotationStatus:
    with app.app_context():
        return db.session.get(Annotation, annotation_id).status


def _edit(client, annotation_id: int, body: str, tags: str = ""):
    token = csrf_from(client.get(f"/annotations/{annotation_id}/edit").get_data(as_text=True))
    return client.post(f"/annotations/{annotation_id}/edit", data={
        "csrf_token": token, "body": body, "kind": "comment", "tags": tags}, follow_redirects=True)


def _as(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email, user.password).status_code == 302
    return client


def test_an_untrusted_authors_edit_of_an_approved_annotation_waits_and_nobody_else_sees_it(app, scene):
    slug, approved = scene["slug"], scene["approved"]
    author = _as(app, scene["newcomer"])
    page = _edit(author, approved, SPAM).get_data(as_text=True)
    assert "wait for a moderator" in page
    assert _status(app, approved) == S.PENDING
    # The author still sees it, as waiting.
    assert SPAM in author.get(f"/articles/{slug}").get_data(as_text=True)

    for client in (app.test_client(), _as(app, scene["reader"])):
        article = client.get(f"/articles/{slug}").get_data(as_text=True)
        assert SPAM not in article and "A careful, harmless first comment." not in article
        assert client.get(f"/api/annotations/{approved}").status_code == 404
        listing = client.get(f"/api/articles/{slug}/annotations").get_data(as_text=True)
        assert SPAM not in listing

    moderator = _as(app, scene["mod"])
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert SPAM in queue
    with app.app_context():
        entry = db.session.scalar(select(ModerationLog).where(ModerationLog.annotation_id == approved)
                                  .order_by(ModerationLog.id.desc()))
        assert (entry.action, entry.moderator_id, entry.old_status, entry.new_status) == (
            "hold_edit", scene["newcomer"].id, "published", "pending")
        modified = db.session.get(Annotation, approved).modified_at.isoformat()
    token = csrf_from(queue)
    moderator.post(f"/moderation/annotations/{approved}", data={
        "csrf_token": token, "action": "approve", "reason": "", "if_modified": modified})
    assert _status(app, approved) == S.PUBLISHED
    assert SPAM in app.test_client().get(f"/articles/{slug}").get_data(as_text=True)


def test_the_api_holds_an_untrusted_authors_edit_too(app, scene):
    from tests.security.conftest import create_token

    _, secret = create_token(app, scene["newcomer"])
    response = app.test_client().patch(f"/api/annotations/{scene['approved']}", json={"bodyValue": SPAM},
                                       headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert _status(app, scene["approved"]) == S.PENDING
    assert app.test_client().get(f"/api/annotations/{scene['approved']}").status_code == 404


def test_a_reply_edited_by_an_untrusted_author_waits_as_well(app, scene):
    make = scene["make"]
    parent = make.annotation(scene["reader"], scene["slug"], QUOTE, body="A question for the authors.")
    reply = make.reply(scene["newcomer"], parent, body="A polite answer.")
    _edit(_as(app, scene["newcomer"]), reply, SPAM)
    assert _status(app, reply) == S.PENDING
    assert SPAM not in app.test_client().get(f"/articles/{scene['slug']}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["trusted author", "moderator"])
def test_trusted_authors_and_moderators_edit_in_place(app, scene, who):
    make = scene["make"]
    author = make.user(trusted=True) if who == "trusted author" else make.user(role=Role.MODERATOR)
    annotation = make.annotation(author, scene["slug"], QUOTE, body="First words.")
    _edit(_as(app, author), annotation, "Better words.")
    assert _status(app, annotation) == S.PUBLISHED
    assert "Better words." in app.test_client().get(f"/articles/{scene['slug']}").get_data(as_text=True)


def test_private_notes_and_edits_that_change_nothing_are_left_alone(app, scene):
    make = scene["make"]
    private = make.annotation(scene["newcomer"], scene["slug"], QUOTE, body="Mine.", visibility=Visibility.PRIVATE)
    author = _as(app, scene["newcomer"])
    _edit(author, private, "Still mine, rewritten.")
    assert _status(app, private) == S.PUBLISHED
    _edit(author, scene["approved"], "A careful, harmless first comment.")
    assert _status(app, scene["approved"]) == S.PUBLISHED


def test_flag_hidden_and_removed_annotations_keep_their_own_rules(app, scene):
    from app.models import User
    from app.services import moderation

    make = scene["make"]
    hidden = make.annotation(scene["newcomer"], scene["slug"], QUOTE, body="Hidden after flags.")
    removed = make.annotation(scene["newcomer"], scene["slug"], QUOTE, body="Removed.")
    with app.app_context():
        mod = db.session.get(User, scene["mod"].id)
        moderation.transition(db.session.get(Annotation, hidden), "hide", mod, "Off topic")
        moderation.transition(db.session.get(Annotation, removed), "remove", mod, "Spam")
        db.session.commit()
    author = _as(app, scene["newcomer"])
    _edit(author, hidden, "Rewritten after the moderator's reason.")
    with app.app_context():
        annotation = db.session.get(Annotation, hidden)
        assert (annotation.status, annotation.resubmitted) == (S.PENDING, True)  # the resubmission rule
    assert author.get(f"/annotations/{removed}/edit").status_code == 404
    assert _status(app, removed) == S.REMOVED
