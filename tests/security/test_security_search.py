"""Search never shows what a visitor may not read: not in results, counts, facets, snippets or the API.

A private note with a unique word is planted by reader A and searched for by every role, in the
page, the API, the facets of a broader search and the article's discussion filter; pending
annotations, the draft article and the moderation queue follow the same rules as their pages.
"""
from __future__ import annotations

import re

import pytest

from app.models import Visibility
from tests.security.conftest import QUOTE, ROLES

SECRET = "xenolithic"
SECRET_TAG = "xenotag"
OTHERS = [role for role in ROLES if role != "reader_a"]


@pytest.fixture
def planted(world, make):
    """Reader A's private note, with a unique word in its text and in a tag."""
    return make.annotation(world.user("reader_a"), world.slug, QUOTE, visibility=Visibility.PRIVATE,
                           body=f"My {SECRET} hypothesis, for me alone.", tags=[SECRET_TAG])


def _author_count(html: str, name: str) -> int | None:
    match = re.search(re.escape(name) + r'</a> <span class="count"[^>]*>(\d+)</span>', html)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("role", OTHERS)
def test_a_private_note_is_found_by_nobody_but_its_author(world, visitor, planted, role):
    client = visitor(role).client
    for query in (SECRET, f"tag:{SECRET_TAG}", f"{SECRET[:5]}*", f'"{SECRET} hypothesis"'):
        html = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert "for me alone" not in html and "0 results" in html, query
        assert f"/annotations/{planted}" not in html
        assert "Nothing you can read matches" in html
        api = client.get("/api/search", query_string={"q": query}).get_json()
        assert api["total"] == 0 and api["items"] == []
        assert all(not counts for name, counts in api["facets"].items() if name != "type")
        assert set(api["facets"]["type"].values()) == {0}
    # A broader search counts A's public annotations only (a comment and a question), in the totals and
    # in the author facet.
    broad = client.get("/search", query_string={"q": "TMEM"}).get_data(as_text=True)
    assert _author_count(broad, "Dr Reader A") == 2
    api = client.get("/api/search", query_string={"q": "TMEM", "type": "annotation"}).get_json()
    assert planted not in [int(item["id"].rsplit("/", 1)[1]) for item in api["items"]]
    assert api["facets"]["author"].get("Dr Reader A") == 2
    assert SECRET_TAG not in api["facets"].get("tag", {})
    page = client.get(f"/articles/{world.slug}", query_string={"q": SECRET}).get_data(as_text=True)
    assert f'id="a-{planted}"' not in page and "No annotation matches" in page


def test_the_author_finds_their_private_note_everywhere(world, visitor, planted):
    client = visitor("reader_a").client
    html = client.get("/search", query_string={"q": SECRET}).get_data(as_text=True)
    assert f"/annotations/{planted}" in html and "Only you can see this" in html
    api = client.get("/api/search", query_string={"q": SECRET}).get_json()
    assert api["total"] == 1 and api["items"][0]["visibility"] == "private"
    assert api["facets"]["tag"] == {SECRET_TAG: 1}
    broad = client.get("/search", query_string={"q": "TMEM"}).get_data(as_text=True)
    assert _author_count(broad, "Dr Reader A") == 4  # the public comment and question, both private notes


@pytest.mark.parametrize("role, finds", [("anonymous", False), ("reader_a", False), ("reader_b", True),
                                         ("suspended", False), ("moderator", False), ("admin", False)])
def test_a_pending_annotation_is_searchable_by_its_author_only(world, visitor, role, finds):
    client = visitor(role).client
    api = client.get("/api/search", query_string={"q": "waiting moderator", "type": "annotation"}).get_json()
    ids = [int(item["id"].rsplit("/", 1)[1]) for item in api["items"]]
    assert (world.ids["b_pending"] in ids) is finds


@pytest.mark.parametrize("role, finds", [("anonymous", False), ("reader_a", False), ("reader_b", False),
                                         ("suspended", False), ("moderator", False), ("admin", True)])
def test_a_draft_article_is_searchable_by_admins_only(world, visitor, role, finds):
    html = visitor(role).client.get("/search", query_string={"q": "embargoed"}).get_data(as_text=True)
    assert ("/admin/articles/embargoed-draft" in html) is finds
    assert "/articles/embargoed-draft" not in html.replace("/admin/articles/embargoed-draft", "")


def test_moderators_search_the_queue_and_see_pending_items_of_others(world, visitor):
    html = visitor("moderator").client.get("/search", query_string={"q": "waiting", "scope": "queue"})
    body = html.get_data(as_text=True)
    assert f"/moderation/annotations/{world.ids['b_pending']}" in body
    assert f"/annotations/{world.ids['a_private']}" not in body
    api = visitor("admin").client.get("/api/search", query_string={"q": "comment", "scope": "queue"}).get_json()
    assert {int(i["id"].rsplit("/", 1)[1]) for i in api["items"]} == {world.ids["b_pending"], world.ids["m_pending"]}
    assert visitor("reader_a").client.get("/api/search?q=comment&scope=queue").status_code == 403
