"""Moderation in the JSON API: flags (201, 409), the queue, decisions (200, 403, 409), the log, the OpenAPI entries."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Role
from app.models.base import utcnow

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


def _post(client, auth, path: str, payload: dict):
    return client.post(path, json=payload, headers={"X-CSRFToken": auth.csrf("/")})


def _decide(client, auth, annotation_id: int, action: str, reason: str = ""):
    """Decide on an annotation as it is now (its current `modified` as if_modified)."""
    with client.application.app_context():
        seen = db.session.get(Annotation, annotation_id).modified_at.isoformat()
    return _post(client, auth, f"/api/moderation/annotations/{annotation_id}",
                 {"action": action, "reason": reason, "if_modified": seen})


def _status(app, annotation_id):
    with app.app_context():
        return db.session.get(Annotation, annotation_id).status


def test_flag_is_created_once_then_conflicts(client, auth, scene):
    auth.sign_in(scene["reader"].email)
    path = f"/api/annotations/{scene['published']}/flags"
    response = _post(client, auth, path, {"reason": "misrepresents_evidence", "note": "Ignores trial [2]"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["reason"], body["note"]) == ("misrepresents_evidence", "Ignores trial [2]")
    assert "flagger" not in body
    again = _post(client, auth, path, {"reason": "spam"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(("who", "target", "payload", "status"), [
    ("anonymous", "published", {"reason": "spam"}, 401),
    ("author", "published", {"reason": "spam"}, 403),
    ("reader", "pending", {"reason": "spam"}, 404),
    ("reader", "published", {"reason": "other"}, 422),
    ("reader", "published", {"reason": "spam", "note": "x" * 1001}, 422),
    ("reader", "published", {"reason": "boring"}, 422),
    ("reader", "published", {}, 422),
])
def test_flag_refusals(client, auth, scene, who, target, payload, status):
    headers = {}
    if who != "anonymous":
        auth.sign_in(scene[who].email)
        headers["X-CSRFToken"] = auth.csrf("/")
    response = client.post(f"/api/annotations/{scene[target]}/flags", json=payload, headers=headers)
    assert response.status_code == status
    assert "error" in response.get_json()


def test_queue_lists_items_with_status_flags_author_article_and_modified(client, auth, scene, app):
    auth.sign_in(scene["reader"].email)
    _post(client, auth, f"/api/annotations/{scene['published']}/flags", {"reason": "abusive", "note": "Rude"})
    auth.sign_out()
    auth.sign_in(scene["mod"].email)
    pending = client.get("/api/moderation/queue?state=pending").get_json()
    assert pending["total"] == 1 and pending["counts"] == {"pending": 1, "flagged": 1, "hidden": 0}
    item = pending["items"][0]
    assert (item["id"], item["status"]) == (scene["pending"], "pending")
    assert item["author"]["name"] == "Dr Author" and item["author"]["profession"] == "Oncologist"
    assert item["author"]["history"] == {"published": 1, "pending": 1, "hidden": 0, "removed": 0}
    assert item["article"]["slug"] == scene["slug"] and item["quote"] == QUOTE
    assert item["modified"].endswith("Z") and item["actions"] == ["approve", "hide", "remove"]
    assert item["annotation"]["body_html"].strip() == "<p>Pending text.</p>"
    flagged = client.get("/api/moderation/queue?state=flagged").get_json()["items"][0]
    assert flagged["flags"][0]["reason"] == "abusive" and flagged["flags"][0]["note"] == "Rude"
    assert flagged["flags"][0]["flagger"]["name"] == "Dr Reader"
    assert client.get("/api/moderation/queue?state=everything").status_code == 400


def test_decision_returns_the_new_state_and_a_stale_one_conflicts(client, auth, scene, app):
    auth.sign_in(scene["mod"].email)
    item = client.get("/api/moderation/queue").get_json()["items"][0]
    path = f"/api/moderation/annotations/{item['id']}"
    response = _post(client, auth, path, {"action": "hide", "reason": "Off topic", "if_modified": item["modified"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "hidden" and body["annotation"]["moderation_reason"] == "Off topic"
    assert body["log"]["action"] == "hide" and body["log"]["moderator"]["name"] == "Mod One"
    assert body["actions"] == ["restore", "remove"]
    # A second moderator still holding the old `modified` is refused and changes nothing.
    stale = _post(client, auth, path, {"action": "approve", "if_modified": "2000-01-01T00:00:00Z"})
    assert stale.status_code == 409
    assert "changed since you loaded it" in stale.get_json()["error"]["message"]
    assert _status(app, item["id"]) == S.HIDDEN
    fresh = _post(client, auth, path, {"action": "restore", "if_modified": body["modified"]})
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "published"


def test_decision_with_the_same_seconds_modified_after_a_change_conflicts(client, auth, scene, app):
    """The API's `modified` is to the second; a change in that second is still caught by the status check."""
    auth.sign_in(scene["mod"].email)
    item = client.get("/api/moderation/queue").get_json()["items"][0]
    path = f"/api/moderation/annotations/{item['id']}"
    assert _post(client, auth, path, {"action": "approve", "if_modified": item["modified"]}).status_code == 200
    again = _post(client, auth, path, {"action": "approve", "if_modified": item["modified"]})
    assert again.status_code == 409


@pytest.mark.parametrize(("action", "reason", "status"), [
    ("approve", "", 403),                                   # one's own annotation
    ("hide", "Mine, on reflection", 200),
])
def test_moderators_cannot_clear_their_own_annotations(client, auth, scene, make, action, reason, status):
    own = make.annotation(scene["mod"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    assert _decide(client, auth, own, action, reason).status_code == status


def test_readers_cannot_use_the_moderation_api(client, auth, scene):
    assert client.get("/api/moderation/queue").status_code == 401
    auth.sign_in(scene["reader"].email)
    assert client.get("/api/moderation/queue").status_code == 403
    assert client.get("/api/moderation/log").status_code == 403
    assert _decide(client, auth, scene["pending"], "approve").status_code == 403


@pytest.mark.parametrize(("payload", "status"), [
    ({"action": "publish"}, 422), ({"action": "hide"}, 422), ({}, 422),
    ({"action": "approve", "if_modified": "last tuesday"}, 422), ({"action": "restore"}, 409),
    ({"action": "approve", "if_modified": None}, 422), ({"action": "approve", "if_modified": ""}, 422),
])
def test_invalid_decisions_are_refused(client, auth, scene, payload, status):
    auth.sign_in(scene["mod"].email)
    with client.application.app_context():
        seen = db.session.get(Annotation, scene["pending"]).modified_at.isoformat()
    payload = {"if_modified": seen, **payload}
    response = _post(client, auth, f"/api/moderation/annotations/{scene['pending']}", payload)
    assert response.status_code == status
    assert "error" in response.get_json()


def test_log_is_paged_and_filtered(client, auth, scene, make):
    auth.sign_in(scene["mod"].email)
    ids = [make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING) for _ in range(3)]
    for annotation_id in ids:
        assert _decide(client, auth, annotation_id, "approve").status_code == 200
    log = client.get("/api/moderation/log").get_json()
    # With the published one, the second approval makes three: the author becomes trusted, by the system.
    assert log["total"] == 4 and log["page"] == 0 and "next" not in log
    assert [e["action"] for e in log["items"]] == ["approve", "trust", "approve", "approve"]
    assert log["items"][1]["moderator"] is None and log["items"][1]["target_user"]["name"] == "Dr Author"
    only = client.get(f"/api/moderation/log?action=approve&date_from={utcnow().date()}").get_json()
    assert only["total"] == 3
    assert client.get("/api/moderation/log?page=x").status_code == 400
    assert client.get("/api/moderation/log?date_to=tomorrow").status_code == 422


def test_openapi_documents_the_moderation_operations(client, scene):
    document = client.get("/api/openapi.json").get_json()
    paths = document["paths"]
    assert paths["/api/annotations/{annotation_id}/flags"]["post"]["responses"].keys() >= {"201", "409"}
    assert "/api/moderation/queue" in paths and "/api/moderation/log" in paths
    assert paths["/api/moderation/annotations/{annotation_id}"]["post"]["responses"].keys() >= {"200", "403", "409"}
    schemas = document["components"]["schemas"]
    assert {"FlagInput", "Flag", "ModerationItem", "ModerationQueue", "ModerationDecision",
            "ModerationLogEntry", "ModerationLogPage"} <= schemas.keys()


def test_api_responses_match_the_documented_schemas(client, auth, scene):
    jsonschema = pytest.importorskip("jsonschema")
    document = client.get("/api/openapi.json").get_json()

    def check(body, name):
        schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        jsonschema.validate(body, schema)

    auth.sign_in(scene["reader"].email)
    check(_post(client, auth, f"/api/annotations/{scene['published']}/flags", {"reason": "spam"}).get_json(), "Flag")
    auth.sign_out()
    auth.sign_in(scene["mod"].email)
    check(client.get("/api/moderation/queue?state=flagged").get_json(), "ModerationQueue")
    check(_decide(client, auth, scene["pending"], "approve").get_json(), "ModerationItem")
    check(client.get("/api/moderation/log").get_json(), "ModerationLogPage")
    with client.application.app_context():
        assert db.session.scalar(select(Annotation.status).where(Annotation.id == scene["pending"])) == S.PUBLISHED


def test_log_pages_hold_fifty_entries_with_links(client, auth, scene, app):
    from app.models import ModerationLog

    with app.app_context():
        for n in range(55):
            db.session.add(ModerationLog(moderator_id=scene["mod"].id, action="approve", reason=f"entry {n}",
                                         created_at=utcnow()))
        db.session.commit()
    auth.sign_in(scene["mod"].email)
    first = client.get("/api/moderation/log").get_json()
    assert (first["total"], len(first["items"]), first["page"]) == (55, 50, 0) and "prev" not in first
    second = client.get(first["next"]).get_json()
    assert (len(second["items"]), second["page"]) == (5, 1) and "next" not in second and "prev" in second
    seen = {e["id"] for e in first["items"]} | {e["id"] for e in second["items"]}
    assert len(seen) == 55
