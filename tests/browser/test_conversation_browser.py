"""The conversation in a real browser: the @mention combobox by keyboard, helpful and answers in place, unsubscribe."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import select_with_mouse
from tests.conftest import send_outbox

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def test_mention_combobox_works_with_the_keyboard_alone(page, make, app):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Ann Author")
    mia = make.user(trusted=True, name="Dr Mia Mentioned", profession="Pathologist")
    make.user(trusted=True, name="Dr Mike Other")
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    select_with_mouse(page, QUOTE)
    page.get_by_role("button", name="Annotate").click()
    body = page.get_by_role("dialog", name="New annotation").get_by_label("Your annotation")
    body.press_sequentially("Can you score these, @Mi", delay=20)
    listbox = page.get_by_role("listbox", name="People to mention")
    listbox.wait_for()
    options = listbox.get_by_role("option")
    assert options.count() == 2
    assert body.get_attribute("aria-expanded") == "true"
    first = body.get_attribute("aria-activedescendant")
    assert first and page.locator(f"#{first}").get_attribute("aria-selected") == "true"
    body.press("ArrowDown")
    second = body.get_attribute("aria-activedescendant")
    assert second != first
    body.press("ArrowUp")
    assert body.get_attribute("aria-activedescendant") == first
    page.screenshot(path=str(ARTIFACTS / "mention-combobox.png"), full_page=False)

    # Escape closes the list only: the form and the text stay.
    body.press("Escape")
    assert listbox.is_hidden() and body.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("dialog", name="New annotation").is_visible()
    assert body.input_value() == "Can you score these, @Mi"

    body.press_sequentially("a", delay=20)
    page.get_by_role("option", name="Dr Mia Mentioned").wait_for()
    assert listbox.get_by_role("option").count() == 1
    body.press("Enter")
    assert body.input_value() == f"Can you score these, @[Dr Mia Mentioned](/people/{mia.id}) "
    body.press_sequentially("?", delay=20)
    page.get_by_role("dialog", name="New annotation").get_by_role("button", name="Save annotation").click()
    link = page.locator(f".annotation-body a[href='/people/{mia.id}']")
    link.wait_for()
    assert link.inner_text() == "@Dr Mia Mentioned"
    with app.app_context():
        from app.models import Notification

        assert db.session.scalar(select(Notification.kind).where(Notification.user_id == mia.id)) == "mention"
    link.click()
    page.get_by_role("heading", name="Dr Mia Mentioned").wait_for()
    assert "Pathologist" in page.locator("main").inner_text()


def test_helpful_follow_and_accept_in_place_then_answered(page, make, app):
    slug = make.demo_article()
    asker = make.user(trusted=True, name="Dr Asker")
    helper = make.user(trusted=True, name="Dr Helper")
    question = make.annotation(asker, slug, QUOTE, body="Human data?", kind=AnnotationKind.QUESTION)
    reply = make.reply(helper, question, "Yes: 20 patients.")
    sign_in(page, helper.email, helper.password)
    page.goto(f"/articles/{slug}")
    thread = page.locator(f"#a-{question}")
    thread.locator("> .annotation").get_by_role("link", name="Helpful").click()
    thread.locator("> .annotation").get_by_text("1 found this helpful").wait_for()
    assert thread.locator("> .annotation").get_by_role("link", name="You found this helpful (withdraw)").is_visible()
    # The helper follows the thread already (they replied): the toggle says so.
    assert thread.locator("> .annotation").get_by_role("link", name="Unfollow thread").is_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, asker.email, asker.password)
    page.goto(f"/articles/{slug}")
    page.locator(f"#a-{reply}").get_by_role("link", name="Accept as answer").click()
    page.locator(f"#a-{question} .badge-answered", has_text="Answered").wait_for()
    assert page.locator(f"#a-{question} .badge-new:visible").count() == 0  # nothing is new to the asker
    assert page.locator(f"#a-{reply}").get_by_text("Accepted answer").is_visible()
    page.screenshot(path=str(ARTIFACTS / "question-answered.png"), full_page=True)
    with app.app_context():
        assert db.session.get(Annotation, question).accepted_answer_id == reply


def test_the_unsubscribe_link_from_an_email_works_in_the_browser(page, make, app, smtp_server):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Ann Author", email="ann@example.org")
    replier = make.user(trusted=True, name="Dr Rob Replier")
    make.reply(replier, make.annotation(author, slug, QUOTE), "A reply worth an email.")
    assert send_outbox(app).sent == 1
    [mail] = smtp_server.received
    link = next(url for url in mail.links() if "/unsubscribe?" in url)
    page.goto(link.replace("http://localhost", ""))
    page.get_by_role("heading", name="Stop emails about replies?").wait_for()
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    page.screenshot(path=str(ARTIFACTS / "unsubscribed.png"), full_page=True)
    with app.app_context():
        from app.services.preferences import Delivery, choices_of

        assert choices_of(author.id)["reply"] == Delivery.APP
    page.goto(link.replace("http://localhost", "")[:-3] + "xyz")
    page.get_by_role("heading", name="This link does not work").wait_for()


def test_settings_following_activity_and_profile_pages_read_well(page, make, app):
    slug = make.demo_article()
    reader = make.user(trusted=True, name="Dr Rea Reader", profession="Pathologist")
    writer = make.user(trusted=True, name="Dr Wes Writer")
    question = make.annotation(reader, slug, QUOTE, body="Any human data?", kind=AnnotationKind.QUESTION,
                               tags=["taxanes"])
    sign_in(page, reader.email, reader.password)
    page.goto(f"/articles/{slug}?tag=taxanes")
    page.get_by_role("link", name="Follow the tag “taxanes”").click()
    page.get_by_role("button", name="Follow").click()
    page.get_by_text("You follow this tag").wait_for()
    make.reply(writer, question, f"Yes, @[Rea](/people/{reader.id}): 20 patients.")
    page.goto("/notifications/settings")
    page.get_by_role("group", name="Mentions").get_by_label("Weekly digest email").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Your notification settings are saved.").wait_for()
    assert page.get_by_role("group", name="Mentions").get_by_label("Weekly digest email").is_checked()
    page.screenshot(path=str(ARTIFACTS / "notification-settings.png"), full_page=True)
    page.goto("/following")
    assert "taxanes" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "following.png"), full_page=True)
    page.goto("/activity")
    assert "Yes, @Dr Rea Reader" not in page.locator("main").inner_text()  # messages, not bodies
    assert "Dr Wes Writer mentioned you" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "my-activity.png"), full_page=True)
    page.goto(f"/people/{reader.id}")
    page.get_by_role("heading", name="Dr Rea Reader").wait_for()
    page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)
