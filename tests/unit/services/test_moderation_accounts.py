"""Account sanctions by admins: suspension, lifting it, roles and trust, each logged and ending sessions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ModerationLog, Role, User
from app.models.base import utcnow
from app.security.permissions import Permission, can
from app.services import sanctions
from app.services.errors import Conflict, Forbidden, ServiceError


@pytest.fixture
def people(make):
    return {"admin": make.user(role=Role.ADMIN), "mod": make.user(role=Role.MODERATOR),
            "reader": make.user(name="Dr Reader")}


def _user(info) -> User:
    return db.session.get(User, info.id)


def _live_session(user: User) -> str:
    """Start a signed-in session for `user` and return its secret."""
    from app.services import accounts

    secret = accounts.start_session(user)
    db.session.commit()
    return secret


def _session_works(secret: str) -> bool:
    from app.services import accounts

    return accounts.user_for_session(secret) is not None


def _last_log() -> ModerationLog:
    return db.session.scalar(select(ModerationLog).order_by(ModerationLog.id.desc()))


def test_suspension_until_a_date_withdraws_writing_ends_sessions_and_is_logged(app, people):
    with app.app_context():
        reader = _user(people["reader"])
        token = _live_session(reader)
        until = utcnow().date() + timedelta(days=7)
        sanctions.suspend(reader, _user(people["admin"]), "Personal attacks on colleagues", until=until)
        db.session.commit()
        reader = _user(people["reader"])
        assert reader.is_suspended and not _session_works(token)
        assert reader.suspended_until.date() == until and not reader.suspended_indefinitely
        assert not can(reader, Permission.ANNOTATE) and not can(reader, Permission.FLAG)
        entry = _last_log()
        assert (entry.action, entry.target_user_id, entry.moderator_id) == (
            "suspend", people["reader"].id, people["admin"].id)
        assert entry.old_status == "active" and entry.new_status.startswith("suspended until")
        assert entry.reason == "Personal attacks on colleagues"


def test_indefinite_suspension_and_lifting_it(app, people):
    with app.app_context():
        sanctions.suspend(_user(people["reader"]), _user(people["admin"]), "Spam account")
        db.session.commit()
        reader = _user(people["reader"])
        assert reader.suspended_indefinitely and reader.is_suspended
        sanctions.lift_suspension(reader, _user(people["admin"]), "Appeal accepted")
        db.session.commit()
        reader = _user(people["reader"])
        assert not reader.is_suspended and reader.suspension_reason is None
        assert (_last_log().action, _last_log().new_status) == ("lift_suspension", "active")
        with pytest.raises(Conflict, match="not suspended"):
            sanctions.lift_suspension(reader, _user(people["admin"]))


def test_suspension_needs_a_reason_and_a_future_date(app, people):
    with app.app_context():
        with pytest.raises(ServiceError) as caught:
            sanctions.suspend(_user(people["reader"]), _user(people["admin"]), "")
        assert caught.value.field == "reason"
        with pytest.raises(ServiceError) as caught:
            sanctions.suspend(_user(people["reader"]), _user(people["admin"]), "Spam", until=date(2000, 1, 1))
        assert caught.value.field == "until"


def test_role_change_is_logged_and_ends_sessions(app, people):
    with app.app_context():
        reader = _user(people["reader"])
        token = _live_session(reader)
        sanctions.change_role(reader, _user(people["admin"]), "moderator", "Joins the team")
        db.session.commit()
        reader = _user(people["reader"])
        assert reader.role == Role.MODERATOR and not _session_works(token)
        assert (_last_log().action, _last_log().old_status, _last_log().new_status) == (
            "set_role", "reader", "moderator")
        with pytest.raises(Conflict):
            sanctions.change_role(reader, _user(people["admin"]), Role.MODERATOR)


def test_marking_trusted_is_logged(app, people):
    with app.app_context():
        sanctions.set_trusted(_user(people["reader"]), _user(people["admin"]), True)
        db.session.commit()
        assert _user(people["reader"]).trusted
        assert (_last_log().action, _last_log().target_user_id) == ("trust", people["reader"].id)
        sanctions.set_trusted(_user(people["reader"]), _user(people["admin"]), False, "Too many hidden")
        db.session.commit()
        assert not _user(people["reader"]).trusted and _last_log().action == "untrust"


def test_only_admins_change_accounts_and_never_their_own(app, people):
    with app.app_context():
        with pytest.raises(Forbidden):
            sanctions.suspend(_user(people["reader"]), _user(people["mod"]), "No")
        with pytest.raises(Forbidden):
            sanctions.change_role(_user(people["mod"]), _user(people["mod"]), "admin")
        with pytest.raises(Forbidden):
            sanctions.change_role(_user(people["admin"]), _user(people["admin"]), "reader")
        with pytest.raises(Forbidden):
            sanctions.suspend(_user(people["admin"]), _user(people["admin"]), "Oops")


def test_expired_suspension_no_longer_applies(app, people):
    with app.app_context():
        reader = _user(people["reader"])
        reader.suspended_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert can(_user(people["reader"]), Permission.ANNOTATE)
