"""Changing who can read an annotation from its edit form: the create form's audiences, with the rules of
app.services.annotations.edit (replies follow their thread, others' replies pin it, pre-moderation applies)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Action, Annotation, AnnotationStatus, ModerationLog, Notification, Visibility
from tests.conftest import AuthActions, csrf_from

QUOTE = "are the models used really representative of the spectrum of human tumors?"
WORD = "Quokkanote"


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def _edit(client, annotation_id, **fields):
    token = csrf_from(client.get(f"/annotations/{annotation_id}/edit").get_data(as_text=True))
    data = {"csrf_token": token, "body": f"{WORD}: which models?", "kind": "comment", "tags": "", **fields}
    return client.post(f"/annotations/{annotation_id}/edit", data=data)


def _seen_by(client, slug, annotation_id) -> dict:
    """What another reader finds of the note: on the page, its count, through the API and in search."""
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    return {"page": WORD in page and f'id="a-{annotation_id}"' in page,
            "counted": "(1 annotation)" in page,
            "api": client.get(f"/api/annotations/{annotation_id}").status_code == 200,
            "search": client.get(f"/api/search?q={WORD}").get_json()["total"],
            "search page": f"/annotations/{annotation_id}" in client.get(f"/search?q={WORD}").get_data(as_text=True)}


@pytest.fixture
def story(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Author")
    other = make.user(trusted=True, name="Dr Other")
    return {"slug": slug, "author": author, "other": other}


def test_a_private_note_made_public_by_a_trusted_author_appears_for_others(app, make, story):
    slug, author = story["slug"], story["author"]
    note = make.annotation(author, slug, QUOTE, body=f"{WORD}: which models?", visibility=Visibility.PRIVATE)
    follower = make.user(trusted=True)
    with app.app_context():
        from app.models import FollowTarget, User
        from app.services import follows

        follows.follow(db.session.get(User, follower.id), FollowTarget.PERSON, str(author.id))
        db.session.commit()
    other = _client(app, story["other"])
    assert _seen_by(other, slug, note) == {"page": False, "counted": False, "api": False, "search": 0,
                                           "search page": False}
    mine = _client(app, author)
    form = mine.get(f"/annotations/{note}/edit").get_data(as_text=True)
    assert '<legend>Who can read it</legend>' in form
    assert '<input checked id="visibility-1" name="visibility" type="radio" value="private">' in form
    saved = _edit(mine, note, visibility="public")
    assert saved.status_code == 302
    assert "everyone can read it now" in mine.get(saved.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    assert _seen_by(other, slug, note) == {"page": True, "counted": True, "api": True, "search": 1,
                                           "search page": True}
    # Its follower hears of it once, as of a new annotation; a later edit tells nobody again.
    _edit(mine, note, visibility="private")
    _edit(mine, note, visibility="public")
    with app.app_context():
        told = db.session.scalars(select(Notification.message).where(Notification.user_id == follower.id)).all()
    assert len(told) == 1 and "Dr Author annotated" in told[0]


def test_a_pre_moderated_author_making_a_note_public_waits_in_the_queue(app, make, story):
    slug = story["slug"]
    newcomer = make.user(name="Dr New")
    note = make.annotation(newcomer, slug, QUOTE, body=f"{WORD}: which models?", visibility=Visibility.PRIVATE)
    own_reply = make.reply(newcomer, note, body="Wallabyline: my own afterthought.")
    mine = _client(app, newcomer)
    saved = _edit(mine, note, visibility="public")
    assert "wait for a moderator" in mine.get(saved.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    with app.app_context():
        annotation = db.session.get(Annotation, note)
        assert (annotation.visibility, annotation.status) == (Visibility.PUBLIC, AnnotationStatus.PENDING)
        assert db.session.scalar(select(ModerationLog.action).where(ModerationLog.annotation_id == note)) \
            == Action.HOLD_EDIT.value
        # Its own reply moves with it and waits too: nothing of the thread shows before a moderator looked.
        reply = db.session.get(Annotation, own_reply)
        assert (reply.visibility, reply.status) == (Visibility.PUBLIC, AnnotationStatus.PENDING)
    assert _seen_by(_client(app, story["other"]), slug, note)["page"] is False
    assert "Wallabyline" not in _client(app, story["other"]).get(f"/articles/{slug}").get_data(as_text=True)
    moderator = _client(app, make.user(role="moderator"))
    assert WORD in moderator.get("/moderation/").get_data(as_text=True)


def test_a_public_annotation_made_private_disappears_for_others_at_once(app, make, story):
    slug, author = story["slug"], story["author"]
    note = make.annotation(author, slug, QUOTE, body=f"{WORD}: which models?")
    mine = _client(app, author)
    make.reply(author, note, body="My own afterthought.")
    other = _client(app, story["other"])
    anonymous = _client(app)
    assert _seen_by(other, slug, note)["page"] and _seen_by(anonymous, slug, note)["page"]  # pages now cached
    saved = _edit(mine, note, visibility="private")
    assert "only you can see it" in mine.get(saved.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    for reader in (other, anonymous):
        seen = _seen_by(reader, slug, note)
        assert seen == {"page": False, "counted": False, "api": False, "search": 0, "search page": False}
        assert "My own afterthought." not in reader.get(f"/articles/{slug}").get_data(as_text=True)
    assert "My own afterthought." in mine.get(f"/articles/{slug}").get_data(as_text=True)


def test_changing_the_audience_is_refused_once_others_replied_and_nothing_changes(app, make, story):
    slug, author = story["slug"], story["author"]
    note = make.annotation(author, slug, QUOTE, body="First thought.")
    make.reply(story["other"], note, body="A reply written for everyone.")
    mine = _client(app, author)
    refused = _edit(mine, note, body="Second thought, kept in the form.", visibility="private")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Other people have replied in this thread" in text and "Nothing was saved" in text
    assert "Second thought, kept in the form." in text
    with app.app_context():
        annotation = db.session.get(Annotation, note)
        assert (annotation.body, annotation.visibility) == ("First thought.", Visibility.PUBLIC)
        assert annotation.revisions == []
    # Keeping the audience saves the text.
    assert _edit(mine, note, body="Second thought.", visibility="public").status_code == 302


def test_moving_a_note_to_a_journal_club_the_author_is_not_in_is_refused(app, make, story):
    slug, author = story["slug"], story["author"]
    _, club = make.group(story["other"], "Ward 9 journal club")
    note = make.annotation(author, slug, QUOTE, body="First thought.", visibility=Visibility.PRIVATE)
    mine = _client(app, author)
    form = mine.get(f"/annotations/{note}/edit").get_data(as_text=True)
    assert "Ward 9 journal club" not in form
    refused = _edit(mine, note, body="Changed.", visibility=f"group:{club}")
    assert refused.status_code == 422
    assert "You are not a member of “Ward 9 journal club”" in refused.get_data(as_text=True)
    with app.app_context():
        annotation = db.session.get(Annotation, note)
        assert (annotation.body, annotation.visibility, annotation.group_id) == (
            "First thought.", Visibility.PRIVATE, None)


def test_a_member_moves_a_note_into_the_club_for_its_members_only(app, make, story):
    slug, author = story["slug"], story["author"]
    member = make.user(trusted=True)
    _, club = make.group(author, "Ward 9 journal club", members=[member])
    note = make.annotation(author, slug, QUOTE, body=f"{WORD}: which models?", visibility=Visibility.PRIVATE)
    mine = _client(app, author)
    assert f'value="group:{club}"' in mine.get(f"/annotations/{note}/edit").get_data(as_text=True)
    assert _edit(mine, note, visibility=f"group:{club}").status_code == 302
    layer = _client(app, member).get(f"/articles/{slug}?layer=group:{club}").get_data(as_text=True)
    assert WORD in layer
    assert _seen_by(_client(app, story["other"]), slug, note)["page"] is False


def test_a_hidden_annotation_cannot_change_audience(app, make, story):
    slug, author = story["slug"], story["author"]
    note = make.annotation(author, slug, QUOTE, body="First thought.")
    with app.app_context():
        from app.models import User
        from app.services import moderation

        moderator = make.user(role="moderator")
        moderation.transition(db.session.get(Annotation, note), "hide", db.session.get(User, moderator.id),
                              reason="Off topic")
        db.session.commit()
    refused = _edit(_client(app, author), note, visibility="private")
    assert refused.status_code == 422
    assert "A moderator has hidden this annotation, so who can read it cannot be changed" in refused.get_data(
        as_text=True)
    with app.app_context():
        annotation = db.session.get(Annotation, note)
        assert (annotation.visibility, annotation.status) == (Visibility.PUBLIC, AnnotationStatus.HIDDEN)


def test_a_replys_edit_form_offers_no_audience_and_a_posted_one_changes_nothing(app, make, story):
    slug, author = story["slug"], story["author"]
    note = make.annotation(story["other"], slug, QUOTE, body="A public question.")
    reply = make.reply(author, note, body="My reply.")
    mine = _client(app, author)
    form = mine.get(f"/annotations/{reply}/edit").get_data(as_text=True)
    assert "Who can read it" not in form and 'name="visibility"' not in form
    assert _edit(mine, reply, body="My reply, edited.", visibility="private").status_code == 302
    with app.app_context():
        assert db.session.get(Annotation, reply).visibility == Visibility.PUBLIC


def test_the_audience_choice_is_described_by_its_help_and_its_error(app, make, story):
    """A screen reader entering the "Who can read it" group hears what changing it does, and what went wrong."""
    note = make.annotation(story["author"], story["slug"], QUOTE, body=f"{WORD}: which models?",
                           visibility=Visibility.PRIVATE)
    author = _client(app, story["author"])
    page = author.get(f"/annotations/{note}/edit").get_data(as_text=True)
    fieldset = re.search(r'<fieldset[^>]*>\s*<legend>Who can read it</legend>.*?</fieldset>', page, re.S).group(0)
    assert 'aria-describedby="visibility-help"' in fieldset
    assert re.search(r'<p class="help" id="visibility-help">Replies follow their thread\.', fieldset)
    refused = _edit(author, note, visibility="group:no-such-club").get_data(as_text=True)
    fieldset = re.search(r'<fieldset[^>]*>\s*<legend>Who can read it</legend>.*?</fieldset>', refused, re.S).group(0)
    assert 'aria-describedby="visibility-help visibility-error"' in fieldset
    assert 'id="visibility-error"' in fieldset
