"""Article authoring: drafts and publishing, unknown citation keys, revisions and diffs, edit conflicts."""
import html
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Article, ArticleRevision, Role
from tests.conftest import AuthActions, csrf_from

NEW_ARTICLE = """---
title: Taxanes and the tumour microenvironment
standfirst: What the mouse data do and do not show.
source: Postil
commented_work: karagiannis2017
tags: [taxanes, TMEM]
---

Mouse models suggest paclitaxel can raise TMEM activity. [@karagiannis2017]

The editorial asks whether this matters in patients. [@chabner2018]
"""


@pytest.fixture
def admin(make, auth):
    user = make.user(role=Role.ADMIN, name="Dr Ada Admin")
    auth.sign_in(user.email)
    return user


def form_fields(page: str) -> dict:
    """Return the editor form's hidden fields and textarea as they were served."""
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    source = re.search(r'<textarea[^>]*name="source"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    fields["source"] = html.unescape(source)
    return fields


def save(client, path: str, action: str = "save", **changes):
    fields = form_fields(client.get(path).get_data(as_text=True))
    fields.update(changes)
    fields["action"] = action
    return client.post(path, data=fields)


def create(client, source: str = NEW_ARTICLE, action: str = "save", note: str = ""):
    return save(client, "/admin/articles/new", action=action, source=source, note=note)


def test_an_article_citing_unknown_keys_is_refused_and_the_text_is_kept(client, admin, make, app):
    make.demo_article()
    source = NEW_ARTICLE + "\nA newer trial disagrees. [@smith2024; @jones2023]\n"
    response = create(client, source)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unknown citation keys: smith2024, jones2023. Add these studies first or correct the keys." in page
    assert "A newer trial disagrees. [@smith2024; @jones2023]" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Article.id))) == 1


def test_a_draft_is_invisible_to_readers_and_visible_to_admins(client, admin, make, auth, app):
    make.demo_article()
    response = create(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/articles/taxanes-and-the-tumour-microenvironment")
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created “Taxanes and the tumour microenvironment” as a draft (readers cannot see it)." in view
    assert "Mouse models suggest paclitaxel can raise TMEM activity." in view
    assert client.get("/articles/taxanes-and-the-tumour-microenvironment").status_code == 404
    auth.sign_out()
    reader = make.user()
    auth.sign_in(reader.email)
    assert client.get("/articles/taxanes-and-the-tumour-microenvironment").status_code == 404
    assert client.get("/admin/articles/taxanes-and-the-tumour-microenvironment").status_code == 403
    assert "Taxanes and the tumour microenvironment" not in client.get("/").get_data(as_text=True)
    assert client.get("/articles/taxanes-and-the-tumour-microenvironment/references.ris").status_code == 404


def test_publishing_makes_the_article_visible_and_unpublishing_hides_it_again(client, admin, make):
    make.demo_article()
    create(client)
    slug = "taxanes-and-the-tumour-microenvironment"
    view = client.get(f"/admin/articles/{slug}").get_data(as_text=True)
    token = csrf_from(view)
    response = client.post(f"/admin/articles/{slug}/status", data={"csrf_token": token, "action": "publish",
                                                                  "base_version": "1"})
    assert response.status_code == 302
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Taxanes and the tumour microenvironment" in page and 'id="ref-2"' in page
    client.post(f"/admin/articles/{slug}/status", data={"csrf_token": token, "action": "draft", "base_version": "1"})
    assert client.get(f"/articles/{slug}").status_code == 404


def test_saving_and_publishing_at_once(client, admin, make):
    make.demo_article()
    response = create(client, action="publish")
    assert response.status_code == 302
    assert client.get("/articles/taxanes-and-the-tumour-microenvironment").status_code == 200


def test_a_title_taken_by_another_article_is_refused(client, admin, make):
    make.demo_article()
    taken = NEW_ARTICLE.replace("source: Postil\n", "source: Postil\nslug: chemotherapy-metastases\n")
    response = create(client, taken)
    assert response.status_code == 409
    assert "An article already uses the address /articles/chemotherapy-metastases" in response.get_data(as_text=True)


def test_an_unknown_commented_work_or_missing_title_is_named(client, admin, make):
    make.demo_article()
    page = create(client, NEW_ARTICLE.replace("commented_work: karagiannis2017", "commented_work: nobody1999"))
    assert "commented_work: no study has the key nobody1999" in page.get_data(as_text=True)
    page = create(client, NEW_ARTICLE.replace("title: Taxanes and the tumour microenvironment\n", ""))
    assert "The front matter needs a title." in page.get_data(as_text=True)


def test_every_save_of_a_published_article_records_who_when_and_a_note(client, admin, make, app):
    slug = make.demo_article()
    edit = f"/admin/articles/{slug}/edit"
    fields = form_fields(client.get(edit).get_data(as_text=True))
    assert fields["source"].startswith("---\ntitle: 'Chemotherapy: a cause of metastases?'\n")
    assert fields["base_version"] == "1"
    changed = fields["source"].replace("it makes sense to continue", "it still makes sense to continue")
    response = save(client, edit, source=changed, note="Softened the conclusion")
    assert response.status_code == 302
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved version 2 of “Chemotherapy: a cause of metastases?” (published)." in view
    history = client.get(f"/admin/articles/{slug}/revisions").get_data(as_text=True)
    assert "Softened the conclusion" in history and "Dr Ada Admin" in history
    assert "it still makes sense" in client.get(f"/articles/{slug}").get_data(as_text=True)
    with app.app_context():
        revisions = db.session.scalars(select(ArticleRevision).order_by(ArticleRevision.version))
        assert [r.version for r in revisions] == [1, 2]


def test_the_diff_between_two_revisions_names_each_change_in_text(client, admin, make):
    slug = make.demo_article()
    edit = f"/admin/articles/{slug}/edit"
    source = form_fields(client.get(edit).get_data(as_text=True))["source"]
    save(client, edit, source=source.replace("interesting editorial", "thoughtful editorial"), note="Wording")
    source = form_fields(client.get(edit).get_data(as_text=True))["source"]
    save(client, edit, source=source + "\nA closing line added in version 3.\n", note="Closing line")
    page = client.get(f"/admin/articles/{slug}/diff?from=1&to=3").get_data(as_text=True)
    assert "Changes from version 1 to version 3" in page
    assert "1 line changed, 2 added, 0 removed." in page
    assert ('<del><span class="visually-hidden">[removed: </span>interesting<span class="visually-hidden">]'
            '</span></del>') in page
    assert '<ins><span class="visually-hidden">[added: </span>thoughtful<span class="visually-hidden">]' in page
    assert "A closing line added in version 3." in page and ">Added</th>" in page and ">Changed</th>" in page
    assert 'Before: </span>' in page and 'After: </span>' in page
    assert "unchanged lines" in page  # long runs of unchanged lines are folded
    assert client.get(f"/admin/articles/{slug}/diff?from=1&to=9").status_code == 404


def test_saving_over_a_newer_version_is_refused_and_keeps_the_text(client, admin, make, auth, app):
    slug = make.demo_article()
    edit = f"/admin/articles/{slug}/edit"
    mine = form_fields(client.get(edit).get_data(as_text=True))
    # Another admin saves first.
    other = make.user(role=Role.ADMIN, name="Dr Bea Other")
    other_client = app.test_client()
    AuthActions(other_client).sign_in(other.email)
    assert save(other_client, edit, source=mine["source"].replace("Dr. Chabner", "Dr Chabner"),
                note="House style").status_code == 302

    my_text = mine["source"].replace("great importance", "the greatest importance")
    response = client.post(edit, data={**mine, "source": my_text, "note": "Mine", "action": "save"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this article by Dr Bea Other while you were editing (it is now version 2" in page
    assert "the greatest importance" in page  # the submitted text is still in the form
    assert "Your text and the newer saved version" in page
    with app.app_context():
        article = db.session.scalar(select(Article))
        assert article.version == 2 and "the greatest importance" not in article.body_source
    # Having seen the differences, saving again is a deliberate choice based on version 2.
    again = form_fields(page)
    assert again["base_version"] == "2"
    assert client.post(edit, data={**again, "action": "save"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Article.version)) == 3


def test_a_metadata_only_change_by_someone_else_is_also_a_conflict(client, admin, make, app):
    slug = make.demo_article()
    edit = f"/admin/articles/{slug}/edit"
    mine = form_fields(client.get(edit).get_data(as_text=True))
    with app.app_context():
        db.session.scalar(select(Article)).standfirst = "Changed meanwhile"
        db.session.commit()
    response = client.post(edit, data={**mine, "action": "save"})
    assert response.status_code == 409


def test_the_save_says_how_many_annotations_moved_or_were_orphaned(client, admin, make, app):
    slug = make.demo_article()
    author = make.user(trusted=True)
    make.annotation(author, slug, "are the models used really representative of the spectrum of human tumors?")
    make.annotation(author, slug, "What were the levels of resistance to taxanes and other chemotherapies?")
    edit = f"/admin/articles/{slug}/edit"
    source = form_fields(client.get(edit).get_data(as_text=True))["source"]
    source = source.replace("Dr. Chabner, Director", "Bruce Chabner, the Director")
    source = source.replace(" What were the levels of resistance to taxanes and other chemotherapies?", "")
    response = save(client, edit, source=source, note="Trimmed")
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Annotations re-anchored (2): 1 moved with its passage; 1 lost its passage (orphaned)." in view
    with app.app_context():
        states = sorted(db.session.scalars(select(Annotation.anchor_state)))
        assert states == ["moved", "orphaned"]


def test_live_preview_renders_server_side_and_needs_the_csrf_header(client, admin, make):
    make.demo_article()
    token = csrf_from(client.get("/admin/articles/new").get_data(as_text=True))
    source = NEW_ARTICLE + "\nAnd an unknown one. [@nobody2020]\n"
    refused = client.post("/admin/articles/preview", json={"source": source})
    assert refused.status_code == 400
    response = client.post("/admin/articles/preview", json={"source": source}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    body = response.get_json()
    assert body["unknown_keys"] == ["nobody2020"]
    assert "Mouse models suggest paclitaxel can raise TMEM activity." in body["html"]
    assert 'data-cite="karagiannis2017"' in body["html"] and "<code>nobody2020</code>" in body["html"]
    assert client.post("/admin/articles/preview", json={"text": 1}, headers={"X-CSRFToken": token}).status_code == 400


def test_readers_cannot_author(client, make, auth):
    slug = make.demo_article()
    auth.sign_in(make.user().email)
    for path in ("/admin/articles", "/admin/articles/new", f"/admin/articles/{slug}/edit",
                 f"/admin/articles/{slug}/revisions"):
        assert client.get(path).status_code == 403, path
