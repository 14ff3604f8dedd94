"""Nothing a reader types is lost: Escape, Cancel, a closed tab or an ended session keep the draft."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import select_with_mouse

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"
TEXT = "Orthotopic murine models lack the human stroma; I would not extrapolate."


@pytest.fixture
def on_article(page, make):
    """Sign a reader in and open the demo article; return its slug and the reader."""
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    return slug, author


def _open_form(page):
    select_with_mouse(page, QUOTE)
    page.get_by_role("button", name="Annotate").click()
    return page.get_by_role("dialog", name="New annotation")


def test_escape_and_cancel_keep_the_draft_until_it_is_saved(page, on_article):
    slug, _ = on_article

    dialog = _open_form(page)
    dialog.get_by_label("Your annotation").fill(TEXT)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    dialog = _open_form(page)
    expect(dialog.get_by_label("Your annotation")).to_have_value(TEXT)
    expect(dialog).to_contain_text("Draft restored")
    page.screenshot(path=str(ARTIFACTS / "drafts-restored.png"))
    dialog.get_by_role("button", name="Cancel").click()

    # A new tab (the browser was closed) gets it back too.
    other = page.context.new_page()
    other.goto(f"/articles/{slug}")
    expect(_open_form(other).get_by_label("Your annotation")).to_have_value(TEXT)
    other.close()

    dialog = _open_form(page)
    dialog.get_by_role("button", name="Save annotation").click()
    page.locator(".thread.is-open").first.wait_for()
    dialog = _open_form(page)
    expect(dialog.get_by_label("Your annotation")).to_have_value("")
    expect(dialog).not_to_contain_text("Draft restored")


def test_discarding_a_draft_asks_first(page, on_article):
    dialog = _open_form(page)
    dialog.get_by_label("Your annotation").fill(TEXT)

    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    dialog.get_by_role("button", name="Discard draft").click()
    assert questions and questions[0].startswith("Discard this draft?")
    expect(dialog.get_by_label("Your annotation")).to_have_value(TEXT)  # said no: nothing changes

    page.once("dialog", lambda d: d.accept())
    dialog.get_by_role("button", name="Discard draft").click()
    expect(dialog).to_have_count(0)
    dialog = _open_form(page)
    expect(dialog.get_by_label("Your annotation")).to_have_value("")


def test_a_reply_closed_with_escape_keeps_its_draft(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    root = make.annotation(make.user(trusted=True), slug, QUOTE, body="Do the models matter?")
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}#a-{root}")
    thread = page.locator(f"#a-{root}")
    thread.get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("They do, for the stroma.")
    page.keyboard.press("Escape")
    expect(page.get_by_label("Your reply")).to_have_count(0)
    expect(thread.get_by_role("link", name="Reply")).to_be_focused()

    thread.get_by_role("link", name="Reply").click()
    expect(page.get_by_label("Your reply")).to_have_value("They do, for the stroma.")
    expect(thread.locator(".reply-form")).to_contain_text("Draft restored")


def test_an_ended_session_keeps_the_text_and_asks_to_sign_in_again(page, make, on_article):
    slug, author = on_article
    dialog = _open_form(page)
    dialog.get_by_label("Your annotation").fill(TEXT)
    # The session ends elsewhere (signed out everywhere, expired) while the reader writes.
    make.end_sessions(author)

    dialog.get_by_role("button", name="Save annotation").click()
    expect(dialog).to_contain_text("Your session has ended")
    expect(dialog.get_by_label("Your annotation")).to_have_value(TEXT)
    page.screenshot(path=str(ARTIFACTS / "drafts-session-ended.png"))

    dialog.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email").fill(author.email)
    page.get_by_label("Password").fill(author.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/articles/{slug}")
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Your annotation")).to_have_value(TEXT)
    expect(dialog.get_by_label("Passage")).to_have_value(QUOTE)
    dialog.get_by_role("button", name="Save annotation").click()
    expect(page.locator(".thread.is-open").first).to_contain_text("I would not extrapolate")


def test_the_edit_page_keeps_an_unsaved_edit(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    note = make.annotation(author, slug, QUOTE, body="First thoughts.")
    sign_in(page, author.email, author.password)
    page.goto(f"/annotations/{note}/edit")
    page.get_by_label("Your annotation").fill("Second thoughts, longer.")
    page.goto(f"/articles/{slug}")  # left by mistake
    page.goto(f"/annotations/{note}/edit")
    expect(page.get_by_label("Your annotation")).to_have_value("Second thoughts, longer.")
    expect(page.locator(".draft-status")).to_contain_text("Draft restored")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#a-{note}")).to_contain_text("Second thoughts, longer.")
    page.goto(f"/annotations/{note}/edit")
    expect(page.get_by_label("Your annotation")).to_have_value("Second thoughts, longer.")
    expect(page.locator(".draft-status")).to_have_text("")
