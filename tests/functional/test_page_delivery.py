"""The article page is sent compressed as browsers ask, revalidated by ETag, and no cached or
compressed variant ever gives a reader anything they may not read.

Every visibility rule (private notes, pending, hidden and removed annotations, a journal club's
annotations, draft articles) is checked in every coding the page is sent in: the anonymous page
pre-compressed in Brotli and gzip (and decompressed for readers who accept neither), and the
signed-in page joined from cached gzip blocks, for readers, moderators and admins, whoever filled
the cache first.
"""
from __future__ import annotations

import gzip
import re

import brotli
import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, ArticleStatus, Visibility
from app.models import Role as UserRole
from app.services.shared_pages import page_cache
from tests.conftest import AuthActions, csrf_from

QUOTE = "increased expression of TIE2, the angiopoietin receptor"
OTHER_QUOTE = "are the models used really representative of the spectrum of human tumors?"
BROWSER = "gzip, deflate, br"
CODINGS = {"br": "br", "gzip": "gzip", "identity": "identity", None: "identity"}
SECRETS = ("PRIVATE-NOTE-TEXT", "PENDING-TEXT", "HIDDEN-TEXT", "REMOVED-TEXT", "CLUB-TEXT")


def plant_secrets(make, author, reader, slug: str) -> None:
    """Write, as `author` on `slug`, one annotation in each state `reader` may never see: SECRETS in order.

    A private note, a pending, a hidden and a removed annotation, and a note in a journal club
    that `reader` belongs to (read only in the club's layer, never on the public page).
    """
    make.annotation(author, slug, QUOTE, body=SECRETS[0], visibility=Visibility.PRIVATE)
    make.annotation(author, slug, QUOTE, body=SECRETS[1], status=AnnotationStatus.PENDING)
    make.annotation(author, slug, QUOTE, body=SECRETS[2], status=AnnotationStatus.HIDDEN)
    make.annotation(author, slug, QUOTE, body=SECRETS[3], status=AnnotationStatus.REMOVED)
    club, _ = make.group(author, "Club of secrets", members=[reader])
    make.annotation(author, slug, QUOTE, body=SECRETS[4], group_id=club)


def _get(client, path: str, accept: str | None, **headers):
    """GET `path` asking for `accept`; return the response and its text, decoded as its Content-Encoding says."""
    if accept is not None:
        headers["Accept-Encoding"] = accept
    response = client.get(path, headers=headers)
    data = response.get_data()
    coding = response.headers.get("Content-Encoding")
    if coding == "br":
        data = brotli.decompress(data)
    elif coding == "gzip":
        data = gzip.decompress(data)
    else:
        assert coding is None
    return response, data.decode()


def _without_tokens(html: str) -> str:
    return re.sub(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"', r"\1", html)


def _signed_in(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def cast(make) -> dict:
    """The demo article, its author's public question on it, and a reader, a moderator and an admin (trusted)."""
    slug = make.demo_article()
    author = make.user(name="Dr Wri Ter", trusted=True)
    people = {"author": author, "reader": make.user(name="Dr Rea Der", trusted=True),
              "moderator": make.user(UserRole.MODERATOR, name="Dr Mod Erator", trusted=True),
              "admin": make.user(UserRole.ADMIN, name="Dr Ad Min", trusted=True)}
    question = make.annotation(author, slug, OTHER_QUOTE, body="Are these models representative?",
                               kind=AnnotationKind.QUESTION)
    return {"slug": slug, "question": question, **people}


@pytest.fixture
def world(app, make):
    """The demo article with a public question and reply, and one annotation under every rule that hides it."""
    people = cast(make)
    slug, author, reader, question = people["slug"], people["author"], people["reader"], people["question"]
    reply = make.reply(reader, question, body="Mostly, for breast cancer.")
    moved = make.annotation(author, slug, QUOTE, body="Passage that needs checking.")
    plant_secrets(make, author, reader, slug)
    with app.app_context():
        db.session.execute(update(Annotation).where(Annotation.id == moved).values(anchor_state="reworded"))
        db.session.commit()
    page_cache.clear()
    return {**people, "reply": reply, "moved": moved}


def _leaks(html: str) -> list[str]:
    return [secret for secret in SECRETS if secret in html]


def test_the_anonymous_page_is_the_same_in_every_coding_and_revalidates_by_a_strong_etag_per_coding(client, world):
    path = f"/articles/{world['slug']}"
    pages, etags = {}, {}
    for accept, coding in [(BROWSER, "br"), ("gzip, deflate", "gzip"), ("identity", "identity"), (None, "identity")]:
        response, html = _get(client, path, accept)
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding", "identity") == coding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-cache"
        etag, weak = response.get_etag()
        assert etag and not weak
        pages[coding], etags[coding] = html, etag
    assert pages["br"] == pages["gzip"] == pages["identity"]
    assert "Are these models representative?" in pages["br"]
    assert len(set(etags.values())) == 3
    # The browser's copy is still good: 304 without a body, for the coding it holds.
    response = client.get(path, headers={"Accept-Encoding": BROWSER, "If-None-Match": f'"{etags["br"]}"'})
    assert response.status_code == 304 and response.get_data() == b""
    assert response.get_etag() == (etags["br"], False)
    # A copy in another coding is not this variant: the page comes in full.
    response, html = _get(client, path, BROWSER, **{"If-None-Match": f'"{etags["gzip"]}"'})
    assert response.status_code == 200 and html == pages["br"]
    # A reader-visible change makes the browser's copy stale.
    with client.application.app_context():
        db.session.execute(update(Annotation).where(Annotation.id == world["reply"])
                           .values(status=AnnotationStatus.HIDDEN))
        db.session.execute(update(Article).where(Article.slug == world["slug"])
                           .values(display_rev=Article.display_rev + 1))
        db.session.commit()
    response, html = _get(client, path, BROWSER, **{"If-None-Match": f'"{etags["br"]}"'})
    assert response.status_code == 200 and "Mostly, for breast cancer." not in html


@pytest.mark.parametrize("who", ["author", "reader", "moderator", "admin"])
def test_a_signed_in_page_in_gzip_is_the_same_page_as_without_compression(app, world, who):
    client = _signed_in(app, world[who])
    path = f"/articles/{world['slug']}"
    _get(_signed_in(app, world["reader"]), path, BROWSER)  # someone else fills the shared cache
    response, zipped = _get(client, path, BROWSER)
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    _, plain = _get(client, path, "identity")
    assert _without_tokens(zipped) == _without_tokens(plain)


def _shown(html: str, attribute: str, annotation_id: int) -> bool | None:
    """Tell whether the element carrying `attribute`="id" is shown (None: there is none)."""
    match = re.search(rf'{attribute}="{annotation_id}"( hidden)?>', html)
    return None if match is None else match.group(1) is None


def test_each_role_gets_its_own_switches_from_the_shared_content_and_never_another_roles(app, world):
    path = f"/articles/{world['slug']}"
    for first in ("admin", "moderator", "reader"):
        page_cache.clear()
        _get(_signed_in(app, world[first]), path, BROWSER)  # fills the shared content
        pages = {who: _get(_signed_in(app, world[who]), path, accept)[1]
                 for who in ("reader", "moderator", "admin") for accept in (BROWSER,)}
        # Accepting an answer: the asker (the author) and moderators only.
        assert _shown(pages["moderator"], "data-asker", world["question"]) is True
        assert _shown(pages["admin"], "data-asker", world["question"]) is True
        assert _shown(pages["reader"], "data-asker", world["question"]) is False
        # Re-attaching another's annotation whose passage changed: admins only.
        assert _shown(pages["admin"], "data-check", world["moved"]) is True
        assert _shown(pages["moderator"], "data-check", world["moved"]) is False
        assert _shown(pages["reader"], "data-check", world["moved"]) is False
        # Editing: the reply's author only.
        assert _shown(pages["reader"], "data-own", world["reply"]) is True
        assert _shown(pages["moderator"], "data-own", world["reply"]) is False


@pytest.mark.parametrize("accept", [BROWSER, "gzip", "identity", None])
def test_no_coding_of_any_cached_page_holds_what_the_reader_may_not_read(app, world, accept):
    path = f"/articles/{world['slug']}"
    # The author's page holds their own notes, rendered for them alone; everyone else's comes from the cache.
    _, own = _get(_signed_in(app, world["author"]), path, accept)
    assert {"PRIVATE-NOTE-TEXT", "PENDING-TEXT", "HIDDEN-TEXT"} <= set(_leaks(own))
    for who in (None, "reader", "moderator", "admin"):
        client = app.test_client() if who is None else _signed_in(app, world[who])
        for _ in range(2):  # filling the cache, then from it
            response, html = _get(client, path, accept)
            assert response.status_code == 200 and "Are these models representative?" in html
            assert _leaks(html) == [], who
    assert "CLUB-TEXT" not in " ".join(str(getattr(v, "html", v)) for v in page_cache.items.values())
    assert _leaks(" ".join(str(getattr(v, "html", v)) for v in page_cache.items.values())) == []


def test_a_cached_article_turned_back_into_a_draft_is_gone_in_every_coding(app, world):
    path = f"/articles/{world['slug']}"
    readers = [app.test_client(), _signed_in(app, world["reader"]), _signed_in(app, world["admin"])]
    for client in readers:
        for accept in (BROWSER, "gzip", None):
            assert _get(client, path, accept)[0].status_code == 200
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == world["slug"]))
        article.status = ArticleStatus.DRAFT
        db.session.commit()
    for client in readers:
        for accept in (BROWSER, "gzip", None):
            response, html = _get(client, path, accept)
            assert response.status_code == 404 and "Are these models representative?" not in html


def test_a_repeat_anonymous_view_is_answered_from_the_cache_exactly_as_the_view_answers(app, world, views):
    client, path = app.test_client(), f"/articles/{world['slug']}"
    for accept in (BROWSER, "gzip", None):
        first, first_html = _get(client, path, accept)
        again, again_html = _get(client, path, accept)
        assert again_html == first_html and again.status_code == 200
        same = {k: v for k, v in first.headers.items() if k != "Date"}
        assert {k: v for k, v in again.headers.items() if k != "Date"} == same
        response = client.get(path, headers={"Accept-Encoding": accept or "", "If-None-Match": first.headers["ETag"]})
        assert response.status_code == 304 and response.headers["ETag"] == first.headers["ETag"]
        assert response.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert views == [world["slug"]]  # rendered once; every other answer came from the cache


def test_what_a_moderator_hides_leaves_the_cached_anonymous_page_at_once(app, world, views):
    from app.models import User
    from app.services import moderation

    client, path = app.test_client(), f"/articles/{world['slug']}"
    assert "Mostly, for breast cancer." in _get(client, path, BROWSER)[1]
    assert "Mostly, for breast cancer." in _get(client, path, BROWSER)[1]
    with app.app_context():
        reply = db.session.get(Annotation, world["reply"])
        moderation.transition(reply, "hide", db.session.get(User, world["moderator"].id), reason="Off topic")
        db.session.commit()
    for accept in (BROWSER, "gzip", None):
        response, html = _get(client, path, accept)
        assert response.status_code == 200 and "Mostly, for breast cancer." not in html
    assert len(views) == 2


def test_signed_in_readers_query_strings_and_unpublished_articles_go_to_the_app(app, world, views):
    path = f"/articles/{world['slug']}"
    anonymous = app.test_client()
    _get(anonymous, path, BROWSER)
    reader = _signed_in(app, world["reader"])
    views.clear()
    response, html = _get(reader, path, BROWSER)
    assert views and "Sign in to reply" not in html
    views.clear()
    _get(anonymous, f"{path}?kind=question", BROWSER)
    assert views
    with app.app_context():
        db.session.execute(update(Article).where(Article.slug == world["slug"]).values(status=ArticleStatus.DRAFT))
        db.session.commit()
    assert _get(anonymous, path, BROWSER)[0].status_code == 404


def test_a_page_echoing_the_query_beside_the_csrf_token_is_never_compressed(app, world):
    """Compressing a secret with words an attacker picks lets the size betray the secret (BREACH)."""
    client = _signed_in(app, world["author"])  # their own private note: the page is rendered for them
    path = f"/articles/{world['slug']}"
    response, html = _get(client, path, BROWSER)
    assert response.headers["Content-Encoding"] == "gzip" and 'name="csrf-token"' in html
    response, html = _get(client, f"{path}?q=representative", BROWSER)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert 'value="representative"' in html and 'name="csrf-token"' in html


def test_an_annotation_saved_by_the_pages_script_is_on_every_cached_page_at_once(app, world, views):
    path, body = f"/articles/{world['slug']}", "NEW-ANNOTATION-TEXT"
    anonymous, reader = app.test_client(), _signed_in(app, world["reader"])
    for accept in (BROWSER, "gzip", None):  # every cached variant filled first
        _get(anonymous, path, accept)
    page = _get(reader, path, "gzip")[1]
    response = reader.post(f"{path}/annotate", headers={"X-Requested-With": "fetch"}, data={
        "csrf_token": csrf_from(page), "exact": QUOTE, "body": body, "kind": "comment", "visibility": "public"})
    assert response.status_code == 201
    for accept in (BROWSER, "gzip", None):
        assert body in _get(anonymous, path, accept)[1]
    assert body in _get(reader, path, "gzip")[1]
    assert body in _get(_signed_in(app, world["author"]), path, "gzip")[1]
