"""A moderator clears the queue in a real browser (approve, hide with a reason, by keyboard too); the author sees it."""
import re

import pytest
from playwright.sync_api import expect

from app.models import AnnotationStatus, Role
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

QUOTE = "are the models used really representative of the spectrum of human tumors?"
LATER_QUOTE = "it makes sense to continue the current chemotherapy therapy for breast cancer"


def test_moderator_clears_the_queue_and_the_author_sees_each_outcome(page, make):
    slug = make.demo_article()
    author = make.user(name="Dr Nova Newcomer", profession="Junior doctor")
    moderator = make.user(role=Role.MODERATOR, name="Dr Mo Moderator")
    good = make.annotation(author, slug, QUOTE, body="Were the TMEM scores blinded?", status=AnnotationStatus.PENDING)
    bad = make.annotation(author, slug, LATER_QUOTE, body="Chemotherapy always spreads cancer.",
                          status=AnnotationStatus.PENDING)

    sign_in(page, moderator.email, PASSWORD)
    moderation_link = page.get_by_role("link", name=re.compile(r"^Moderation \(2 waiting\)$"))
    expect(moderation_link).to_be_visible()
    moderation_link.click()
    expect(page.get_by_role("heading", name="Pending: new annotations and edits waiting for approval")).to_be_visible()

    first = page.locator(f"#item-{good}")
    expect(first.get_by_text("Dr Nova Newcomer, Junior doctor")).to_be_visible()
    expect(first.locator("blockquote")).to_contain_text("representative of the spectrum")
    first.get_by_role("button", name=f"Approve annotation {good}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved annotation {good} by Dr Nova Newcomer")

    # The second decision by keyboard alone: type the reason, tab to "Hide", press Enter.
    second = page.locator(f"#item-{bad}")
    second.get_by_label(re.compile("^Reason")).focus()
    page.keyboard.type("Contradicts the randomised evidence in reference 2")
    page.keyboard.press("Tab")
    expect(second.get_by_role("button", name=f"Approve annotation {bad}")).to_be_focused()
    page.keyboard.press("Tab")
    expect(second.get_by_role("button", name=f"Hide annotation {bad}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Hid annotation {bad}")
    expect(page.get_by_text("No annotation is waiting for approval.")).to_be_visible()
    expect(page.get_by_role("link", name="Moderation", exact=True)).to_be_visible()

    page.get_by_role("link", name="Log").click()
    expect(page.get_by_role("cell", name="Contradicts the randomised evidence in reference 2")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, author.email, PASSWORD)
    notifications = page.get_by_role("link", name=re.compile(r"^Notifications \(2 unread\)$"))
    expect(notifications).to_be_visible()
    page.goto(f"/articles/{slug}")
    badge = page.get_by_text("Hidden by a moderator: Contradicts the randomised evidence in reference 2")
    expect(badge).to_be_visible()
    expect(page.get_by_text("Were the TMEM scores blinded?")).to_be_visible()

    notifications.click()
    expect(page.get_by_text(re.compile("A moderator approved your annotation"))).to_be_visible()
    expect(page.get_by_text(re.compile("Reason: Contradicts the randomised evidence in reference 2"))).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("status")).to_contain_text("All notifications are marked as read.")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()


def test_bulk_approval_with_select_all(page, make):
    slug = make.demo_article()
    author = make.user(name="Dr Bulk Author")
    moderator = make.user(role=Role.MODERATOR)
    for n in range(3):
        make.annotation(author, slug, QUOTE, body=f"Question number {n}", status=AnnotationStatus.PENDING)
    sign_in(page, moderator.email, PASSWORD)
    page.goto("/moderation/")
    page.get_by_label("Select all 3 on this page").check()
    page.get_by_label("With the selected annotations").select_option("approve")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status")).to_contain_text("Approved 3 annotations")
    expect(page.get_by_text("No annotation is waiting for approval.")).to_be_visible()


def test_a_newcomers_patient_data_report_leads_the_flagged_queue_marked_urgent(page, make):
    """The annotation stays visible (a new account's flag hides nothing) and the moderator sees it first."""
    slug = make.demo_article()
    author, newcomer = make.user(name="Dr Careless"), make.user(name="Dr Brand New")
    moderator = make.user(role=Role.MODERATOR)
    spam = make.annotation(make.user(trusted=True), slug, LATER_QUOTE, body="Buy supplements here.")
    for reader in (make.user(), make.user()):
        make.flag(reader, spam, "spam")
    leak = make.annotation(author, slug, QUOTE, body="My patient, Mrs J. Smith of ward 4, relapsed.")
    sign_in(page, newcomer.email, PASSWORD)
    page.goto(f"/annotations/{leak}/flag")
    page.get_by_label(re.compile("Contains patient-identifiable data")).check()
    page.get_by_role("button", name="Send the flag").click()
    # The confirmation sits by the flagged thread.
    confirmation = page.locator(f"#a-{leak} .thread-confirmation")
    expect(confirmation).to_contain_text("the moderators will review this annotation")
    expect(page.get_by_text("My patient, Mrs J. Smith of ward 4, relapsed.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, moderator.email, PASSWORD)
    page.goto("/moderation/flagged")
    items = page.locator("article.mod-item")
    expect(items.first).to_have_attribute("id", f"item-{leak}")
    expect(items.first.get_by_text("Urgent: still visible, reported to contain patient data")).to_be_visible()
    expect(page.locator(f"#item-{spam}").get_by_text("Urgent")).to_have_count(0)


def test_a_suspended_moderator_signs_in_to_read_only_and_is_told_why(page, make, app):
    from app.extensions import db
    from app.models import User
    from app.services import sanctions

    moderator = make.user(role=Role.MODERATOR, name="Dr Suspended Moderator")
    admin = make.user(role=Role.ADMIN)
    with app.app_context():
        sanctions.suspend(db.session.get(User, moderator.id), db.session.get(User, admin.id),
                           "Removed colleagues' annotations without cause")
        db.session.commit()
    sign_in(page, moderator.email, PASSWORD)
    expect(page.get_by_role("link", name=re.compile("^Moderation"))).to_have_count(0)
    response = page.goto("/moderation/")
    assert response.status == 403
    expect(page.get_by_text(re.compile("Your account is suspended indefinitely: you can read but not post, flag, "
                                       "edit or moderate. Reason: Removed colleagues' annotations"))).to_be_visible()
