"""Articles through the API: the list with per-reader counts, and one article with its text and references."""
from __future__ import annotations

from pathlib import Path

from app.extensions import db
from app.models import Annotation, AnnotationStatus, ArticleStatus, Visibility
from app.services import articles as article_service
from tests.functional.api.conftest import QUOTE, SECOND_QUOTE

DEMO_TEXT = Path(__file__).resolve().parents[2] / "data" / "chemotherapy-metastases.canonical.txt"


def test_the_list_shows_published_articles_only(app, api, make, slug):
    with app.app_context():
        article_service.save_article(article_service.ArticleInput(title="Draft", body="Not yet.", slug="draft"),
                                     editor=None, status=ArticleStatus.DRAFT)
        db.session.commit()

    items = api.get("/api/articles").get_json()["items"]

    assert [i["slug"] for i in items] == [slug]
    item = items[0]
    assert item["title"] == "Chemotherapy: a cause of metastases?"
    assert item["url"] == f"http://localhost/articles/{slug}"
    assert item["version"] == 1 and item["annotation_count"] == 0
    assert "metastasis" in item["tags"] and item["standfirst"].startswith("Can chemotherapy")
    assert api.get("/api/articles/draft").status_code == 404


def test_counts_include_only_what_the_caller_may_read(app, api, make, slug, token_for):
    author, other = make.user(trusted=True), make.user(trusted=True)
    public_id = make.annotation(author, slug, QUOTE)
    make.reply(other, public_id)
    make.annotation(author, slug, SECOND_QUOTE, visibility=Visibility.PRIVATE)
    hidden_id = make.annotation(other, slug, SECOND_QUOTE)
    deleted_id = make.annotation(other, slug, QUOTE)
    with app.app_context():
        db.session.get(Annotation, hidden_id).status = AnnotationStatus.HIDDEN
        db.session.get(Annotation, deleted_id).deleted_at = db.session.get(Annotation, deleted_id).created_at
        db.session.commit()

    def count(token):
        return api.as_token(token).get("/api/articles").get_json()["items"][0]["annotation_count"]

    assert count(None) == 2  # the public annotation and its reply
    assert count(token_for(author)) == 3  # plus the author's private one
    assert count(token_for(other)) == 3  # plus the other's own hidden one (never their deleted one)
    for token in (None, token_for(author)):
        assert api.as_token(token).get(f"/api/articles/{slug}/annotations").get_json()["total"] == count(token)


def test_an_article_gives_its_canonical_text_and_references(app, api, slug):
    article = api.get(f"/api/articles/{slug}").get_json()

    # Hand-written: the demo's paragraphs with each citation as its number (see tests/unit/text/test_markdown.py).
    assert article["text"] == DEMO_TEXT.read_text(encoding="utf-8")
    assert article["version"] == 1 and article["url"] == f"http://localhost/articles/{slug}"
    assert [r["number"] for r in article["references"]] == [1, 2, 3]
    karagiannis = article["references"][1]
    assert karagiannis["key"] == "karagiannis2017"
    assert karagiannis["doi"] == "10.1126/scitranslmed.aan0026"
    assert karagiannis["design"] == "animal"
    assert karagiannis["url"] == f"http://localhost/articles/{slug}#ref-2"
    assert isinstance(karagiannis["id"], int)
    assert {"evidence_level", "title", "year", "journal"} <= set(karagiannis)


def test_a_study_can_be_linked_by_its_doi_or_its_page(app, api, make, slug, token_for):
    from tests.functional.api.conftest import new_annotation

    api.as_token(token_for(make.user(trusted=True)))
    study_id = api.get(f"/api/articles/{slug}").get_json()["references"][1]["id"]
    for source in ("https://doi.org/10.1126/SCITRANSLMED.AAN0026", f"http://localhost/studies/{study_id}"):
        posted = new_annotation(app, slug, motivation="linking")
        posted["body"].append({"type": "SpecificResource", "purpose": "linking", "source": source})
        created = api.post(f"/api/articles/{slug}/annotations", posted).get_json()
        assert created["body"][-1]["source"] == f"http://localhost/articles/{slug}#ref-2"
