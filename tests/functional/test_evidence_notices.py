"""Retraction notices: the Retraction Watch CSV, badges wherever a study appears, the banner, notifications."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import AnnotationKind, Notification, Study, StudyNotice, Visibility

RW_CSV = Path(__file__).resolve().parents[1] / "data" / "lookup" / "retraction-watch.csv"
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def test_the_retraction_watch_import_matches_by_doi_prints_it_and_is_idempotent(runner, make, app):
    slug = make.demo_article()
    first = runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    assert first.exit_code == 0, first.output
    assert ("line 2 (Retraction Watch record 900001): retraction of 16 May 2026 \u2014 study "
            in first.output) and "[@karagiannis2017] matched by DOI (new)" in first.output
    assert first.output.strip().endswith("3 rows read: 1 about studies in Postil, 1 new notice stored.")
    again = runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    assert "matched by DOI (already known)" in again.output and "0 new notices stored." in again.output
    with app.app_context():
        notices = db.session.scalars(select(StudyNotice)).all()
        assert len(notices) == 1
        notice = notices[0]
        assert (notice.kind.value, notice.source, str(notice.notice_date)) == ("retraction", "Retraction Watch",
                                                                              "2026-05-16")
        assert notice.url == "https://doi.org/10.5555/test.retraction.900001"
        assert db.session.scalar(select(Study.retracted).where(Study.citation_key == "karagiannis2017"))
    assert slug


def test_the_import_matches_by_pmid_when_the_doi_is_unavailable(runner, make, app, tmp_path):
    make.demo_article()
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.citation_key == "esserman2017"))
        study.pmid = "28999001"
        db.session.commit()
    csv_file = tmp_path / "rw.csv"
    row = "900010,T,,,,,,,,,3/1/2025 0:00,unavailable,0,,unavailable,28999001,Expression of concern,,No,\n"
    csv_file.write_text(RW_CSV.read_text().splitlines()[0] + "\n" + row, encoding="utf-8")
    result = runner.invoke(args=["studies", "retractions", "import", str(csv_file)])
    assert "expression of concern of 1 March 2025" in result.output and "matched by PMID (new)" in result.output


def test_a_csv_with_the_wrong_columns_is_refused_and_changes_nothing(runner, make, app, tmp_path):
    make.demo_article()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("DOI,Title,Date\n10.1126/scitranslmed.aan0026,X,2024-01-01\n", encoding="utf-8")
    result = runner.invoke(args=["studies", "retractions", "import", str(wrong)])
    assert result.exit_code == 1
    assert ("This is not a Retraction Watch CSV: it lacks the columns Record ID, RetractionNature, RetractionDate, "
            "OriginalPaperDOI, OriginalPaperPubMedID (columns found: DOI, Title, Date). Nothing was imported."
            ) in result.output
    with app.app_context():
        assert db.session.scalar(select(StudyNotice.id)) is None


def test_a_retracted_study_is_badged_everywhere_and_the_article_shows_a_banner(runner, make, app, client, auth):
    slug = make.demo_article()
    reader = make.user(name="Dr Rhea Reader")
    make.annotation(reader, slug, QUOTE, kind=AnnotationKind.QUESTION, study_id=_study_id(app, "karagiannis2017"))
    before = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "A cited study has been retracted" not in before
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])

    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "A cited study has been retracted." in page
    assert "Reference <a href=\"#ref-2\">2</a>, \u201cNeoadjuvant chemotherapy induces breast cancer metastasis" in page
    assert "retracted on 16 May 2026 (notice from Retraction Watch" in page
    # The citation marker, the reference list, the evidence map and the linked annotation all say so.
    assert page.count('<span class="cite-notice cite-notice-retraction" data-nc>Retracted</span>') == 2
    assert page.count("Retracted 16 May 2026") >= 3
    assert 'href="https://doi.org/10.5555/test.retraction.900001"' in page
    study_page = client.get(f"/studies/{_study_id(app, 'karagiannis2017')}").get_data(as_text=True)
    assert "Retracted 16 May 2026 (date not given)" not in study_page and "Retracted 16 May 2026" in study_page
    search = client.get("/studies?q=TMEM").get_data(as_text=True)
    assert "Retracted 16 May 2026" in search
    # The canonical text the annotations count in is unchanged by the badges.
    with app.app_context():
        from app.models import Article
        from app.text.dom import canonical_text
        article = db.session.scalar(select(Article))
        body = page.split("data-article-body>", 1)[1].split("</div>", 1)[0]  # Markdown writes no <div>
        assert canonical_text(body) == article.body_text

    auth.sign_in(reader.email)
    notes = client.get("/notifications").get_data(as_text=True)
    assert ("A study you cited or follow was retracted: \u201cNeoadjuvant chemotherapy induces breast cancer "
            "metastasis through a TMEM-mediated mechanism\u201d. It has a retraction notice dated 16 May 2026 "
            "(Retraction Watch).") in notes


def test_only_readers_who_linked_the_study_are_notified_once(runner, make, app):
    slug = make.demo_article()
    linked, other = make.user(), make.user()
    karagiannis = _study_id(app, "karagiannis2017")
    make.annotation(linked, slug, QUOTE, study_id=karagiannis)
    make.annotation(linked, slug, "rebastinib, a TIE2 inhibitor", study_id=karagiannis, visibility=Visibility.PRIVATE)
    make.annotation(other, slug, QUOTE)
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    with app.app_context():
        rows = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    assert rows == [(linked.id, "retraction")]


def _study_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Study.id).where(Study.citation_key == key))


def test_followers_of_a_study_hear_of_its_retraction_notice_once_beside_the_readers_who_linked_it(runner, make,
                                                                                                 app):
    from app.models import User
    from app.services import follows

    slug = make.demo_article()
    linked, follower, bystander = make.user(), make.user(), make.user()
    karagiannis = _study_id(app, "karagiannis2017")
    make.annotation(linked, slug, QUOTE, study_id=karagiannis)
    with app.app_context():
        follows.follow(db.session.get(User, follower.id), "study", karagiannis)
        db.session.commit()
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    with app.app_context():
        rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.annotation_id)
                                  .order_by(Notification.user_id)).all()
    assert [(user_id, kind) for user_id, kind, _ in rows] == [(linked.id, "retraction"), (follower.id, "retraction")]
    assert rows[0][2] is not None and rows[1][2] is None  # the citer is pointed at their annotation
    assert bystander.id not in {row[0] for row in rows}


def test_a_notice_reaches_the_cached_page_of_an_annotation_linking_a_study_its_article_no_longer_cites(
        runner, make, app, client):
    """The page is kept until something on it changes: a linked study's retraction is such a change."""
    from app.models import Article, Citation
    from app.services.articles import bump_display

    slug = make.demo_article()
    karagiannis = _study_id(app, "karagiannis2017")
    make.annotation(make.user(), slug, QUOTE, body="Does the mouse model hold?", study_id=karagiannis)
    with app.app_context():  # a revision of the article dropped the reference; the annotation still links it
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        db.session.execute(Citation.__table__.delete().where(Citation.article_id == article.id,
                                                             Citation.study_id == karagiannis))
        bump_display(article.id)
        db.session.commit()
    before = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Does the mouse model hold?" in before and "Retracted 16 May 2026" not in before
    runner.invoke(args=["studies", "retractions", "import", str(RW_CSV)])
    assert "Retracted 16 May 2026" in client.get(f"/articles/{slug}").get_data(as_text=True)
