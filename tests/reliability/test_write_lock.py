"""SQLite's single write lock: taken up front by requests that write, never held by one that only checks a password.

Each test looks at the lock from a second connection at the moment that matters (while scrypt runs,
just before a write request inserts its row), so the outcome does not depend on timing. The load
tests in test_concurrency.py show the same under gunicorn.
"""
from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url

from app.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, Factory
from tests.reliability.conftest import begins_recorded

NEW_PASSWORD = "a brand new and rather long passphrase"


def _database_file(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


def write_lock_is_free(app, wait_ms: int = 0) -> bool:
    """Tell whether another connection could take the write lock now (waiting at most `wait_ms`)."""
    conn = sqlite3.connect(_database_file(app), isolation_level=None, timeout=wait_ms / 1000)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc), exc
        return False
    finally:
        conn.close()


@pytest.fixture
def lock_seen_during_scrypt(sqlite_app, monkeypatch):
    """Record, for every password check or hash, whether the write lock was free while it ran."""
    from app.security import passwords

    seen: list[bool] = []
    real_check, real_hash = passwords.check_password_hash, passwords.generate_password_hash

    def check(*args, **kwargs):
        seen.append(write_lock_is_free(sqlite_app))
        return real_check(*args, **kwargs)

    def generate(*args, **kwargs):
        seen.append(write_lock_is_free(sqlite_app))
        return real_hash(*args, **kwargs)

    monkeypatch.setattr(passwords, "check_password_hash", check)
    monkeypatch.setattr(passwords, "generate_password_hash", generate)
    return seen


def _sign_in(client, email: str, password: str):
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


@pytest.mark.parametrize("outcome", ["wrong password", "unknown email", "success"])
def test_sign_in_checks_the_password_without_holding_the_write_lock(sqlite_app, clean_sqlite, lock_seen_during_scrypt,
                                                                    outcome):
    reader = Factory(sqlite_app).user()
    client = sqlite_app.test_client()
    client.set_cookie("session", "stale")  # a leftover cookie makes the request read the database first
    lock_seen_during_scrypt.clear()
    email = "nobody@example.org" if outcome == "unknown email" else reader.email
    response = _sign_in(client, email, PASSWORD if outcome == "success" else "not the right password at all")
    assert response.status_code == (302 if outcome == "success" else 422)
    assert lock_seen_during_scrypt and all(lock_seen_during_scrypt), lock_seen_during_scrypt


def test_a_failed_sign_in_never_takes_the_write_lock(sqlite_app, clean_sqlite):
    reader = Factory(sqlite_app).user()
    client = sqlite_app.test_client()
    with begins_recorded(sqlite_app) as begins:
        assert _sign_in(client, reader.email, "not the right password at all").status_code == 422
    assert begins and "BEGIN IMMEDIATE" not in begins, begins


def test_password_change_and_sign_up_hash_without_holding_the_write_lock(sqlite_app, clean_sqlite,
                                                                          lock_seen_during_scrypt):
    reader = Factory(sqlite_app).user()
    client = sqlite_app.test_client()
    assert _sign_in(client, reader.email, PASSWORD).status_code == 302
    lock_seen_during_scrypt.clear()
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    response = client.post("/profile/password", data={"pw-current_password": PASSWORD,
                                                      "pw-new_password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert len(lock_seen_during_scrypt) == 2 and all(lock_seen_during_scrypt), lock_seen_during_scrypt
    assert _sign_in(sqlite_app.test_client(), reader.email, NEW_PASSWORD).status_code == 302

    lock_seen_during_scrypt.clear()
    newcomer = sqlite_app.test_client()
    newcomer.set_cookie("session", "stale")
    token = csrf_from(newcomer.get("/sign-up").get_data(as_text=True))
    response = newcomer.post("/sign-up", data={"email": "new@example.org", "password": NEW_PASSWORD,
                                               "display_name": "Dr New", "interests_choice": "none",
                                               "csrf_token": token})
    assert response.status_code == 302
    assert lock_seen_during_scrypt and all(lock_seen_during_scrypt), lock_seen_during_scrypt


def _lock_recorded_while_checking_and_saving(app, monkeypatch) -> dict[str, bool]:
    """Record whether the write lock was free while a creation was checked ("prepare") and saved ("save")."""
    from app.services import annotations as annotation_service

    free_while: dict[str, bool] = {}
    real_prepare, real_save = annotation_service.prepare, annotation_service.save

    def prepare(*args, **kwargs):
        free_while["prepare"] = write_lock_is_free(app)
        return real_prepare(*args, **kwargs)

    def save(*args, **kwargs):
        # Another worker tries to commit a write right now: it must wait for this request.
        free_while["save"] = write_lock_is_free(app, wait_ms=100)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(annotation_service, "prepare", prepare)
    monkeypatch.setattr(annotation_service, "save", save)
    return free_while


def test_an_api_creation_records_the_tokens_use_then_checks_without_the_lock_and_saves_holding_it(
        sqlite_app, clean_sqlite, monkeypatch):
    """The token's last use is committed on its own first; the annotation is checked without the lock.

    Its INSERTs hold the lock from BEGIN IMMEDIATE: a transaction that read first and then wrote
    would fail at once with "database is locked" whenever another write landed in between (3 in 930
    under load, before reads and writes were separated).
    """
    from app.models import ApiToken
    from app.models.base import utcnow
    from app.services import tokens
    from tests.functional.api.conftest import new_annotation

    make = Factory(sqlite_app)
    author, slug = make.user(trusted=True), make.demo_article()
    with sqlite_app.app_context():
        from app.models import User

        token, secret = tokens.create(db.session.get(User, author.id), "load test")
        token.last_used_at = utcnow() - timedelta(hours=1)  # this use gets recorded
        db.session.commit()
        token_id = token.id
    free_while = _lock_recorded_while_checking_and_saving(sqlite_app, monkeypatch)
    posted = new_annotation(sqlite_app, slug)
    with begins_recorded(sqlite_app) as begins:
        response = sqlite_app.test_client().post(f"/api/articles/{slug}/annotations", json=posted,
                                                 headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert free_while == {"prepare": True, "save": False}
    assert begins.count("BEGIN IMMEDIATE") == 2, begins  # the token's bookkeeping, then the annotation
    with sqlite_app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at > utcnow() - timedelta(minutes=1)


def test_an_api_reply_to_a_parent_hidden_while_it_was_checked_is_refused(sqlite_app, clean_sqlite, monkeypatch):
    """What of the parent the reply relied on changed before the lock: the request runs again under it."""
    from app.services import annotations as annotation_service
    from tests.functional.api.conftest import reply_to

    make = Factory(sqlite_app)
    author, reader, slug = make.user(trusted=True), make.user(trusted=True), make.demo_article()
    parent = make.annotation(author, slug, "rebastinib, a TIE2 inhibitor", body="Which dose?")
    client = sqlite_app.test_client()
    assert _sign_in(client, reader.email, PASSWORD).status_code == 302
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))
    real_prepare = annotation_service.prepare

    def prepare(*args, **kwargs):
        prepared = real_prepare(*args, **kwargs)
        _meanwhile(sqlite_app, "UPDATE annotations SET status = 'hidden' WHERE id = :id", id=parent)
        return prepared

    monkeypatch.setattr(annotation_service, "prepare", prepare)
    response = client.post(f"/api/articles/{slug}/annotations", headers={"X-CSRFToken": token},
                           json=reply_to(f"http://localhost/api/articles/{slug}/annotations/{parent}",
                                         "Written as it was hidden."))
    # Run again under the lock, the reply no longer finds a parent its author may read.
    assert response.status_code == 422 and "that you can read" in response.get_json()["error"]["message"]
    assert _saved(sqlite_app, "Written as it was hidden.") is None


def _signed_in_reader(app):
    """Return (client, CSRF token, slug) for a trusted reader on the demo article."""
    make = Factory(app)
    reader, slug = make.user(trusted=True), make.demo_article()
    client = app.test_client()
    assert _sign_in(client, reader.email, PASSWORD).status_code == 302
    return client, csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True)), slug, reader


def _annotate(client, token: str, slug: str, body: str):
    return client.post(f"/articles/{slug}/annotate", headers={"X-Requested-With": "fetch"}, data={
        "csrf_token": token, "exact": "rebastinib, a TIE2 inhibitor", "body": body, "kind": "comment",
        "visibility": "public"})


def _meanwhile(app, sql: str, **params) -> None:
    """Commit `sql` from another connection, as another worker would."""
    conn = sqlite3.connect(_database_file(app), isolation_level=None, timeout=5)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def _saved(app, body: str):
    from sqlalchemy import select

    from app.models import Annotation

    with app.app_context():
        return db.session.scalar(select(Annotation).where(Annotation.body == body))


def test_a_new_annotation_is_checked_without_the_write_lock_and_saved_holding_it(sqlite_app, clean_sqlite,
                                                                                monkeypatch):
    """Anchoring, sanitising and the reads before them leave other writers free; the INSERTs hold the lock."""

    client, token, slug, _ = _signed_in_reader(sqlite_app)
    free_while = _lock_recorded_while_checking_and_saving(sqlite_app, monkeypatch)
    with begins_recorded(sqlite_app) as begins:
        response = _annotate(client, token, slug, "Which dose was used?")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert free_while == {"prepare": True, "save": False}
    assert begins.count("BEGIN IMMEDIATE") == 1, begins
    assert _saved(sqlite_app, "Which dose was used?").id == response.get_json()["id"]


def test_an_article_revised_while_a_save_was_checked_is_saved_on_the_new_version(sqlite_app, clean_sqlite,
                                                                               monkeypatch):
    """What the save read changed before it took the lock: it runs again, wholly under the lock."""
    from app.services import annotations as annotation_service

    client, token, slug, _ = _signed_in_reader(sqlite_app)
    real_prepare = annotation_service.prepare
    lock_free_during_prepare: list[bool] = []

    def prepare(*args, **kwargs):
        lock_free_during_prepare.append(write_lock_is_free(sqlite_app))
        prepared = real_prepare(*args, **kwargs)
        if len(lock_free_during_prepare) == 1:
            _meanwhile(sqlite_app, "UPDATE articles SET version = version + 1 WHERE slug = :slug", slug=slug)
        return prepared

    monkeypatch.setattr(annotation_service, "prepare", prepare)
    response = _annotate(client, token, slug, "Saved on the revised version.")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert lock_free_during_prepare == [True, False]
    saved = _saved(sqlite_app, "Saved on the revised version.")
    with sqlite_app.app_context():
        from app.models import Article

        assert saved.created_version == db.session.get(Article, saved.article_id).version


def test_an_author_suspended_while_a_save_was_checked_saves_nothing(sqlite_app, clean_sqlite, monkeypatch):
    from app.services import annotations as annotation_service

    client, token, slug, reader = _signed_in_reader(sqlite_app)
    real_prepare = annotation_service.prepare

    def prepare(*args, **kwargs):
        prepared = real_prepare(*args, **kwargs)
        _meanwhile(sqlite_app, "UPDATE users SET suspended_indefinitely = 1 WHERE id = :id", id=reader.id)
        return prepared

    monkeypatch.setattr(annotation_service, "prepare", prepare)
    response = _annotate(client, token, slug, "Written as the suspension landed.")
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    assert _saved(sqlite_app, "Written as the suspension landed.") is None


def test_a_save_run_again_under_the_lock_counts_once_against_the_rate_limit(sqlite_app, clean_sqlite, another_app,
                                                                           monkeypatch):
    """A save whose reads changed before the lock runs again: the reader asked once, and is counted once."""
    from app.services import annotations as annotation_service

    limited = another_app(SQLALCHEMY_DATABASE_URI=sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
                          RATELIMIT_ENABLED=True, RATELIMIT_ANNOTATIONS="2 per minute")
    client, token, slug, _ = _signed_in_reader(limited)
    real_prepare = annotation_service.prepare
    calls: list[int] = []

    def prepare(*args, **kwargs):
        calls.append(1)
        prepared = real_prepare(*args, **kwargs)
        if len(calls) == 1:
            _meanwhile(limited, "UPDATE articles SET version = version + 1 WHERE slug = :slug", slug=slug)
        return prepared

    monkeypatch.setattr(annotation_service, "prepare", prepare)
    assert _annotate(client, token, slug, "Saved on the revised version.").status_code == 201
    assert len(calls) == 2  # it ran again under the lock
    assert _annotate(client, token, slug, "The second of two a minute.").status_code == 201
    refused = _annotate(client, token, slug, "One too many.")
    assert refused.status_code == 429
    assert _saved(limited, "One too many.") is None
