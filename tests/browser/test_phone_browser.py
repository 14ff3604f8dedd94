"""Phones (390 px and 320 px, touch): no sideways scrolling, the discussion as a bottom sheet, touch selection."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, WAIT_MS
from tests.browser.helpers import _SELECT_JS

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"
LONG_LINK = ("https://doi.org/10.1000/an.exceptionally-long-doi-that-goes-on.and.on.2017.supplementary-material-"
             "appendix-table-s14-without-any-spaces")


@pytest.fixture
def phone(browser, live_server):
    """A phone: 390 x 844, touch, a mobile viewport (what Playwright's device descriptors set)."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844},
                                  device_scale_factor=3, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page, user):
    page.goto("/sign-in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url("**/")


def _sideways(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [390, 320])
def test_nothing_scrolls_sideways_even_with_long_links(phone, make, width):
    slug = make.demo_article()
    author = make.user(trusted=True)
    note = make.annotation(author, slug, QUOTE, body=f"See the supplement: {LONG_LINK}")
    phone.set_viewport_size({"width": width, "height": 740})
    _sign_in(phone, author)
    for path in (f"/articles/{slug}", f"/annotations/{note}/edit", "/studies", "/", "/search?q=models"):
        phone.goto(path)
        assert _sideways(phone) == 0, f"{path} scrolls sideways at {width} px"
    phone.goto(f"/articles/{slug}")
    phone.screenshot(path=str(ARTIFACTS / f"phone-article-{width}.png"))


def test_tapping_a_highlight_opens_its_thread_over_the_text_and_closing_returns_to_the_line(phone, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    note = make.annotation(author, slug, QUOTE, body="Which models exactly?")
    phone.goto(f"/articles/{slug}")
    mark = phone.locator(f"#article-body mark.hl[data-ids~='{note}']").first
    mark.scroll_into_view_if_needed()
    before = phone.evaluate("() => window.scrollY")
    line = mark.bounding_box()["y"]

    mark.tap()
    sheet = phone.locator("#discussion")
    expect(sheet).to_have_class("discussion-column is-sheet")
    thread = phone.locator(f"#a-{note}")
    expect(thread).to_be_focused()
    box, height = thread.bounding_box(), phone.viewport_size["height"]
    assert 0 <= box["y"] < height, "the thread is shown on screen"
    # No jump through the page: the passage stays in sight just above the sheet.
    passage, sheet_top = mark.bounding_box(), sheet.bounding_box()["y"]
    assert 0 <= passage["y"] and passage["y"] + passage["height"] <= sheet_top + 1
    phone.screenshot(path=str(ARTIFACTS / "phone-thread-sheet.png"))

    phone.get_by_role("button", name="Back to the article").tap()
    expect(sheet).not_to_have_class("discussion-column is-sheet")
    assert abs(phone.evaluate("() => window.scrollY") - before) < 2
    assert abs(mark.bounding_box()["y"] - line) < 2, "back on the same line"

    phone.get_by_role("button", name="Discussion (1)").tap()
    expect(sheet).to_have_class("discussion-column is-sheet")
    phone.keyboard.press("Escape")
    expect(sheet).not_to_have_class("discussion-column is-sheet")


def test_a_touch_selection_opens_annotate(phone, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    _sign_in(phone, author)
    phone.goto(f"/articles/{slug}")
    phone.locator("#article-body").get_by_text("Some questions arise").scroll_into_view_if_needed()
    # A long press selects words: the page sees a selection change, and no mouse event at all.
    assert phone.evaluate("() => matchMedia('(pointer: coarse)').matches")
    phone.evaluate("() => { window.__mouse = 0; document.addEventListener('mouseup', () => window.__mouse++); }")
    assert phone.evaluate(_SELECT_JS, QUOTE)
    control = phone.get_by_role("button", name="Annotate “are the models used really…”")
    expect(control).to_be_visible()
    assert phone.evaluate("() => window.__mouse") == 0, "shown by the selection itself, not a mouse event"
    control.tap()
    dialog = phone.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Passage")).to_have_value(QUOTE)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.screenshot(path=str(ARTIFACTS / "phone-annotate.png"))
