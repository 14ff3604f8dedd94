"""Moderation in the JSON API: flags (201, 409), the queue, decisions (200, 403, 409), the log, the OpenAPI entries.

Every request goes through the `api` client, which checks each answer against the served OpenAPI document.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Role, Visibility
from app.models.base import utcnow
from tests.functional.api.conftest import Api

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    author = make.user(name="Dr Author", profession="Oncologist")
    return {"slug": slug, "author": author, "reader": make.user(name="Dr Reader"),
            "mod": make.user(role=Role.MODERATOR, name="Mod One"),
            "published": make.annotation(author, slug, QUOTE, body="Published text."),
            "pending": make.annotation(author, slug, QUOTE, body="Pending text.", status=S.PENDING)}


@pytest.fixture
def api(app, client):
    """The session's client, checked against the served document (sign in with `auth` first)."""
    return Api(app, client)


@pytest.fixture
def as_user(auth, api):
    """Sign in as `user` (or sign out with None) and return the checking API client for the session."""

    signed_in = []

    def sign_in(user) -> Api:
        if signed_in:
            auth.sign_out()
            signed_in.clear()
        if user is not None:
            signed_in.append(user)
            auth.sign_in(user.email)
            return api.with_session_csrf()
        api.csrf = None
        return api

    return sign_in


def _decide(api: Api, annotation_id: int, action: str, reason: str = ""):
    """Decide on an annotation as it is now (its current `modified` as if_modified)."""
    with api.app.app_context():
        seen = db.session.get(Annotation, annotation_id).modified_at.isoformat()
    return api.post(f"/api/moderation/annotations/{annotation_id}",
                    {"action": action, "reason": reason, "if_modified": seen})


def _status(app, annotation_id):
    with app.app_context():
        return db.session.get(Annotation, annotation_id).status


def test_flag_is_created_once_then_conflicts(as_user, scene):
    api = as_user(scene["reader"])
    path = f"/api/annotations/{scene['published']}/flags"
    response = api.post(path, {"reason": "misrepresents_evidence", "note": "Ignores trial [2]"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["reason"], body["note"]) == ("misrepresents_evidence", "Ignores trial [2]")
    assert body["annotation"].endswith(f"/api/articles/{scene['slug']}/annotations/{scene['published']}")
    assert "flagger" not in body
    again = api.post(path, {"reason": "spam"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(("who", "target", "payload", "status", "message"), [
    ("anonymous", "published", {"reason": "spam"}, 401, "Sign in"),
    ("author", "published", {"reason": "spam"}, 403, "your own"),
    ("reader", "pending", {"reason": "spam"}, 404, "may not read"),
    ("reader", "published", {"reason": "other"}, 422, "`note` must say what is wrong"),
    ("reader", "published", {"reason": "spam", "note": "x" * 1001}, 422, "1,000 at most"),
    ("reader", "published", {"reason": "boring"}, 422, "`reason` must be one of"),
    ("reader", "published", {}, 422, "`reason` is required"),
])
def test_flag_refusals(as_user, scene, app, who, target, payload, status, message):
    api = as_user(None if who == "anonymous" else scene[who])
    response = api.post(f"/api/annotations/{scene[target]}/flags", payload)
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.get(Annotation, scene[target]).open_flags == 0


def test_queue_lists_items_with_status_flags_author_article_and_modified(as_user, scene):
    as_user(scene["reader"]).post(f"/api/annotations/{scene['published']}/flags", {"reason": "abusive", "note": "Rude"})
    api = as_user(scene["mod"])
    pending = api.get("/api/moderation/queue?state=pending").get_json()
    assert pending["total"] == 1 and pending["counts"] == {"pending": 1, "flagged": 1, "hidden": 0}
    item = pending["items"][0]
    assert (item["id"], item["status"]) == (scene["pending"], "pending")
    assert item["author"]["name"] == "Dr Author" and item["author"]["profession"] == "Oncologist"
    assert item["author"]["history"] == {"published": 1, "pending": 1, "hidden": 0, "removed": 0}
    assert item["article"]["slug"] == scene["slug"] and item["quote"] == QUOTE
    assert item["modified"].endswith("Z") and item["actions"] == ["approve", "hide", "remove"]
    assert item["annotation"]["body_html"].strip() == "<p>Pending text.</p>"
    flagged = api.get("/api/moderation/queue?state=flagged").get_json()["items"][0]
    assert flagged["flags"][0]["reason"] == "abusive" and flagged["flags"][0]["note"] == "Rude"
    assert flagged["flags"][0]["flagger"]["name"] == "Dr Reader"
    wrong = api.get("/api/moderation/queue?state=everything")
    assert wrong.status_code == 400 and "`state` must be one of" in wrong.get_json()["error"]["message"]


def test_a_moderator_opens_a_queued_annotation_by_its_iri_but_never_a_private_note(as_user, scene, make):
    private = make.annotation(scene["author"], scene["slug"], QUOTE, visibility=Visibility.PRIVATE)
    api = as_user(scene["mod"])
    item = api.get("/api/moderation/queue?state=pending").get_json()["items"][0]
    opened = api.get(item["annotation"]["id"])
    assert opened.status_code == 200
    assert opened.get_json()["status"] == "pending" and opened.get_json()["body"][0]["value"] == "Pending text."
    assert api.get(f"/api/annotations/{scene['pending']}").status_code == 200  # the earlier address too
    assert api.get(f"/api/annotations/{private}").status_code == 404
    # A reader who is not the author still finds nothing there.
    assert as_user(scene["reader"]).get(item["annotation"]["id"]).status_code == 404


def test_decision_returns_the_new_state_and_a_stale_one_conflicts(as_user, scene, app):
    api = as_user(scene["mod"])
    item = api.get("/api/moderation/queue").get_json()["items"][0]
    path = f"/api/moderation/annotations/{item['id']}"
    response = api.post(path, {"action": "hide", "reason": "Off topic", "if_modified": item["modified"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "hidden" and body["annotation"]["moderation_reason"] == "Off topic"
    assert body["log"]["action"] == "hide" and body["log"]["moderator"]["name"] == "Mod One"
    assert body["actions"] == ["restore", "remove"]
    # A second moderator still holding the old `modified` is refused and changes nothing.
    stale = api.post(path, {"action": "approve", "if_modified": "2000-01-01T00:00:00Z"})
    assert stale.status_code == 409
    assert "changed since you loaded it" in stale.get_json()["error"]["message"]
    assert _status(app, item["id"]) == S.HIDDEN
    fresh = api.post(path, {"action": "restore", "if_modified": body["modified"]})
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "published"


def test_decision_with_the_same_seconds_modified_after_a_change_conflicts(as_user, scene):
    """The API's `modified` is to the second; a change in that second is still caught by the status check."""
    api = as_user(scene["mod"])
    item = api.get("/api/moderation/queue").get_json()["items"][0]
    path = f"/api/moderation/annotations/{item['id']}"
    assert api.post(path, {"action": "approve", "if_modified": item["modified"]}).status_code == 200
    again = api.post(path, {"action": "approve", "if_modified": item["modified"]})
    assert again.status_code == 409


@pytest.mark.parametrize(("action", "reason", "status"), [
    ("approve", "", 403),                                   # one's own annotation
    ("hide", "Mine, on reflection", 200),
])
def test_moderators_cannot_clear_their_own_annotations(as_user, scene, make, action, reason, status):
    own = make.annotation(scene["mod"], scene["slug"], QUOTE, status=S.PENDING)
    assert _decide(as_user(scene["mod"]), own, action, reason).status_code == status


def test_readers_cannot_use_the_moderation_api(as_user, scene):
    assert as_user(None).get("/api/moderation/queue").status_code == 401
    api = as_user(scene["reader"])
    assert api.get("/api/moderation/queue").status_code == 403
    assert api.get("/api/moderation/log").status_code == 403
    assert _decide(api, scene["pending"], "approve").status_code == 403


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"action": "publish"}, 422, "`action` must be one of"),
    ({"action": "hide"}, 422, "`reason` is required to hide or remove"),
    ({"action": "hide", "reason": "   "}, 422, "`reason` is required to hide or remove"),
    ({}, 422, "`action` is required"),
    ({"action": "approve", "if_modified": "last tuesday"}, 422, "`if_modified` must be the item's `modified`"),
    ({"action": "restore"}, 409, "Cannot restore an annotation that is pending"),
    ({"action": "approve", "if_modified": None}, 422, "`if_modified` must be a string"),
    ({"action": "approve", "if_modified": ""}, 422, "`if_modified`"),
])
def test_invalid_decisions_are_refused(as_user, scene, app, payload, status, message):
    api = as_user(scene["mod"])
    with app.app_context():
        seen = db.session.get(Annotation, scene["pending"]).modified_at.isoformat()
    response = api.post(f"/api/moderation/annotations/{scene['pending']}", {"if_modified": seen, **payload})
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]
    assert _status(app, scene["pending"]) == S.PENDING


def test_log_is_paged_and_filtered(as_user, scene, make):
    api = as_user(scene["mod"])
    ids = [make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING) for _ in range(3)]
    for annotation_id in ids:
        assert _decide(api, annotation_id, "approve").status_code == 200
    log = api.get("/api/moderation/log").get_json()
    # With the published one, the second approval makes three: the author becomes trusted, by the system.
    assert log["total"] == 4 and log["page"] == 0 and "next" not in log
    assert [e["action"] for e in log["items"]] == ["approve", "trust", "approve", "approve"]
    assert log["items"][1]["moderator"] is None and log["items"][1]["target_user"]["name"] == "Dr Author"
    only = api.get(f"/api/moderation/log?action=approve&date_from={utcnow().date()}").get_json()
    assert only["total"] == 3
    assert api.get("/api/moderation/log?moderator=system").get_json()["total"] == 1
    assert api.get(f"/api/moderation/log?moderator={scene['mod'].id}").get_json()["total"] == 3
    assert api.get(f"/api/moderation/log?annotation_id={ids[0]}").get_json()["total"] == 1


@pytest.mark.parametrize(("query", "message"), [
    ("page=x", "`page` must be a whole number"),
    ("page=-1", "`page` must be a whole number from 0"),
    ("page=99999999999999999999", "`page` must be a whole number from 0 to 999,999"),
    ("date_to=tomorrow", "`date_to` must be a date like 2025-03-31"),
    ("date_from=", "`date_from` must be a date like 2025-03-31"),       # an empty date is not "no filter"
    ("date_from=2025-02-30", "`date_from` is not a day of the calendar"),
    ("moderator=someone", "`moderator` must be a user id or \"system\""),
    ("annotation_id=0", "`annotation_id` must be a whole number from 1"),
    ("target_user_id=2147483648", "`target_user_id` must be a whole number from 1 to 2,147,483,647"),
    ("action=approve&action=hide", "`action` is given 2 times"),
])
def test_bad_log_filters_are_a_400_naming_the_parameter(as_user, scene, query, message):
    response = as_user(scene["mod"]).get(f"/api/moderation/log?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_openapi_documents_the_moderation_operations(api, scene):
    document = api.get("/api/openapi.json").get_json()
    paths = document["paths"]
    assert paths["/api/annotations/{annotation_id}/flags"]["post"]["responses"].keys() >= {"201", "409"}
    assert "/api/moderation/queue" in paths and "/api/moderation/log" in paths
    assert paths["/api/moderation/annotations/{annotation_id}"]["post"]["responses"].keys() >= {"200", "403", "409"}
    schemas = document["components"]["schemas"]
    assert {"FlagInput", "Flag", "ModerationItem", "ModerationQueue", "ModerationDecision",
            "ModerationLogEntry", "ModerationLogPage"} <= schemas.keys()


def test_a_decision_through_the_api_changes_the_annotation(as_user, scene, app):
    api = as_user(scene["mod"])
    assert _decide(api, scene["pending"], "approve").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Annotation.status).where(Annotation.id == scene["pending"])) == S.PUBLISHED


def test_log_pages_hold_fifty_entries_with_links(as_user, scene, app):
    from app.models import ModerationLog

    with app.app_context():
        for n in range(55):
            db.session.add(ModerationLog(moderator_id=scene["mod"].id, action="approve", reason=f"entry {n}",
                                         created_at=utcnow()))
        db.session.commit()
    api = as_user(scene["mod"])
    first = api.get("/api/moderation/log").get_json()
    assert (first["total"], len(first["items"]), first["page"]) == (55, 50, 0) and "prev" not in first
    second = api.get(first["next"]).get_json()
    assert (len(second["items"]), second["page"]) == (5, 1) and "next" not in second and "prev" in second
    assert api.get(second["prev"]).get_json()["items"] == first["items"]
    seen = {e["id"] for e in first["items"]} | {e["id"] for e in second["items"]}
    assert len(seen) == 55
    beyond = api.get("/api/moderation/log?page=999999").get_json()
    assert beyond["items"] == [] and beyond["total"] == 55
