"""Access control: the whole route table walked as six kinds of visitor, plus fields nobody may set.

The table (tests/security/access_table.py) must name every route the app serves; the walk sends
each case as each visitor (API cases a second time with a Bearer token instead of the session) and
compares the answers with the table, then checks that the world's objects are as they were.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, User, UserSession
from tests.conftest import csrf_from
from tests.security.access_table import ROLES, SIGN_IN, TABLE, Case
from tests.security.conftest import Visitor, create_token

IGNORED_METHODS = {"HEAD"}
# What the walk may legitimately change: sessions begin and end and tokens are revoked (sign out,
# sign out everywhere), tokens are created and used, notifications are marked read, and fresh
# annotations come and go (each changing the article's display revision, its page cache key);
# follows, votes and accepted answers are only ever made on fresh objects.
CHANGING = frozenset({"notifications.read_at", "articles.display_rev", "articles.updated_at"})
# Reading an article records the reader's visit.
UNCHECKED = ("api_tokens", "user_sessions", "article_visits")
# Fresh objects bring their own rows: a fresh annotation is followed by its author and gets its anchor
# record (written once, never changed), a fresh answer is accepted and its author told (by email too),
# a fresh annotation is voted helpful; search documents follow the annotations.
# Fresh journal clubs bring their groups, members and invitations; a site moderator's opening of a club's
# flagged note is logged.
GROWING = ("annotations", "annotation_revisions", "anchor_records", "follows", "helpful_votes", "notifications",
           "outbox", "search_documents", "groups", "group_memberships", "group_invitations", "moderation_log")


def served_routes(app) -> set[tuple[str, str]]:
    """Return every (method, rule) the app answers, static files aside.

    HEAD is GET's, and Flask's automatic OPTIONS only lists methods; an OPTIONS a view answers itself
    (the W3C annotation resources) reads an object, so it needs its row.
    """
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - IGNORED_METHODS
            - ({"OPTIONS"} if getattr(rule, "provide_automatic_options", True) else set())}


def test_every_route_is_in_the_access_table(app):
    served = served_routes(app)
    missing = sorted(served - TABLE.keys())
    gone = sorted(TABLE.keys() - served)
    assert not missing, f"Routes with no row in tests/security/access_table.py (add who may do what): {missing}"
    assert not gone, f"Rows of tests/security/access_table.py for routes that no longer exist: {gone}"
    assert all(len(case.expect) == len(ROLES) for cases in TABLE.values() for case in cases)


class Walk:
    """Send the table's cases as each visitor, signing visitors in again when a case ends a session."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.visitors: dict[str, Visitor] = {}
        self.tokens: dict[str, str] = {}

    def visitor(self, role: str) -> Visitor:
        if role not in self.visitors:
            self.visitors[role] = Visitor(self.app, None if role == "anonymous" else self.world.user(role))
        return self.visitors[role]

    def token(self, role: str) -> str:
        if role not in self.tokens:
            self.tokens[role] = create_token(self.app, self.world.user(role))[1]
        return self.tokens[role]

    def path(self, case: Case) -> str:
        values = {**self.world.ids, "slug": self.world.slug}
        if case.fresh:
            values[case.fresh] = self.world.fresh(case.fresh)
        return case.path.format(**values)

    def send(self, method: str, case: Case, role: str, bearer: bool = False):
        path = self.path(case)
        if bearer:
            response = self.app.test_client().open(path, method=method, json=case.json,
                                                   headers={"Authorization": f"Bearer {self.token(role)}"})
        else:
            response = self.visitor(role).open(method, path, form=case.form, json=case.json)
        if case.ends_session:
            self.visitors.pop(role, None)
            self.tokens.pop(role, None)  # signing out everywhere revokes API tokens too
        return path, response


def outcome(response):
    """Return the response's status, or SIGN_IN for a redirect to the sign-in page."""
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in":
        return SIGN_IN
    return response.status_code


def problems_with(response) -> list[str]:
    """Return what is wrong with any response whatever its status: missing headers, a leaked trace."""
    found = [f"no {name} header" for name in ("Content-Security-Policy", "X-Content-Type-Options",
                                               "Referrer-Policy") if name not in response.headers]
    if b"Traceback" in response.get_data():
        found.append("a stack trace in the body")
    return found


def world_state(snapshot) -> dict:
    return snapshot(exclude=CHANGING)


def test_every_visitor_gets_the_answer_in_the_access_table_and_nothing_else_changes(app, world, snapshot):
    walk = Walk(app, world)
    before = world_state(snapshot)
    failures = []
    for (method, rule), cases in TABLE.items():
        for case in cases:
            for role, expected in zip(ROLES, case.expect, strict=True):
                passes = [False] + ([True] if rule.startswith("/api/") and role != "anonymous" else [])
                for bearer in passes:
                    path, response = walk.send(method, case, role, bearer=bearer)
                    how = f"{method} {path} as {role}" + (" (Bearer token)" if bearer else "")
                    got = outcome(response)
                    if got != expected:
                        failures.append(f"{how}: expected {expected}, got {got}")
                    failures += [f"{how}: {problem}" for problem in problems_with(response)]
    assert not failures, f"{len(failures)} answers differ from the access table:\n" + "\n".join(failures)

    after = world_state(snapshot)
    for table in before:
        if table in UNCHECKED:
            continue
        if table in GROWING:
            assert set(before[table]) <= set(after[table]), f"a row of {table} changed"
        else:
            assert before[table] == after[table], f"the walk changed {table}"


# --- Fields nobody may set through a form or a request body -------------------------------------------

def _user_row(app, user_id: int) -> tuple:
    with app.app_context():
        u = db.session.get(User, user_id)
        return (u.id, u.email, u.role, u.trusted, u.suspended_indefinitely, u.password_hash)


SERVER_FIELDS = {"id": "999", "role": "admin", "trusted": "y", "status": "published", "creator": "1",
                 "author_id": "1", "email": "other@example.org", "session_token": "x" * 64,
                 "suspended_indefinitely": "y", "password_hash": "scrypt:1:1:1$x$y", "is_admin": "1"}


def test_the_profile_form_changes_only_the_profile(app, world, visitor):
    a = world.user("reader_a")
    reader = visitor("reader_a")
    before = _user_row(app, a.id)
    response = reader.open("POST", "/profile", form={
        **SERVER_FIELDS, "display_name": "Dr Reader A Renamed", "profession": "GP", "affiliation": "Clinic",
        "interests_choice": "none"})
    assert response.status_code == 302
    assert _user_row(app, a.id) == before
    with app.app_context():
        assert db.session.get(User, a.id).display_name == "Dr Reader A Renamed"


def test_sign_up_cannot_choose_a_role_trust_or_an_id(app, world, client):
    token = csrf_from(client.get("/sign-up").get_data(as_text=True))
    response = client.post("/sign-up", data={
        **SERVER_FIELDS, "email": "newcomer@example.org", "password": "a long and fresh passphrase",
        "display_name": "Dr Newcomer", "interests_choice": "none", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "newcomer@example.org"))
        assert (user.role.value, user.trusted, user.is_suspended) == ("reader", False, False)
        assert user.id != 999
        # Signing up does not sign in: the new account has no session, whatever the form claimed.
        assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user.id)) == 0


@pytest.mark.parametrize("role", ["reader_b", "moderator"])
def test_an_api_annotation_belongs_to_its_sender_and_waits_as_the_rules_say(app, world, role):
    """Server-managed fields in a posted annotation (creator, status, id, ...) are ignored."""
    from tests.functional.api.conftest import new_annotation

    sender, other = world.user(role), world.user("reader_a")
    forged = new_annotation(app, world.slug, id="http://localhost/api/annotations/999", status="published",
                            creator={"id": other.id, "name": other.name}, author_id=other.id, role="admin",
                            created="2001-01-01T00:00:00Z", moderation_reason="none")
    _, secret = create_token(app, sender)
    response = app.test_client().post(f"/api/articles/{world.slug}/annotations", json=forged,
                                      headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201
    body = response.get_json()
    with app.app_context():
        created = db.session.get(Annotation, int(body["id"].rsplit("/", 1)[1]))
        assert created.id != 999 and created.author_id == sender.id
        # An untrusted reader's public annotation waits for a moderator, whatever it claims.
        assert created.status == (AnnotationStatus.PENDING if role == "reader_b" else AnnotationStatus.PUBLISHED)
    assert body["creator"]["name"] == sender.name


def test_an_api_patch_cannot_change_the_author_status_or_id(app, world):
    a = world.user("reader_a")
    _, secret = create_token(app, a)
    annotation_id = world.ids["a_public"]
    with app.app_context():
        before = db.session.get(Annotation, annotation_id)
        before = (before.author_id, before.status, before.visibility, before.article_id, before.parent_id)
    response = app.test_client().patch(f"/api/annotations/{annotation_id}",
                                       headers={"Authorization": f"Bearer {secret}"},
                                       json={"bodyValue": "Edited text.", "id": "/api/annotations/1",
                                             "creator": {"id": world.ids["reader_b"]},
                                             "author_id": world.ids["reader_b"], "status": "hidden",
                                             "article_id": 999, "parent_id": world.ids["a_private"]})
    assert response.status_code == 200
    with app.app_context():
        after = db.session.get(Annotation, annotation_id)
        assert (after.author_id, after.status, after.visibility, after.article_id, after.parent_id) == before
        assert after.body == "Edited text."


def test_a_reader_never_sees_another_readers_notifications(app, world, visitor):
    from tests.security.conftest import NOTIFICATION_TEXT, count

    assert NOTIFICATION_TEXT in visitor("reader_a").client.get("/notifications").get_data(as_text=True)
    unread_for_a = f"SELECT count(*) FROM notifications WHERE read_at IS NULL AND user_id = {world.ids['reader_a']}"
    before = count(app, unread_for_a)
    assert before >= 1
    reader_b = visitor("reader_b")
    assert NOTIFICATION_TEXT not in reader_b.client.get("/notifications").get_data(as_text=True)
    assert reader_b.open("POST", "/notifications/read").status_code == 303
    assert count(app, unread_for_a) == before  # A's are still unread
