"""The log (filters, CSV export safe from formula injection) and the admins' Users tab (sanctions and their effects)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, ModerationLog, Role, User
from app.models.base import utcnow
from app.services import moderation
from tests.conftest import csrf_from

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    return {"slug": slug, "author": make.user(name="Dr Author"), "reader": make.user(name="Dr Reader"),
            "mod": make.user(role=Role.MODERATOR, name="Mod One"), "mod2": make.user(role=Role.MODERATOR,
                                                                                       name="Mod Two"),
            "admin": make.user(role=Role.ADMIN, name="Ada Admin")}


def _decide(app, annotation_id, action, moderator, reason=""):
    with app.app_context():
        moderation.transition(db.session.get(Annotation, annotation_id), action,
                              db.session.get(User, moderator.id), reason)
        db.session.commit()


def _csv(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/moderation/log.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_log_lists_decisions_and_filters_by_moderator_action_and_date(client, auth, scene, make, app):
    first = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    second = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    _decide(app, first, "approve", scene["mod"])
    _decide(app, second, "hide", scene["mod2"], "Off topic here")
    auth.sign_in(scene["mod"].email)
    page = client.get("/moderation/log").get_data(as_text=True)
    assert "2 entries" in page and "Off topic here" in page and "Mod Two" in page
    page = client.get(f"/moderation/log?moderator={scene['mod2'].id}").get_data(as_text=True)
    assert "1 entry" in page and "Off topic here" in page
    page = client.get("/moderation/log?action=approve").get_data(as_text=True)
    assert "1 entry" in page and "Off topic here" not in page
    today = utcnow().date()
    assert "2 entries" in client.get(f"/moderation/log?date_from={today}&date_to={today}").get_data(as_text=True)
    tomorrow = today + timedelta(days=1)
    assert "0 entries" in client.get(f"/moderation/log?date_from={tomorrow}").get_data(as_text=True)
    response = client.get("/moderation/log?date_from=31/12/2024")
    assert response.status_code == 422 and "Dates look like" in response.get_data(as_text=True)


def test_csv_export_has_every_column_and_the_filters_apply(client, auth, scene, make, app):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    _decide(app, annotation_id, "hide", scene["mod"], "Unsupported, see rules §2")
    _decide(app, annotation_id, "restore", scene["mod2"])
    auth.sign_in(scene["mod"].email)
    rows = _csv(client)
    assert rows[0] == ["time_utc", "actor_id", "actor", "action", "annotation_id", "target_user_id", "target_user",
                       "old_status", "new_status", "reason", "group"]
    assert [r[3] for r in rows[1:]] == ["hide", "restore"]
    assert rows[1][2] == "Mod One" and rows[1][4] == str(annotation_id) and rows[1][6] == "Dr Author"
    assert rows[1][7:] == ["pending", "hidden", "Unsupported, see rules §2", ""]
    assert [r[3] for r in _csv(client, "?action=restore")[1:]] == ["restore"]


def test_csv_export_neutralises_formulas(client, auth, scene, make, app):
    evil = make.user(name="=HYPERLINK(\"http://evil.example\",\"click\")")
    annotation_id = make.annotation(evil, scene["slug"], QUOTE, status=S.PENDING)
    _decide(app, annotation_id, "hide", scene["mod"], "+cmd|' /C calc'!A0")
    _decide(app, annotation_id, "restore", scene["mod"], "@SUM(1+1)")
    _decide(app, annotation_id, "hide", scene["mod"], "-2+3")
    auth.sign_in(scene["mod"].email)
    rows = _csv(client)[1:]
    reasons = [r[9] for r in rows]
    assert reasons == ["'+cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3"]
    assert all(r[6].startswith("'=HYPERLINK") for r in rows)
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_automatic_decisions_are_logged_as_the_system(client, auth, scene, make, app):
    from app.services import flags

    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE)
    make.annotation(scene["reader"], scene["slug"], QUOTE, body="An approved comment of the reader's.")
    with app.app_context():
        reader = db.session.get(User, scene["reader"].id)
        reader.created_at = utcnow() - timedelta(days=30)  # standing: a patient-data flag hides at once
        flags.flag(db.session.get(Annotation, annotation_id), reader, "patient_data", "Initials and date of birth")
        db.session.commit()
    auth.sign_in(scene["mod"].email)
    page = client.get("/moderation/log?moderator=system").get_data(as_text=True)
    assert "1 entry" in page and "Hidden automatically" in page
    assert _csv(client, "?moderator=system")[1][2] == "system"


def _post(client, path, data):
    token = csrf_from(client.get("/moderation/users").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)


def test_admin_suspends_a_user_who_then_can_read_but_not_post_and_is_told_why(client, auth, scene, make, app):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE)
    until = utcnow().date() + timedelta(days=10)
    auth.sign_in(scene["admin"].email)
    text = _post(client, f"/moderation/users/{scene['reader'].id}/suspend",
                 {"until": until.isoformat(), "reason": "Repeated personal attacks"}).get_data(as_text=True)
    assert "Dr Reader is suspended" in text
    assert f"Suspended until {until:%d %b %Y}" in text
    auth.sign_out()
    auth.sign_in(scene["reader"].email)
    assert client.get(f"/articles/{scene['slug']}").status_code == 200
    for path in (f"/annotations/{annotation_id}/flag", f"/articles/{scene['slug']}/annotate",
                 f"/annotations/{annotation_id}/replies"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Repeated personal attacks" in response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "suspend"))
        assert (entry.moderator_id, entry.target_user_id) == (scene["admin"].id, scene["reader"].id)


def test_suspension_ends_the_users_sessions(app, scene, auth):
    reader_client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(reader_client).sign_in(scene["reader"].email)
    assert "Sign out" in reader_client.get("/").get_data(as_text=True)
    auth.sign_in(scene["admin"].email)
    _post(auth.client, f"/moderation/users/{scene['reader'].id}/suspend", {"until": "", "reason": "Spam"})
    assert "Sign out" not in reader_client.get("/").get_data(as_text=True)


def test_admin_lifts_a_suspension_changes_a_role_and_marks_trusted(client, auth, scene, app):
    with app.app_context():
        reader = db.session.get(User, scene["reader"].id)
        reader.suspended_indefinitely, reader.suspension_reason = True, "Spam"
        db.session.commit()
    auth.sign_in(scene["admin"].email)
    assert "suspension of Dr Reader is lifted" in _post(
        client, f"/moderation/users/{scene['reader'].id}/lift", {"reason": "Appeal"}).get_data(as_text=True)
    assert "Dr Reader is now moderator" in _post(
        client, f"/moderation/users/{scene['reader'].id}/role", {"role": "moderator"}).get_data(as_text=True)
    assert "Dr Author is now trusted" in _post(
        client, f"/moderation/users/{scene['author'].id}/trust", {"trusted": "1"}).get_data(as_text=True)
    with app.app_context():
        reader = db.session.get(User, scene["reader"].id)
        assert not reader.is_suspended and reader.role == Role.MODERATOR
        assert db.session.get(User, scene["author"].id).trusted
        actions = db.session.scalars(select(ModerationLog.action).order_by(ModerationLog.id)).all()
        assert actions == ["lift_suspension", "set_role", "trust"]


def test_admin_cannot_change_their_own_account_and_moderators_cannot_change_any(client, auth, scene, app):
    auth.sign_in(scene["admin"].email)
    text = _post(client, f"/moderation/users/{scene['admin'].id}/role", {"role": "reader"}).get_data(as_text=True)
    assert "You cannot suspend yourself or change your own role" in text
    auth.sign_out()
    auth.sign_in(scene["mod"].email)
    token = csrf_from(client.get("/moderation/").get_data(as_text=True))
    response = client.post(f"/moderation/users/{scene['reader'].id}/suspend",
                           data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, scene["admin"].id).role == Role.ADMIN
        assert not db.session.get(User, scene["reader"].id).is_suspended


def test_suspension_without_a_reason_is_refused(client, auth, scene, app):
    auth.sign_in(scene["admin"].email)
    text = _post(client, f"/moderation/users/{scene['reader'].id}/suspend", {"reason": ""}).get_data(as_text=True)
    assert "Give a reason" in text
    with app.app_context():
        assert not db.session.get(User, scene["reader"].id).is_suspended
