"""Moderation in journal clubs: the club's moderators decide on its flagged annotations from the panel,
filtered to their clubs; every decision is logged with the club named; site moderators read a club's
annotation only while it is flagged, and that reading is logged; a club may pre-moderate new members.
"""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, ModerationLog
from tests.conftest import AuthActions, csrf_from

QUOTE = "increased expression of TIE2, the angiopoietin receptor"
PUBLIC_QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _client(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def _decide(client, annotation_id: int, action: str, reason: str = ""):
    page = client.get(f"/moderation/annotations/{annotation_id}").get_data(as_text=True)
    modified = re.search(r'name="if_modified" value="([^"]+)"', page).group(1)
    return client.post(f"/moderation/annotations/{annotation_id}", data={
        "csrf_token": csrf_from(page), "action": action, "reason": reason, "if_modified": modified,
        "next": "/moderation/flagged"})


def _log(app) -> list[ModerationLog]:
    with app.app_context():
        rows = db.session.scalars(select(ModerationLog).order_by(ModerationLog.id)).all()
        return [(r.action, r.annotation_id, r.group_id, r.moderator_id) for r in rows]


def test_a_clubs_moderator_hides_its_flagged_annotation_from_the_panel_and_the_log_names_the_club(app, make):
    slug = make.demo_article()
    owner, mod, member, flagger = (make.user(name=n, trusted=True) for n in ("Dr Own", "Dr Mod", "Dr Mem", "Dr Fla"))
    other_owner = make.user(name="Dr Other", trusted=True)
    group_id, group_slug = make.group(owner, "Cardiology club", members=[member, flagger], moderators=[mod])
    other_id, _ = make.group(other_owner, "Another club", members=[member])
    flagged = make.annotation(member, slug, QUOTE, body="Kookaburra claim with a patient's initials.",
                              group_id=group_id)
    elsewhere = make.annotation(member, slug, QUOTE, body="Galah note in another club.", group_id=other_id)
    public = make.annotation(member, slug, PUBLIC_QUOTE, body="Public emu comment.")
    for annotation_id in (flagged, elsewhere, public):
        make.flag(flagger if annotation_id != elsewhere else other_owner, annotation_id, reason="abusive")

    moderator = _client(app, mod)
    queue = moderator.get("/moderation/flagged").get_data(as_text=True)
    # Their club's flagged annotation, nothing of another club, nothing public (that is the site's).
    assert "Kookaburra" in queue and "Galah" not in queue and "Public emu" not in queue
    assert "Journal club: Cardiology club" in queue
    filtered = moderator.get(f"/moderation/flagged?group={group_slug}").get_data(as_text=True)
    assert "Kookaburra" in filtered
    assert moderator.get(f"/moderation/annotations/{elsewhere}").status_code == 404
    assert moderator.get(f"/moderation/annotations/{public}").status_code == 404

    assert _decide(moderator, flagged, "hide", "Patient-identifiable details").status_code == 303
    with app.app_context():
        assert db.session.get(Annotation, flagged).status.value == "hidden"
    assert ("hide", flagged, group_id, mod.id) in _log(app)
    log_page = moderator.get("/moderation/log").get_data(as_text=True)
    assert "Journal club: Cardiology club" in log_page
    rows = list(csv.DictReader(io.StringIO(moderator.get("/moderation/log.csv").get_data(as_text=True))))
    assert [(r["action"], r["group"]) for r in rows] == [("hide", "Cardiology club")]
    # A member of the club who does not moderate it has no panel.
    assert _client(app, member).get("/moderation/").status_code == 403


def test_site_moderators_read_a_clubs_annotation_only_in_the_panel_while_flagged_and_that_is_logged(app, make):
    slug = make.demo_article()
    owner, member = make.user(name="Dr Own", trusted=True), make.user(name="Dr Mem", trusted=True)
    site_mod = make.user(role="moderator", name="Dr Site Mod")
    group_id, _ = make.group(owner, "Renal club", members=[member])
    quiet = make.annotation(member, slug, QUOTE, body="Wallaby note nobody flagged.", group_id=group_id)
    flagged = make.annotation(member, slug, QUOTE, body="Dingo note someone flagged.", group_id=group_id)
    make.flag(owner, flagged, reason="patient_data")

    staff = _client(app, site_mod)
    # Not on the article, not by IRI in the API, not in the queue search.
    assert "Dingo" not in staff.get(f"/articles/{slug}").get_data(as_text=True)
    assert staff.get(f"/api/annotations/{flagged}").status_code == 404
    assert staff.get("/api/moderation/queue?state=flagged").get_json()["items"] == []
    assert "Dingo" not in staff.get("/search?q=dingo&scope=queue").get_data(as_text=True)
    # In the panel, the flagged one is listed sealed: its words only once opened.
    queue = staff.get("/moderation/flagged").get_data(as_text=True)
    assert "Dingo" not in queue and "belongs to a journal club" in queue
    assert staff.get(f"/moderation/annotations/{quiet}").status_code == 404
    assert _log(app) == []
    detail = staff.get(f"/moderation/annotations/{flagged}").get_data(as_text=True)
    assert "Dingo note someone flagged." in detail
    assert _log(app) == [("read_group", flagged, group_id, site_mod.id)]
    assert "Group annotation read (flagged)" in staff.get("/moderation/log").get_data(as_text=True)
    # The site moderator may decide (a patient-data report); once decided, the note is the club's again.
    assert _decide(staff, flagged, "hide", "Patient data").status_code == 303
    assert staff.get(f"/moderation/annotations/{flagged}").status_code == 404


def test_a_club_can_pre_moderate_its_new_members_and_its_moderators_approve(app, make):
    slug = make.demo_article()
    owner, newcomer = make.user(name="Dr Own", trusted=True), make.user(name="Dr New", trusted=True)
    _, group_slug = make.group(owner, "Careful club", members=[newcomer], premoderate=True)
    writer = _client(app, newcomer)
    page = writer.get(f"/articles/{slug}/annotate?layer=group:{group_slug}").get_data(as_text=True)
    assert f'<input checked id="visibility-1" name="visibility" type="radio" value="group:{group_slug}">' in page
    saved = writer.post(f"/articles/{slug}/annotate", data={
        "csrf_token": csrf_from(page), "exact": QUOTE, "body": "Quokka first thoughts.", "kind": "comment",
        "visibility": f"group:{group_slug}"}, follow_redirects=True)
    assert "waiting for a moderator of “Careful club”" in saved.get_data(as_text=True)
    owner_client = _client(app, owner)
    layer = owner_client.get(f"/articles/{slug}?layer=group:{group_slug}").get_data(as_text=True)
    assert "Quokka first thoughts." not in layer
    pending = owner_client.get("/moderation/").get_data(as_text=True)
    assert "Quokka first thoughts." in pending
    annotation_id = int(re.search(r'id="item-(\d+)"', pending).group(1))
    assert _decide(owner_client, annotation_id, "approve").status_code == 303
    assert "Quokka first thoughts." in owner_client.get(f"/articles/{slug}?layer=group:{group_slug}").get_data(
        as_text=True)
    # The site's moderators have no say on a club's unflagged, pending annotations.
    site_mod = _client(app, make.user(role="moderator", name="Dr Site"))
    assert "Quokka" not in site_mod.get("/moderation/").get_data(as_text=True)


def test_a_pre_moderated_members_edit_goes_back_to_the_clubs_moderators(app, make):
    """An approved annotation edited by a member still under the club's pre-moderation waits again.

    Otherwise a newcomer could have a harmless first note approved, then rewrite it into anything.
    """
    slug = make.demo_article()
    owner, newcomer = make.user(name="Dr Own", trusted=True), make.user(name="Dr New", trusted=True)
    member = make.user(name="Dr Member", trusted=True)
    group_id, group_slug = make.group(owner, "Careful club", members=[newcomer, member], premoderate=True)
    annotation_id = make.annotation(newcomer, slug, QUOTE, body="Quokka first thoughts.", group_id=group_id)
    owner_client = _client(app, owner)
    assert _decide(owner_client, annotation_id, "approve").status_code == 303
    layer = f"/articles/{slug}?layer=group:{group_slug}"
    reader = _client(app, member)
    assert "Quokka first thoughts." in reader.get(layer).get_data(as_text=True)

    writer = _client(app, newcomer)
    form = writer.get(f"/annotations/{annotation_id}/edit").get_data(as_text=True)
    saved = writer.post(f"/annotations/{annotation_id}/edit", data={
        "csrf_token": csrf_from(form), "body": "Quokka rewritten: buy now.", "kind": "comment", "tags": "",
        "visibility": f"group:{group_slug}"}, follow_redirects=True).get_data(as_text=True)
    assert "wait for a moderator of “Careful club”, as your new annotations do" in saved
    assert "Quokka" not in reader.get(layer).get_data(as_text=True)
    assert "Quokka rewritten: buy now." in owner_client.get("/moderation/").get_data(as_text=True)
    # Still sealed from the site's moderators, as the club's new annotations are.
    assert "Quokka" not in _client(app, make.user(role="moderator", name="Dr Site")).get(
        "/moderation/").get_data(as_text=True)
    assert ("hold_edit", annotation_id, group_id, newcomer.id) in _log(app)
    assert _decide(owner_client, annotation_id, "approve").status_code == 303
    assert "Quokka rewritten: buy now." in reader.get(layer).get_data(as_text=True)
