"""A signed-in reader's article page is kept whole for their session, and never outlives what it shows.

The page a session was last sent is answered again before Flask runs while the article's key and
the reader's fingerprint (their session, account, visit, votes, follows, clubs and counts) match
the database. Each test changes one thing the page shows and checks that the very next request
shows it, and that nothing kept for one session reaches another.
"""
from __future__ import annotations

import gzip
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from app.extensions import db
from app.models import Annotation, Notification, User, UserSession
from app.models import Role as UserRole
from app.models.base import utcnow
from app.services import follows, helpful
from app.services.shared_pages import page_cache
from tests.functional.test_page_delivery import BROWSER, QUOTE, _get, _shown, _signed_in, cast, plant_secrets


@pytest.fixture
def world(app, make):
    """The demo article with a public question, its author, a reader, a moderator and an admin; no page cached."""
    people = cast(make)
    page_cache.clear()
    return {**people, "path": f"/articles/{people['slug']}"}


def _kept(app, world, who: str, views):
    """Sign `who` in and open the article until their page is kept; return the client and the page."""
    client = _signed_in(app, world[who])
    _get(client, world["path"], BROWSER)  # the first view after signing in sets the session's cookie
    response, html = _get(client, world["path"], BROWSER)
    assert "Set-Cookie" not in response.headers
    views.clear()
    again, again_html = _get(client, world["path"], BROWSER)
    assert views == [] and again_html == html, "the page should have been kept for the session"
    return client, html


@pytest.mark.parametrize("who", ["reader", "moderator", "admin"])
def test_a_repeat_signed_in_view_is_answered_from_the_kept_page_exactly_as_the_view_answers(app, world, views, who):
    client = _signed_in(app, world[who])
    _get(client, world["path"], BROWSER)
    first, first_html = _get(client, world["path"], BROWSER)
    views.clear()
    for _ in range(3):
        again, again_html = _get(client, world["path"], BROWSER)
        assert again.status_code == 200 and again_html == first_html
        assert again.get_data() == first.get_data()
        assert {k: v for k, v in again.headers.items() if k != "Date"} == {
            k: v for k, v in first.headers.items() if k != "Date"}
    assert views == []
    assert world[who].name in first_html and 'name="csrf-token"' in first_html


def _as_app(app, change):
    with app.app_context():
        change()
        db.session.commit()


def _user(world, who):
    return db.session.get(User, world[who].id)


def test_the_readers_own_votes_and_follows_show_at_once(app, world, views):
    client, html = _kept(app, world, "reader", views)
    assert _shown(html, "data-unvote", world["question"]) is False and "Follow this article" in html
    _as_app(app, lambda: helpful.vote(db.session.get(Annotation, world["question"]), _user(world, "reader")))
    html = _get(client, world["path"], BROWSER)[1]
    assert _shown(html, "data-unvote", world["question"]) is True
    _as_app(app, lambda: follows.follow(_user(world, "reader"), "article", str(db.session.get(
        Annotation, world["question"]).article_id)))
    html = _get(client, world["path"], BROWSER)[1]
    assert "Following this article" in html
    _as_app(app, lambda: follows.follow(_user(world, "reader"), "thread", str(world["question"])))
    assert _shown(_get(client, world["path"], BROWSER)[1], "data-unfollow", world["question"]) is True


def test_a_new_notification_and_a_new_item_waiting_for_moderators_show_in_the_header_at_once(app, world, views, make):
    reader, _ = _kept(app, world, "reader", views)
    moderator, html = _kept(app, world, "moderator", views)
    assert "waiting)" not in html
    _as_app(app, lambda: db.session.add(Notification(user_id=world["reader"].id, kind="reply",
                                                     message="Dr Wri Ter replied to you")))
    assert "(1 unread)" in _get(reader, world["path"], BROWSER)[1]
    make.flag(world["reader"], world["question"], reason="off_topic")
    assert "(1 waiting)" in _get(moderator, world["path"], BROWSER)[1]


def test_a_change_to_the_account_shows_at_once(app, world, views):
    client, html = _kept(app, world, "reader", views)
    assert 'href="/moderation' not in html

    def promote():
        _user(world, "reader").role = UserRole.MODERATOR
    _as_app(app, promote)
    html = _get(client, world["path"], BROWSER)[1]
    assert "waiting)" in html or ">Moderation<" in html

    def rename():
        _user(world, "reader").display_name = "Dr Renamed Reader"
    _as_app(app, rename)
    assert "Dr Renamed Reader" in _get(client, world["path"], BROWSER)[1]


def test_a_suspended_admin_loses_the_admins_switches_at_once(app, world, views, make):
    moved = make.annotation(world["author"], world["slug"], QUOTE, body="Passage that needs checking.")
    _as_app(app, lambda: db.session.execute(update(Annotation).where(Annotation.id == moved)
                                            .values(anchor_state="reworded")))
    client, html = _kept(app, world, "admin", views)
    assert _shown(html, "data-check", moved) is True and "Manage articles" in html

    def suspend():
        _user(world, "admin").suspended_until = utcnow() + timedelta(days=1)
    _as_app(app, suspend)
    html = _get(client, world["path"], BROWSER)[1]
    assert _shown(html, "data-check", moved) is False and "Manage articles" not in html


def test_joining_a_club_and_its_renaming_show_in_the_layer_switch_at_once(app, world, views, make):
    client, html = _kept(app, world, "reader", views)
    club, _slug = make.group(world["author"], "Thursday oncology club")
    make.join(club, world["reader"])
    assert "Thursday oncology club" in _get(client, world["path"], BROWSER)[1]

    def rename():
        from app.models import Group
        db.session.get(Group, club).name = "Friday oncology club"
    _as_app(app, rename)
    html = _get(client, world["path"], BROWSER)[1]
    assert "Friday oncology club" in html and "Thursday oncology club" not in html


def test_a_new_annotation_by_anyone_shows_at_once(app, world, views, make):
    client, _ = _kept(app, world, "reader", views)
    make.annotation(world["author"], world["slug"], QUOTE, body="A NEW COMMENT BY THE AUTHOR")
    assert "A NEW COMMENT BY THE AUTHOR" in _get(client, world["path"], BROWSER)[1]


def test_a_session_ended_elsewhere_never_gets_its_kept_page_again(app, world, views, make):
    client, html = _kept(app, world, "reader", views)
    make.end_sessions(world["reader"])
    response, html = _get(client, world["path"], BROWSER)
    assert views and response.status_code == 200
    assert "Dr Rea Der" not in html and 'name="csrf-token"' not in html and "Sign in" in html


def test_an_expired_session_gets_no_kept_page_even_with_nothing_committed(app, world, views):
    client, _ = _kept(app, world, "reader", views)
    with app.app_context():  # the session is to end in a second
        db.session.execute(update(UserSession).where(UserSession.user_id == world["reader"].id)
                           .values(expires_at=utcnow() + timedelta(seconds=1)))
        db.session.commit()
    _get(client, world["path"], BROWSER)  # rendered again, and kept until the session's end
    views.clear()
    assert "Dr Rea Der" in _get(client, world["path"], BROWSER)[1] and views == []
    time.sleep(1.1)  # nothing is committed meanwhile
    html = _get(client, world["path"], BROWSER)[1]
    assert views and "Dr Rea Der" not in html and "Sign in" in html


def test_the_visit_is_recorded_again_once_a_minute_has_passed(app, world, views, monkeypatch):
    from app.main import fast_pages
    from app.models import ArticleVisit

    client, _ = _kept(app, world, "reader", views)
    with app.app_context():
        seen = db.session.scalar(db.select(ArticleVisit.last_seen_at).where(
            ArticleVisit.user_id == world["reader"].id))
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(fast_pages, "utcnow", lambda: later)
    monkeypatch.setattr("app.services.visits.utcnow", lambda: later)
    _get(client, world["path"], BROWSER)
    assert views, "a page kept past the visit's next write should have been rendered again"
    with app.app_context():
        assert db.session.scalar(db.select(ArticleVisit.last_seen_at).where(
            ArticleVisit.user_id == world["reader"].id)) > seen


def test_a_kept_page_never_reaches_another_session_or_another_browser(app, world, views):
    client, html = _kept(app, world, "reader", views)
    other, other_html = _kept(app, world, "moderator", views)
    assert "Dr Rea Der" in html and "Dr Mod Erator" not in html
    assert "Dr Mod Erator" in other_html and "Dr Rea Der" not in other_html
    # The same cookie from another browser is the app's to answer (its session protection sees it).
    _get(client, world["path"], BROWSER, **{"User-Agent": "Another browser/1.0"})
    assert views
    # The reader's second session (another sign-in) has its own page and its own token.
    second, second_html = _kept(app, world, "reader", views)
    assert re.search(r'name="csrf-token" content="([^"]+)"', second_html).group(1) != re.search(
        r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_pages_rendered_for_one_request_are_never_kept(app, world, views, make):
    plant_secrets(make, world["author"], world["reader"], world["slug"])
    author = _signed_in(app, world["author"])
    for _ in range(3):  # the author's own private, pending and hidden notes: rendered for them each time
        html = _get(author, world["path"], BROWSER)[1]
        assert "PRIVATE-NOTE-TEXT" in html
    reader = _signed_in(app, world["reader"])
    for accept in ("identity", None):  # kept only as gzip
        _get(reader, world["path"], accept)
        views.clear()
        _get(reader, world["path"], accept)
        assert views
    kept = [entry for key, entry in page_cache.items.items() if key[0] == "reader-page"]
    assert all(b"PRIVATE-NOTE-TEXT" not in gzip.decompress(entry.body) for entry in kept)


def test_a_page_that_showed_a_message_is_not_kept(app, world, views):
    client, _ = _kept(app, world, "reader", views)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your reply was saved.")]
    response, html = _get(client, world["path"], BROWSER)
    assert "Your reply was saved." in html and views
    views.clear()
    response, html = _get(client, world["path"], BROWSER)
    assert "Your reply was saved." not in html


class _AllStatements:
    """Record every statement any engine sends (the middleware reads on a connection of its own)."""

    def __init__(self):
        self.statements = []

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self.record)
        return self.statements

    def __exit__(self, *exc):
        event.remove(Engine, "before_cursor_execute", self.record)

    def record(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)


# What each database answers cheaply when asked whether anything was committed since it last said.
_CHANGE_MARKERS = ("PRAGMA data_version", "SELECT pg_current_snapshot()")


def test_a_kept_page_costs_no_query_while_nothing_is_committed_and_one_after(app, world, views, make):
    client, _ = _kept(app, world, "admin", views)
    with _AllStatements() as statements:
        _get(client, world["path"], BROWSER)
    checks = [s for s in statements if not s.startswith(_CHANGE_MARKERS)]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert checks == [] and len(statements) == 1
    else:
        # PostgreSQL's snapshot moves with any transaction of the server's (autovacuum's too): then,
        # and only then, the fingerprint is read again.
        assert len(checks) <= 1 and len(statements) == 1 + len(checks)
    make.user(name="Dr Someone Else")  # a commit that changes nothing on the page
    with _AllStatements() as statements:
        _get(client, world["path"], BROWSER)
    assert views == []
    # The marker, then the fingerprint (the page key included), and nothing else.
    assert len([s for s in statements if not s.startswith(_CHANGE_MARKERS)]) == 1 and len(statements) == 2


def test_an_annotation_landing_while_a_page_is_drawn_is_on_the_next_page(app, world, views, monkeypatch, make):
    """A change committed after the view read the page key, just before the fingerprint, is never hidden.

    The shared content for the old key is cached, so a page drawn from it must not be kept under a
    fingerprint that already counts the change (PostgreSQL reads each statement afresh).
    """
    from app.services import reader_pages

    read = reader_pages.Fingerprint.read

    def change_then_read(connection, check):
        make.annotation(world["author"], world["slug"], QUOTE, body="LANDED WHILE DRAWN")
        return read(connection, check)

    client, _ = _kept(app, world, "reader", views)
    for key in [key for key in page_cache.items if key[0] == "reader-page"]:
        page_cache.discard(key)  # the shared content stays cached
    monkeypatch.setattr(reader_pages.Fingerprint, "read", staticmethod(change_then_read))
    _get(client, world["path"], BROWSER)
    monkeypatch.setattr(reader_pages.Fingerprint, "read", staticmethod(read))
    assert "LANDED WHILE DRAWN" in _get(client, world["path"], BROWSER)[1]


@pytest.mark.parametrize("who", ["reader", "moderator", "admin"])
def test_what_is_hidden_or_made_private_after_a_page_was_kept_leaves_it_at_once(app, world, views, make, who):
    from app.models import Visibility
    from app.services import moderation
    from app.services.articles import bump_display

    reply = make.reply(world["reader"] if who != "reader" else world["moderator"], world["question"],
                       body="A REPLY SOON HIDDEN")
    note = make.annotation(world["author"], world["slug"], QUOTE, body="A NOTE SOON PRIVATE")
    client, html = _kept(app, world, who, views)
    assert "A REPLY SOON HIDDEN" in html and "A NOTE SOON PRIVATE" in html
    with app.app_context():
        moderation.transition(db.session.get(Annotation, reply), "hide", _user(world, "admin"), reason="Off topic")
        db.session.commit()
    html = _get(client, world["path"], BROWSER)[1]
    assert "A REPLY SOON HIDDEN" not in html
    with app.app_context():  # as the author's edit does: the note, then the article's display revision
        db.session.get(Annotation, note).visibility = Visibility.PRIVATE
        bump_display(db.session.get(Annotation, note).article_id)
        db.session.commit()
    assert "A NOTE SOON PRIVATE" not in _get(client, world["path"], BROWSER)[1]
