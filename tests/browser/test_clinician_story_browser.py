"""The whole clinician story, at 1280 px with the keyboard alone and at 390 px by touch.

Sign up from an article, confirm the address from the email (a real SMTP server), come back to the
article, select a passage, write, press Escape by mistake, get the draft back, save, reply, flag,
filter: never losing the text or the place. A screenshot of each step goes to test-artifacts/.
"""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, WAIT_MS
from tests.browser.helpers import _SELECT_JS
from tests.conftest import send_outbox
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
QUOTE = "What were the levels of resistance to taxanes and other chemotherapies?"
COLLEAGUE_QUOTE = "are the models used really representative of the spectrum of human tumors?"
NOTE = "Resistance data would tell us whether TMEM sites are residual disease."
REPLY = "Agreed: the murine stroma differs too."


class Person:
    """Acts on the page with the keyboard alone, or by touch; takes a screenshot of each step."""

    def __init__(self, page, mode: str):
        self.page, self.mode, self.step = page, mode, 0

    def press(self, locator) -> None:
        """Follow a link or press a button: Enter on it with the keyboard, or a tap."""
        if self.mode == "keyboard":
            locator.focus()
            self.page.keyboard.press("Enter")
        else:
            locator.tap()

    def tick(self, locator) -> None:
        """Choose a radio button or tick a box: Space with the keyboard, or a tap."""
        if self.mode == "keyboard":
            locator.focus()
            self.page.keyboard.press("Space")
        else:
            locator.tap()

    def write(self, locator, text: str) -> None:
        """Type into a field, focused by the keyboard or tapped."""
        if self.mode == "keyboard":
            locator.focus()
        else:
            locator.tap()
        self.page.keyboard.type(text)

    def select(self, phrase: str) -> None:
        """Select a passage: caret browsing and Shift+arrows, or a long press (a selection, no mouse event)."""
        self.page.locator("#article-body").get_by_text(phrase[:30]).scroll_into_view_if_needed()
        assert self.page.evaluate(_SELECT_JS, phrase)
        if self.mode == "keyboard":
            self.page.keyboard.press("Shift+ArrowLeft")
            self.page.keyboard.press("Shift+ArrowRight")

    def annotate(self) -> None:
        """Reach the Annotate control: the next Tab stop, or a tap on it."""
        control = self.page.locator(".annotate-button")
        expect(control).to_be_visible()
        if self.mode == "keyboard":
            self.page.keyboard.press("Tab")
            expect(control).to_be_focused()
            self.page.keyboard.press("Enter")
        else:
            control.tap()

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(ARTIFACTS / f"story-{self.mode}-{self.step:02d}-{name}.png"))


@pytest.mark.parametrize("mode, viewport", [("keyboard", (1280, 800)), ("touch", (390, 844))])
def test_a_clinician_signs_up_from_an_article_and_annotates_without_losing_text_or_place(
        browser, live_server, make, app, smtp_server, mode, viewport):
    slug = make.demo_article()
    colleague = make.user(trusted=True, name="Dr Col League", profession="Pathologist")
    theirs = make.annotation(colleague, slug, COLLEAGUE_QUOTE, body="Mouse models miss the human stroma.")
    width, height = viewport
    options = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2} if mode == "touch" else {}
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    me = Person(page, mode)

    # 1. Reading an article, the newcomer creates an account from it.
    page.goto(f"/articles/{slug}")
    me.shot("article")
    me.press(page.get_by_role("link", name="Create account"))
    me.write(page.get_by_label("Email"), "new.clinician@example.org")
    me.write(page.get_by_label("Password"), PASSWORD)
    me.write(page.get_by_label("Display name (your real name)"), "Dr Nia Newcomer")
    me.write(page.get_by_label("Profession or specialty"), "Breast surgeon")
    me.tick(page.get_by_label("None declared"))
    me.shot("sign-up")
    me.press(page.get_by_role("button", name="Create account"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    me.shot("check-email")

    # 2. The email arrives; its one-time link confirms the address and brings her back to the article.
    assert send_outbox(app).sent == 1
    [mail] = [m for m in smtp_server.received if m.recipients == ["new.clinician@example.org"]]
    [link] = [u for u in mail.links() if "/confirm-email/" in u]
    page.goto(urlsplit(link).path)
    me.shot("confirm")
    me.press(page.get_by_role("button", name="Confirm my address"))
    page.wait_for_url(f"**/articles/{slug}")
    expect(page.get_by_text("your address is confirmed and you are signed in")).to_be_visible()
    me.shot("back-on-the-article")

    # 3. Select, write, Escape by mistake: the draft comes back.
    me.select(QUOTE)
    me.annotate()
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Passage")).to_have_value(QUOTE)
    me.write(dialog.get_by_label("Your annotation"), NOTE)
    me.shot("writing")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    me.shot("escaped")
    me.select(QUOTE)
    me.annotate()
    expect(dialog.get_by_label("Your annotation")).to_have_value(NOTE)
    expect(dialog).to_contain_text("Draft restored")
    me.shot("draft-restored")

    # 4. Save: the new thread is in view and focused, the confirmation beside it.
    me.press(dialog.get_by_role("button", name="Save annotation"))
    mine = page.locator(".thread.is-open").first
    expect(mine).to_contain_text(NOTE)
    expect(mine.locator(".thread-confirmation")).to_contain_text("Your annotation is saved and waiting for a moderator")
    expect(mine).to_be_in_viewport()
    me.shot("saved")

    # 5. Reply to a colleague, in place.
    if mode == "touch":
        page.get_by_role("button", name="Back to the article").tap()
    thread = page.locator(f"#a-{theirs}")
    thread.scroll_into_view_if_needed()
    me.press(thread.get_by_role("link", name="Reply"))
    me.write(page.get_by_label("Your reply"), REPLY)
    me.shot("replying")
    me.press(page.get_by_role("button", name="Post reply"))
    expect(page.locator(f"#a-{theirs}")).to_contain_text(REPLY)
    expect(page.locator(f"#a-{theirs}")).to_be_in_viewport()
    me.shot("replied")

    # 6. Flag the colleague's annotation; back on its thread.
    me.press(page.locator(f"#a-{theirs} > .annotation").get_by_role("link", name="Flag"))
    me.tick(page.get_by_label("Off topic"))
    me.shot("flagging")
    me.press(page.get_by_role("button", name="Send the flag"))
    page.wait_for_url(f"**/articles/{slug}?open={theirs}#a-{theirs}")
    confirmation = page.locator(f"#a-{theirs} .thread-confirmation")
    expect(confirmation).to_contain_text("the moderators will review this annotation")
    expect(confirmation).to_be_in_viewport()
    expect(page.locator(f"#a-{theirs}")).to_be_in_viewport()
    me.shot("flagged")

    # 7. Filter the discussion to her own threads: the page comes back to the discussion.
    if mode == "touch" and page.locator("#discussion.is-sheet").count():
        page.get_by_role("button", name="Back to the article").tap()
    me.tick(page.get_by_label("Only mine"))
    page.wait_for_url("**mine=1**")
    expect(page.locator(".threads > .thread")).to_have_count(1)
    expect(page.locator(".threads")).to_contain_text(NOTE)
    me.shot("filtered")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert errors == []
    context.close()
