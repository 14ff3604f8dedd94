"""The index changes in the same transaction as the content, and `flask search reindex` rebuilds the same index."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, SearchDocument, Study, User
from app.services import annotations, articles, importing, moderation
from app.services import studies as study_service
from app.services.search.requests import SearchRequest
from app.services.search.searching import search
from tests.functional.search.conftest import QUOTE


def _ids(query: str, viewer_id: int | None = None, doc_type: str = "annotation") -> set[int]:
    viewer = db.session.get(User, viewer_id) if viewer_id else None
    page = search(SearchRequest(q=query, type=doc_type, per_page=200), viewer).page
    hits = page.items if page else []
    return {(h.annotation or h.study or h.article).id for h in hits}


def _documents() -> set[tuple]:
    """Every document as plain values, without its id (which a rebuild renumbers)."""
    docs = SearchDocument.__table__
    return set(db.session.execute(select(docs.c.doc_type, docs.c.article_id, docs.c.annotation_id, docs.c.study_id,
                                         docs.c.position, docs.c.title, docs.c.body, docs.c.quote, docs.c.extra,
                                         docs.c.dated)).all())


def test_a_new_annotation_is_searchable_once_committed_and_never_if_rolled_back(app, corpus):
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == corpus.slug))
        author = db.session.get(User, corpus.users["reader_a"].id)
        annotations.create(article, author, body="Narwhals everywhere.", selector=annotations.anchor(article, QUOTE))
        assert _ids("narwhals")  # same transaction: the search sees it before the commit
        db.session.rollback()
        assert _ids("narwhals") == set()
        assert db.session.scalar(select(SearchDocument.id).where(SearchDocument.body.contains("Narwhals"))) is None
        created = annotations.create(article, author, body="Narwhals everywhere.",
                                     selector=annotations.anchor(article, QUOTE))
        db.session.commit()
        assert _ids("narwhals") == {created.id}


def test_an_edit_replaces_the_words_and_a_deletion_removes_them_for_everyone(app, corpus):
    question = corpus.ids["question"]
    author = corpus.users["reader_a"].id
    with app.app_context():
        annotations.edit(db.session.get(Annotation, question), body="Now about pangolins.", tags=["pangolin"])
        db.session.commit()
        assert _ids("pangolins") == {question}
        assert _ids("perivascular macrophages") == set()
        assert _ids("tag:pangolin") == {question}
        annotations.delete(db.session.get(Annotation, question))
        db.session.commit()
        assert _ids("pangolins", author) == set()


def test_moderation_takes_effect_in_search_at_once(app, corpus):
    critique = corpus.ids["critique"]
    moderator = corpus.users["moderator"].id
    author = corpus.users["reader_a"].id
    with app.app_context():
        moderation.transition(db.session.get(Annotation, critique), "hide", db.session.get(User, moderator),
                              reason="Checking the Müller cohort")
        db.session.commit()
        assert _ids("muller") == set()
        assert _ids("muller", corpus.users["reader_b"].id) == set()
        assert _ids("muller", author) == {critique}
        moderation.transition(db.session.get(Annotation, critique), "remove", db.session.get(User, moderator),
                              reason="Unsupported claim")
        db.session.commit()
        assert _ids("muller", author) == set()
        # The redacted text is what the index keeps: the original words are gone from it too.
        body = db.session.scalar(select(SearchDocument.body).where(SearchDocument.annotation_id == critique))
        assert body == moderation.REDACTED_BODY


def test_an_article_revision_reindexes_its_passages_and_re_anchored_quotes(app, corpus):
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == corpus.slug))
        source = article.body_source.replace("These TMEM sites show", "These TMEM niches show").replace(
            "Until we have these results", "Until axolotl results arrive")
        articles.save_article(articles.ArticleInput(title=article.title, body=source, slug=article.slug,
                                                    standfirst=article.standfirst, tags=article.tags,
                                                    source=article.source), editor=None)
        db.session.commit()
        assert _ids("axolotl", doc_type="article") == {article.id}
        assert _ids('"until we have these results"', doc_type="article") == set()
        moved = db.session.get(Annotation, corpus.ids["question"])
        quote = db.session.scalar(select(SearchDocument.quote).where(SearchDocument.annotation_id == moved.id))
        assert quote == (moved.exact or "")


def test_a_study_edit_and_an_import_are_searchable_at_once(app, corpus):
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.citation_key == "chabner2018"))
        record = replace(study_service.record_of(study), title="Does chemotherapy awaken dormant quetzals?")
        study_service.update_study(study, record)
        db.session.commit()
        assert _ids("quetzals", doc_type="study") == {study.id}
        report = importing.import_file(b'[{"id": "okapi2020", "type": "article-journal", "title": '
                                       b'"Okapi-derived macrophage atlas", "issued": {"date-parts": [[2020]]}}]',
                                       "csl-json")
        db.session.commit()
        assert _ids("atlas", doc_type="study") == {report.outcomes[0].study_id}


def test_reindex_rebuilds_the_same_index_and_is_idempotent(app, runner, corpus):
    with app.app_context():
        incremental = _documents()
    first = runner.invoke(args=["search", "reindex"])
    assert first.exit_code == 0, first.output
    assert "article passages" in first.output and "annotations" in first.output
    with app.app_context():
        rebuilt = _documents()
        found = _ids("tie2 macrophages")
    second = runner.invoke(args=["search", "reindex"])
    assert second.exit_code == 0
    with app.app_context():
        assert _documents() == rebuilt == incremental
        assert _ids("tie2 macrophages") == found == {corpus.ids["question"]}


def test_deleting_an_article_takes_its_documents_with_it(app, corpus):
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == "embargoed-draft"))
        db.session.delete(article)
        db.session.commit()
        assert db.session.scalar(select(SearchDocument.id).where(SearchDocument.article_id == article.id)) is None
