"""Flagging from the page, and the notifications an author receives (counter, list, mark all read)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Flag, Notification, User
from tests.conftest import csrf_from

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    author = make.user(name="Dr Author")
    reader = make.user(name="Dr Reader")
    annotation_id = make.annotation(author, slug, QUOTE, body="Chemotherapy is pointless.")
    return {"slug": slug, "author": author, "reader": reader, "id": annotation_id}


def _flag(client, annotation_id, reason="misrepresents_evidence", note=""):
    token = csrf_from(client.get(f"/annotations/{annotation_id}/flag").get_data(as_text=True))
    return client.post(f"/annotations/{annotation_id}/flag",
                       data={"csrf_token": token, "reason": reason, "note": note})


def test_article_page_offers_a_flag_link_on_others_annotations(client, auth, scene):
    auth.sign_in(scene["reader"].email)
    page = client.get(f"/articles/{scene['slug']}").get_data(as_text=True)
    assert f'href="/annotations/{scene["id"]}/flag"' in page


def test_flag_page_lists_the_reasons_and_flagging_thanks_the_reader(client, auth, scene, app):
    auth.sign_in(scene["reader"].email)
    page = client.get(f"/annotations/{scene['id']}/flag").get_data(as_text=True)
    assert "Chemotherapy is pointless." in page
    assert "Contains patient-identifiable data" in page and "Other (explain in the note)" in page
    response = _flag(client, scene["id"], "misrepresents_evidence", "Contradicts the meta-analysis [1]")
    assert response.status_code == 303
    followed = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "the moderators will review this annotation" in followed
    with app.app_context():
        flag = db.session.scalar(select(Flag))
        assert (flag.user_id, flag.reason.value, flag.note) == (
            scene["reader"].id, "misrepresents_evidence", "Contradicts the meta-analysis [1]")


def test_flagging_twice_is_a_conflict_with_a_clear_message(client, auth, scene, app):
    auth.sign_in(scene["reader"].email)
    _flag(client, scene["id"])
    page = client.get(f"/annotations/{scene['id']}/flag").get_data(as_text=True)
    assert "You flagged this annotation on" in page
    token = csrf_from(page)
    response = client.post(f"/annotations/{scene['id']}/flag",
                           data={"csrf_token": token, "reason": "spam", "note": ""})
    assert response.status_code == 409
    assert "You have already flagged this annotation" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Annotation, scene["id"]).open_flags == 1


def test_other_reason_without_a_note_is_refused_on_the_form(client, auth, scene):
    auth.sign_in(scene["reader"].email)
    response = _flag(client, scene["id"], "other", "")
    assert response.status_code == 422
    assert "Say in the note what is wrong" in response.get_data(as_text=True)


def test_one_cannot_flag_ones_own_annotation(client, auth, scene):
    auth.sign_in(scene["author"].email)
    response = client.get(f"/annotations/{scene['id']}/flag")
    assert response.status_code == 403
    assert "You cannot flag your own annotation." in response.get_data(as_text=True)


def test_anonymous_visitors_sign_in_to_flag_and_unreadable_annotations_are_not_found(client, auth, scene, make):
    response = client.get(f"/annotations/{scene['id']}/flag")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    pending = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["reader"].email)
    assert client.get(f"/annotations/{pending}/flag").status_code == 404


def test_suspended_reader_is_told_why_they_cannot_flag(client, auth, scene, app):
    with app.app_context():
        reader = db.session.get(User, scene["reader"].id)
        reader.suspended_indefinitely, reader.suspension_reason = True, "Harassing other clinicians"
        db.session.commit()
    auth.sign_in(scene["reader"].email)
    response = client.get(f"/annotations/{scene['id']}/flag")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "suspended indefinitely" in text and "Harassing other clinicians" in text


def test_three_flags_hide_the_annotation_from_readers_and_tell_the_author(client, auth, scene, make):
    for _ in range(3):
        flagger = make.user()
        auth.sign_in(flagger.email)
        _flag(client, scene["id"], "misrepresents_evidence")
        auth.sign_out()
    auth.sign_in(scene["reader"].email)
    assert "Chemotherapy is pointless." not in client.get(f"/articles/{scene['slug']}").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(scene["author"].email)
    page = client.get(f"/articles/{scene['slug']}").get_data(as_text=True)
    assert "Chemotherapy is pointless." in page
    assert "Hidden by a moderator: Hidden automatically after 3 flags" in page
    notes = client.get("/notifications").get_data(as_text=True)
    assert "is hidden until a moderator reviews it" in notes


def test_notification_counter_list_and_mark_all_read(client, auth, scene, make, app):
    replier = make.user(name="Dr Replier", trusted=True)
    make.reply(replier, scene["id"], body="I disagree.")
    make.reply(replier, scene["id"], body="See the meta-analysis.")
    auth.sign_in(scene["author"].email)
    home = client.get("/").get_data(as_text=True)
    assert 'Notifications <span class="badge" aria-hidden="true">2</span>' in home
    assert '<span class="visually-hidden"> (2 unread)</span>' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("Dr Replier replied to your annotation") == 2
    assert page.count("(unread)") >= 2
    # Without the CSRF token nothing changes.
    assert client.post("/notifications/read").status_code == 400
    token = csrf_from(page)
    response = client.post("/notifications/read", data={"csrf_token": token}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "All notifications are marked as read." in text
    assert "(unread)" not in text and 'Notifications <span class="badge"' not in text
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Notification.id)).where(Notification.read_at.is_(None))) == 0


def test_notifications_are_private_to_their_owner(client, auth, scene, make):
    make.reply(make.user(trusted=True, name="Dr Replier"), scene["id"])
    auth.sign_in(scene["author"].email)
    assert "Dr Replier replied to your annotation" in client.get("/notifications").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(scene["reader"].email)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Dr Replier replied" not in page
    assert 'Notifications <span class="badge"' not in client.get("/").get_data(as_text=True)
    auth.sign_out()
    response = client.get("/notifications")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
