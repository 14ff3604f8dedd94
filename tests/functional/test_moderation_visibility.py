"""Pending, hidden and removed content reaches nobody but its author (never removed content), wherever it could leak."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Role

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus
SECRETS = {S.PENDING: "SECRET-PENDING-TEXT", S.HIDDEN: "SECRET-HIDDEN-TEXT", S.REMOVED: "SECRET-REMOVED-TEXT"}


@pytest.fixture
def content(make, app):
    slug = make.demo_article()
    author = make.user(name="Dr Author")
    others = {"reader": make.user(name="Dr Reader"), "moderator": make.user(role=Role.MODERATOR, name="Mod")}
    published = make.annotation(author, slug, QUOTE, body="PUBLIC-TEXT")
    ids = {status: make.annotation(author, slug, QUOTE, body=text, status=status)
           for status, text in SECRETS.items()}
    with app.app_context():
        hidden = db.session.get(Annotation, ids[S.HIDDEN])
        hidden.moderation_reason = "Unsupported claim about a named product"
        db.session.commit()
    reply_under_hidden = make.reply(others["reader"], ids[S.HIDDEN], body="REPLY-UNDER-HIDDEN")
    return {"slug": slug, "author": author, "published": published, "ids": ids,
            "reply": reply_under_hidden, **others}


def _sign_in_as(auth, content, role: str) -> None:
    if role != "anonymous":
        auth.sign_in(content[role].email)


def _api_total(client, slug: str) -> tuple[int, set[str]]:
    data = client.get(f"/api/articles/{slug}/annotations").get_json(force=True)
    return data["total"], {item["id"].rsplit("/", 1)[-1] for item in data["first"]["items"]}


def _api_count(client, slug: str) -> int:
    return next(a["annotation_count"] for a in client.get("/api/articles").get_json()["items"] if a["slug"] == slug)


@pytest.mark.parametrize("role", ["anonymous", "reader", "moderator"])
def test_nobody_but_the_author_sees_pending_hidden_or_removed_content(client, auth, content, role):
    _sign_in_as(auth, content, role)
    page = client.get(f"/articles/{content['slug']}").get_data(as_text=True)
    assert "PUBLIC-TEXT" in page
    for text in SECRETS.values():
        assert text not in page
    # Counts: the published annotation, and the reply that stays visible under its hidden parent.
    assert "Discussion <span class=\"muted\">(1 annotation)</span>" in page
    assert "REPLY-UNDER-HIDDEN" in page
    assert "Unsupported claim about a named product" not in page

    assert _api_count(client, content["slug"]) == 2
    total, ids = _api_total(client, content["slug"])
    assert total == 2 and ids == {str(content["published"]), str(content["reply"])}
    for status, annotation_id in content["ids"].items():
        # Moderators open what they review (pending, hidden) by its API IRI; removed content is final.
        under_review = role == "moderator" and status != S.REMOVED
        assert client.get(f"/api/annotations/{annotation_id}").status_code == (200 if under_review else 404)
        assert client.get(f"/annotations/{annotation_id}").status_code == 404
    assert client.get(f"/api/annotations/{content['published']}").status_code == 200


def test_the_author_sees_their_pending_and_hidden_annotations_with_badges_but_not_removed_ones(client, auth, content):
    auth.sign_in(content["author"].email)
    page = client.get(f"/articles/{content['slug']}").get_data(as_text=True)
    assert "SECRET-PENDING-TEXT" in page and "Waiting for a moderator" in page
    assert "SECRET-HIDDEN-TEXT" in page
    assert "Hidden by a moderator: Unsupported claim about a named product" in page
    assert "SECRET-REMOVED-TEXT" not in page
    total, ids = _api_total(client, content["slug"])
    assert ids == {str(content["published"]), str(content["reply"]), str(content["ids"][S.PENDING]),
                   str(content["ids"][S.HIDDEN])}
    assert _api_count(client, content["slug"]) == total == 4
    hidden = client.get(f"/api/annotations/{content['ids'][S.HIDDEN]}").get_json(force=True)
    assert hidden["status"] == "hidden"
    assert hidden["moderation_reason"] == "Unsupported claim about a named product"
    assert client.get(f"/api/annotations/{content['ids'][S.REMOVED]}").status_code == 404


def test_reply_under_a_hidden_annotation_hangs_under_a_stub(client, auth, content):
    auth.sign_in(content["reader"].email)
    page = client.get(f"/articles/{content['slug']}").get_data(as_text=True)
    reply_at = page.index("REPLY-UNDER-HIDDEN")
    thread_start = page.rfind('<li class="thread', 0, reply_at)
    thread = page[thread_start:reply_at]
    assert thread.startswith('<li class="thread thread-stub"')
    assert "This annotation is not shown." in thread
    assert "SECRET-HIDDEN-TEXT" not in page


def test_people_api_does_not_reveal_an_author_known_only_by_hidden_work(client, auth, make, content, app):
    hidden_only = make.user(name="Dr Hidden Only")
    make.annotation(hidden_only, content["slug"], QUOTE, body="x", status=S.HIDDEN)
    auth.sign_in(content["reader"].email)
    assert client.get(f"/api/users/{hidden_only.id}").status_code == 404
    # Their name is not listed in the article's author filter either.
    page = client.get(f"/articles/{content['slug']}").get_data(as_text=True)
    assert not re.search(r"Dr Hidden Only", page)
