"""One table of queries, the same expected results on SQLite and on PostgreSQL.

The suite runs once per engine (SQLite by default, PostgreSQL with TEST_DATABASE_URL; `.ci/run`
does both), and this table is the contract both engines meet: for each query, which annotations,
articles and studies a reader finds. Ranking may differ between engines; the sets may not.
"""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Study, User
from app.services.search.requests import SearchRequest
from app.services.search.searching import search
from tests.functional.search.conftest import DRAFT_SLUG

DEMO = "chemotherapy-metastases"
ALL_STUDIES = {"chabner2018", "karagiannis2017", "esserman2017"}

# (query, viewer, annotations, articles, studies)
TABLE = [
    ("tie2 macrophages", None, {"question"}, {DEMO}, set()),
    ("metastasis", None, {"critique"}, {DEMO}, ALL_STUDIES),
    ("metastases", None, {"critique"}, {DEMO}, ALL_STUDIES),
    ("Muller", None, {"critique"}, set(), set()),
    ("müller", None, {"critique"}, set(), set()),
    ('"tie2 inhibitor"', None, {"critique"}, {DEMO}, set()),
    ("rebast*", None, {"critique"}, {DEMO}, set()),
    ("macrophages -perivascular", None, set(), set(), set()),
    ("NAC", None, {"reply"}, {DEMO}, {"esserman2017", "karagiannis2017"}),
    ('"neoadjuvant chemotherapy" patients', None, {"reply"}, {DEMO}, {"karagiannis2017"}),
    ("tumour invasion", None, set(), {DEMO}, set()),
    ("kind:question", None, {"question"}, set(), set()),
    ("kind:critique rebastinib", None, {"critique"}, set(), set()),
    ("-kind:critique rebastinib", None, set(), {DEMO}, set()),
    ("tag:tie2", None, {"question"}, set(), set()),
    ("tag:tmem", None, set(), {DEMO}, set()),
    ("author:alpha", None, {"question", "critique"}, set(), set()),
    ("author:karagiannis", None, set(), set(), {"karagiannis2017"}),
    ("design:animal", None, set(), set(), {"karagiannis2017"}),
    ("level:5", None, set(), set(), ALL_STUDIES),
    ("article:chemotherapy-metastases kind:question", None, {"question"}, set(), set()),
    ("zanzibar", None, set(), set(), set()),
    ("zanzibar", "reader_b", set(), set(), set()),
    ("zanzibar", "moderator", set(), set(), set()),
    ("zanzibar", "admin", set(), set(), set()),
    ("zanzibar", "reader_a", {"private"}, set(), set()),
    ("wallabies", None, set(), set(), set()),
    ("wallabies", "reader_a", set(), set(), set()),
    ("wallabies", "reader_b", {"pending"}, set(), set()),
    ("quokkas", "reader_a", set(), set(), set()),
    ("zygomatic", "reader_a", set(), set(), set()),
    ("zygomatic", "admin", set(), {DRAFT_SLUG}, set()),
    ("is:mine", "reader_b", {"pending", "reply"}, set(), set()),
    ("is:private", "reader_a", {"private"}, set(), set()),
    ("AND OR NEAR", None, set(), set(), set()),
    ('"unbalanced (quote', None, set(), set(), set()),
]


def _found(app, corpus, query: str, viewer_name: str | None) -> tuple[set, set, set]:
    from sqlalchemy import select

    with app.app_context():
        viewer = db.session.get(User, corpus.users[viewer_name].id) if viewer_name else None
        found = {}
        for doc_type in ("annotation", "article", "study"):
            result = search(SearchRequest(q=query, type=doc_type, per_page=200), viewer)
            found[doc_type] = result.page.items if result.page else []
        keys = dict(db.session.execute(select(Study.id, Study.citation_key)).all())
        return ({corpus.label_of(h.annotation.id) for h in found["annotation"]},
                {h.article.slug for h in found["article"]},
                {keys[h.study.id] for h in found["study"]})


@pytest.mark.parametrize("query, viewer, annotations, articles, studies", TABLE,
                         ids=[f"{q} as {v or 'anonymous'}" for q, v, *_ in TABLE])
def test_the_engine_finds_what_the_table_says(app, corpus, query, viewer, annotations, articles, studies):
    assert _found(app, corpus, query, viewer) == (annotations, articles, studies)


def test_counts_per_type_agree_with_the_pages(app, corpus):
    with app.app_context():
        results = search(SearchRequest(q="metastasis"), None)
    assert results.counts == {"article": 1, "annotation": 1, "study": 3}
    assert results.total == 5
