"""Security tests: an empty database per test, and a small world of people and objects to attack.

`world` holds ten kinds of visitor (anonymous, two readers, a suspended reader, a moderator, an
admin, a suspended moderator and admin, who may only read like the suspended reader, and a journal
club's moderator and owner) and objects that belong to some of them: reader A's private, public and
draft-article annotations, reader B's pending annotation, the moderator's own pending annotation, a
draft article, a study, reader A's API token and notification; and a journal club ("club", by
invitation, owned by the group owner, with the group moderator and reader A as its members): reader
A's note and flagged note in it, a session to come and one that has started, and invitations. Reader
B, the suspended reader and the site's moderator and admin are outside the club. `visitor` gives a test client acting as
one of them (signed in through the real form), and `snapshot` captures every row of every table so
that a test can prove a refused request changed nothing.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AnnotationKind, AnnotationStatus, User, Visibility
from tests.conftest import AuthActions, csrf_from

ROLES = ("anonymous", "reader_a", "reader_b", "suspended", "moderator", "admin", "suspended_moderator",
         "suspended_admin", "group_moderator", "group_owner")
QUOTE = "TMEM sites"
OTHER_QUOTE = "rebastinib, a TIE2 inhibitor"
DRAFT_SLUG = "embargoed-draft"
DRAFT_BODY = "An embargoed commentary about TMEM sites and what they mean for treatment.\n"
NOTIFICATION_TEXT = "Only reader A may read this notification."
_tags = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield


@dataclass
class World:
    """The people and objects of a security test, by name; ids are plain integers."""

    app: object
    make: object
    users: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    slug: str = ""

    def user(self, role: str):
        return self.users[role]

    def fresh(self, name: str) -> int:
        """Create a new object of the kind `name` names (for requests that would use one up)."""
        if name in ("a_public", "a_private"):
            visibility = Visibility.PUBLIC if name == "a_public" else Visibility.PRIVATE
            return self.make.annotation(self.users["reader_a"], self.slug, QUOTE, body="A fresh note.",
                                        visibility=visibility)
        if name == "a_token":
            return create_token(self.app, self.users["reader_a"])[0]
        if name == "m_reply":
            question = self.make.annotation(self.users["reader_a"], self.slug, QUOTE, body="A fresh question?",
                                            kind=AnnotationKind.QUESTION)
            return self.make.reply(self.users["moderator"], question, "A fresh answer.")
        if name == "a_follow":
            return _follow_tag(self.app, self.users["reader_a"])
        if name == "open_club":
            return self.make.group(self.users["group_owner"], f"Open club {next(_tags)}", policy="open")[1]
        if name == "club_fresh":
            return self.make.group(self.users["group_owner"], f"Fresh club {next(_tags)}",
                                   members=[self.users["reader_a"]], moderators=[self.users["group_moderator"]])[1]
        if name == "g_invitation":
            return self.make.invitation(self.ids["club_id"], self.users["group_owner"])[0]
        raise KeyError(name)


def create_token(app, user) -> tuple[int, str]:
    """Issue an API token for `user`; return its id and secret.

    A suspended account cannot create one (suspension also revokes those it had); for it the token
    is written straight to the database, as if one had slipped through, so that tests can prove
    such a token still only reads.
    """
    from app.models import ApiToken
    from app.models.base import utcnow
    from app.services import tokens

    with app.app_context():
        account = db.session.get(User, user.id)
        if account.is_suspended:
            secret = tokens.TOKEN_PREFIX + f"slipped-through-{account.id}-" + "x" * 32
            token = ApiToken(user_id=account.id, name="security test", digest=tokens.digest(secret),
                             prefix=secret[:tokens.SHOWN_PREFIX_LENGTH], created_at=utcnow())
            db.session.add(token)
        else:
            token, secret = tokens.create(account, "security test")
        db.session.commit()
        return token.id, secret


def _suspend(app, user, admin) -> None:
    from app.services import sanctions

    with app.app_context():
        sanctions.suspend(db.session.get(User, user.id), db.session.get(User, admin.id), "Testing suspension")
        db.session.commit()


def _draft_article(app) -> None:
    from app.models import ArticleStatus
    from app.services import articles

    with app.app_context():
        articles.save_article(articles.ArticleInput(title="An embargoed draft", body=DRAFT_BODY, slug=DRAFT_SLUG),
                              editor=None, status=ArticleStatus.DRAFT)
        db.session.commit()


def _follow_tag(app, user) -> int:
    """Have `user` follow a new tag; return the follow's id."""
    from app.services import follows

    with app.app_context():
        row = follows.follow(db.session.get(User, user.id), "tag", f"tag {next(_tags)}")
        db.session.commit()
        return row.id


def _unsubscribe_token(app, user) -> str:
    from app.mail.unsubscribe import make_token

    with app.app_context():
        return make_token(user.id, "reply")


def _notify(app, user, annotation_id: int) -> int:
    from app.models import Notification

    with app.app_context():
        note = Notification(user_id=user.id, kind="reply", annotation_id=annotation_id, message=NOTIFICATION_TEXT)
        db.session.add(note)
        db.session.commit()
        return note.id


@pytest.fixture
def world(app, make) -> World:
    """Build the people and objects every security test can use."""
    from app.models import Study

    w = World(app=app, make=make)
    w.users = {"reader_a": make.user(name="Dr Reader A", trusted=True), "reader_b": make.user(name="Dr Reader B"),
               "suspended": make.user(name="Dr Suspended", trusted=True),
               "moderator": make.user(role="moderator", name="Dr Moderator"),
               "admin": make.user(role="admin", name="Dr Admin"),
               "suspended_moderator": make.user(role="moderator", name="Dr Suspended Moderator"),
               "suspended_admin": make.user(role="admin", name="Dr Suspended Admin"),
               "group_moderator": make.user(name="Dr Group Moderator"),
               "group_owner": make.user(name="Dr Group Owner")}
    w.slug = make.demo_article()
    _draft_article(app)
    a, b = w.users["reader_a"], w.users["reader_b"]
    w.ids = {
        "a_private": make.annotation(a, w.slug, QUOTE, body="A's private note.", visibility=Visibility.PRIVATE),
        "a_public": make.annotation(a, w.slug, QUOTE, body="A's public comment."),
        "a_draft": make.annotation(a, DRAFT_SLUG, QUOTE, body="A's comment on the draft."),
        "b_pending": make.annotation(b, w.slug, OTHER_QUOTE, body="B's comment waiting for a moderator.",
                                     status=AnnotationStatus.PENDING),
        "m_pending": make.annotation(w.users["moderator"], w.slug, OTHER_QUOTE, body="The moderator's own comment.",
                                     status=AnnotationStatus.PENDING),
    }
    # A's question, answered by the moderator (so that reader B still has no public work).
    w.ids["a_question"] = make.annotation(a, w.slug, QUOTE, body="A's question?", kind=AnnotationKind.QUESTION)
    w.ids["m_reply"] = make.reply(w.users["moderator"], w.ids["a_question"], "The moderator's answer.")
    w.ids["unsub_a"] = _unsubscribe_token(app, a)
    w.ids["a_token"] = create_token(app, a)[0]
    w.ids["a_notification"] = _notify(app, a, w.ids["a_public"])
    _journal_club(w)
    for role in ("suspended", "suspended_moderator", "suspended_admin"):
        _suspend(app, w.users[role], w.users["admin"])
    with app.app_context():
        w.ids["study"] = db.session.scalar(select(Study.id).order_by(Study.id))
        w.ids["reader_a"], w.ids["reader_b"] = a.id, b.id
    return w


GROUP_QUOTE = "increased expression of TIE2, the angiopoietin receptor"


def _journal_club(w: World) -> None:
    """Give the world its journal club, with reader A's notes in it, two sessions and invitations."""
    make, a, owner = w.make, w.users["reader_a"], w.users["group_owner"]
    club_id, w.ids["club"] = make.group(owner, "The club", members=[a], moderators=[w.users["group_moderator"]])
    w.ids["club_id"] = club_id
    w.ids["g_note"] = make.annotation(a, w.slug, GROUP_QUOTE, body="A's note for the club only.", group_id=club_id)
    w.ids["g_flagged"] = make.annotation(a, w.slug, GROUP_QUOTE, body="A's flagged note in the club.",
                                         group_id=club_id)
    make.flag(w.users["group_moderator"], w.ids["g_flagged"], reason="off_topic")
    w.ids["g_session"] = make.session(club_id, owner, w.slug, title="A session to come")
    w.ids["g_past"] = make.session(club_id, owner, w.slug, starts_in_minutes=-90, title="A session that started",
                                   prompts=[(GROUP_QUOTE, "What would TIE2 staining change?")])
    w.ids["g_token"] = make.invitation(club_id, owner)[1]
    w.ids["g_used_token"] = make.invitation(club_id, owner, used_by=w.users["reader_b"])[1]
    w.ids["g_email_token"] = make.invitation(club_id, owner, email="someone.else@example.org")[1]


class Visitor:
    """A test client acting as one kind of visitor, with the CSRF token of its session."""

    def __init__(self, app, user=None):
        self.app = app
        self.user = user
        self.client = app.test_client()
        if user is not None:
            response = AuthActions(self.client).sign_in(user.email, user.password)
            assert response.status_code == 302, f"could not sign in {user.email}"
        self.csrf = csrf_from(self.client.get("/" if user is not None else "/sign-in").get_data(as_text=True))

    def open(self, method: str, path: str, *, form: dict | None = None, json=None, headers: dict | None = None,
             csrf: bool | str = True):
        """Send a request the way Postil's own pages would: with this session's CSRF token in the form,
        or in the X-CSRFToken header for the API and scripts; `csrf` False sends none, a string sends that."""
        headers = dict(headers or {})
        data = dict(form) if form is not None else None
        token = self.csrf if csrf is True else csrf
        if method != "GET" and token:
            if path.startswith("/api/") or json is not None:
                headers.setdefault("X-CSRFToken", token)
            else:
                data = {"csrf_token": token, **(data or {})}
        return self.client.open(path, method=method, data=data, json=json, headers=headers)


@pytest.fixture
def visitor(app, world):
    """Return a Visitor for a role of the world ("anonymous" is signed out)."""

    def as_role(role: str) -> Visitor:
        return Visitor(app, None if role == "anonymous" else world.user(role))

    return as_role


def table_rows(exclude: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Return every row of every table (columns named table.column in `exclude` left out), sorted."""
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if f"{table.name}.{c.name}" not in exclude]
        result = db.session.execute(select(*columns)).all()
        rows[table.name] = sorted(tuple(map(repr, r)) for r in result)
    db.session.remove()
    return rows


@pytest.fixture
def snapshot(app):
    """Return a function capturing the whole database (see table_rows)."""

    def take(exclude: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
        with app.app_context():
            return table_rows(exclude)

    return take


def count(app, sql: str) -> int:
    """Run a COUNT query (plain SQL, for assertions)."""
    with app.app_context():
        return db.session.execute(text(sql)).scalar()
