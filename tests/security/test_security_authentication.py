"""Authentication: rate limits (shared by workers through Redis), no account enumeration, sessions that end.

Rate limits are off in the test configuration; these tests build a second app with them on
(`another_app`, which puts the shared limiter back afterwards).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.routes import CHECK_EMAIL_MESSAGE
from app.extensions import db
from app.models import User, UserSession
from tests.conftest import CSRF_RE, AuthActions, account_emails, csrf_from
from tests.security.conftest import Visitor, create_token

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WRONG = "not the right password at all"
NEW_PASSWORD = "a completely new passphrase for work"


def _limited(another_app):
    return another_app(RATELIMIT_ENABLED=True, RATELIMIT_ANNOTATIONS="2 per minute", RATELIMIT_TOKENS="2 per hour")


# (who sends it, how many are allowed, the request)
LIMITED = {
    "sign-in": ("anonymous", 10, lambda v, w: v.open("POST", "/sign-in", form={
        "email": "nobody@example.org", "password": WRONG})),
    "sign-up": ("anonymous", 10, lambda v, w: v.open("POST", "/sign-up", form={"email": "not an address"})),
    "password change": ("reader_b", 10, lambda v, w: v.open("POST", "/profile/password", form={
        "pw-current_password": WRONG, "pw-new_password": NEW_PASSWORD})),
    "API token creation": ("reader_b", 2, lambda v, w: v.open("POST", "/profile/tokens", form={"name": ""})),
    "annotation": ("reader_b", 2, lambda v, w: v.open("POST", f"/articles/{w.slug}/annotate", form={"body": ""})),
    "reply": ("reader_b", 2, lambda v, w: v.open("POST", f"/annotations/{w.ids['a_public']}/replies",
                                                 form={"body": ""})),
    "annotation by API": ("reader_b", 2, lambda v, w: v.open("POST", f"/api/articles/{w.slug}/annotations",
                                                             json={})),
    "flag": ("reader_b", 30, lambda v, w: v.open("POST", f"/annotations/{w.ids['a_public']}/flag", form={})),
    "flag by API": ("reader_b", 30, lambda v, w: v.open("POST", f"/api/annotations/{w.ids['a_public']}/flags",
                                                        json={"reason": "no such reason"})),
}


@pytest.mark.parametrize("action", LIMITED)
def test_repeated_attempts_are_refused_with_429_and_retry_after(action, world, another_app, caplog):
    role, allowed, send = LIMITED[action]
    limited = _limited(another_app)
    visitor = Visitor(limited, None if role == "anonymous" else world.user(role))
    statuses = [send(visitor, world).status_code for _ in range(allowed)]
    assert 429 not in statuses and all(s < 500 for s in statuses)

    refused = send(visitor, world)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    if refused.mimetype == "application/json":
        assert refused.get_json()["error"]["code"] == "rate_limited"
    else:
        assert "Too many requests" in refused.get_data(as_text=True)
    assert "rate limit exceeded" in caplog.text


def test_the_sign_in_limit_holds_even_for_the_right_password(world, another_app):
    visitor = Visitor(_limited(another_app))
    reader = world.user("reader_a")
    for _ in range(10):
        visitor.open("POST", "/sign-in", form={"email": reader.email, "password": WRONG})
    response = visitor.open("POST", "/sign-in", form={"email": reader.email, "password": reader.password})
    assert response.status_code == 429
    assert visitor.client.get("/profile").status_code == 302  # still signed out


def _worker(storage_uri: str, prefix: str, attempts: int, database_url: str) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.ratelimit_worker", database_url, storage_uri, prefix, str(attempts)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_rate_limits_are_shared_by_several_workers_through_redis(app):
    """Two app processes, like two gunicorn workers, count sign-in attempts together in Redis."""
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        server.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}). Start it (`redis-server --daemonize yes`) "
                    "or point TEST_REDIS_URL at one: CI runs this test against a real Redis.")
    prefix = f"postil-test-{uuid.uuid4().hex}"
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        first = _worker(REDIS_URL, prefix, 6, database_url)
        second = _worker(REDIS_URL, prefix, 5, database_url)
        assert first == [422] * 6
        assert second == [422] * 4 + [429], "the second worker did not see the first one's attempts"
        assert server.keys(f"*{prefix}*"), "no rate limit counter was written to Redis"
    finally:
        keys = server.keys(f"*{prefix}*")
        if keys:
            server.delete(*keys)
    # Control: with each worker's own memory, neither sees the other's attempts (the default storage).
    assert _worker("memory://", prefix, 6, database_url) == [422] * 6
    assert _worker("memory://", prefix, 5, database_url) == [422] * 5


# --- No account enumeration ---------------------------------------------------------------------------------

@pytest.fixture
def scrypt_calls(monkeypatch):
    """Record the (n, r, p) of every scrypt computation (Werkzeug's password hashing and checking)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append((kwargs.get("n"), kwargs.get("r"), kwargs.get("p")))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def _sign_in_answer(client, email: str, password: str):
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
    # The token the answer carries is signed with the second it was drawn in, so it is set aside as well.
    return response.status_code, CSRF_RE.sub("TOKEN", response.get_data(as_text=True))


def test_sign_in_answers_an_unknown_email_and_a_wrong_password_alike_and_hashes_in_both(world, client,
                                                                                        scrypt_calls):
    reader = world.user("reader_a")
    _sign_in_answer(client, "warm.up@example.org", WRONG)  # the dummy hash is built once per process
    scrypt_calls.clear()

    unknown = _sign_in_answer(client, "nobody@example.org", WRONG)
    unknown_work = list(scrypt_calls)
    scrypt_calls.clear()
    wrong = _sign_in_answer(client, reader.email, WRONG)
    wrong_work = list(scrypt_calls)

    assert unknown[0] == wrong[0] == 422
    assert "Email or password is wrong." in unknown[1]
    assert unknown[1].replace("nobody@example.org", reader.email) == wrong[1]
    assert len(unknown_work) == 1 and unknown_work == wrong_work  # one scrypt at the same cost either way


def _sign_up(client, email: str, password: str = NEW_PASSWORD, name: str = "Dr Newcomer"):
    token = csrf_from(client.get("/sign-up").get_data(as_text=True))
    return client.post("/sign-up", data={"email": email, "password": password, "display_name": name,
                                         "interests_choice": "none", "csrf_token": token})


def _account(app, email: str):
    with app.app_context():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        return None if user is None else (user.id, user.password_hash, user.display_name, user.role,
                                          len(db.session.scalars(select(UserSession).where(
                                              UserSession.user_id == user.id, UserSession.revoked_at.is_(None)))
                                              .all()))


def test_sign_up_with_a_registered_email_looks_exactly_like_a_new_sign_up(app, world, scrypt_calls):
    existing = world.user("reader_a")
    before = _account(app, existing.email)
    answers, work = [], []
    for email in ("brand.new@example.org", existing.email.upper()):
        client = app.test_client()
        scrypt_calls.clear()
        response = _sign_up(client, email)
        work.append(list(scrypt_calls))
        next_page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], CHECK_EMAIL_MESSAGE in next_page,
                        client.get("/profile").status_code))

    assert answers[0] == answers[1] == (302, "/sign-up/check-email", True, 302)  # same words, not signed in
    assert len(work[0]) == 1 and work[0] == work[1]
    assert _account(app, existing.email) == before  # the existing account is untouched
    # Each address gets one email: the newcomer a confirmation link, the existing account a note.
    assert ["/confirm-email/" in t for t in account_emails(app, "brand.new@example.org")] == [True]
    assert ["/confirm-email/" in t for t in account_emails(app, existing.email)] == [False]
    # Until confirmed the new account does not open, with the right password or not.
    refused = AuthActions(app.test_client()).sign_in("brand.new@example.org", NEW_PASSWORD)
    assert refused.status_code == 422 and "Confirm your email address first" in refused.get_data(as_text=True)
    # The residual risk the README describes: the sign-up password does not open the existing account.
    assert AuthActions(app.test_client()).sign_in(existing.email, NEW_PASSWORD).status_code == 422


# --- Sessions that end ------------------------------------------------------------------------------------

class Credentials:
    """Everything that lets a user in: a session, a remember-me cookie alone, an API token."""

    def __init__(self, app, user):
        self.app = app
        self.session = app.test_client()
        AuthActions(self.session).sign_in(user.email, user.password)
        self.remembered = app.test_client()
        AuthActions(self.remembered).sign_in(user.email, user.password, remember=True)
        self.remembered.delete_cookie("session")
        self.token = create_token(app, user)[1]

    def working(self) -> dict[str, bool]:
        return {"session": self.session.get("/profile").status_code == 200,
                "remember-me cookie": self.remembered.get("/profile").status_code == 200,
                "API token": self.app.test_client().get(
                    "/api/articles", headers={"Authorization": f"Bearer {self.token}"}).status_code == 200}


def _change_password(app, world, victim):
    visitor = Visitor(app, victim)
    response = visitor.open("POST", "/profile/password", form={"pw-current_password": victim.password,
                                                               "pw-new_password": NEW_PASSWORD})
    assert response.status_code == 302
    return visitor  # the session that changed the password stays signed in


def _admin_acts(app, world, victim, action: str, form: dict):
    """Change the victim's account through the admin panel (sanctions.suspend / change_role)."""
    admin = Visitor(app, world.user("admin"))
    response = admin.open("POST", f"/moderation/users/{victim.id}/{action}", form=form)
    assert response.status_code == 303


EVENTS = {
    "password change": lambda app, world, victim: _change_password(app, world, victim),
    "suspension": lambda app, world, victim: _admin_acts(app, world, victim, "suspend",
                                                         {"reason": "Posted patient details"}),
    "role change": lambda app, world, victim: _admin_acts(app, world, victim, "role",
                                                          {"role": "moderator", "reason": "Joins the team"}),
    "sign out everywhere": lambda app, world, victim: Visitor(app, victim).open("POST", "/sign-out-everywhere"),
}


@pytest.mark.parametrize("event", EVENTS)
def test_sessions_remember_me_cookies_and_api_tokens_end_when_the_account_changes(app, world, event):
    victim = world.user("reader_b")
    credentials = Credentials(app, victim)
    assert all(credentials.working().values())

    kept = EVENTS[event](app, world, victim)

    still_working = [name for name, works in credentials.working().items() if works]
    assert not still_working, f"still signed in after the {event}: {still_working}"
    if event == "password change":
        assert kept.client.get("/profile").status_code == 200
    if event in ("suspension", "role change"):
        with app.app_context():
            user = db.session.get(User, victim.id)
            assert user.is_suspended if event == "suspension" else user.role.value == "moderator"
