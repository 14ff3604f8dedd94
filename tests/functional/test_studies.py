"""Study pages, the studies index, admin forms, web import and the reference downloads."""
import io
import json
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, Study, Visibility
from tests.conftest import csrf_from

DATA = "tests/data/bibliography"
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def study_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Study.id).where(Study.citation_key == key))


def study_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Study.id)))


@pytest.fixture
def admin(make, auth):
    user = make.user(role=Role.ADMIN, name="Dr Ada Admin")
    auth.sign_in(user.email)
    return user


@pytest.fixture
def seeded(runner, app, clean_db, tmp_path, monkeypatch):
    """The demo loaded by `flask seed-demo` (the same import path as `flask articles import`); its slug."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return "chemotherapy-metastases"


def test_the_seeded_demo_references_are_structured_studies_with_their_designs(client, seeded, app):
    expected = {"chabner2018": ("Editorial / commentary / opinion", None),
                "karagiannis2017": ("Animal model", "murine breast cancer models, with tissue from 20 patients"),
                "esserman2017": ("Editorial / commentary / opinion", None)}
    for key, (design, population) in expected.items():
        page = client.get(f"/studies/{study_id(app, key)}").get_data(as_text=True)
        assert f"<dd>{design}</dd>" in page
        assert "Level 5: Reasoning from mechanism, incl. animal and laboratory work and expert opinion" in page
        if population:
            assert population in page


def test_study_page_shows_vancouver_citation_citing_passages_and_export_links(client, make, app):
    slug = make.demo_article()
    sid = study_id(app, "karagiannis2017")
    page = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert ("Karagiannis GS, et al. Neoadjuvant chemotherapy induces breast cancer metastasis through a "
            "TMEM-mediated mechanism. Sci Transl Med. 2017 Jul 5;9(397):eaan0026. doi:10.1126/scitranslmed.aan0026"
            ) in page
    assert "Chemotherapy: a cause of metastases?" in page and "(reference 2)" in page
    assert "blocks some prometastatic changes in their murine models." in page
    assert f'href="/articles/{slug}#cite-2-2"' in page
    for ext in ("ris", "bib", "json"):
        assert f'href="/studies/{sid}.{ext}"' in page


def test_study_page_lists_only_the_annotations_the_viewer_may_read(client, make, app, auth):
    slug = make.demo_article()
    sid = study_id(app, "karagiannis2017")
    author = make.user(trusted=True, name="Dr Pat Author")
    make.annotation(author, slug, QUOTE, body="Public note on the mouse models", study_id=sid)
    make.annotation(author, slug, QUOTE, body="My private doubt", study_id=sid, visibility=Visibility.PRIVATE)
    page = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert "Public note on the mouse models" in page and "My private doubt" not in page
    auth.sign_in(author.email)
    page = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert "My private doubt" in page and "Private note" in page


def test_article_references_show_badges_with_meaning_and_link_to_study_pages(client, seeded, app):
    slug = seeded
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    for key in ("chabner2018", "karagiannis2017", "esserman2017"):
        assert f'href="/studies/{study_id(app, key)}"' in page
    assert "Animal model" in page
    assert "Evidence level 5<span class=\"badge-meaning\">: Reasoning from mechanism" in page


def test_studies_index_filters_by_design_and_level_and_searches(client, seeded, app):
    page = client.get("/studies").get_data(as_text=True)
    assert "3 studies" in page
    animal = client.get("/studies?design=animal").get_data(as_text=True)
    assert "1 study matches these filters" in animal and "TMEM-mediated" in animal and "Does Chemotherapy" not in animal
    assert "0 studies" in client.get("/studies?level=1").get_data(as_text=True)
    assert "3 studies" in client.get("/studies?level=5").get_data(as_text=True)
    for q in ("esserman", "TMEM", "10.1634/theoncologist.2017-0648"):
        assert "1 study matches" in client.get(f"/studies?q={q}").get_data(as_text=True), q
    # Nonsense filters are ignored rather than failing.
    assert client.get("/studies?design=bogus&level=9&page=-3").status_code == 200


def test_studies_index_pages_through_many_studies(client, admin, app):
    lines = "".join(f"TY  - JOUR\nTI  - Study {n:02d}\nPY  - 2000\nER  - \n\n" for n in range(30))
    post_import(client, lines.encode(), "many.ris")
    first = client.get("/studies").get_data(as_text=True)
    assert "page 1 of 2" in first and 'rel="next" href="/studies?page=2"' in first
    second = client.get("/studies?page=2").get_data(as_text=True)
    assert second.count('class="study-card"') == 5


def study_form(**overrides) -> dict:
    data = {"title": "Neoadjuvant paclitaxel and TIE2 macrophages", "authors": "Keller, Jonas\nOsei AA",
            "csl_type": "article-journal", "container_title": "Journal of Translational Pathology",
            "issued_year": "2022", "doi": "https://doi.org/10.5555/JTP.2022.5", "pmid": "PMID: 35000005",
            "design": "cohort", "evidence_level": "", "population": "48 patients", "sample_size": "48"}
    data.update(overrides)
    return data


def post_form(client, path, data):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_admin_creates_a_study_with_normalised_identifiers_and_suggested_level(client, admin, app):
    response = post_form(client, "/studies/new", study_form())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Study saved. Articles cite it as [@keller2022]." in page
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert (study.doi, study.pmid, study.evidence_level) == ("10.5555/jtp.2022.5", "35000005", 3)
        assert study.authors == [{"family": "Keller", "given": "Jonas"}, {"family": "Osei", "given": "AA"}]


def test_invalid_fields_get_their_own_messages_and_nothing_is_saved(client, admin, app):
    response = post_form(client, "/studies/new", study_form(
        title="", doi="10.12/x", pmid="12a", issued_month="13", url="javascript:alert(1)", retracted="y",
        citation_key="bad key!"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Enter the study&#39;s title.", "DOI &#39;10.12/x&#39; is not valid",
                    "PMID &#39;12a&#39; is not valid", "Enter a month from 1 to 12.",
                    "Enter a full web address starting with https://",
                    "Say what happened: cite the retraction or correction notice.",
                    "Use letters, digits and _ : . - + / only"):
        assert message in page, message
    assert 'value="bad key!"' in page  # what was typed is kept
    assert study_count(app) == 0


def test_a_duplicate_study_is_refused_with_a_link_to_the_existing_one(client, admin, app, make):
    make.demo_article()
    existing = study_id(app, "chabner2018")
    response = post_form(client, "/studies/new", study_form(doi="doi:10.1634/THEONCOLOGIST.2017-0648"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "already in Postil with the same DOI (10.1634/theoncologist.2017-0648)" in page
    assert f'href="/studies/{existing}">Does Chemotherapy Induce Metastases?</a>' in page
    assert study_count(app) == 3


def test_admin_edits_a_study_and_marks_it_retracted(client, admin, app, make):
    slug = make.demo_article()
    sid = study_id(app, "karagiannis2017")
    form_page = client.get(f"/studies/{sid}/edit").get_data(as_text=True)
    assert "Karagiannis, George S." in form_page
    data = {name: value for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form_page)}
    data.update(title="Neoadjuvant chemotherapy induces breast cancer metastasis through a TMEM-mediated mechanism",
                authors="Karagiannis, George S.\net al.", design="animal", evidence_level="5", retracted="y",
                retraction_note="Correction in: Sci Transl Med. 2018;10:eaat1234.", csl_type="article-journal")
    data.pop("csrf_token", None)
    response = post_form(client, f"/studies/{sid}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert "Correction in: Sci Transl Med. 2018;10:eaat1234." in page
    assert "Retracted or corrected" in client.get(f"/articles/{slug}").get_data(as_text=True)


def test_readers_cannot_add_or_import_studies(client, make, auth):
    reader = make.user()
    anonymous = client.get("/studies/new")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    auth.sign_in(reader.email)
    assert client.get("/studies/new").status_code == 403
    assert client.get("/studies/import").status_code == 403


def post_import(client, data: bytes, filename: str, format_name: str = ""):
    token = csrf_from(client.get("/studies/import").get_data(as_text=True))
    return client.post("/studies/import", data={"csrf_token": token, "format": format_name,
                                                "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_web_import_reports_each_record_and_a_summary(client, admin, app):
    with open(f"{DATA}/zotero.ris", "rb") as handle:
        response = post_import(client, handle.read(), "My Library.ris")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 records: 4 created." in page and "The file was read as UTF-8." in page
    assert "its DOI was left out (DOI &#39;abc&#39; is not valid: a DOI looks like 10.1234/abcd)" in page
    assert page.count(">Created<") == 4 and page.count(">Rejected<") == 0
    assert study_count(app) == 4


@pytest.mark.parametrize("name, message", [
    ("truncated.ris", "the file looks truncated"),
    ("invalid.bib", "BibTeX syntax error"),
    ("not_csl.json", "The JSON is not CSL-JSON"),
])
def test_web_import_of_a_malformed_file_explains_and_changes_nothing(client, admin, app, name, message):
    with open(f"{DATA}/{name}", "rb") as handle:
        response = post_import(client, handle.read(), name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Nothing was imported." in page
    assert study_count(app) == 0


def test_an_upload_over_the_size_limit_gets_a_clear_message(client, admin, app):
    token = csrf_from(client.get("/studies/import").get_data(as_text=True))
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/studies/import", data={"csrf_token": token,
                                                    "file": (io.BytesIO(b"x" * (limit + 1)), "huge.ris")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the 10 MB upload limit, so nothing was imported" in page


@pytest.mark.parametrize("ext, content_type, marker", [
    ("ris", "application/x-research-info-systems; charset=utf-8", "DO  - 10.1126/scitranslmed.aan0026"),
    ("bib", "application/x-bibtex; charset=utf-8", "@article{karagiannis2017,"),
    ("json", "application/vnd.citationstyles.csl+json; charset=utf-8", '"id": "karagiannis2017"'),
])
def test_one_study_an_article_and_all_studies_download_in_each_format(client, make, app, ext, content_type, marker):
    slug = make.demo_article()
    sid = study_id(app, "karagiannis2017")
    for path, filename, count in ((f"/studies/{sid}.{ext}", f"karagiannis2017.{ext}", 1),
                                  (f"/articles/{slug}/references.{ext}", f"{slug}-references.{ext}", 3),
                                  (f"/studies/export.{ext}", f"postil-studies.{ext}", 3)):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        text = response.get_data(as_text=True)
        assert marker in text
        assert text.count("karagiannis2017") >= 1
        if ext == "json":
            assert len(json.loads(text)) == count


def _draft_citing(app, key: str) -> str:
    """Save a draft article citing the study `key`; return its slug."""
    from app.models import ArticleStatus
    from app.services import articles

    with app.app_context():
        draft = articles.save_article(articles.ArticleInput(title="An embargoed draft", slug="embargoed-draft",
                                                            body=f"Mice again, before publication. [@{key}]\n"),
                                      editor=None, status=ArticleStatus.DRAFT)
        db.session.commit()
        return draft.slug


def test_downloads_of_unknown_formats_studies_or_draft_articles_are_404(client, make, auth, app):
    make.demo_article()
    sid = study_id(app, "chabner2018")
    draft = _draft_citing(app, "karagiannis2017")
    assert client.get(f"/studies/{sid}.docx").status_code == 404
    assert client.get("/studies/999999.ris").status_code == 404
    assert client.get("/articles/no-such-article/references.ris").status_code == 404
    # A draft's references are as unknown as the draft, to visitors and readers alike.
    assert client.get(f"/articles/{draft}/references.ris").status_code == 404
    auth.sign_in(make.user().email)
    assert client.get(f"/articles/{draft}/references.ris").status_code == 404
    auth.sign_out()
    # The admin who is writing it can download them: the 404s above are about the draft, not the route.
    auth.sign_in(make.user(role=Role.ADMIN).email)
    response = client.get(f"/articles/{draft}/references.ris")
    assert response.status_code == 200
    assert re.findall(r"^ID  - (\S+)$", response.get_data(as_text=True), re.M) == ["karagiannis2017"]


def test_a_study_of_an_unusual_type_can_still_be_edited(client, admin, app):
    post_import(client, json.dumps([{"id": "film2020", "type": "motion_picture", "title": "A film",
                                     "issued": {"date-parts": [[2020]]}}]).encode(), "film.json")
    sid = study_id(app, "film2020")
    page = client.get(f"/studies/{sid}/edit").get_data(as_text=True)
    assert 'selected value="motion_picture"' in page
    response = post_form(client, f"/studies/{sid}/edit", {"title": "A film, restored", "csl_type": "motion_picture",
                                                          "citation_key": "film2020", "issued_year": "2020"})
    assert response.status_code == 302
    with app.app_context():
        study = db.session.get(Study, sid)
        assert (study.title, study.csl_type) == ("A film, restored", "motion_picture")


def test_the_same_study_in_two_messy_files_is_found_as_a_duplicate(client, admin, app):
    endnote = ("TY  - JOUR\r\nT1  - Neoadjuvant taxanes and TMEM doorways: a cohort study\r\nA1  - Søndergaard, Åse\r\n"
               "Y1  - 2021\r\nDO  - https://www.example-journal.org/doi/full/10.5555/messy.2021.7\r\nER  - \r\n")
    first = post_import(client, endnote.encode("utf-16"), "EndNote.ris").get_data(as_text=True)
    assert "1 record: 1 created." in first and "The file was read as UTF-16" in first
    latin = ("TY  - JOUR\nTI  - Neoadjuvant taxanes and TMEM doorways: a cohort study\nAU  - Søndergaard, Åse\n"
             "PY  - 2021\nDO  - 10.5555/MESSY.2021.7\nER  - \n")
    second = post_import(client, latin.encode("latin-1"), "refworks.ris").get_data(as_text=True)
    assert "1 record: 1 already up to date." in second and "matched by DOI" in second
    assert "The file was read as Windows-1252: check that accented names read correctly." in second
    assert study_count(app) == 1
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.doi == "10.5555/messy.2021.7" and study.authors[0] == {"family": "Søndergaard", "given": "Åse"}


def test_a_megabyte_of_spaces_in_the_identifiers_is_refused_at_once(client, admin, app):
    """A crafted PMID used to backtrack for hours in the form's check; it is now refused by its length."""
    padding = " " * 1_000_000
    response = post_form(client, "/studies/new", study_form(pmid=f"pmid{padding}x", pmcid=f"PMCID:{padding}x",
                                                            doi=f"doi:{padding}x"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("is too long (1,000,005 characters; 100 at most)",
                    "is too long (1,000,007 characters; 100 at most)",
                    "is too long (1,000,005 characters; 500 at most)"):
        assert message in page, message
    assert study_count(app) == 0
