"""What keeps a search's cost bounded, as a reader sees it: capped counts and windows of best matches.

Counts stop at COUNT_CAP results of a type and say so ("2+" here, where the cap is lowered to 2);
pages ranked by relevance come from a window of the engine's best matches and are the same pages,
in the same order, as ranking every match would give, private notes of others included in the
engine's matches but never in a page or a count.
"""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import User, Visibility
from app.services.search import facets, searching
from app.services.search.requests import SearchRequest
from app.services.search.statements import built_statements
from tests.functional.search.conftest import QUOTE
from tests.statements import counting_queries


@pytest.fixture
def capybaras(make, corpus) -> list[int]:
    """Four public annotations of reader B about capybaras, and reader A's private note saying it most."""
    ids = [make.annotation(corpus.users["reader_b"], corpus.slug, QUOTE, body=f"Capybara sighting {n}.")
           for n in range(4)]
    corpus.ids["private_capybaras"] = make.annotation(
        corpus.users["reader_a"], corpus.slug, QUOTE, visibility=Visibility.PRIVATE,
        body="Capybara capybara capybara: my private note.")
    return ids


@pytest.fixture
def cap_of_two(monkeypatch):
    monkeypatch.setattr(facets, "COUNT_CAP", 2)
    monkeypatch.setattr("app.search.routes.COUNT_CAP", 2)


def _count(html: str, label: str) -> str:
    return re.search(rf">{label} <span class=\"count\">([^<]+)</span>", html).group(1)


def test_counts_above_the_cap_are_shown_as_at_least_and_pages_go_on(client, auth, corpus, capybaras, cap_of_two):
    auth.sign_in(corpus.users["reader_b"].email)
    html = client.get("/search?q=capybara&type=annotation").get_data(as_text=True)
    assert _count(html, "Annotations") == "2+" and _count(html, "Studies") == "0"
    assert "Counting stops at 2 results of a type" in html
    assert 'aria-label="at least 2 results">2+</span>' in html  # the kind facet: comments
    assert html.count('class="hit hit-annotation') == 4 and "Next page" not in html and "2+ results" in html
    assert "Private note" not in html and "my private note" not in html
    body = client.get("/api/search?q=capybara&type=annotation").get_json()
    assert body["at_least"] is True and body["total"] == 2 and len(body["items"]) == 4 and body["next"] is None


def test_under_the_cap_counts_are_exact_and_a_private_note_counts_only_for_its_author(client, auth, corpus,
                                                                                    capybaras):
    auth.sign_in(corpus.users["reader_b"].email)
    body = client.get("/api/search?q=capybara").get_json()
    assert body["at_least"] is False and body["facets"]["type"]["annotation"] == 4
    html = client.get("/search?q=capybara").get_data(as_text=True)
    assert _count(html, "Annotations") == "4" and "Counting stops" not in html
    auth.sign_out()
    auth.sign_in(corpus.users["reader_a"].email)
    assert client.get("/api/search?q=capybara").get_json()["facets"]["type"]["annotation"] == 5


def _ranked(app, viewer_id: int | None, q: str, doc_type: str = "") -> list[tuple[str, int]]:
    with app.app_context():
        viewer = db.session.get(User, viewer_id) if viewer_id else None
        found = searching.search(SearchRequest(q=q, type=doc_type), viewer)
        hits = found.page.items if doc_type else [h for group in found.groups.values() for h in group]
        return [(h.doc_type, h.doc_id) for h in hits]


@pytest.mark.parametrize("q", ["capybara", "kind:comment capybara"])
@pytest.mark.parametrize("doc_type", ["", "annotation"])
def test_a_page_from_a_small_window_is_the_page_of_every_match(app, monkeypatch, make, corpus, capybaras, doc_type,
                                                               q):
    for n in range(20):  # more than a page, each less relevant than the one before, all below A's private note
        make.annotation(corpus.users["reader_a"], corpus.slug, QUOTE, body=f"Capybara {'seen ' * n}{n}.")
    reader_b = corpus.users["reader_b"].id
    with counting_queries(app) as one_window:
        everything = _ranked(app, reader_b, q, doc_type)
    monkeypatch.setattr(searching, "MIN_WINDOW", 1)  # a window of the one best match (and its ties)
    monkeypatch.setattr(searching, "WINDOW_FACTOR", 0)
    monkeypatch.setattr(searching, "OPEN_WINDOW_FACTOR", 0)
    with counting_queries(app) as widened:
        assert _ranked(app, reader_b, q, doc_type) == everything
    # The best match is reader A's private note, which reader B may not read: the one-match window
    # could not fill the page, and was widened.
    assert len(widened) > len(one_window)
    with app.app_context():
        private = db.session.scalar(db.select(searching.DOCS.c.id).where(
            searching.DOCS.c.annotation_id == corpus.ids["private_capybaras"]))
    assert ("annotation", private) not in everything and len([t for t, _ in everything if t == "annotation"]) >= 5


@pytest.mark.parametrize("doc_type", ["", "annotation"])
def test_a_statement_built_for_one_reader_never_shows_them_to_another(app, make, corpus, capybaras, doc_type):
    make.annotation(corpus.users["reader_b"], corpus.slug, QUOTE, visibility=Visibility.PRIVATE,
                    body="Wombat capybara: reader B's own private aside.")
    reader_a, reader_b = corpus.users["reader_a"].id, corpus.users["reader_b"].id
    built_statements.clear()
    mine = _ranked(app, reader_a, "capybara", doc_type)  # builds the statement, for reader A
    built = set(built_statements.keys())
    assert built
    theirs = _ranked(app, reader_b, "capybara", doc_type)  # the same shape: reader B runs A's statement
    assert set(built_statements.keys()) == built  # nothing was built again
    with app.app_context():
        notes = dict(db.session.execute(db.select(searching.DOCS.c.annotation_id, searching.DOCS.c.id)).all())
    private_of_a = ("annotation", notes[corpus.ids["private_capybaras"]])
    assert private_of_a in mine and private_of_a not in theirs
    asides = {("annotation", doc) for note, doc in notes.items() if note not in capybaras and note != corpus.ids[
        "private_capybaras"]}
    assert asides & set(theirs) and not asides & set(mine)
    # Other words, the same shape: the words are a parameter too.
    assert [t for t in _ranked(app, reader_a, "wombat", doc_type) if t in asides] == []
    assert [t for t in _ranked(app, reader_b, "wombat", doc_type) if t in asides] != []


def test_reply_counts_shown_with_a_result_count_only_replies_the_reader_may_read(app, make, corpus):
    from app.models import Annotation, AnnotationStatus

    pending = make.reply(corpus.users["reader_b"], corpus.ids["question"], body="A second thought, held.")
    with app.app_context():
        db.session.get(Annotation, pending).status = AnnotationStatus.PENDING
        db.session.commit()

    def replies_seen_by(name: str) -> int:
        with app.app_context():
            viewer = db.session.get(User, corpus.users[name].id)
            found = searching.search(SearchRequest(q="perivascular macrophages", type="annotation"), viewer)
            return next(h.replies for h in found.page.items if h.annotation.id == corpus.ids["question"])

    built_statements.clear()
    assert replies_seen_by("reader_a") == 1  # the public reply; reader B's held one is theirs alone
    assert replies_seen_by("reader_b") == 2  # the statement built for reader A, run for reader B
    assert replies_seen_by("reader_a") == 1
