"""`flask studies import|export` and `flask articles import`."""
import json
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Article, ArticleStatus, Study

DATA = Path(__file__).resolve().parents[1] / "data" / "bibliography"
DEMO = Path(__file__).resolve().parents[2] / "app" / "demo"


def count(app, column) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def test_studies_import_prints_rejections_and_a_summary(runner, app, clean_db):
    result = runner.invoke(args=["studies", "import", str(DATA / "zotero.ris")])
    assert result.exit_code == 0, result.output
    assert ("Record 2 (\u2018Chemotherapy-induced tumour microenvironment of metastasis\u2026\u2019) "
            "\u2014 created: cite it as [@") in result.output
    assert "its DOI was left out (DOI 'abc' is not valid: a DOI looks like 10.1234/abcd)" in result.output
    assert result.output.strip().endswith("4 records: 4 created.")
    verbose = runner.invoke(args=["studies", "import", "-v", "--format", "ris", str(DATA / "zotero.ris")])
    assert "already up to date: matched by DOI\n" in verbose.output
    assert verbose.output.strip().endswith("4 records: 2 already up to date, 2 skipped as duplicates.")
    assert count(app, Study.id) == 4


def test_studies_import_of_a_latin1_file_names_the_encoding_it_read(runner, app, clean_db):
    result = runner.invoke(args=["studies", "import", str(DATA / "latin1.ris")])
    assert result.exit_code == 0, result.output
    assert "Read latin1.ris as Windows-1252." in result.output
    assert count(app, Study.id) >= 1


def test_studies_export_writes_all_or_one_articles_references(runner, make, tmp_path):
    slug = make.demo_article()
    make.user()  # unrelated rows do not matter
    runner.invoke(args=["studies", "import", str(DATA / "pubmed.nbib")])
    out = tmp_path / "refs.json"
    result = runner.invoke(args=["studies", "export", "--article", slug, "--output", str(out)])
    assert result.exit_code == 0 and "Wrote 3 studies" in result.output
    assert [item["id"] for item in json.loads(out.read_text())] == ["chabner2018", "karagiannis2017", "esserman2017"]
    everything = runner.invoke(args=["studies", "export", "--format", "bibtex"])
    assert everything.output.count("\n@") + everything.output.startswith("@") == 6
    missing = runner.invoke(args=["studies", "export", "--article", "nope"])
    assert missing.exit_code == 1 and "No article has the slug 'nope'" in missing.output


def test_articles_import_loads_references_then_the_article(runner, app, clean_db):
    result = runner.invoke(args=["articles", "import", str(DEMO / "chemotherapy-metastases.md"),
                                 "--references", str(DEMO / "references.json")])
    assert result.exit_code == 0, result.output
    assert "3 records: 3 created." in result.output
    assert "Created article /articles/chemotherapy-metastases (version 1, published)." in result.output
    again = runner.invoke(args=["articles", "import", str(DEMO / "chemotherapy-metastases.md"), "--draft"])
    assert "Article /articles/chemotherapy-metastases is unchanged (version 1, draft)." in again.output
    with app.app_context():
        article = db.session.scalar(select(Article))
        assert article.status == ArticleStatus.DRAFT
        assert [c.study.design for c in article.citations] == ["opinion", "animal", "opinion"]


def test_articles_import_with_unknown_keys_keeps_nothing(runner, app, clean_db, tmp_path):
    article = tmp_path / "draft.md"
    article.write_text("---\ntitle: A draft\n---\n\nCites a study. [@karagiannis2017] And a ghost. [@ghost1999]\n")
    result = runner.invoke(args=["articles", "import", str(article), "--references", str(DEMO / "references.json")])
    assert result.exit_code == 1
    assert "Unknown citation keys: ghost1999." in result.output
    assert "Nothing was imported (the references were not kept either)." in result.output
    assert count(app, Study.id) == 0 and count(app, Article.id) == 0
