"""A journal club's annotations never leak: page, counts, highlights, API, search, exports, notifications,
email, profiles, study pages and cached pages; and a member who leaves or is removed loses access at once.

Each test sets up the same small club: an owner, a member and the member's group note and question on
the demo article, beside one public comment; an outsider (a signed-in reader who is not a member) and
an anonymous visitor look for them everywhere a reader could.
"""
from __future__ import annotations

import csv
import io
import json

import pytest

from app.models import AnnotationKind
from app.services.shared_pages import page_cache
from tests.conftest import AuthActions, csrf_from, send_outbox

QUOTE = "increased expression of TIE2, the angiopoietin receptor"
PUBLIC_QUOTE = "are the models used really representative of the spectrum of human tumors?"
SECRET = "Wombatsecret: our unit saw this in two patients last month."
QUESTION = "Platypusquery: should we stain for TIE2 at our next review?"


@pytest.fixture
def club(app, make):
    """The demo article, a club (owner, member) with two group annotations, one public comment, an outsider."""
    slug = make.demo_article()
    owner = make.user(name="Dr Own Er", trusted=True)
    member = make.user(name="Dr Mem Ber", trusted=True)
    outsider = make.user(name="Dr Out Sider", trusted=True)
    group_id, group_slug = make.group(owner, "Ward 7 journal club", members=[member])
    secret = make.annotation(member, slug, QUOTE, body=SECRET, group_id=group_id,
                             kind=AnnotationKind.CRITIQUE, tags=["wombat"])
    question = make.annotation(member, slug, QUOTE, body=QUESTION, group_id=group_id, kind=AnnotationKind.QUESTION)
    public = make.annotation(outsider, slug, PUBLIC_QUOTE, body="A public comment anyone may read.")
    return {"slug": slug, "owner": owner, "member": member, "outsider": outsider, "group_id": group_id,
            "group": group_slug, "secret": secret, "question": question, "public": public}


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def _leaks(text: str) -> list[str]:
    return [word for word in ("Wombatsecret", "Platypusquery", "Ward 7 journal club", "wombat") if word in text]


def test_the_public_page_its_counts_and_highlights_hold_nothing_of_the_club_for_anyone(app, club):
    slug = club["slug"]
    for user in (None, club["outsider"], club["member"], club["owner"]):
        page = _client(app, user).get(f"/articles/{slug}").get_data(as_text=True)
        # A member's own layer switch names their club; the article and its discussion hold nothing of it.
        assert _leaks(page[page.index('id="article-layout"'):]) == []
        assert f'data-ids="{club["secret"]}"' not in page and f'id="a-{club["secret"]}"' not in page
        # One public annotation: the legend counts it alone.
        assert "Discussion <span class=\"muted\">(1 annotation)" in page
    # The cache never holds the club's words: neither the anonymous page nor the members' shared content.
    cached = " ".join(str(getattr(value, "html", value)) for value in page_cache.items.values())
    assert cached and _leaks(cached) == []


def test_members_read_the_club_layer_with_its_highlights_and_counts_and_outsiders_get_404(app, club):
    slug, layer = club["slug"], f"group:{club['group']}"
    page = _client(app, club["member"]).get(f"/articles/{slug}?layer={layer}").get_data(as_text=True)
    assert "Wombatsecret" in page and "Platypusquery" in page
    assert f'id="a-{club["secret"]}"' in page and "A public comment anyone may read." not in page
    assert "Discussion <span class=\"muted\">(2 annotations)" in page
    assert 'aria-current="page">Ward 7 journal club' in page
    assert _client(app, club["outsider"]).get(f"/articles/{slug}?layer={layer}").status_code == 404
    # Anonymous readers have no layers: they get the public page, as everyone.
    anonymous = _client(app).get(f"/articles/{slug}?layer={layer}").get_data(as_text=True)
    assert _leaks(anonymous) == []
    # "Mine" holds the threads the member started, in every audience, each saying where it lives.
    mine = _client(app, club["member"]).get(f"/articles/{slug}?layer=mine").get_data(as_text=True)
    assert "Wombatsecret" in mine and "Journal club: Ward 7 journal club" in mine


def test_the_api_lists_and_opens_club_annotations_for_members_only_with_their_group(app, club):
    slug = club["slug"]
    for user in (None, club["outsider"]):
        client = _client(app, user)
        container = client.get(f"/api/articles/{slug}/annotations/").get_data(as_text=True)
        assert _leaks(container) == []
        assert client.get(f"/api/annotations/{club['secret']}").status_code == 404
        assert client.get(f"/api/groups/{club['group']}").status_code in (401, 404)
        listed = client.get("/api/articles").get_json()["items"]
        assert [a["annotation_count"] for a in listed if a["slug"] == slug] == [1]
    member = _client(app, club["member"])
    served = member.get(f"/api/annotations/{club['secret']}").get_json()
    assert served["visibility"] == "group" and served["postil:group"].endswith(f"/api/groups/{club['group']}")
    assert member.get(f"/api/groups/{club['group']}").get_json()["role"] == "member"


def _post_annotation(client, slug: str, group_iri: str | None, body: str):
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))
    data = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "bodyValue": body,
            "target": {"source": f"http://localhost/articles/{slug}",
                       "selector": [{"type": "TextQuoteSelector", "exact": QUOTE}]}}
    if group_iri:
        data["postil:group"] = group_iri
    return client.post(f"/api/articles/{slug}/annotations/", json=data, headers={"X-CSRFToken": token})


def _counts(app) -> tuple:
    from tests.security.conftest import table_rows

    with app.app_context():
        rows = table_rows(frozenset({"articles.display_rev", "articles.updated_at"}))
    # Signing in and reading the article page record a session and a visit: not what is checked here.
    return {table: found for table, found in rows.items() if table not in ("user_sessions", "article_visits")}


def test_creating_a_club_annotation_in_the_api_needs_membership_and_a_refusal_changes_nothing(app, club):
    slug = club["slug"]
    iri = f"http://127.0.0.1:5000/api/groups/{club['group']}"
    before = _counts(app)
    refused = _post_annotation(_client(app, club["outsider"]), slug, iri, "Let me in.")
    assert refused.status_code == 403 and "not a member of “Ward 7 journal club”" in refused.get_json()["error"][
        "message"]
    unknown = _post_annotation(_client(app, club["member"]), slug, "http://127.0.0.1:5000/api/groups/nope", "Hm.")
    assert unknown.status_code == 422 and "postil:group" in unknown.get_json()["error"]["message"]
    assert _counts(app) == before
    created = _post_annotation(_client(app, club["member"]), slug, iri, "Echidnanote for the club.")
    assert created.status_code == 201
    assert created.get_json()["postil:group"].endswith(f"/api/groups/{club['group']}")
    assert created.get_json()["visibility"] == "group"


def test_search_finds_club_annotations_for_members_only(app, club):
    for user in (None, club["outsider"]):
        client = _client(app, user)
        assert client.get("/api/search?q=wombatsecret").get_json()["total"] == 0
        assert client.get("/api/search?q=tag:wombat").get_json()["total"] == 0
        assert "our unit saw this" not in client.get("/search?q=wombatsecret").get_data(as_text=True)
    member = _client(app, club["member"])
    assert member.get("/api/search?q=wombatsecret").get_json()["total"] == 1


def test_exports_hold_the_club_only_for_members_asking_for_its_layer(app, club):
    slug = club["slug"]
    for user in (None, club["outsider"], club["member"]):
        client = _client(app, user)
        for ext in ("csv", "md", "jsonld"):
            assert _leaks(client.get(f"/articles/{slug}/discussion.{ext}").get_data(as_text=True)) == []
    assert _client(app, club["outsider"]).get(
        f"/articles/{slug}/discussion.csv?layer=group:{club['group']}").status_code == 404
    rows = list(csv.DictReader(io.StringIO(_client(app, club["member"]).get(
        f"/articles/{slug}/discussion.csv?layer=group:{club['group']}").get_data(as_text=True))))
    assert {r["comment"] for r in rows} == {SECRET, QUESTION} and {r["visibility"] for r in rows} == {"group"}
    # One's own data (GDPR) holds what one wrote, in the club too.
    own = _client(app, club["member"]).get("/profile/annotations.jsonld").get_data(as_text=True)
    assert "Wombatsecret" in json.dumps(json.loads(own))


def test_profiles_and_study_pages_show_club_annotations_to_no_outsider(app, club):
    member_id = club["member"].id
    for user in (None, club["outsider"], club["owner"]):
        page = _client(app, user).get(f"/people/{member_id}")
        assert _leaks(page.get_data(as_text=True)) == []
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Study

    with app.app_context():
        study_id = db.session.scalar(select(Study.id).order_by(Study.id))
    for user in (None, club["outsider"]):
        assert _leaks(_client(app, user).get(f"/studies/{study_id}").get_data(as_text=True)) == []


def test_notifications_and_email_reach_members_only(app, make, club, smtp_server):
    slug = club["slug"]
    follower = make.user(name="Dr Fol Lower", trusted=True)
    follower_client = _client(app, follower)
    token = csrf_from(follower_client.get(f"/articles/{slug}").get_data(as_text=True))
    assert follower_client.post("/following", data={"csrf_token": token, "type": "article",
                                                    "target": str(_article_id(app, slug)),
                                                    "next": f"/articles/{slug}"}).status_code in (302, 303)
    owner = _client(app, club["owner"])
    token = csrf_from(owner.get(f"/articles/{slug}?layer=group:{club['group']}").get_data(as_text=True))
    reply = owner.post(f"/annotations/{club['question']}/replies", data={
        "csrf_token": token, "body": f"Quollanswer: yes, and @[Dr Fol Lower](/people/{follower.id}) should see."})
    assert reply.status_code == 302
    # The member (the question's author) hears of the reply; the follower and the mentioned outsider do not.
    assert "Dr Own Er replied" in _client(app, club["member"]).get("/notifications").get_data(as_text=True)
    assert "Quollanswer" not in follower_client.get("/notifications").get_data(as_text=True)
    assert "Dr Own Er" not in follower_client.get("/notifications").get_data(as_text=True)
    send_outbox(app)
    to_follower = [m for m in smtp_server.received if follower.email in m.recipients]
    assert to_follower == []
    assert any(club["member"].email in m.recipients and "Quollanswer" in m.text for m in smtp_server.received)


def _article_id(app, slug: str) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Article

    with app.app_context():
        return db.session.scalar(select(Article.id).where(Article.slug == slug))


def _leave(client, group_slug: str):
    token = csrf_from(client.get(f"/groups/{group_slug}").get_data(as_text=True))
    return client.post(f"/groups/{group_slug}/leave", data={"csrf_token": token})


def test_a_member_who_leaves_loses_access_at_once_everywhere_and_their_annotations_stay(app, club, smtp_server):
    slug, layer = club["slug"], f"group:{club['group']}"
    member = _client(app, club["member"])
    assert "Wombatsecret" in member.get(f"/articles/{slug}?layer={layer}").get_data(as_text=True)
    assert member.get("/api/search?q=wombatsecret").get_json()["total"] == 1
    # A reply by the owner is queued for email while the member still belongs...
    owner = _client(app, club["owner"])
    token = csrf_from(owner.get(f"/articles/{slug}?layer={layer}").get_data(as_text=True))
    owner.post(f"/annotations/{club['question']}/replies", data={"csrf_token": token, "body": "Numbatreply."})

    assert _leave(member, club["group"]).status_code == 303
    assert member.get(f"/articles/{slug}?layer={layer}").status_code == 404
    assert _leaks(member.get(f"/articles/{slug}").get_data(as_text=True)) == []
    assert member.get(f"/api/annotations/{club['secret']}").status_code == 404
    assert member.get(f"/annotations/{club['secret']}").status_code == 404
    assert member.get("/api/search?q=wombatsecret").get_json()["total"] == 0
    assert member.get(f"/groups/{club['group']}").status_code == 404
    assert "Numbatreply" not in member.get("/notifications").get_data(as_text=True)
    # ... and withheld when it is sent after they left.
    send_outbox(app)
    assert not [m for m in smtp_server.received if club["member"].email in m.recipients]
    # Their annotations stay in the group, under their name.
    kept = owner.get(f"/articles/{slug}?layer={layer}").get_data(as_text=True)
    assert "Wombatsecret" in kept and "Dr Mem Ber" in kept


def test_a_member_removed_by_the_owner_loses_access_at_once(app, club):
    slug, layer = club["slug"], f"group:{club['group']}"
    member = _client(app, club["member"])
    assert member.get(f"/articles/{slug}?layer={layer}").status_code == 200
    owner = _client(app, club["owner"])
    token = csrf_from(owner.get(f"/groups/{club['group']}").get_data(as_text=True))
    removed = owner.post(f"/groups/{club['group']}/members/{club['member'].id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert member.get(f"/articles/{slug}?layer={layer}").status_code == 404
    assert member.get(f"/api/annotations/{club['question']}").status_code == 404


def test_a_clubs_layer_is_never_cached_and_its_members_still_share_the_cached_public_page(app, club):
    from app.services.shared_pages import own_annotations

    slug, layer = club["slug"], f"group:{club['group']}"
    page_cache.clear()
    member = _client(app, club["member"])
    member.get(f"/articles/{slug}")
    shared = set(page_cache.items)
    # The member wrote only club annotations: the public layer is the shared content, switched on for them.
    assert any(key[0] == "member" for key in shared)
    with app.app_context():
        assert own_annotations(_article_id(app, slug), club["member"].id).personal is False
    for _ in range(2):
        assert "Wombatsecret" in member.get(f"/articles/{slug}?layer={layer}").get_data(as_text=True)
    assert set(page_cache.items) == shared, "a club's layer must never enter the page cache"
    assert _leaks(" ".join(str(getattr(v, "html", v)) for v in page_cache.items.values())) == []
