"""The article page's shared outline follows every change by reading only the rows changed since it was read.

Whatever a change (a new annotation or reply, an edit, a vote, an accepted answer, a moderator's
decision, a deletion, an author's new name), the outline kept for the page is the one read afresh;
and a change written by a transaction still open when the outline was read comes in once committed,
on SQLite (one writer at a time) and on PostgreSQL (transactions commit in any order).
"""
from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Action, Annotation, AnnotationKind, Article, Group, User, Visibility
from app.services import accounts, annotations, answers, helpful, moderation, reading
from app.services.premoderation import initial_status
from app.services.shared_pages import page_cache

QUOTES = ["neoadjuvant chemotherapy", "rebastinib, a TIE2 inhibitor", "What were the levels of resistance"]


def _shape(outline: reading.Outline) -> tuple:
    """What a page shows of an outline: every row as read, and every thread's nodes in order with their depth."""
    def thread(t: reading.Thread) -> tuple:
        return (t.root.id, getattr(t.root, "is_stub", False), t.answer_id,
                tuple((r.annotation.id, r.depth, r.in_reply_to and r.in_reply_to.id) for r in t.replies))
    rows = [(row.stamp, row.span, row.label) for row in outline.rows]
    return (rows, [r.id for r in outline.roots],
            *(tuple(map(thread, group)) for group in (outline.threads, outline.changed, outline.orphans)))


@pytest.fixture
def counted_reads(monkeypatch):
    """Count the outline's full reads (every row of the article)."""
    reads = []
    whole = reading.readable_rows

    def counting(*args, **kwargs):
        reads.append(args)
        return whole(*args, **kwargs)
    monkeypatch.setattr(reading, "readable_rows", counting)
    return reads


def _article(slug: str) -> Article:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def _kept_and_afresh(app, slug: str) -> tuple[tuple, tuple]:
    """Return the shapes of the page's kept outline (following the changes) and of one read afresh, in a page view."""
    with app.test_request_context(f"/articles/{slug}"):
        article = _article(slug)
        kept = _shape(reading.outline(article, None))
        afresh = _shape(reading._build_outline(article, None, reading.Filters(), reading.PUBLIC_LAYER))
        db.session.rollback()
    return kept, afresh


def test_the_kept_outline_is_the_one_read_afresh_after_every_kind_of_change(app, make, counted_reads):
    page_cache.clear()
    slug = make.demo_article()
    author, other, moderator = make.user(trusted=True), make.user(trusted=True), make.user("moderator")
    newcomer = make.user()  # not yet trusted: their public annotations wait for a moderator
    club, _ = make.group(author, members=[other])
    first = [make.annotation(author if n % 2 else other, slug, QUOTES[n % 3], body=f"Comment {n}.", tags=[f"t{n}"])
             for n in range(6)]
    question = make.annotation(other, slug, QUOTES[0], body="Which trial was this?", kind=AnnotationKind.QUESTION)
    kept, afresh = _kept_and_afresh(app, slug)
    assert kept == afresh and len(counted_reads) == 2  # the first outline read everything (and so did afresh)

    def change(do) -> None:
        with app.app_context():
            do()
            db.session.commit()

    def edited():
        annotations.edit(db.session.get(Annotation, first[1]), body="Comment 1, reworded.", tags=["renamed"],
                         kind=AnnotationKind.CRITIQUE)

    reply_ids: list[int] = []
    waiting: list[int] = []

    def moved(annotation_id: int, visibility: Visibility, group_id: int | None = None):
        annotations.edit(db.session.get(Annotation, annotation_id),
                         audience=(visibility, db.session.get(Group, group_id) if group_id else None))

    steps = {
        "a new annotation": lambda: annotations.create(_article(slug), db.session.get(User, author.id),
                                                       body="Late comment.",
                                                       selector=annotations.anchor(_article(slug), QUOTES[2])),
        "a reply": lambda: reply_ids.append(annotations.create(
            _article(slug), db.session.get(User, author.id), body="The answer: the second trial.",
            parent=db.session.get(Annotation, question)).id),
        "a reply to the reply": lambda: annotations.create(
            _article(slug), db.session.get(User, other.id), body="Thank you.",
            parent=db.session.get(Annotation, reply_ids[0])),
        "an edit of body, kind and tags": edited,
        "a helpful vote": lambda: helpful.vote(db.session.get(Annotation, first[2]), db.session.get(User, author.id)),
        "an accepted answer": lambda: answers.accept(db.session.get(Annotation, question),
                                                     db.session.get(Annotation, reply_ids[0]),
                                                     db.session.get(User, other.id)),
        "a moderator hiding an annotation": lambda: moderation.transition(
            db.session.get(Annotation, first[3]), Action.HIDE, db.session.get(User, moderator.id), "Off topic."),
        "a moderator hiding the answer's question": lambda: moderation.transition(
            db.session.get(Annotation, question), Action.HIDE, db.session.get(User, moderator.id), "Duplicate."),
        "the annotation restored": lambda: moderation.transition(
            db.session.get(Annotation, first[3]), Action.RESTORE, db.session.get(User, moderator.id)),
        "a deletion": lambda: annotations.delete(db.session.get(Annotation, first[4])),
        "an author's new name and profession": lambda: accounts.update_profile(
            db.session.get(User, author.id), display_name="Dr Renamed", profession="Pharmacist"),
        "a thread made private": lambda: moved(first[5], Visibility.PRIVATE),
        "a thread moved to a journal club": lambda: moved(first[1], Visibility.GROUP, club),
        "the thread back in public": lambda: moved(first[1], Visibility.PUBLIC),
        "a newcomer's annotation, waiting for review": lambda: waiting.append(annotations.create(
            _article(slug), db.session.get(User, newcomer.id), body="A first comment.",
            selector=annotations.anchor(_article(slug), QUOTES[0]),
            status=initial_status(db.session.get(User, newcomer.id), Visibility.PUBLIC)).id),
        "the newcomer's annotation approved": lambda: moderation.transition(
            db.session.get(Annotation, waiting[0]), Action.APPROVE, db.session.get(User, moderator.id)),
    }
    for what, do in steps.items():
        before = len(counted_reads)
        change(do)
        kept, afresh = _kept_and_afresh(app, slug)
        assert kept == afresh, what
        assert len(counted_reads) == before + 1, f"after {what}, the kept outline read every row again"
    with app.app_context():
        shown = {row.id: row for row in reading.outline(_article(slug), None).rows}
        db.session.rollback()
    assert first[3] in shown and question not in shown and shown[first[1]].kind == AnnotationKind.CRITIQUE
    assert first[5] not in shown and waiting[0] in shown
    renamed = shown[first[1]]
    assert renamed.author_name == "Dr Renamed" and renamed.label.endswith("by Dr Renamed: open discussion")


class _Writer:
    """A transaction begun on a connection of its own, as another worker's would be."""

    def __init__(self, app):
        with app.app_context():
            url = db.engine.url
        self.sqlite = url.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connection = sqlite3.connect(url.database, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))

    def execute(self, sql: str, params: tuple = ()) -> None:
        self.connection.execute(sql if self.sqlite else sql.replace("?", "%s"), params)

    def commit(self) -> None:
        if self.sqlite:
            self.connection.execute("COMMIT")
        else:
            self.connection.commit()


def test_a_change_still_uncommitted_when_the_outline_was_read_comes_in_once_committed(app, make, counted_reads):
    page_cache.clear()
    slug = make.demo_article()
    author = make.user(trusted=True)
    ids = [make.annotation(author, slug, QUOTES[n % 3], body=f"Comment {n}.", tags=["before"]) for n in range(3)]
    writer = _Writer(app)
    try:
        writer.execute("UPDATE annotations SET tags = ? WHERE id = ?", ('["while open"]', ids[0]))
        kept, afresh = _kept_and_afresh(app, slug)  # read while the writer is still open
        assert kept == afresh
        if not writer.sqlite:
            # On PostgreSQL a transaction begun later may commit first, with a later version than the open one's.
            make.annotation(author, slug, QUOTES[1], body="Begun later, committed first.")
            kept, afresh = _kept_and_afresh(app, slug)
            assert kept == afresh
        writer.execute("UPDATE articles SET display_rev = display_rev + 1 WHERE id = "
                       "(SELECT article_id FROM annotations WHERE id = ?)", (ids[0],))
        writer.commit()
    finally:
        writer.connection.close()
    before = len(counted_reads)
    kept, afresh = _kept_and_afresh(app, slug)
    assert kept == afresh and len(counted_reads) == before + 1
    with app.test_request_context(f"/articles/{slug}"):
        rows = {row.id: row for row in reading.outline(_article(slug), None).rows}
        db.session.rollback()
    assert rows[ids[0]].tags == ["while open"]
