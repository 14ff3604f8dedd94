"""@mentions: stored as a reference to the account, rendered as a profile link, notifying only who may read."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Notification, User, Visibility
from tests.conftest import AuthActions, csrf_from

QUOTE = "TMEM sites"


@pytest.fixture
def cast(make):
    slug = make.demo_article()
    return (slug, make.user(name="Dr Ann Author", trusted=True), make.user(name="Dr Mia Mentioned", trusted=True),
            make.user(name="Dr Ned Newcomer", trusted=True))


def mention(user) -> str:
    return f"@[{user.name}](/people/{user.id})"


def mentions_of(app, user) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                                  Notification.kind == "mention")))


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).sign_in(user.email, user.password)
    return client


def test_a_mention_links_to_the_account_with_its_current_name_and_notifies_once(app, make, cast):
    slug, author, mia, _ = cast
    annotation = make.annotation(author, slug, QUOTE, body=f"@[whoever I typed](/people/{mia.id}) and "
                                                           f"{mention(mia)} again")
    with app.app_context():
        html = db.session.get(Annotation, annotation).body_html
    assert html.count(f'href="/people/{mia.id}"') == 2 and "@Dr Mia Mentioned" in html
    assert "whoever I typed" not in html
    assert len(mentions_of(app, mia)) == 1
    page = signed_in(app, mia).get(f"/people/{mia.id}")
    assert page.status_code == 200


def test_a_private_note_notifies_nobody(app, make, cast):
    slug, author, mia, ned = cast
    make.annotation(author, slug, QUOTE, body=f"Note to self about {mention(mia)} and {mention(ned)}",
                    visibility=Visibility.PRIVATE)
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_pending_annotation_notifies_when_approved_and_only_then(app, make, cast):
    slug, author, mia, _ = cast
    newcomer = make.user(name="Dr New")  # untrusted: their first public annotations wait for a moderator
    moderator = make.user(role="moderator")
    pending = make.annotation(newcomer, slug, QUOTE, body=f"Thoughts, {mention(mia)}?",
                              status=AnnotationStatus.PENDING)
    assert mentions_of(app, mia) == []
    with app.app_context():
        from app.services import moderation

        moderation.transition(db.session.get(Annotation, pending), "approve", db.session.get(User, moderator.id))
        db.session.commit()
    assert len(mentions_of(app, mia)) == 1


def test_an_edit_notifies_only_the_newly_mentioned(app, make, cast):
    slug, author, mia, ned = cast
    annotation = make.annotation(author, slug, QUOTE, body=f"Hello {mention(mia)}")
    with app.app_context():
        from app.services import annotations

        target = db.session.get(Annotation, annotation)
        annotations.edit(target, body=f"Hello {mention(mia)} and {mention(ned)}")
        db.session.commit()
        annotations.edit(target, body=f"Hello {mention(ned)}, {mention(mia)}; edited again")
        db.session.commit()
    assert len(mentions_of(app, mia)) == 1 and len(mentions_of(app, ned)) == 1


def test_only_people_who_can_read_it_are_told(app, make, cast):
    slug, author, mia, _ = cast
    root = make.annotation(author, slug, QUOTE, body="My private thread", visibility=Visibility.PRIVATE)
    make.reply(author, root, f"Reply in a private thread to {mention(mia)}")
    assert mentions_of(app, mia) == []


@pytest.mark.parametrize("who", ["nobody", "suspended"])
def test_a_mention_of_a_missing_or_suspended_person_is_refused_and_nothing_is_saved(app, make, cast, who):
    slug, author, mia, _ = cast
    if who == "suspended":
        admin = make.user(role="admin")
        with app.app_context():
            from app.services import sanctions

            sanctions.suspend(db.session.get(User, mia.id), db.session.get(User, admin.id), "Testing")
            db.session.commit()
        token, expected = mention(mia), "account is suspended"
    else:
        token, expected = "@[Dr Ghost](/people/999999)", "does not match anyone"
    client = signed_in(app, author)
    csrf = csrf_from(client.get(f"/articles/{slug}/annotate").get_data(as_text=True))
    response = client.post(f"/articles/{slug}/annotate", data={
        "csrf_token": csrf, "exact": QUOTE, "kind": "comment", "visibility": "public", "body": f"Hi {token}"})
    assert response.status_code == 422 and expected in response.get_data(as_text=True)
    from app.api import w3c  # noqa: F401 - the API answers the same way, with 400
    from tests.functional.api.conftest import new_annotation

    api = client.post(f"/api/articles/{slug}/annotations", json=new_annotation(app, slug, text=f"Hi {token}"),
                      headers={"X-CSRFToken": csrf})
    assert api.status_code == 400 and expected in api.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Annotation.id))) == 0


def test_the_combobox_search_finds_active_people_by_name_for_signed_in_readers(app, make, cast):
    slug, author, mia, ned = cast
    admin = make.user(role="admin")
    gone = make.user(name="Dr Mia Gone", trusted=True)
    with app.app_context():
        from app.services import sanctions

        sanctions.suspend(db.session.get(User, gone.id), db.session.get(User, admin.id), "Testing")
        db.session.commit()
    assert app.test_client().get("/people/search?q=mia").status_code == 302  # sign in first
    found = signed_in(app, author).get("/people/search?q=mia").get_json()["people"]
    assert [p["name"] for p in found] == ["Dr Mia Mentioned"]
    assert found[0]["mention"] == mention(mia)
    assert signed_in(app, author).get("/people/search?q=%25").get_json()["people"] == []
