"""Exports of the discussion (CSV, W3C JSON-LD, Markdown; per article and per person) and the JSON-LD import."""
from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Visibility
from tests.conftest import csrf_from

MODELS_QUOTE = "are the models used really representative of the spectrum of human tumors?"
REBASTINIB = "rebastinib, a TIE2 inhibitor"
SCHEMA = json.loads(open("tests/data/w3c-web-annotation.schema.json", encoding="utf-8").read())


@pytest.fixture
def discussion(make, app):
    slug = make.demo_article()
    a, b = make.user(name="Dr Ana Author", trusted=True), make.user(name="Dr Ben Bystander", trusted=True)
    public = make.annotation(a, slug, MODELS_QUOTE, kind=AnnotationKind.QUESTION, body="Which models?",
                             tags=["preclinical models"])
    make.reply(b, public, "=HYPERLINK(\"http://evil\") they used MMTV-PyMT.")
    private = make.annotation(a, slug, REBASTINIB, body="My private note on rebastinib.", visibility=Visibility.PRIVATE)
    pending = make.annotation(b, slug, REBASTINIB, body="B's comment waiting for a moderator.",
                              status=AnnotationStatus.PENDING)
    return slug, a, b, {"public": public, "private": private, "pending": pending}


def test_the_csv_export_holds_what_the_reader_may_read_and_defuses_formulas(client, auth, discussion):
    slug, a, b, ids = discussion
    anonymous = client.get(f"/articles/{slug}/discussion.csv")
    assert anonymous.status_code == 200 and anonymous.mimetype == "text/csv"
    assert anonymous.headers["Content-Disposition"] == f'attachment; filename="{slug}-discussion.csv"'
    rows = list(csv.DictReader(io.StringIO(anonymous.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["comment"] for r in rows] == ["Which models?", "'=HYPERLINK(\"http://evil\") they used MMTV-PyMT."]
    assert rows[0]["quote"] == MODELS_QUOTE and rows[0]["kind"] == "Question" and rows[1]["in_reply_to"] == str(
        ids["public"])
    assert rows[0]["permalink"] == f"http://localhost/annotations/{ids['public']}"
    auth.sign_in(a.email)
    mine = client.get(f"/articles/{slug}/discussion.csv").get_data(as_text=True)
    assert "My private note on rebastinib." in mine and "waiting for a moderator" not in mine


def test_the_json_ld_export_is_a_w3c_annotation_collection(client, discussion, app):
    slug, a, b, ids = discussion
    response = client.get(f"/articles/{slug}/discussion.jsonld")
    assert response.mimetype == "application/ld+json"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "AnnotationCollection" and collection["total"] == 2
    assert collection["id"] == f"http://localhost/articles/{slug}/discussion.jsonld"
    items = collection["first"]["items"]
    assert [item["motivation"] for item in items] == ["questioning", "replying"]
    for item in items:
        jsonschema.validate(item, SCHEMA)
    assert all(i["visibility"] == "public" for i in items) and "My private note" not in json.dumps(collection)


def test_the_markdown_export_gives_journal_club_notes(client, discussion):
    slug, a, b, ids = discussion
    text = client.get(f"/articles/{slug}/discussion.md").get_data(as_text=True)
    assert text.startswith("# Discussion: Chemotherapy: a cause of metastases?\n")
    assert f"> {MODELS_QUOTE}" in text and "## 1. Question" in text
    assert "**Dr Ana Author**, Medical oncologist" in text and "Which models?" in text
    assert "*Tags:* preclinical models" in text
    assert "- **Dr Ben Bystander**, Medical oncologist" in text and "they used MMTV-PyMT." in text
    assert "My private note" not in text and "waiting for a moderator" not in text


def test_exports_are_streamed_in_a_fixed_number_of_queries(client, app, make, discussion):
    from sqlalchemy import event

    slug, a, b, ids = discussion

    def queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(f"/articles/{slug}/discussion.md")
            assert response.is_streamed
            response.get_data()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = queries()
    for n in range(30):
        make.annotation(a, slug, MODELS_QUOTE, body=f"Note {n}")
    assert queries() == few


def test_a_person_downloads_everything_they_wrote_from_their_profile(client, auth, discussion):
    slug, a, b, ids = discussion
    auth.sign_in(b.email)
    profile = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/annotations.jsonld"' in profile and 'href="/profile/annotations.csv"' in profile
    rows = list(csv.DictReader(io.StringIO(client.get("/profile/annotations.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert sorted((r["comment"][:12], r["status"]) for r in rows) == [
        ("'=HYPERLINK(", "published"), ("B's comment ", "pending")]
    collection = json.loads(client.get("/profile/annotations.jsonld").get_data(as_text=True))
    assert collection["total"] == 2 and {i["status"] for i in collection["first"]["items"]} == {"published", "pending"}
    auth.sign_out()
    assert client.get("/profile/annotations.csv").status_code == 302


HYPOTHESIS_EXPORT = {
    "total": 4,
    "rows": [
        {"id": "h-1", "text": "Mouse models again.", "tags": ["hypothesis"], "target": [{"source": "https://esanum.example",
         "selector": [{"type": "TextPositionSelector", "start": 0, "end": 5},
                      {"type": "TextQuoteSelector", "exact": "studying breast cancer through mouse models",
                       "prefix": "is and colleagues has shown, by ", "suffix": ", that many drugs that form the "}]}]},
        {"id": "h-2", "text": "Reply to my own note.", "references": ["h-1"], "target": [{"source": "x"}]},
        {"id": "h-3", "text": "Quote no longer in the article.", "target": [{"selector": [
            {"type": "TextQuoteSelector", "exact": "a sentence the author has since deleted entirely"}]}]},
        {"id": "h-4", "text": "", "target": [{"selector": [{"type": "TextQuoteSelector", "exact": "TMEM"}]}]},
    ],
}


def post_import(client, slug: str, payload: bytes, visibility: str = "private"):
    token = csrf_from(client.get(f"/articles/{slug}/import-annotations").get_data(as_text=True))
    return client.post(f"/articles/{slug}/import-annotations", content_type="multipart/form-data",
                       data={"csrf_token": token, "visibility": visibility,
                             "file": (io.BytesIO(payload), "hypothesis.json")})


def test_a_hypothesis_export_is_imported_with_the_re_anchoring_rules_and_a_report(client, auth, app, discussion):
    slug, a, b, ids = discussion
    auth.sign_in(a.email)
    response = post_import(client, slug, json.dumps(HYPOTHESIS_EXPORT).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 annotations: 1 moved, 1 orphaned, 1 reply, 1 skipped." in page
    assert "it has no text (a highlight without a comment)" in page
    with app.app_context():
        imported = db.session.scalars(select(Annotation).where(Annotation.body.in_(
            ["Mouse models again.", "Reply to my own note.", "Quote no longer in the article."]))
            .order_by(Annotation.id)).all()
        moved, reply, orphan = imported
        assert moved.anchor_state == "moved" and moved.exact == "studying breast cancer through mouse models"
        assert moved.visibility == Visibility.PRIVATE and moved.tags == ["hypothesis"]
        assert reply.parent_id == moved.id
        assert orphan.anchor_state == "orphaned" and orphan.start is None
        assert orphan.original_exact == "a sentence the author has since deleted entirely"
    article = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Quote no longer in the article." in article and "Mouse models again." in article


def test_our_own_json_ld_export_imports_back_anchored_in_place(client, auth, app, discussion):
    slug, a, b, ids = discussion
    exported = client.get(f"/articles/{slug}/discussion.jsonld").get_data()
    auth.sign_in(b.email)
    page = post_import(client, slug, exported).get_data(as_text=True)
    assert "2 annotations: 1 anchored, 1 reply." in page


@pytest.mark.parametrize("payload, message", [
    (b"not json at all", "The file is not JSON"),
    (json.dumps({"title": "My bookmarks", "items": [1, 2]}).encode(), "The file holds no annotations"),
    (json.dumps([{"id": "x", "type": "Person"}]).encode(), "The file holds no annotations"),
    ("\u00e9".encode("latin-1"), "The file is not UTF-8 text"),
])
def test_a_file_that_is_not_annotations_is_refused_and_nothing_changes(client, auth, app, discussion, payload,
                                                                         message):
    slug, a, b, ids = discussion
    auth.sign_in(a.email)
    with app.app_context():
        before = db.session.query(Annotation).count()
    response = post_import(client, slug, payload)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True) and "Nothing was imported." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Annotation).count() == before
