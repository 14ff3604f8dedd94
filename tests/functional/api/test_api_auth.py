"""Who may call the API: the session with its CSRF header, Bearer tokens, and the token pages and command."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, ApiToken
from tests.conftest import csrf_from
from tests.functional.api.conftest import QUOTE, new_annotation

TOKEN_RE = re.compile(r"^pst_[A-Za-z0-9_-]{43}$")
NEW_TOKEN_RE = re.compile(r'id="new-token"[^>]*value="([^"]+)"')


def _annotations(app) -> list[tuple[str, object]]:
    with app.app_context():
        return [(a.body, a.deleted_at) for a in db.session.scalars(select(Annotation).order_by(Annotation.id))]


def test_the_session_works_for_the_api_with_the_pages_csrf_token(app, api, auth, make, slug):
    user = make.user(trusted=True)
    auth.sign_in(user.email)
    api.with_session_csrf()

    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug))
    assert created.status_code == 201
    iri = created.get_json()["id"]
    assert api.patch(iri, {"bodyValue": "Edited in the browser."}).status_code == 200
    assert api.delete(iri).status_code == 204


def test_cookie_calls_without_a_valid_csrf_header_change_nothing(app, api, auth, make, slug, client):
    user = make.user(trusted=True)
    annotation_id = make.annotation(user, slug, QUOTE, body="Original.")
    auth.sign_in(user.email)
    # A token from another browser's session is as bad as none.
    other = app.test_client()
    foreign = csrf_from(other.get("/sign-in").get_data(as_text=True))
    iri = f"/api/annotations/{annotation_id}"
    before = _annotations(app)

    for headers in ({}, {"X-CSRFToken": foreign}, {"X-CSRFToken": "garbage"}):
        responses = [api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug), headers=headers),
                     api.patch(iri, {"bodyValue": "Changed."}, headers=headers),
                     api.delete(iri, headers=headers)]
        for response in responses:
            assert response.status_code == 400
            assert response.get_json()["error"]["code"] == "csrf_failed"

    assert _annotations(app) == before
    assert api.get(iri).get_json()["body"][0]["value"] == "Original."  # reading needs no CSRF token


def test_an_expired_csrf_token_is_refused(app, api, auth, make, slug, monkeypatch):
    user = make.user(trusted=True)
    auth.sign_in(user.email)
    api.with_session_csrf()
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", -1)  # every token is already too old
    response = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert "expired" in response.get_json()["error"]["message"]
    assert _annotations(app) == []


def test_bearer_calls_need_no_csrf_token(app, api, make, slug, token_for):
    api.as_token(token_for(make.user(trusted=True)))
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug))
    assert created.status_code == 201
    assert api.patch(created.get_json()["id"], {"bodyValue": "Changed."}).status_code == 200
    assert api.delete(created.get_json()["id"]).status_code == 204


def test_a_revoked_or_unknown_token_is_refused_even_with_a_session(app, api, auth, make, slug, token_for):
    from app.services import tokens

    user = make.user(trusted=True)
    secret = token_for(user)
    with app.app_context():
        tokens.revoke(db.session.scalar(select(ApiToken)))
        db.session.commit()
    auth.sign_in(user.email)  # a valid session must not rescue a bad token

    for header in (f"Bearer {secret}", "Bearer pst_madeup", "Bearer", "Basic dXNlcjpwYXNz", secret):
        for response in (api.get("/api/articles", headers={"Authorization": header}),
                         api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug),
                                  headers={"Authorization": header})):
            assert response.status_code == 401, header
            assert response.get_json()["error"]["code"] == "invalid_token"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _annotations(app) == []


def test_a_token_acts_as_its_owner_only(app, api, make, slug, token_for):
    owner, other = make.user(trusted=True), make.user(trusted=True)
    private = api.as_token(token_for(owner)).post(f"/api/articles/{slug}/annotations",
                                                  new_annotation(app, slug, visibility="private")).get_json()
    assert api.as_token(token_for(other)).get(private["id"]).status_code == 404
    assert api.as_token(token_for(owner)).get(private["id"]).status_code == 200


def test_token_use_is_recorded(app, api, make, token_for):
    api.as_token(token_for(make.user()))
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None
    api.get("/api/articles")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_flask_users_token_prints_only_a_working_token(app, api, runner, make, slug):
    user = make.user(email="cli@example.org", trusted=True)

    result = runner.invoke(args=["users", "token", "CLI@example.org", "--name", "Laptop script"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and TOKEN_RE.match(lines[0])
    api.as_token(lines[0])
    created = api.post(f"/api/articles/{slug}/annotations", new_annotation(app, slug))
    assert created.status_code == 201 and created.get_json()["creator"]["name"] == user.name
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.name == "Laptop script" and token.digest != lines[0] and lines[0] not in token.digest
        assert token.prefix == lines[0][:12]


def test_flask_users_token_refuses_an_unknown_email(runner, make):
    result = runner.invoke(args=["users", "token", "ghost@example.org"])
    assert result.exit_code == 1 and "No account" in result.output and not result.stdout.strip()


def test_tokens_are_created_shown_once_listed_and_revoked_on_the_profile(app, client, auth, make, api):
    user = make.user()
    auth.sign_in(user.email)
    page = client.get("/profile").get_data(as_text=True)
    assert "You have no API tokens" in page

    created = client.post("/profile/tokens", data={"name": "Zotero at work", "csrf_token": csrf_from(page)})

    assert created.status_code == 201
    html = created.get_data(as_text=True)
    secret = NEW_TOKEN_RE.search(html).group(1)
    assert TOKEN_RE.match(secret)
    assert "Zotero at work" in html and "it will not be shown again" in html
    assert 'value="Dr Test' in html  # the profile form still shows the profile, not the token form's data
    later = client.get("/profile").get_data(as_text=True)
    assert secret not in later and secret[:12] in later and "never used" in later
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.digest != secret and len(token.digest) == 64

    assert api.as_token(secret).get("/api/articles").status_code == 200
    assert "last used" in client.get("/profile").get_data(as_text=True)

    revoked = client.post(f"/profile/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(later)})
    assert revoked.status_code == 302
    after = client.get("/profile").get_data(as_text=True)
    assert "is revoked" in after and "You have no API tokens" in after
    assert api.as_token(secret).get("/api/articles").status_code == 401


def test_token_forms_need_a_csrf_token_and_a_name(app, client, auth, make, token_for):
    user = make.user()
    token_for(user)
    auth.sign_in(user.email)
    page = client.get("/profile").get_data(as_text=True)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))

    assert client.post("/profile/tokens", data={"name": "No CSRF"}).status_code == 400
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 400
    unnamed = client.post("/profile/tokens", data={"name": "  ", "csrf_token": csrf_from(page)})
    assert unnamed.status_code == 422 and "Give the token a name" in unnamed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 1
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_nobody_revokes_someone_elses_token(app, client, auth, make, token_for):
    owner, intruder = make.user(), make.user()
    token_for(owner)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    auth.sign_in(intruder.email)
    page = client.get("/profile").get_data(as_text=True)
    assert client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_token_pages_need_a_signed_in_user(app, client):
    # A valid token for this visitor's session, so that what refuses is the sign-in check.
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/profile/tokens", data={"name": "x", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_creating_annotations_and_tokens_is_rate_limited(app, limited_client, auth, make, slug, token_for):
    from tests.conftest import AuthActions

    user = make.user(trusted=True)
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    url = f"/api/articles/{slug}/annotations"
    statuses = [limited_client.post(url, json=new_annotation(app, slug), headers=headers).status_code
                for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = limited_client.post(url, json=new_annotation(app, slug), headers=headers)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert limited_client.get(url, headers=headers).status_code == 200  # reading is not limited
    assert len(_annotations(app)) == 2

    AuthActions(limited_client).sign_in(user.email)
    page = limited_client.get("/profile").get_data(as_text=True)
    statuses = [limited_client.post("/profile/tokens", data={"name": f"t{n}", "csrf_token": csrf_from(page)})
                .status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    assert "Retry-After" in limited_client.post("/profile/tokens", data={"name": "x", "csrf_token": csrf_from(page)}
                                                ).headers
