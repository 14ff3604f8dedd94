"""Lists cost a fixed number of SQL queries, however many annotations there are."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, Citation, Visibility
from tests.functional.api.conftest import QUOTE
from tests.statements import counting_queries


def _add_annotations(app, make, slug: str, how_many: int) -> None:
    """Add `how_many` annotations by five authors: some linked to a study, some private, a third replies."""
    authors = [make.user(trusted=True) for _ in range(5)]
    first_id = make.annotation(authors[0], slug, QUOTE)
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        first = db.session.get(Annotation, first_id)
        study_id = db.session.scalar(select(Citation.study_id).where(Citation.article_id == article.id))
        parents = [first]
        for n in range(how_many - 1):
            author = authors[n % 5]
            row = Annotation(article_id=article.id, author_id=author.id, body=f"Note {n}", body_html=f"<p>Note {n}</p>",
                             tags=["t"], created_at=first.created_at, modified_at=first.modified_at,
                             visibility=Visibility.PRIVATE if n % 7 == 0 else Visibility.PUBLIC)
            if n % 3 == 0:
                row.parent_id = row.root_id = parents[-1].id
            else:
                row.exact, row.prefix, row.suffix = first.exact, first.prefix, first.suffix
                row.start, row.end, row.original_exact = first.start, first.end, first.exact
                row.study_id = study_id if n % 2 else None
            db.session.add(row)
            if n % 50 == 0:
                db.session.flush()
                parents.append(row)
        db.session.commit()


def _queries_for(app, api, paths: list[str]) -> list[int]:
    api.checking = False  # other tests check these responses; here only their cost matters
    for path in paths:  # warm up: token bookkeeping, first-request caches
        api.get(path)
    counts = []
    for path in paths:
        with counting_queries(app) as statements:
            response = api.get(path)
        assert response.status_code == 200
        counts.append(len(statements))
    return counts


def test_listing_costs_the_same_queries_for_1_or_500_annotations(app, api, make, slug, token_for):
    viewer = make.user(trusted=True)
    paths = [f"/api/articles/{slug}/annotations", f"/api/articles/{slug}/annotations?page=0", "/api/articles",
             f"/api/articles/{slug}"]
    make.annotation(viewer, slug, QUOTE)
    api.as_token(token_for(viewer))
    one = _queries_for(app, api, paths)
    anonymous_one = _queries_for(app, api.as_token(None), paths)

    _add_annotations(app, make, slug, 499)
    api.as_token(token_for(viewer))
    many = _queries_for(app, api, paths)
    anonymous_many = _queries_for(app, api.as_token(None), paths)

    assert api.get(paths[0]).get_json()["total"] > 400
    assert many == one, "a list costs more queries with more annotations"
    assert anonymous_many == anonymous_one
    assert max(many) <= 8
    assert _queries_for(app, api, [f"/api/articles/{slug}/annotations?page=2"]) == [anonymous_one[1]]
