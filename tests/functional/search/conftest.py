"""A small corpus for search tests: the demo article and studies, annotations in every state, a draft.

`corpus` returns the ids by name. Reader A writes a public question, a public critique, a private
note and a deleted remark; reader B a pending comment and a public reply; the admin keeps a draft
article. Each text carries words chosen so that a query finds exactly the documents a test expects.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AnnotationKind, AnnotationStatus, Article, ArticleStatus, Visibility

QUOTE = "TMEM sites"
OTHER_QUOTE = "rebastinib, a TIE2 inhibitor"
DRAFT_SLUG = "embargoed-draft"


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield


@dataclass
class Corpus:
    """Who wrote what, by name."""

    slug: str
    users: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)

    def label_of(self, annotation_id: int) -> str:
        return next(name for name, value in self.ids.items() if value == annotation_id)


def _draft(app) -> None:
    from app.services import articles

    with app.app_context():
        articles.save_article(articles.ArticleInput(
            title="An embargoed draft", slug=DRAFT_SLUG,
            body="An embargoed commentary on zygomatic fractures, not yet published.\n"),
            editor=None, status=ArticleStatus.DRAFT)
        db.session.commit()


def _delete(app, annotation_id: int) -> None:
    from app.models import Annotation
    from app.services import annotations

    with app.app_context():
        annotations.delete(db.session.get(Annotation, annotation_id))
        db.session.commit()


@pytest.fixture
def corpus(app, make) -> Corpus:
    """Build the corpus and return its ids."""
    c = Corpus(slug=make.demo_article())
    c.users = {"reader_a": make.user(name="Dr Reader Alpha", trusted=True, profession="Pathologist"),
               "reader_b": make.user(name="Dr Reader Beta"),
               "moderator": make.user(role="moderator", name="Dr Moderator"),
               "admin": make.user(role="admin", name="Dr Admin")}
    a, b = c.users["reader_a"], c.users["reader_b"]
    c.ids["question"] = make.annotation(
        a, c.slug, QUOTE, kind=AnnotationKind.QUESTION, tags=["tie2"],
        body="Is TIE2 expression on perivascular macrophages measured in human samples?")
    c.ids["critique"] = make.annotation(
        a, c.slug, OTHER_QUOTE, kind=AnnotationKind.CRITIQUE, tags=["rebastinib", "trials"],
        body="Rebastinib trials in humans are small; the Müller cohort reported 12 metastases.")
    c.ids["private"] = make.annotation(a, c.slug, QUOTE, visibility=Visibility.PRIVATE,
                                       body="Zanzibar: a private musing about macrophage polarisation.")
    c.ids["deleted"] = make.annotation(a, c.slug, QUOTE, body="An obsolete remark about quokkas.")
    c.ids["pending"] = make.annotation(b, c.slug, OTHER_QUOTE, status=AnnotationStatus.PENDING,
                                       body="Pending thoughts on NAC timing and wallabies.")
    c.ids["reply"] = make.reply(b, c.ids["question"], body="Only in 20 patients after neoadjuvant chemotherapy.")
    _delete(app, c.ids["deleted"])
    _draft(app)
    with app.app_context():
        assert db.session.scalar(select(Article.status).where(Article.slug == DRAFT_SLUG)) == ArticleStatus.DRAFT
    return c
