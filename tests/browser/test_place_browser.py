"""The reader keeps their place: the form shows Save and the passage, errors are next to their field."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import select_with_mouse

pytestmark = pytest.mark.browser
QUOTE = "What were the levels of resistance to taxanes and other chemotherapies?"


def _in_view(page, box) -> bool:
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_a_1280_by_800_screen_the_form_shows_save_and_keeps_the_passage_marked(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    select_with_mouse(page, QUOTE)
    page.get_by_role("button", name="Annotate").click()
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Your annotation")).to_be_focused()

    assert _in_view(page, dialog.get_by_role("button", name="Save annotation").bounding_box())
    marked = page.evaluate("""() => {
        const h = CSS.highlights.get('postil-passage');
        if (!h) return null;
        const range = [...h][0], rect = range.getBoundingClientRect();
        return {text: range.toString(), box: {x: rect.x, y: rect.y, width: rect.width, height: rect.height}};
    }""")
    assert marked and marked["text"] == QUOTE
    assert _in_view(page, marked["box"]), "the form must not push the passage out of sight"
    form_top = dialog.bounding_box()["y"]
    assert marked["box"]["y"] + marked["box"]["height"] <= form_top + 1, "the form covers the passage"
    page.screenshot(path=str(ARTIFACTS / "place-form-1280x800.png"))

    page.keyboard.press("Escape")
    assert page.evaluate("() => CSS.highlights.has('postil-passage')") is False


def test_an_empty_annotation_is_marked_focused_and_explained_next_to_the_field(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    select_with_mouse(page, QUOTE)
    page.get_by_role("button", name="Annotate").click()
    dialog = page.get_by_role("dialog", name="New annotation")
    dialog.get_by_role("button", name="Save annotation").click()

    body = dialog.get_by_label("Your annotation")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_be_focused()
    message = dialog.locator("#sel-body-message")
    expect(message).not_to_be_empty()
    assert "sel-body-message" in body.get_attribute("aria-describedby")
    # Next to the field: inside the field's own box, right under it.
    assert message.evaluate("el => el.closest('.field').contains(document.getElementById('sel-body'))")


def test_without_javascript_filtering_and_deleting_come_back_to_the_discussion(browser, live_server, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    other = make.annotation(make.user(trusted=True), slug, QUOTE, body="Keep me.")
    mine = make.annotation(author, slug, QUOTE, body="Delete me.")
    make.reply(author, other, "A reply.")
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    page.locator(f"#a-{mine}").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"**/articles/{slug}#a-{mine}")

    page.get_by_role("link", name="Reply").first.click()
    page.get_by_label("Your reply").fill("From a phone without scripts.")
    page.get_by_role("button", name="Post reply").click()
    assert "#a-" in page.url
    expect(page.locator(page.url[page.url.index("#"):])).to_contain_text("From a phone without scripts.")

    page.locator("#filter-kind").select_option(index=1)
    page.get_by_role("button", name="Apply filters").click()
    assert page.url.endswith("#discussion")
    context.close()
