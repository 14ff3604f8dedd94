"""Security headers on every kind of response, private pages kept out of caches, and cookie attributes.

Every response (page, JSON, error page, JSON error, redirect, static file) carries the strict CSP,
nosniff and same-origin referrers; HSTS and Secure cookies are switched on by the production
configuration, checked on an app built with it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from config import ProductionConfig
from tests.conftest import csrf_from
from tests.security.conftest import create_token

EXPECTED_CSP = {"default-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"],
                "frame-ancestors": ["'none'"], "form-action": ["'self'"]}
LOOSENERS = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "blob:", "http:", "https:",
             "'strict-dynamic'")


def csp_directives(header: str) -> dict[str, list[str]]:
    """Parse a Content-Security-Policy header into {directive: sources}."""
    parsed = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *sources = part.split()
        assert name.lower() not in parsed, f"directive {name} given twice"
        parsed[name.lower()] = sources
    return parsed


def assert_security_headers(response) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{response.request.path} has no CSP"
    directives = csp_directives(policy)
    assert directives == EXPECTED_CSP, policy
    assert not any(source in LOOSENERS or "." in source for sources in directives.values() for source in sources)
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"


def test_pages_json_errors_redirects_and_static_files_all_carry_the_security_headers(app, world, client):
    responses = {
        "page": client.get("/"),
        "article": client.get(f"/articles/{world.slug}"),
        "JSON": client.get("/api/articles"),
        "JSON-LD": client.get(f"/api/articles/{world.slug}/annotations"),
        "error page": client.get("/no/such/page"),
        "JSON error": client.get("/api/no-such-thing"),
        "405": client.put("/api/articles"),
        "redirect": client.get("/profile"),
        "stylesheet": client.get("/static/css/postil.css"),
        "script": client.get("/static/js/reading.js"),
        "download": client.get("/studies/export.ris"),
        "CSV": client.get("/moderation/log.csv"),
    }
    assert responses["error page"].status_code == 404 and responses["405"].status_code == 405
    assert responses["stylesheet"].status_code == 200 and responses["redirect"].status_code == 302
    for kind, response in responses.items():
        assert_security_headers(response), kind
        response.close()


def test_the_testing_configuration_sends_no_hsts_but_production_does(client, another_app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    production = _production_client(another_app)
    hsts = production.get("/").headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000  # at least a year


def _session_cache_headers(response) -> tuple:
    return response.headers.get("Cache-Control"), "Cookie" in response.headers.get("Vary", "")


def test_pages_and_api_answers_for_a_signed_in_user_are_never_stored_by_caches(app, world, visitor):
    reader = visitor("reader_a").client
    for path in ("/", "/profile", f"/articles/{world.slug}", "/notifications", "/api/articles",
                 f"/api/annotations/{world.ids['a_private']}", "/no/such/page"):
        response = reader.get(path)
        assert _session_cache_headers(response) == ("no-store", True), path
    _, secret = create_token(app, world.user("reader_a"))
    by_token = app.test_client().get(f"/api/annotations/{world.ids['a_private']}",
                                     headers={"Authorization": f"Bearer {secret}"})
    assert by_token.status_code == 200 and by_token.headers["Cache-Control"] == "no-store"
    assert "Authorization" in by_token.headers["Vary"]
    # Static files are the same for everyone: caches may keep them.
    assert "no-store" not in (reader.get("/static/css/postil.css").headers.get("Cache-Control") or "")


def _cookie(response, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie set; cookies: {response.headers.getlist('Set-Cookie')}"
    return found[-1]


def _attributes(cookie: str) -> dict[str, str]:
    attributes = {}
    for part in cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def _assert_cookie(cookie: str, secure: bool, max_days: int | None = None) -> None:
    attributes = _attributes(cookie)
    assert "httponly" in attributes, cookie
    assert attributes.get("samesite") == "Lax", cookie
    assert ("secure" in attributes) is secure, cookie
    if max_days is not None:
        expires = parsedate_to_datetime(attributes["expires"])
        assert expires <= datetime.now(UTC) + timedelta(days=max_days, minutes=5), cookie


def test_session_and_remember_me_cookies_are_http_only_lax_and_last_at_most_14_days(world, client, auth):
    reader = world.user("reader_a")
    response = auth.sign_in(reader.email, remember=True)
    _assert_cookie(_cookie(response, "session"), secure=False)
    _assert_cookie(_cookie(response, "remember_token"), secure=False, max_days=14)


class HttpsClient:
    """A test client whose requests arrive over HTTPS, as they do behind the TLS-terminating proxy."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path, **kwargs):
        return self.client.get(path, base_url="https://postil.example", **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, base_url="https://postil.example", **kwargs)


def _production_client(another_app) -> HttpsClient:
    return HttpsClient(another_app(ProductionConfig, SECRET_KEY="p" * 48, BASE_URL="https://postil.example",
                                   RATELIMIT_ENABLED=False))


def test_production_cookies_are_secure_http_only_and_lax(world, another_app):
    production = _production_client(another_app)
    reader = world.user("reader_a")
    token = csrf_from(production.get("/sign-in").get_data(as_text=True))
    # Over HTTPS Flask-WTF also checks that the Referer is this site.
    response = production.post("/sign-in", data={"email": reader.email, "password": reader.password,
                                                  "remember": "y", "csrf_token": token},
                               headers={"Referer": "https://postil.example/sign-in"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    _assert_cookie(_cookie(response, "session"), secure=True)
    _assert_cookie(_cookie(response, "remember_token"), secure=True, max_days=14)
    assert response.headers["Strict-Transport-Security"]


def test_production_refuses_a_form_posted_from_another_origin_even_with_a_valid_token(world, another_app):
    production = _production_client(another_app)
    reader = world.user("reader_a")
    token = csrf_from(production.get("/sign-in").get_data(as_text=True))
    response = production.post("/sign-in", data={"email": reader.email, "password": reader.password,
                                                  "csrf_token": token},
                               headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 400 and "referrer" in response.get_data(as_text=True).lower()
    assert production.get("/profile").status_code == 302  # not signed in


@pytest.mark.parametrize("path", ["/", "/sign-in"])
def test_pages_cannot_be_framed_by_other_sites(client, path):
    response = client.get(path)
    assert csp_directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
