"""Errors never show internals to a client; refusals have the right status and shape; security events are logged.

Exceptions are forced inside views (test-only routes on a separate app, and services patched to fail
under real routes) with SQL and class names in their messages: the client gets a plain page or JSON
error, the operator gets the traceback in the log. The security log names the account and the
address, never a password or a token.
"""
from __future__ import annotations

import io
import json
import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from app.models import Annotation
from app.services import annotations as annotation_service
from app.services import articles as article_service
from tests.conftest import AuthActions
from tests.security.conftest import Visitor, count, create_token

SQL = "SELECT users.password_hash FROM users WHERE users.email = ?"
INTERNALS = ("Traceback", "SELECT", "password_hash", "OperationalError", "sqlalchemy", "RuntimeError",
             'File "', "database is locked", "disk I/O error", "secret-detail", "KeyError", "site-packages")


def database_failure(*_args, **_kwargs):
    raise OperationalError(SQL, ("someone@example.org",), sqlite3.OperationalError("disk I/O error"))


def assert_nothing_internal(response) -> None:
    body = response.get_data(as_text=True)
    leaked = [word for word in INTERNALS if word in body]
    assert not leaked, f"the client was shown {leaked}: {body[:300]}"


@pytest.fixture
def failing_app(another_app):
    """A separate app with test-only routes that fail, as a page and under /api."""
    app = another_app()

    def fail_with(exc: Exception):
        def view():
            raise exc
        return view

    for prefix in ("", "/api"):
        app.add_url_rule(f"{prefix}/test-only/sql", f"sql{prefix}", fail_with(
            OperationalError(SQL, ("someone@example.org",), sqlite3.OperationalError("disk I/O error"))))
        app.add_url_rule(f"{prefix}/test-only/locked", f"locked{prefix}", fail_with(
            OperationalError(SQL, ("someone@example.org",), sqlite3.OperationalError("database is locked"))))
        app.add_url_rule(f"{prefix}/test-only/bug", f"bug{prefix}", fail_with(
            RuntimeError("Traceback (most recent call last): secret-detail")))
        app.add_url_rule(f"{prefix}/test-only/key", f"key{prefix}", fail_with(KeyError("secret-detail")))
    return app


@pytest.mark.parametrize("failure", ["sql", "bug", "key"])
def test_an_exception_in_a_view_shows_a_plain_page_or_json_error_and_is_logged(failing_app, failure, caplog):
    client = failing_app.test_client()
    page = client.get(f"/test-only/{failure}")
    api = client.get(f"/api/test-only/{failure}")

    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Something went wrong" in page.get_data(as_text=True)
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "server_error"
    for response in (page, api):
        assert_nothing_internal(response)
        assert response.headers["Content-Security-Policy"]
    # The operator, unlike the client, gets the whole story.
    assert "Traceback" in caplog.text
    assert ("disk I/O error" if failure == "sql" else "secret-detail") in caplog.text


def test_a_write_that_cannot_get_the_lock_in_time_answers_503_with_retry_after(failing_app, caplog):
    """Busy is not broken: the client is told to try again, never shown a 500 or the database's words."""
    client = failing_app.test_client()
    page = client.get("/test-only/locked")
    api = client.get("/api/test-only/locked")
    assert (page.status_code, page.mimetype) == (503, "text/html")
    assert (api.status_code, api.get_json()["error"]["code"]) == (503, "busy")
    for response in (page, api):
        assert response.headers["Retry-After"] == "2"
        assert "Nothing was saved: please try again in a few seconds." in response.get_data(as_text=True)
        assert_nothing_internal(response)
    assert "database is locked" in caplog.text


def test_a_database_failure_under_real_routes_reveals_no_sql(app, world, monkeypatch):
    reader = Visitor(app, world.user("reader_a"))
    _, secret = create_token(app, world.user("reader_a"))
    monkeypatch.setattr(article_service, "get_published", database_failure)
    monkeypatch.setattr(article_service, "page_key", database_failure)
    monkeypatch.setattr(annotation_service, "edit", database_failure)
    before = count(app, "SELECT count(*) FROM annotations")

    responses = [
        reader.client.get(f"/articles/{world.slug}"),
        reader.client.get(f"/api/articles/{world.slug}"),
        app.test_client().patch(f"/api/annotations/{world.ids['a_public']}", json={"bodyValue": "New text."},
                                headers={"Authorization": f"Bearer {secret}"}),
        reader.open("POST", f"/annotations/{world.ids['a_public']}/edit", form={"body": "New text.",
                                                                             "kind": "comment", "tags": ""}),
    ]
    for response in responses:
        assert response.status_code == 500, response.request.path
        assert_nothing_internal(response)
    assert responses[1].mimetype == responses[2].mimetype == "application/json"
    assert count(app, "SELECT count(*) FROM annotations") == before
    with app.app_context():
        from app.extensions import db

        assert db.session.get(Annotation, world.ids["a_public"]).body == "A's public comment."


def test_a_database_that_is_gone_still_gets_a_plain_answer_for_signed_in_visitors(app, world, another_app,
                                                                                  tmp_path):
    """The error page's navigation reads the database too: without one, a plain page still answers."""
    signed_in = Visitor(app, world.user("reader_a")).client.get_cookie("session").value
    (tmp_path / "empty.sqlite3").write_bytes(b"")  # a database without Postil's tables
    broken = another_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.sqlite3'}").test_client()
    broken.set_cookie("session", signed_in)
    for path, mimetype in (("/", "text/html"), ("/profile", "text/html"), ("/api/articles", "application/json")):
        response = broken.get(path)
        assert (response.status_code, response.mimetype) == (500, mimetype), path
        assert_nothing_internal(response)
        assert "no such table" not in response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"] and response.headers["Cache-Control"] == "no-store"


def test_oversized_bodies_are_refused_with_413(app, world):
    _, secret = create_token(app, world.user("reader_a"))
    before = count(app, "SELECT count(*) FROM annotations")
    form = app.test_client().post("/sign-in", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    api = app.test_client().post(f"/api/articles/{world.slug}/annotations",
                                 data=b'{"bodyValue": "' + b"x" * app.config["API_MAX_CONTENT_LENGTH"] + b'"}',
                                 content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert form.status_code == 413 and form.mimetype == "text/html"
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "payload_too_large"
    assert count(app, "SELECT count(*) FROM annotations") == before


class CountingStream(io.BytesIO):
    """A request body that remembers how many of its bytes the application read."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.consumed += len(data)
        return data


@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_the_api_size_limit_applies_before_any_of_the_body_is_read(app, world, transfer):
    """A valid annotation padded with JSON whitespace to 1 MiB: under the app-wide limit, over the API's."""
    from tests.functional.api.conftest import new_annotation

    _, secret = create_token(app, world.user("reader_a"))
    limit = app.config["API_MAX_CONTENT_LENGTH"]
    payload = json.dumps(new_annotation(app, world.slug)).encode()
    payload = payload[:-1] + b" " * (1024 * 1024 - len(payload)) + b"}"
    assert limit < len(payload) < app.config["MAX_CONTENT_LENGTH"]
    before = count(app, "SELECT count(*) FROM annotations")
    stream = CountingStream(payload)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    if transfer == "chunked":
        # What gunicorn and Werkzeug's server hand over for a chunked request: no length, a terminated stream.
        response = app.test_client().post(f"/api/articles/{world.slug}/annotations", input_stream=stream,
                                          headers={**headers, "Transfer-Encoding": "chunked"},
                                          environ_overrides={"wsgi.input_terminated": True})
    else:
        response = app.test_client().post(f"/api/articles/{world.slug}/annotations", input_stream=stream,
                                          headers={**headers, "Content-Length": str(len(payload))})
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert stream.consumed <= limit + 1, f"{stream.consumed:,} bytes read, the limit is {limit:,}"
    assert count(app, "SELECT count(*) FROM annotations") == before


def test_a_chunked_form_over_the_app_wide_limit_is_refused_not_cut_short(app, world):
    """Werkzeug's stream would stop at the limit and parse the first 10 MiB of the form as if it were whole."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b"email=" + b"x" * limit + b"&password=y"
    response = app.test_client().post("/sign-in", input_stream=io.BytesIO(body),
                                      headers={"Content-Type": "application/x-www-form-urlencoded",
                                               "Transfer-Encoding": "chunked"},
                                      environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.mimetype == "text/html"


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", b'{"bodyValue": "x"}'),
    ("application/x-www-form-urlencoded", b"bodyValue=x"),
    ("multipart/form-data; boundary=x", b"--x--"),
])
def test_the_api_refuses_bodies_that_are_not_json_with_415(app, world, content_type, body):
    _, secret = create_token(app, world.user("reader_a"))
    response = app.test_client().post(f"/api/articles/{world.slug}/annotations", data=body,
                                      content_type=content_type, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 415 and response.get_json()["error"]["code"] == "unsupported_media_type"


def test_api_errors_are_json_and_page_errors_are_html(client):
    for response, status in ((client.get("/api/nothing-here"), 404), (client.put("/api/articles"), 405),
                             (client.delete("/api/openapi.json"), 405)):
        assert response.status_code == status and response.mimetype == "application/json"
        assert response.get_json()["error"]["code"] in ("not_found", "method_not_allowed")
    assert client.put("/api/articles").headers["Allow"]
    for response, status in ((client.get("/nothing-here"), 404), (client.put("/"), 405)):
        assert response.status_code == status and response.mimetype == "text/html"
        assert "<h1>" in response.get_data(as_text=True)


# --- The security log -----------------------------------------------------------------------------------------

def security_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "postil.security"]


def test_a_failed_sign_in_is_logged_with_the_account_and_address_but_not_the_password(world, client, caplog):
    caplog.set_level(logging.DEBUG)
    reader = world.user("reader_a")
    AuthActions(client).sign_in(reader.email, "my-secret-guess-1234567")
    AuthActions(client).sign_in("nobody@example.org", "another-secret-guess-98765")

    failed = [m for m in security_records(caplog) if m.startswith("sign-in failed")]
    assert failed == [f"sign-in failed user={reader.id} ip=127.0.0.1", "sign-in failed user=- ip=127.0.0.1"]
    assert "secret-guess" not in caplog.text


def test_permission_refusals_and_csrf_failures_are_logged_with_the_user(app, world, visitor, caplog):
    caplog.set_level(logging.INFO, logger="postil.security")
    reader_b = visitor("reader_b")
    b_id = world.ids["reader_b"]
    reader_b.client.get("/admin/articles")
    reader_b.open("PATCH", f"/api/annotations/{world.ids['a_public']}", json={"bodyValue": "Mine now."})
    reader_b.open("POST", "/profile", form={"display_name": "x"}, csrf=False)

    messages = security_records(caplog)
    assert f"permission refused user={b_id} ip=127.0.0.1 method=GET path=/admin/articles" in messages
    assert (f"permission refused user={b_id} ip=127.0.0.1 method=PATCH "
            f"path=/api/annotations/{world.ids['a_public']}") in messages
    assert f"csrf refused user={b_id} ip=127.0.0.1 method=POST path=/profile" in messages


def test_moderation_decisions_are_logged_with_the_moderator_and_address(app, world, caplog):
    caplog.set_level(logging.INFO, logger="postil.security")
    moderator = Visitor(app, world.user("moderator"))
    item = moderator.client.get("/api/moderation/queue?state=pending").get_json()["items"]
    pending = next(i for i in item if i["id"] == world.ids["b_pending"])
    response = moderator.open("POST", f"/api/moderation/annotations/{pending['id']}",
                              json={"action": "approve", "if_modified": pending["modified"]})
    assert response.status_code == 200
    assert (f"moderation action=approve user={world.user('moderator').id} annotation={pending['id']} "
            f"target_user={world.ids['reader_b']} ip=127.0.0.1") in security_records(caplog)


def test_api_tokens_never_reach_the_logs(app, world, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    _, secret = create_token(app, world.user("reader_a"))
    revoked_id, revoked = create_token(app, world.user("reader_b"))
    client = app.test_client()
    with app.app_context():
        from app.extensions import db
        from app.models import ApiToken
        from app.services import tokens

        tokens.revoke(db.session.get(ApiToken, revoked_id))
        db.session.commit()

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    client.get("/api/articles", headers=bearer(secret))
    client.get("/api/moderation/queue", headers=bearer(secret))  # 403: logged
    client.get("/api/articles", headers=bearer(revoked))  # 401: logged
    client.get("/api/articles", headers=bearer(secret + "tampered"))
    client.get(f"/api/articles?access_token={secret}")
    client.post(f"/api/articles/{world.slug}/annotations", headers={**bearer(secret), "Sec-Fetch-Site": "cross-site"},
                json={})
    monkeypatch.setattr(article_service, "get_published", database_failure)
    assert client.get(f"/api/articles/{world.slug}", headers=bearer(secret)).status_code == 500

    assert any(r.name == "postil.security" for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert secret not in text and revoked not in text, f"{record.name} logged a token: {text[:200]}"
    assert secret not in caplog.text and revoked not in caplog.text
    assert secret[:12] not in caplog.text  # not even the prefix shown on the profile page
