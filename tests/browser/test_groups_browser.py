"""The journal clubs' "done when" in Chromium, on the demo: an admin creates a club, invites the clinician by
link and schedules a session with two prompts; the clinician joins, answers a prompt and annotates in
the club's layer; an outsider sees none of it; the clinician downloads a CPD record. Screenshots of
each step go to test-artifacts/groups-*.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.extensions import db
from app.models import GroupSession
from app.models.base import utcnow
from app.services import accounts, demo
from tests.browser.conftest import ARTIFACTS, WAIT_MS, sign_in
from tests.browser.helpers import select_with_mouse
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PROMPT_ONE = "are the models used really representative of the spectrum of human tumors?"
PROMPT_TWO = "increased expression of TIE2, the angiopoietin receptor"
OWN_PASSAGE = "it makes sense to continue the current chemotherapy therapy for breast cancer"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"groups-{name}.png"), full_page=True)


def _seed(app) -> str:
    with app.app_context():
        slug = demo.seed().article_slug
        for email in (demo.DEMO_ADMIN[0], demo.DEMO_CLINICIAN[0]):
            accounts.set_password(accounts.find_by_email(email), PASSWORD)
        db.session.commit()
        return slug


def _second_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    return context, context.new_page()


def test_a_journal_club_meets_in_the_browser_and_an_outsider_sees_nothing(page, browser, live_server, app, make):
    ARTIFACTS.mkdir(exist_ok=True)
    slug = _seed(app)
    outsider = make.user(name="Dr Out Sider", trusted=True)

    # The admin creates the club and an invitation link.
    sign_in(page, demo.DEMO_ADMIN[0], PASSWORD)
    page.get_by_role("link", name="Journal clubs").click()
    page.get_by_role("link", name="Create a journal club").click()
    page.get_by_label("Name").fill("Oncology journal club")
    page.get_by_label("Description").fill("Registrars and consultants discussing one article a month.")
    page.get_by_role("button", name="Create the journal club").click()
    expect(page.get_by_role("heading", name="Oncology journal club")).to_be_visible()
    page.get_by_role("link", name="Invitations").click()
    page.get_by_role("button", name="Create an invitation link").click()
    link = page.get_by_label("Invitation link").input_value()
    # Built from POSTIL_BASE_URL (the test server listens elsewhere): the browser follows its path.
    assert link.startswith(app.config["BASE_URL"] + "/groups/join/")
    link = link[len(app.config["BASE_URL"]):]
    _shot(page, "1-invitation-link")

    # ... and schedules a session on the chemotherapy article with two prompts.
    page.goto("/groups/oncology-journal-club")
    page.get_by_role("link", name="Schedule a session").click()
    page.get_by_label("Title").fill("Does neoadjuvant chemotherapy promote metastasis?")
    page.get_by_label("Date").fill((utcnow() + timedelta(days=7)).date().isoformat())
    page.get_by_label("Start time").fill("18:30")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Agenda").fill("1. The mouse models\n2. TIE2 and TMEM sites\n3. What we tell patients")
    page.get_by_role("button", name="Schedule the session").click()
    for passage, question in ((PROMPT_ONE, "How far do these models carry over to our patients?"),
                              (PROMPT_TWO, "Would TIE2 staining change anything we do?")):
        page.get_by_label("Passage").fill(passage)
        page.get_by_label("Question").fill(question)
        page.get_by_role("button", name="Pin the prompt").click()
        expect(page.locator(".flash-success")).to_contain_text("The prompt is pinned")
    session_url = page.url.split("#")[0]
    expect(page.locator(".prompt-list > li")).to_have_count(2)
    _shot(page, "2-session")

    # The clinician joins by the link and reads the club's layer: the prompts first.
    context, clinician = _second_page(browser, live_server)
    sign_in(clinician, demo.DEMO_CLINICIAN[0], PASSWORD)
    clinician.goto(link)
    clinician.get_by_role("button", name="Join “Oncology journal club”").click()
    expect(clinician.get_by_role("heading", name="Oncology journal club")).to_be_visible()
    expect(clinician.locator("#upcoming + .session-list")).to_contain_text("Does neoadjuvant chemotherapy")
    _shot(clinician, "2b-group-page")
    clinician.goto(f"/articles/{slug}")
    clinician.get_by_role("navigation", name="Layer").get_by_role("link", name="Oncology journal club").click()
    threads = clinician.locator("ol.threads > li.thread")
    expect(threads.first).to_contain_text("How far do these models carry over")
    expect(threads.nth(1)).to_contain_text("Would TIE2 staining")
    expect(threads.first.locator(".badge-prompt")).to_be_visible()

    # ... answers the first prompt, and writes a note of their own in the club's layer.
    threads.first.get_by_role("link", name="Reply").click()
    clinician.get_by_label("Your reply").fill("Quokkaclub view: orthotopic mice are not our patients.")
    clinician.get_by_role("button", name="Post reply").click()
    clinician.locator(".reply", has_text="Quokkaclub view").wait_for()
    select_with_mouse(clinician, OWN_PASSAGE)
    clinician.get_by_role("button", name="Annotate").click()
    dialog = clinician.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Oncology journal club: members of this journal club only")).to_be_checked()
    dialog.get_by_label("Your annotation").fill("Numbatnote: agreed, but tell patients about the open question.")
    dialog.get_by_role("button", name="Save annotation").click()
    expect(clinician.locator(".thread", has_text="Numbatnote")).to_be_visible()
    expect(clinician.locator(".thread", has_text="Numbatnote").locator(".badge-group")).to_contain_text(
        "Oncology journal club")
    _shot(clinician, "3-club-layer")
    clinician.locator(".layer-switch").screenshot(path=str(ARTIFACTS / "groups-3-layer-switch.png"))

    # A reader outside the club sees none of it: not the threads, not the highlights, not the counts.
    outside_context, outside = _second_page(browser, live_server)
    sign_in(outside, outsider.email, outsider.password)
    outside.goto(f"/articles/{slug}")
    expect(outside.locator("#discussion")).not_to_contain_text("Quokkaclub")
    expect(outside.locator("#discussion")).not_to_contain_text("Numbatnote")
    expect(outside.locator("#discussion")).not_to_contain_text("How far do these models")
    expect(outside.get_by_role("navigation", name="Layer")).to_have_count(0)
    expect(outside.locator("#discussion-heading")).to_contain_text("(3 annotations)")
    _shot(outside, "4-outsider")
    assert outside.goto(f"/articles/{slug}?layer=group:oncology-journal-club").status == 404
    outside_context.close()

    # The session takes place; the clinician marks attendance and opens the CPD record.
    session_id = int(session_url.rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        db.session.execute(update(GroupSession).where(GroupSession.id == session_id)
                           .values(starts_at=utcnow() - timedelta(minutes=75)))
        db.session.commit()
    clinician.goto(session_url)
    clinician.get_by_role("button", name="I attended this session").click()
    expect(clinician.get_by_text("You attended")).to_be_visible()
    with clinician.expect_download() as download:
        clinician.get_by_role("link", name="CSV").last.click()
    assert download.value.suggested_filename.startswith("cpd-oncology-journal-club-session-")
    clinician.get_by_role("link", name="printable page").last.click()
    expect(clinician.get_by_role("heading", name="Continuing professional development record")).to_be_visible()
    expect(clinician.locator(".cpd-record")).to_contain_text("Quokkaclub view")
    expect(clinician.locator(".cpd-record")).to_contain_text("1 hour")
    _shot(clinician, "5-cpd-record")
    context.close()
