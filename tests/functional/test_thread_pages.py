"""The article's threads come in pages, every highlight is drawn on each, and cached threads never leak.

Threads beyond the first page are reached through plain links (`?threads=2`), which every
highlight of a thread elsewhere and every permalink lead to; filters page the same way. Shared
renderings (anonymous, signed-in readers) keep each thread's HTML in the fragment cache under a
stamp of what it shows: a change re-renders its own thread only, and no page, role or cached
fragment ever shows an annotation the reader may not read.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article
from app.models import Role as UserRole
from app.services.shared_pages import page_cache
from tests.conftest import AuthActions
from tests.functional.test_page_delivery import QUOTE, SECRETS, plant_secrets


def _signed_in(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _change(app, slug: str, annotation_id: int, **values) -> None:
    """Change an annotation as a service would: the row, then the article's display revision."""
    with app.app_context():
        db.session.execute(update(Annotation).where(Annotation.id == annotation_id).values(**values))
        db.session.execute(update(Article).where(Article.slug == slug).values(display_rev=Article.display_rev + 1))
        db.session.commit()


@pytest.fixture
def threads(app, make, monkeypatch):
    """Five public threads on one passage, two to a page; then one annotation under every rule that hides it."""
    monkeypatch.setitem(app.config, "DISCUSSION_PAGE_THREADS", 2)
    slug = make.demo_article()
    author = make.user(name="Dr Wri Ter", trusted=True)
    reader = make.user(name="Dr Rea Der", trusted=True)
    moderator = make.user(UserRole.MODERATOR, name="Dr Mod Erator", trusted=True)
    admin = make.user(UserRole.ADMIN, name="Dr Ad Min", trusted=True)
    kinds = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.QUESTION, AnnotationKind.COMMENT,
             AnnotationKind.QUESTION]
    ids = [make.annotation(author, slug, QUOTE, body=f"Thread number {n}.", kind=kind)
           for n, kind in enumerate(kinds, start=1)]
    plant_secrets(make, author, reader, slug)
    page_cache.clear()
    return {"slug": slug, "path": f"/articles/{slug}", "ids": ids, "author": author, "reader": reader,
            "moderator": moderator, "admin": admin}


def _highlight_href(html: str, annotation_id: int) -> str:
    match = re.search(rf'<a class="hl-ref[^"]*" data-nc href="([^"]+)" id="hl-{annotation_id}"', html)
    assert match, f"no highlight for {annotation_id}"
    return match.group(1).replace("&amp;", "&")


def test_threads_beyond_the_first_page_are_on_further_pages_and_every_highlight_is_drawn_on_each(client, threads):
    path, ids = threads["path"], threads["ids"]
    first = _text(client, path)
    assert "Thread number 1." in first and "Thread number 2." in first and "Thread number 3." not in first
    assert "Threads 1 to 2 of 5 (page 1 of 3)" in first
    assert f'rel="next" href="{path}?threads=2#discussion"' in first
    second = _text(client, f"{path}?threads=2")
    assert "Thread number 3." in second and "Thread number 4." in second
    assert "Thread number 1." not in second and "Thread number 5." not in second
    assert f'rel="prev" href="{path}#discussion"' in second and f'href="{path}?threads=3#discussion"' in second
    for page in (first, second):
        # Every thread's highlight on every page, each leading to the page that holds its thread.
        assert _highlight_href(page, ids[0]) == f"{path}#a-{ids[0]}"
        assert _highlight_href(page, ids[2]) == f"{path}?threads=2#a-{ids[2]}"
        assert _highlight_href(page, ids[4]) == f"{path}?threads=3#a-{ids[4]}"
    # Any page number gets a page: past the last, the last; unreadable, the first.
    assert "Thread number 5." in _text(client, f"{path}?threads=99999999999999999999")
    assert "Thread number 1." in _text(client, f"{path}?threads=two")


@pytest.mark.parametrize("who", [None, "reader"])
def test_a_permalink_opens_the_page_holding_its_thread(app, make, threads, who):
    client = app.test_client() if who is None else _signed_in(app, threads[who])
    last = threads["ids"][4]
    reply = make.reply(threads["reader"], last, body="A reply on the last page.")
    for target in (last, reply):
        response = client.get(f"/annotations/{target}", follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and f'id="a-{target}"' in html
        assert "A reply on the last page." in html and "Thread number 1." not in html


def test_filters_page_the_same_way_and_keep_their_values(client, threads):
    path, ids = threads["path"], threads["ids"]
    first = _text(client, f"{path}?kind=question")
    assert "Thread number 2." in first and "Thread number 3." in first and "Thread number 5." not in first
    assert f'rel="next" href="{path}?kind=question&amp;threads=2#discussion"' in first
    assert _highlight_href(first, ids[4]) == f"{path}?kind=question&threads=2#a-{ids[4]}"
    second = _text(client, f"{path}?kind=question&threads=2")
    assert "Thread number 5." in second and "Thread number 2." not in second and "Thread number 4." not in second


def _thread_keys(mode: str) -> dict[int, tuple]:
    return {key[2]: key for key in page_cache.items if key[:2] == ("thread", mode)}


def test_a_change_to_one_annotation_renders_its_thread_again_and_reuses_the_others(app, threads):
    path, ids = threads["path"], threads["ids"]
    anonymous, member = app.test_client(), _signed_in(app, threads["reader"])
    _text(anonymous, path)
    _text(member, path)
    before = {mode: _thread_keys(mode) for mode in ("anonymous", "member")}
    assert set(before["anonymous"]) == set(before["member"]) == {ids[0], ids[1]}
    _change(app, threads["slug"], ids[1], body_html="<p>Thread number 2, corrected.</p>", helpful_count=3,
            modified_at=db.func.current_timestamp())
    assert "Thread number 2, corrected." in _text(anonymous, path)
    assert "Thread number 2, corrected." in _text(member, path)
    for mode in ("anonymous", "member"):
        after = _thread_keys(mode)
        assert after[ids[0]] == before[mode][ids[0]], "an unchanged thread was rendered again"
        assert after[ids[1]] != before[mode][ids[1]]


def test_a_reply_hidden_after_its_thread_was_cached_is_gone_from_every_shared_page(app, make, threads):
    path, ids = threads["path"], threads["ids"]
    reply = make.reply(make.user(trusted=True), ids[0], body="A reply soon hidden.")
    clients = [app.test_client(), _signed_in(app, threads["reader"]), _signed_in(app, threads["admin"])]
    for client in clients:
        assert "A reply soon hidden." in _text(client, path)
    _change(app, threads["slug"], reply, status=AnnotationStatus.HIDDEN)
    for client in clients:
        html = _text(client, path)
        assert "Thread number 1." in html and "A reply soon hidden." not in html


def test_anonymous_and_signed_in_threads_are_never_served_to_each_other(app, threads):
    path = threads["path"]
    for first in ("anonymous", "member"):
        page_cache.clear()
        anonymous, member = app.test_client(), _signed_in(app, threads["reader"])
        order = [anonymous, member] if first == "anonymous" else [member, anonymous]
        for client in order:
            _text(client, path)
        anonymous_page, member_page = _text(anonymous, path), _text(member, path)
        assert "Sign in to reply" in anonymous_page and 'data-action="reply"' not in anonymous_page
        assert 'data-action="reply"' in member_page and "Sign in to reply" not in member_page


@pytest.mark.parametrize("page", [1, 2, 3])
def test_no_page_of_threads_nor_cached_thread_holds_what_the_reader_may_not_read(app, make, threads, page):
    path = f"{threads['path']}?threads={page}"
    # A reply waiting for a moderator, in a thread others see: only its author reads it.
    newcomer = make.user(name="Dr New Comer")
    pending = make.reply(newcomer, threads["ids"][2 * page - 2], body="PENDING-REPLY-TEXT")
    _change(app, threads["slug"], pending, status=AnnotationStatus.PENDING)
    own = _text(_signed_in(app, newcomer), path)
    assert "PENDING-REPLY-TEXT" in own
    for who in ("reader", None, "moderator", "admin"):
        client = app.test_client() if who is None else _signed_in(app, threads[who])
        for _ in range(2):  # filling the cache, then from it
            html = _text(client, path)
            assert "Thread number" in html
            assert [s for s in (*SECRETS, "PENDING-REPLY-TEXT") if s in html] == [], who
    cached = " ".join(str(getattr(value, "html", value)) for value in page_cache.items.values())
    assert [s for s in (*SECRETS, "PENDING-REPLY-TEXT") if s in cached] == []
    assert "Thread number" in cached


def test_a_later_page_of_threads_costs_the_same_queries_for_few_annotations_or_many(app, make, threads):
    from tests.functional.test_annotating import count_queries

    path = f"{threads['path']}?threads=2"
    reader = _signed_in(app, threads["reader"])
    reader.get(path)  # the visit is recorded once
    few = [count_queries(app, client, path) for client in (app.test_client(), reader)]
    for number in range(40):
        make.reply(threads["author"], threads["ids"][number % 5], body=f"Reply number {number}.")
    many = [count_queries(app, client, path) for client in (app.test_client(), reader)]
    assert "Reply number 2." in _text(reader, path)
    assert many == few


def test_a_notice_on_a_linked_study_shows_in_its_thread_after_the_thread_was_shown(app, make, threads):
    from datetime import date

    from sqlalchemy import select

    from app.models import NoticeKind, Study, StudyNotice

    with app.app_context():
        study_id = db.session.scalar(select(Study.id).where(Study.citation_key == "karagiannis2017"))
    linked = make.annotation(threads["author"], threads["slug"], QUOTE, body="Thread with a linked study.",
                             study_id=study_id)
    path = f"{threads['path']}?open={linked}"
    clients = [app.test_client(), _signed_in(app, threads["reader"])]
    for client in clients:
        html = _text(client, path)
        assert "Thread with a linked study." in html and "Retracted 16 May 2026" not in html
    with app.app_context():
        db.session.add(StudyNotice(study_id=study_id, kind=NoticeKind.RETRACTION, notice_key="10.5555/notice",
                                   notice_date=date(2026, 5, 16), source="Retraction Watch"))
        db.session.execute(update(Article).where(Article.slug == threads["slug"])
                           .values(display_rev=Article.display_rev + 1))
        db.session.commit()
    for client in clients:
        thread = _text(client, path).split(f'id="a-{linked}"', 1)[1].split('class="thread ', 1)[0]
        assert "Retracted 16 May 2026" in thread


def test_threads_read_by_article_when_there_are_many_show_the_same_and_nothing_more(app, monkeypatch, threads):
    from app.services import reading

    by_ids = _text(app.test_client(), threads["path"])
    page_cache.clear()
    monkeypatch.setattr(reading, "_MAX_IDS", 1)
    by_article = _text(app.test_client(), threads["path"])
    assert by_article == by_ids and "Thread number 2." in by_article
    assert [s for s in SECRETS if s in by_article] == []
