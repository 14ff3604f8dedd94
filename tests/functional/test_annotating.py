
"""Annotating through the HTML routes, and what readers see on the article page."""
import re
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app.extensions import db
from app.models import Annotation, AnnotationRevision
from tests.conftest import csrf_from

QUOTE = "are the models used really representative of the spectrum of human tumors?"


def annotate(client, slug, fetch=False, **fields):
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))
    data = {"csrf_token": token, "exact": QUOTE, "body": "A **comment**.", "kind": "question",
            "visibility": "public", "tags": "models, Preclinical"}
    data.update(fields)
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    return client.post(f"/articles/{slug}/annotate", data=data, headers=headers)


@pytest.fixture
def reader(make, auth):
    user = make.user(trusted=True, name="Dr Reader", profession="Medical oncologist")
    auth.sign_in(user.email)
    return user


def test_annotating_a_typed_quote_publishes_it_on_those_words(client, make, reader, app):
    slug = make.demo_article()
    response = annotate(client, slug)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        annotation = db.session.scalar(select(Annotation))
        assert annotation.exact == QUOTE and annotation.body_html.strip() == "<p>A <strong>comment</strong>.</p>"
        assert annotation.tags == ["models", "Preclinical"]  # the case as typed
        assert annotation.article.body_text[annotation.start:annotation.end] == QUOTE
    marked = "".join(re.findall(rf'<mark class="hl hl-question" data-ids="{annotation.id}">([^<]*)</mark>', page))
    assert marked == QUOTE
    assert "Dr Reader" in page and "Competing interests: None declared" in page


def test_script_annotating_answers_json_and_the_page_shows_it_at_once(client, make, reader):
    slug = make.demo_article()
    client.get(f"/articles/{slug}")  # the page is cached before the change
    response = annotate(client, slug, fetch=True)
    assert response.status_code == 201
    data = response.get_json()
    assert data["url"] == f"/annotations/{data['id']}" and "published" in data["message"]
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert f'data-ids="{data["id"]}"' in page and "A <strong>comment</strong>." in page


def test_script_annotating_reports_field_errors_as_json(client, make, reader):
    slug = make.demo_article()
    response = annotate(client, slug, fetch=True, body="")
    assert response.status_code == 422
    assert response.get_json()["errors"]["body"] == ["Write your annotation."]


@pytest.mark.parametrize("fields, message", [
    ({"exact": "words that are not in the article"}, "not found in the article"),
    ({"body": ""}, "Write your annotation"),
    ({"body": "x" * 10_001}, "10000"),
    ({"exact": QUOTE, "start": "5", "end": "2"}, "start 5 is after end 2"),
    ({"tags": ",".join(f"t{i}" for i in range(12))}, "Too many tags"),
])
def test_bad_annotations_are_refused_with_a_clear_message_and_nothing_saved(client, make, reader, app, fields,
                                                                              message):
    slug = make.demo_article()
    response = annotate(client, slug, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace(",", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(Annotation.id))) == 0


def test_annotating_requires_sign_in(client, make):
    slug = make.demo_article()
    response = client.get(f"/articles/{slug}/annotate")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_reply_edit_keeps_history_and_delete_leaves_a_stub(client, make, reader, app, auth):
    slug = make.demo_article()
    root = make.annotation(reader, slug, QUOTE, body="First thought.")
    other = make.user(trusted=True, name="Dr Replier")
    make.reply(other, root, body="A reply that must survive.")
    token = csrf_from(client.get(f"/annotations/{root}/edit").get_data(as_text=True))
    client.post(f"/annotations/{root}/edit", data={"csrf_token": token, "body": "Second thought.",
                                                   "kind": "critique", "tags": ""})
    with app.app_context():
        annotation = db.session.get(Annotation, root)
        assert annotation.body == "Second thought." and annotation.edited_at is not None
        assert [r.body for r in annotation.revisions] == ["First thought."]
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "edited" in page and "Second thought." in page
    client.post(f"/annotations/{root}/delete", data={"csrf_token": token})
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "deleted by its author" in page and "A reply that must survive." in page
    assert "Second thought." not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 2  # edit + deletion


def test_only_the_author_edits_or_deletes(client, make, app):
    from tests.conftest import AuthActions

    slug = make.demo_article()
    author = make.user(trusted=True)
    intruder = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE)
    AuthActions(client).sign_in(intruder.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.get(f"/annotations/{annotation_id}/edit").status_code == 403
    assert client.post(f"/annotations/{annotation_id}/delete", data={"csrf_token": token}).status_code == 403
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert f'data-own="{annotation_id}" hidden>' in page, "edit and delete controls stay hidden for others"
    assert f'data-flag="{annotation_id}">' in page, "others may flag it"


def test_author_sees_own_controls_on_the_shared_page(client, make, auth):
    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE)
    auth.sign_in(author.email)
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert f'data-own="{annotation_id}">' in page
    assert f'data-flag="{annotation_id}" hidden>' in page


def test_private_annotation_never_shows_to_others(client, make, app):
    from tests.conftest import AuthActions

    slug = make.demo_article()
    owner = make.user(trusted=True)
    other = make.user(trusted=True)
    from app.models import Visibility

    private_id = make.annotation(owner, slug, QUOTE, body="My private note.", visibility=Visibility.PRIVATE)
    AuthActions(client).sign_in(other.email)
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "My private note." not in page and f'data-ids="{private_id}"' not in page
    assert "(0 annotations)" in page
    assert client.get(f"/annotations/{private_id}").status_code == 404
    client.post("/sign-out", data={"csrf_token": csrf_from(page)})
    AuthActions(client).sign_in(owner.email)
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "My private note." in page and "Only you can see this" in page


def test_filters_by_kind_tag_author_and_mine(client, make, reader):
    slug = make.demo_article()
    other = make.user(trusted=True, name="Dr Someone Else")
    from app.models import AnnotationKind

    make.annotation(reader, slug, QUOTE, body="Question body.", kind=AnnotationKind.QUESTION, tags=["models"])
    make.annotation(other, slug, "rebastinib, a TIE2 inhibitor", body="Critique body.",
                    kind=AnnotationKind.CRITIQUE, tags=["drugs"])
    only_questions = client.get(f"/articles/{slug}?kind=question").get_data(as_text=True)
    assert "Question body." in only_questions and "Critique body." not in only_questions
    by_tag = client.get(f"/articles/{slug}?tag=drugs").get_data(as_text=True)
    assert "Critique body." in by_tag and "Question body." not in by_tag
    mine = client.get(f"/articles/{slug}?mine=1").get_data(as_text=True)
    assert "Question body." in mine and "Critique body." not in mine
    everything = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert re.search(r"Question <span class=\"legend-count\">1</span>", everything)


def test_permalink_opens_the_article_at_the_thread(client, make, reader):
    slug = make.demo_article()
    annotation_id = make.annotation(reader, slug, QUOTE)
    response = client.get(f"/annotations/{annotation_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/articles/{slug}?open={annotation_id}#a-{annotation_id}")


def test_paragraph_links_lead_to_the_no_javascript_form(client, make, reader):
    slug = make.demo_article()
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert f'href="/articles/{slug}/annotate?block=3"' in page
    form = client.get(f"/articles/{slug}/annotate?block=3").get_data(as_text=True)
    assert "Some questions arise about the Karagiannis study" in form


def count_queries(app, client, path, cold=True, seen=None):
    """Return the SQL statements a GET of `path` costs; `seen` (a list) receives the page's text."""
    from app.services.shared_pages import page_cache

    if cold:
        page_cache.clear()
    statements = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA data_version")):
            statements.append(statement)

    # Every engine: the page cache reads on connections of its own, in front of the app.
    event.listen(Engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert response.status_code == 200
    if seen is not None:
        seen.append(response.get_data(as_text=True))
    return len(statements)


def _add_500_annotations(app, reader, first: int) -> None:
    """Add 500 annotations on the same words as `first`, every other one a reply to it."""
    from app.models import Annotation as A

    with app.app_context():
        base = db.session.get(A, first)
        rows = []
        for i in range(500):
            rows.append(A(article_id=base.article_id, author_id=reader.id, kind=base.kind, body=f"n{i}",
                          body_html=f"<p>n{i}</p>", tags=["t"], exact=base.exact, prefix=base.prefix,
                          suffix=base.suffix, start=base.start, end=base.end, original_exact=base.exact,
                          visibility=base.visibility, status=base.status,
                          parent_id=first if i % 2 else None, root_id=first if i % 2 else None))
        db.session.add_all(rows)
        base.article.display_rev += 1
        db.session.commit()


def test_article_page_queries_do_not_grow_with_annotations(client, make, reader, app):
    slug = make.demo_article()
    path = f"/articles/{slug}"
    first = make.annotation(reader, slug, QUOTE)
    make.reply(reader, first)
    anonymous = app.test_client()
    small_pages, large_pages = [], []
    # The reader's first view records their visit (a write of fixed cost, at most once a minute); the
    # views compared below both come after it.
    client.get(path)
    one = count_queries(app, client, path, seen=small_pages)
    anonymous_one = count_queries(app, anonymous, path, seen=small_pages)

    _add_500_annotations(app, reader, first)

    many = count_queries(app, client, path, seen=large_pages)
    anonymous_many = count_queries(app, anonymous, path, seen=large_pages)
    # The large pages show the 500 new annotations (250 threads, 250 replies): equal counts mean no growth.
    for page in small_pages:
        assert "Discussion <span class=\"muted\">(1 annotation)</span>" in page
    for page in large_pages:
        assert "Discussion <span class=\"muted\">(251 annotations)</span>" in page
        assert "<p>n499</p>" in page
    assert many == one, "the signed-in reader's page costs more queries with 500 annotations"
    assert anonymous_many == anonymous_one, "the anonymous page costs more queries with 500 annotations"
    # A cached page costs no query while nothing was committed since: SQLite's PRAGMA data_version (on
    # the page cache's own connection) says so, and PostgreSQL names each changed article (LISTEN),
    # once the notices of the commits above have arrived (each late one costs a view one more read).
    deadline = time.monotonic() + 30
    while count_queries(app, anonymous, path, cold=False) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert count_queries(app, anonymous, path, cold=False) == 0, "a cached page costs a query"


def test_a_nul_character_is_refused_with_a_clear_message_everywhere(client, make, reader, app):
    slug = make.demo_article()
    response = annotate(client, slug, body="before\x00after")
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)
    assert client.get("/studies?q=a%00b").status_code == 400
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))
    api = client.post(f"/api/articles/{slug}/annotations", headers={"X-CSRFToken": token},
                      data='{"motivation": "commenting", "body": {"value": "a\\u0000b"}}',
                      content_type="application/json")
    assert api.status_code == 400 and "NUL character" in api.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Annotation.id))) == 0


def test_services_store_nul_free_text(make, reader, app):
    """What reaches the database never holds NUL, whichever way it came in (PostgreSQL refuses it)."""
    from app.bibliography.record import StudyRecord

    slug = make.demo_article()
    annotation_id = make.annotation(reader, slug, QUOTE, body="a\x00b")
    with app.app_context():
        assert db.session.get(Annotation, annotation_id).body == "a\ufffdb"
    record = StudyRecord(title="Ti\x00tle", container_title="J\x00", authors=[{"family": "Sm\x00ith"}])
    assert (record.title, record.container_title, record.authors) == ("Title", "J", [{"family": "Smith"}])


def test_a_profile_change_shows_at_once_on_cached_article_pages(client, make, reader, app):
    from tests.conftest import AuthActions

    slug = make.demo_article()
    make.annotation(reader, slug, QUOTE)
    anonymous = app.test_client()
    assert "Dr Reader" in anonymous.get(f"/articles/{slug}").get_data(as_text=True)  # now cached
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    client.post("/profile", data={"csrf_token": token, "display_name": "Dr Renamed Reader",
                                  "profession": "Medical oncologist", "interests_choice": "declare",
                                  "competing_interests": "Consulting for Acme Oncology"})
    page = anonymous.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Dr Renamed Reader" in page and "Consulting for Acme Oncology" in page
    other = app.test_client()
    AuthActions(other).sign_in(make.user(trusted=True).email)
    assert "Dr Renamed Reader" in other.get(f"/articles/{slug}").get_data(as_text=True)


def test_tags_keep_their_case_and_match_whatever_the_case(client, make, reader, app):
    slug = make.demo_article()
    annotate(client, slug, tags="MENA, mena, Breast cancer")
    with app.app_context():
        annotation = db.session.scalar(select(Annotation))
        assert annotation.tags == ["MENA", "Breast cancer"]
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert ">MENA<" in page and ">mena<" not in page
    assert "A <strong>comment</strong>" in client.get(f"/articles/{slug}?tag=mena").get_data(as_text=True)
    assert "A <strong>comment</strong>" in client.get(f"/articles/{slug}?tag=MENA").get_data(as_text=True)
    assert f"/annotations/{annotation.id}" in client.get("/search?q=tag:mena").get_data(as_text=True)
    assert f"/annotations/{annotation.id}" not in client.get("/search?q=tag:menace").get_data(as_text=True)


def test_the_flag_form_says_what_a_patient_data_flag_does_before_it_is_sent(client, make, auth, app):
    slug = make.demo_article()
    note = make.annotation(make.user(trusted=True), slug, QUOTE, body="Patient J.D., born 1961.")
    newcomer = make.user(name="Dr Brand New")
    auth.sign_in(newcomer.email)
    page = client.get(f"/annotations/{note}/flag").get_data(as_text=True)
    assert "“Contains patient-identifiable data” puts the annotation at the top of the moderators" in page
    auth.sign_out()
    moderator = make.user(role="moderator")
    auth.sign_in(moderator.email)
    page = client.get(f"/annotations/{note}/flag").get_data(as_text=True)
    assert "“Contains patient-identifiable data” hides the annotation from everyone at once" in page


def test_the_edit_form_offers_the_linked_study_as_the_create_form_does(client, make, reader, app):
    from app.models import Study

    slug = make.demo_article()
    note = make.annotation(reader, slug, QUOTE, body="Which models?")
    page = client.get(f"/annotations/{note}/edit").get_data(as_text=True)
    assert '<label for="study_id">Linked study</label>' in page
    assert '<input checked id="visibility-0" name="visibility" type="radio" value="public">' in page
    with app.app_context():
        study_id = db.session.scalar(select(Study.id).where(Study.citation_key == "karagiannis2017"))
        elsewhere = db.session.scalar(select(func.max(Study.id))) + 1
    token = csrf_from(page)
    data = {"csrf_token": token, "body": "Which models?", "kind": "comment", "tags": "", "study_id": str(study_id)}
    assert client.post(f"/annotations/{note}/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Annotation, note).study_id == study_id
    refused = client.post(f"/annotations/{note}/edit", data={**data, "study_id": str(elsewhere)})
    assert refused.status_code == 422
    assert "The linked study must be one of this article&#39;s references." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Annotation, note).study_id == study_id
    assert client.post(f"/annotations/{note}/edit", data={**data, "study_id": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Annotation, note).study_id is None
