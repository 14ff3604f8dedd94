"""The "done when" story, end to end through the real pages on the demo.

A brand-new account's annotation waits in the queue; a moderator approves it from the panel; three
other readers flag a later one, which disappears until a moderator decides; the author sees every
outcome with its reason; the log shows all of it.
"""
from __future__ import annotations

import re

from app.extensions import db
from app.services import accounts, demo
from tests.conftest import AuthActions, csrf_from
from tests.factories import PASSWORD

QUOTE = "are the models used really representative of the spectrum of human tumors?"
LATER_QUOTE = "it makes sense to continue the current chemotherapy therapy for breast cancer"


def _seed_demo(app) -> str:
    with app.app_context():
        result = demo.seed()
        admin = accounts.find_by_email(demo.DEMO_ADMIN[0])
        accounts.set_password(admin, PASSWORD)
        db.session.commit()
        return result.article_slug


def _sign_up(client, email: str, name: str) -> None:
    token = csrf_from(client.get("/sign-up").get_data(as_text=True))
    response = client.post("/sign-up", data={
        "csrf_token": token, "email": email, "password": PASSWORD, "display_name": name,
        "profession": "Junior doctor", "affiliation": "Teaching hospital", "interests_choice": "none"})
    assert response.status_code == 302
    # Sign-up does not sign in (it answers alike for registered addresses): the emailed link does.
    assert AuthActions(client).confirm_email(client.application, email).status_code == 303


def _annotate(client, slug: str, quote: str, body: str) -> str:
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))
    response = client.post(f"/articles/{slug}/annotate", data={
        "csrf_token": token, "exact": quote, "body": body, "kind": "comment", "visibility": "public", "tags": ""},
        follow_redirects=True)
    return response.get_data(as_text=True)


def _panel_decision(client, tab: str, body: str, action: str, reason: str = "") -> str:
    """Find the item showing `body` on the panel tab and press `action`, as a moderator would."""
    page = client.get(tab).get_data(as_text=True)
    item = next(chunk for chunk in page.split('<article class="mod-item')[1:] if body in chunk)
    annotation_id = re.search(r'id="item-(\d+)"', item).group(1)
    modified = re.search(r'name="if_modified" value="([^"]+)"', item).group(1)
    assert f'value="{action}"' in item
    response = client.post(f"/moderation/annotations/{annotation_id}", data={
        "csrf_token": csrf_from(page), "action": action, "reason": reason, "if_modified": modified,
        "next": tab}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _flag(client, slug: str, body: str) -> None:
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    at = page.index(body)
    link = re.search(r'href="(/annotations/\d+/flag)"', page[at:]).group(1)
    form = client.get(link).get_data(as_text=True)
    response = client.post(link, data={"csrf_token": csrf_from(form), "reason": "misrepresents_evidence",
                                       "note": "Overstates what the trial showed"})
    assert response.status_code == 303


def test_new_account_queue_approval_flags_hiding_and_the_log_tell_the_whole_story(app, make):
    slug = _seed_demo(app)
    newcomer, moderator, public = app.test_client(), app.test_client(), app.test_client()
    first_text, later_text = "Were the TMEM scores blinded?", "Stopping chemotherapy is always safer."

    # 1. A brand-new account's annotation waits in the queue, seen only by its author.
    _sign_up(newcomer, "newcomer@example.org", "Dr Nova Newcomer")
    assert "waiting for a moderator" in _annotate(newcomer, slug, QUOTE, first_text)
    assert first_text not in public.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Waiting for a moderator" in newcomer.get(f"/articles/{slug}").get_data(as_text=True)

    # 2. A moderator sees it in the panel (nav badge too) and approves it.
    AuthActions(moderator).sign_in(demo.DEMO_ADMIN[0])
    home = moderator.get("/").get_data(as_text=True)
    assert '(1 waiting)' in home
    done = _panel_decision(moderator, "/moderation/", first_text, "approve")
    assert "Approved annotation" in done and "Dr Nova Newcomer" in done
    assert first_text in public.get(f"/articles/{slug}").get_data(as_text=True)

    # The later annotation still waits (two more approvals before the account is trusted); approved too.
    _annotate(newcomer, slug, LATER_QUOTE, later_text)
    _panel_decision(moderator, "/moderation/", later_text, "approve")
    assert later_text in public.get(f"/articles/{slug}").get_data(as_text=True)

    # 3. Three other readers flag the later one: it disappears until a moderator decides.
    for n in range(3):
        reader = app.test_client()
        info = make.user(name=f"Dr Flagger {n}")
        AuthActions(reader).sign_in(info.email)
        _flag(reader, slug, later_text)
    assert later_text not in public.get(f"/articles/{slug}").get_data(as_text=True)
    assert first_text in public.get(f"/articles/{slug}").get_data(as_text=True)
    author_page = newcomer.get(f"/articles/{slug}").get_data(as_text=True)
    assert later_text in author_page
    assert "Hidden by a moderator: Hidden automatically after 3 flags" in author_page

    # 4. The moderator decides from the Flagged tab, with a reason the author is shown.
    flagged = moderator.get("/moderation/flagged").get_data(as_text=True)
    assert "3 open flags" in flagged and "Overstates what the trial showed" in flagged
    _panel_decision(moderator, "/moderation/flagged", later_text, "hide",
                    reason="Misstates the evidence: see reference 2")
    assert later_text not in public.get(f"/articles/{slug}").get_data(as_text=True)
    author_page = newcomer.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Hidden by a moderator: Misstates the evidence: see reference 2" in author_page

    # 5. The author was told every outcome, with its reason.
    notes = newcomer.get("/notifications").get_data(as_text=True)
    assert notes.count("A moderator approved your annotation") == 2
    assert "Hidden automatically after 3 flags" in notes
    assert "and kept it hidden" in notes and "Misstates the evidence: see reference 2" in notes
    assert "(4 unread)" in notes

    # 6. The log shows all of it, in the panel and in the CSV export.
    log = moderator.get("/moderation/log").get_data(as_text=True)
    assert "4 entries" in log
    for label in ("Approved", "Hidden automatically", "Hidden"):
        assert f"<td>{label}</td>" in log
    assert "Misstates the evidence: see reference 2" in log and "<td>System</td>" in log
    csv_text = moderator.get("/moderation/log.csv").get_data(as_text=True)
    actions = [line.split(",")[3] for line in csv_text.strip().splitlines()[1:]]
    assert actions == ["approve", "approve", "auto_hide", "hide"]
