"""Suspension reaches every role: a suspended moderator or admin reads only, in the web, the API and the CLI.

The access table walks every route as a suspended moderator and a suspended admin; these tests add
what a walk with incomplete bodies cannot show: complete, valid decisions and account changes are
refused and change nothing, the staff's sessions and tokens end at once, the last active admin
stays, and the command line suspends and lifts with a log entry like the panel's.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, ModerationLog, Role, User
from app.models.base import utcnow
from app.services import moderation, sanctions
from app.services.errors import Forbidden
from tests.security.conftest import Visitor, create_token


def _user(app, role_or_id, world=None) -> User:
    user_id = world.user(role_or_id).id if world is not None else role_or_id
    return db.session.get(User, user_id)


def _modified(app, annotation_id: int) -> str:
    with app.app_context():
        return db.session.get(Annotation, annotation_id).modified_at.isoformat()


def _status(app, annotation_id: int) -> AnnotationStatus:
    with app.app_context():
        return db.session.get(Annotation, annotation_id).status


@pytest.mark.parametrize("role", ["suspended_moderator", "suspended_admin"])
def test_a_suspended_moderator_or_admin_cannot_decide_anything_in_the_panel_or_the_api(app, world, role):
    target = world.ids["b_pending"]
    staff = Visitor(app, world.user(role))
    panel = staff.open("POST", f"/moderation/annotations/{target}",
                       form={"action": "remove", "reason": "Spam", "if_modified": _modified(app, target)})
    assert panel.status_code == 403
    assert "Your account is suspended" in panel.get_data(as_text=True)
    assert "moderate" in panel.get_data(as_text=True)
    bulk = staff.open("POST", "/moderation/bulk", form={"action": "hide", "reason": "Spam", "ids": str(target),
                                                        f"modified-{target}": _modified(app, target)})
    assert bulk.status_code == 403
    _, secret = create_token(app, world.user(role))
    api = app.test_client().post(f"/api/moderation/annotations/{target}",
                                 json={"action": "remove", "reason": "Spam", "if_modified": _modified(app, target)},
                                 headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 403 and "suspended" in api.get_json()["error"]["message"]
    assert _status(app, target) == AnnotationStatus.PENDING
    page = staff.client.get("/").get_data(as_text=True)
    assert "/moderation" not in page and "/admin/articles" not in page


def test_a_suspended_admin_cannot_promote_anyone_lift_their_own_suspension_or_edit_articles(app, world):
    admin = Visitor(app, world.user("suspended_admin"))
    reader_b = world.ids["reader_b"]
    assert admin.open("POST", f"/moderation/users/{reader_b}/role",
                      form={"role": "admin", "reason": "Helper"}).status_code == 403
    own = world.user("suspended_admin").id
    assert admin.open("POST", f"/moderation/users/{own}/lift", form={"reason": "Over"}).status_code == 403
    assert admin.open("POST", "/admin/articles/new", form={"source": "# Title\n\nText."}).status_code == 403
    assert admin.open("POST", "/profile/tokens", form={"name": "Laptop"}).status_code == 403
    with app.app_context():
        assert _user(app, reader_b).role == Role.READER
        assert _user(app, own).is_suspended


def test_the_services_refuse_a_suspended_admin_whatever_route_calls_them(app, world):
    with app.app_context():
        actor = _user(app, "suspended_admin", world)
        target = _user(app, "reader_b", world)
        for change in (lambda: sanctions.change_role(target, actor, Role.ADMIN),
                       lambda: sanctions.suspend(target, actor, "Because"),
                       lambda: sanctions.set_trusted(target, actor, True),
                       lambda: sanctions.lift_suspension(_user(app, "suspended", world), actor)):
            with pytest.raises(Forbidden):
                change()
        annotation = db.session.get(Annotation, world.ids["b_pending"])
        with pytest.raises(Forbidden):
            moderation.transition(annotation, "approve", _user(app, "suspended_moderator", world))
        db.session.rollback()


def test_suspending_a_moderator_ends_their_sessions_and_tokens_at_once(app, world):
    moderator = Visitor(app, world.user("moderator"))
    _, secret = create_token(app, world.user("moderator"))
    assert moderator.client.get("/moderation/").status_code == 200
    admin = Visitor(app, world.user("admin"))
    response = admin.open("POST", f"/moderation/users/{world.user('moderator').id}/suspend",
                          form={"reason": "Removed annotations without cause", "until": ""})
    assert response.status_code == 303
    assert moderator.client.get("/moderation/").status_code == 302  # signed out: sent to sign in
    assert app.test_client().get("/api/moderation/queue",
                                 headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    again = Visitor(app, world.user("moderator"))  # signing in again gives reading only
    assert again.client.get("/moderation/").status_code == 403


def test_a_role_change_keeps_the_suspension(app, world):
    with app.app_context():
        sanctions.change_role(_user(app, "suspended", world), _user(app, "admin", world), Role.MODERATOR)
        db.session.commit()
        user = _user(app, "suspended", world)
        assert user.role == Role.MODERATOR and user.is_suspended and not user.is_moderator


def test_nobody_suspends_or_demotes_the_last_active_admin(app, world, runner):
    admin = world.user("admin")
    with app.app_context():
        # The other admin is suspended: the world's admin is the last active one.
        with pytest.raises(Forbidden, match="last active admin"):
            sanctions.suspend(_user(app, admin.id), None, "Testing")
        with pytest.raises(Forbidden, match="last active admin"):
            sanctions.change_role(_user(app, admin.id), None, Role.READER)
        with pytest.raises(Forbidden, match="cannot suspend yourself"):
            sanctions.suspend(_user(app, admin.id), _user(app, admin.id), "Testing")
        db.session.rollback()
    for args in (["users", "suspend", admin.email, "--reason", "Testing"],
                 ["users", "set-role", admin.email, "reader"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "last active admin" in result.output, result.output
    with app.app_context():
        user = _user(app, admin.id)
        assert user.is_admin and not user.is_suspended


def test_the_command_line_suspends_and_lifts_with_a_log_entry_like_the_panels(app, world, runner):
    moderator = world.user("moderator")
    _, secret = create_token(app, moderator)
    until = (utcnow() + timedelta(days=30)).date().isoformat()
    result = runner.invoke(args=["users", "suspend", moderator.email.upper(), "--until", until,
                                 "--reason", "Hid annotations of a colleague without cause"])
    assert result.exit_code == 0, result.output
    assert f"suspended until {until} 00:00 UTC" in result.output and "API tokens have ended" in result.output
    assert app.test_client().get("/api/moderation/queue",
                                 headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    with app.app_context():
        user = _user(app, moderator.id)
        assert user.is_suspended and not user.is_moderator
        entry = db.session.scalar(select(ModerationLog).order_by(ModerationLog.id.desc()))
        assert (entry.action, entry.moderator_id, entry.target_user_id) == ("suspend", None, moderator.id)
        assert entry.reason == "Hid annotations of a colleague without cause"
    log_page = Visitor(app, world.user("admin")).client.get("/moderation/log").get_data(as_text=True)
    assert "<td>Command line</td>" in log_page

    result = runner.invoke(args=["users", "unsuspend", moderator.email, "--reason", "Appeal upheld"])
    assert result.exit_code == 0 and "is lifted" in result.output
    with app.app_context():
        assert _user(app, moderator.id).is_moderator
        entry = db.session.scalar(select(ModerationLog).order_by(ModerationLog.id.desc()))
        assert (entry.action, entry.moderator_id, entry.reason) == ("lift_suspension", None, "Appeal upheld")


@pytest.mark.parametrize(("args", "message"), [
    (["users", "suspend", "ghost@example.org", "--reason", "x"], "No account"),
    (["users", "suspend", "{email}"], "Missing option '--reason'"),
    (["users", "suspend", "{email}", "--reason", "  "], "Give a reason"),
    (["users", "suspend", "{email}", "--reason", "x", "--until", "2001-01-01"], "must be in the future"),
    (["users", "suspend", "{email}", "--reason", "x", "--until", "next week"], "YYYY-MM-DD"),
    (["users", "unsuspend", "{email}"], "is not suspended"),
    (["users", "token", "{suspended}"], "Your account is suspended"),
])
def test_the_command_line_refuses_bad_input_and_changes_nothing(app, world, runner, snapshot, args, message):
    before = snapshot()
    args = [a.format(email=world.user("reader_b").email, suspended=world.user("suspended").email) for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message.lower() in result.output.lower(), result.output
    assert snapshot() == before
