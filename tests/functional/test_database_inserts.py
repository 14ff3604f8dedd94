"""`insert_now`: a new object written with its table's INSERT, not the unit of work, stored as a flush would."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.database.inserts import insert_now
from app.extensions import db
from app.models import Annotation, AnnotationKind, Article, User
from app.models.base import utcnow
from tests.statements import counting_queries

WRITTEN = utcnow() - timedelta(minutes=1)


def _annotation(article: Article, author: User, body: str) -> Annotation:
    # Some fields left to their defaults (kind, tags, status, open_flags, helpful_count, anchor_state, ...).
    return Annotation(article_id=article.id, author_id=author.id, body=body, body_html=f"<p>{body}</p>\n",
                      exact="neoadjuvant", start=10, end=21, created_at=WRITTEN)


def _columns(annotation_id: int) -> dict:
    row = db.session.execute(select(Annotation.__table__).where(Annotation.id == annotation_id)).mappings().one()
    # row_version is the database's count of writes: each row has its own.
    return {k: v for k, v in row.items() if k not in ("id", "body", "body_html", "modified_at", "row_version")}


@pytest.fixture
def article_and_author(app, make):
    slug = make.demo_article()
    author = make.user()
    with app.app_context():
        yield db.session.scalar(select(Article).where(Article.slug == slug)), db.session.get(User, author.id)


def test_a_row_inserted_at_once_is_the_row_a_flush_would_write(app, article_and_author):
    article, author = article_and_author
    flushed = _annotation(article, author, "flushed")
    db.session.add(flushed)
    db.session.flush()
    inserted = insert_now(db.session, _annotation(article, author, "inserted"))
    db.session.commit()
    assert inserted.id != flushed.id
    assert _columns(inserted.id) == _columns(flushed.id)
    assert db.session.get(Annotation, inserted.id).body == "inserted"


def test_the_inserted_object_is_loaded_with_its_defaults_and_never_written_again(app, article_and_author):
    article, author = article_and_author
    with counting_queries(app) as statements:
        annotation = insert_now(db.session, _annotation(article, author, "once"))
        db.session.flush()
        # The Python defaults are on the object as they are in the row, without reading it back.
        assert (annotation.kind, annotation.tags, annotation.open_flags, annotation.anchor_state) == (
            AnnotationKind.COMMENT, [], 0, "anchored")
    assert [s.split()[0] for s in statements] == ["INSERT"]
    assert annotation in db.session and not db.session.new and not db.session.dirty
    assert annotation.id is not None
    # Its relationships load as for any persistent object.
    assert annotation.author is author and annotation.article is article
    annotation.body = "changed"
    db.session.commit()
    assert db.session.scalar(select(Annotation.body).where(Annotation.id == annotation.id)) == "changed"


def test_only_new_objects_without_relationship_changes_are_taken(app, article_and_author):
    article, author = article_and_author
    with pytest.raises(ValueError, match="new object"):
        insert_now(db.session, author)
    linked = _annotation(article, author, "linked")
    linked.author = author
    with pytest.raises(ValueError, match="relationship"):
        insert_now(db.session, linked)
    db.session.rollback()
    assert db.session.scalar(select(Annotation.id).where(Annotation.body == "linked")) is None
