"""Cross-site request forgery: every state-changing route, found in the URL map, refuses forged requests.

Each unsafe route (POST, PUT, PATCH, DELETE) is sent, by a visitor the access table lets in, with
no CSRF token, another session's token and an expired one: the answer is 400 with the refusal that
names the token's problem (a page or a JSON error), and the database is exactly as before. A
browser's `Sec-Fetch-Site: cross-site` on an unsafe request is refused even with a valid token (and
with a Bearer token), while the same request marked same-origin gets the access table's answer.
Bearer-token calls need no CSRF token: the access walk sends every API case with a token and no
CSRF header.
"""
from __future__ import annotations

from functools import partial

import pytest

from tests.security.access_table import ROLES, SIGN_IN, TABLE, Case
from tests.security.conftest import Visitor, create_token

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
REFUSALS = {SIGN_IN, 401, 403, 404}


# Routes authorised by a signed link rather than a session: a mail client's RFC 8058 one-click
# unsubscribe POST carries no CSRF token. A forged link is refused there (tests/functional/
# test_notifications_email.py); cross-site browser requests are still refused below.
SIGNED_LINK_ROUTES = {("POST", "/unsubscribe")}


def unsafe_routes(app, signed_links: bool = False) -> list[tuple[str, str]]:
    """Return every state-changing (method, rule) of the URL map, so a new route is covered at once."""
    return sorted({(method, rule.rule) for rule in app.url_map.iter_rules()
                   for method in rule.methods & UNSAFE
                   if signed_links or (method, rule.rule) not in SIGNED_LINK_ROUTES})


def case_to_forge(key: tuple[str, str]) -> tuple[Case, str]:
    """Return the route's first case in the access table and a role it lets in."""
    assert key in TABLE, f"{key} is missing from tests/security/access_table.py"
    for case in TABLE[key]:
        for role, outcome in zip(ROLES, case.expect, strict=True):
            if outcome not in REFUSALS:
                return case, role
    raise AssertionError(f"the access table lets nobody use {key}: nothing to forge")


class Forger:
    """Visitors by role (signed in once each), and concrete paths for the table's cases."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.visitors: dict[str, Visitor] = {}

    def visitor(self, role: str) -> Visitor:
        if role not in self.visitors:
            self.visitors[role] = Visitor(self.app, None if role == "anonymous" else self.world.user(role))
        return self.visitors[role]

    def path(self, case: Case) -> str:
        values = {**self.world.ids, "slug": self.world.slug}
        if case.fresh:
            values[case.fresh] = self.world.fresh(case.fresh)
        return case.path.format(**values)


# Flask-WTF's reason for each forgery, which Postil's refusal quotes: a page's own csrf-token meta tag
# or the word "csrf" somewhere in a page would prove nothing, the refusal's sentence does.
REASONS = {"no token": "The CSRF token is missing", "another session's token": "The CSRF tokens do not match",
           "an expired token": "The CSRF token has expired"}


def refusal_problem(response, path: str, variant: str) -> str | None:
    """Say how `response` differs from Postil's refusal of a forged request (None when it is that refusal)."""
    reason = REASONS[variant]
    if response.status_code != 400:
        return f"answered {response.status_code}, not 400"
    if path.startswith("/api/"):
        error = (response.get_json(silent=True) or {}).get("error", {})
        expected = f"The request's CSRF token is missing or invalid ({reason})"
        if error.get("code") != "csrf_failed" or not error.get("message", "").startswith(expected):
            return f"answered {error!r}, not csrf_failed saying {expected!r}"
        return None
    expected = f"The form&#39;s security token is missing or expired ({reason}). Reload the page and try again; " \
               "nothing was changed."
    if response.mimetype != "text/html" or expected not in response.get_data(as_text=True):
        return f"answered 400 without saying {expected!r}"
    return None


def test_the_url_map_has_state_changing_routes_to_check(app):
    assert len(unsafe_routes(app)) >= 30  # a guard against a filter that silently finds nothing


def test_every_state_changing_route_refuses_a_missing_foreign_or_expired_csrf_token(app, world, snapshot,
                                                                                    monkeypatch):
    forger = Forger(app, world)
    stranger = Visitor(app)  # another browser: its token is valid, but for its own session
    failures = []
    for method, rule in unsafe_routes(app):
        case, role = case_to_forge((method, rule))
        visitor = forger.visitor(role)
        path = forger.path(case)
        before = snapshot()
        for variant, token in (("no token", False), ("another session's token", stranger.csrf),
                               ("an expired token", visitor.csrf)):
            with monkeypatch.context() as patch:
                if variant == "an expired token":
                    patch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", -1)
                response = visitor.open(method, path, form=case.form, json=case.json, csrf=token)
            problem = refusal_problem(response, path, variant)
            if problem:
                failures.append(f"{method} {path} as {role} with {variant}: {problem}")
        if snapshot() != before:
            failures.append(f"{method} {path}: a forged request changed the database")
    assert not failures, "Forged requests were not refused:\n" + "\n".join(failures)


def test_browsers_cross_site_writes_are_refused_even_with_valid_tokens(app, world, snapshot):
    forger = Forger(app, world)
    tokens = {}
    failures = []
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    for method, rule in unsafe_routes(app, signed_links=True):
        case, role = case_to_forge((method, rule))
        path = forger.path(case)
        visitor = forger.visitor(role)
        if path.startswith("/api/") and role != "anonymous" and role not in tokens:
            tokens[role] = create_token(app, world.user(role))[1]
        before = snapshot()
        attempts = [("session and CSRF token",
                     partial(visitor.open, method, path, form=case.form, json=case.json, headers=cross_site))]
        if path.startswith("/api/") and role != "anonymous":
            attempts.append(("Bearer token", partial(
                app.test_client().open, path, method=method, json=case.json,
                headers={**cross_site, "Authorization": f"Bearer {tokens[role]}"})))
        for how, send in attempts:
            response = send()
            if response.status_code != 403:
                failures.append(f"{method} {path} cross-site with {how}: {response.status_code}")
        if snapshot() != before:
            failures.append(f"{method} {path}: a cross-site request changed the database")
    assert not failures, "Cross-site writes were not refused:\n" + "\n".join(failures)


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
def test_writes_not_marked_cross_site_and_cross_site_reads_go_through(app, world, visitor, site):
    reader = visitor("reader_a")
    response = reader.open("POST", f"/articles/{world.slug}/annotate", form={"body": ""},
                           headers={"Sec-Fetch-Site": site})
    assert response.status_code == 422  # past the cross-site check: the empty form is what is refused
    # A link followed from another site still opens the page.
    assert reader.client.get(f"/articles/{world.slug}", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
