"""Reading and annotating in a real browser: select, annotate, reply, edit, delete, keyboard, privacy."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import expect_highlighted, select_programmatically, select_with_mouse

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _new_annotation_id(page) -> str:
    thread = page.locator(".thread.is-open").first
    thread.wait_for()
    return thread.get_attribute("data-id")


def test_select_annotate_reload_reply_edit_delete(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Ann Author", profession="Medical oncologist")
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")

    select_with_mouse(page, QUOTE)
    page.get_by_role("button", name="Annotate").click()
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Passage")).to_have_value(QUOTE)
    dialog.get_by_label("Your annotation").fill("Orthotopic murine models lack the human *stroma*.")
    dialog.get_by_label("Question").check()
    dialog.get_by_label("Tags").fill("preclinical models")
    dialog.get_by_role("button", name="Save annotation").click()

    annotation_id = _new_annotation_id(page)
    assert page.url.endswith(f"/articles/{slug}"), "saving must not reload the page"
    expect_highlighted(page, annotation_id, QUOTE)
    thread = page.locator(f"#a-{annotation_id}")
    expect(thread).to_contain_text("Orthotopic murine models lack the human stroma.")
    expect(thread.locator("em")).to_have_text("stroma")
    page.screenshot(path=str(ARTIFACTS / "annotating-saved.png"), full_page=True)

    page.reload()
    expect_highlighted(page, annotation_id, QUOTE)
    expect(page.locator(f"#article-body mark.hl-question[data-ids~='{annotation_id}']").first).to_be_visible()

    thread = page.locator(f"#a-{annotation_id}")
    thread.get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("The 20 patients' tissue is a start, but not a trial.")
    page.get_by_role("button", name="Post reply").click()
    page.locator(".reply", has_text="not a trial").wait_for()

    page.locator(f"#a-{annotation_id} > .annotation").get_by_role("link", name="Edit").click()
    page.get_by_label("Your annotation").fill("Orthotopic murine models lack human stroma and immunity.")
    page.get_by_role("button", name="Save changes").click()
    thread = page.locator(f"#a-{annotation_id}")
    expect(thread).to_contain_text("lack human stroma and immunity")
    expect(thread.locator(".annotation").first).to_contain_text(re.compile(r"edited"))

    thread.locator(".annotation").first.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    stub = page.locator(f"#a-{annotation_id}")
    expect(stub).to_contain_text("deleted by its author")
    expect(stub).to_contain_text("not a trial")  # replies survive the deletion of their parent


def test_keyboard_only_annotating(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    # Tab through the page until the fourth paragraph's "annotate" link has the focus.
    for _ in range(80):
        page.keyboard.press("Tab")
        label = page.evaluate("() => document.activeElement.getAttribute('aria-label') || ''")
        if label == "Annotate paragraph 4":
            break
    else:
        pytest.fail("the paragraph's annotate link is not reachable with Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog.get_by_label("Your annotation")).to_be_focused()
    page.keyboard.type("Resistance data would tell us whether TMEM sites are residual disease.")
    passage = dialog.get_by_label("Passage")
    passage.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("What were the levels of resistance to taxanes and other chemotherapies?")
    page.keyboard.press("Tab")  # back to the body, then on to the submit button
    for _ in range(20):
        if page.evaluate("() => document.activeElement.textContent") == "Save annotation":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    annotation_id = _new_annotation_id(page)
    expect_highlighted(page, annotation_id, "What were the levels of resistance to taxanes and other chemotherapies?")


def test_highlight_crossing_a_citation_marker(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    phrase = "accelerate their formation?1"
    select_programmatically(page, phrase)
    page.get_by_role("button", name="Annotate").click()
    page.get_by_role("dialog").get_by_label("Your annotation").fill("Editorial, not data.")
    page.get_by_role("button", name="Save annotation").click()
    annotation_id = _new_annotation_id(page)
    expect_highlighted(page, annotation_id, phrase)
    expect(page.locator(f"sup.cite mark[data-ids~='{annotation_id}']")).to_have_count(1)
    expect(page.locator("sup.cite a[href='#ref-1']")).to_have_text("1")  # the citation link still works


def test_private_annotation_is_invisible_to_another_reader(page, browser, live_server, make):
    slug = make.demo_article()
    owner = make.user(trusted=True, name="Dr Private Owner")
    other = make.user(trusted=True, name="Dr Other Reader")
    sign_in(page, owner.email, owner.password)
    page.goto(f"/articles/{slug}")
    select_with_mouse(page, "rebastinib, a TIE2 inhibitor")
    page.get_by_role("button", name="Annotate").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Your annotation").fill("Note to self: check the phase 1 data.")
    dialog.get_by_label("Only me: a private note").check()
    dialog.get_by_role("button", name="Save annotation").click()
    annotation_id = _new_annotation_id(page)
    expect(page.locator(f"#a-{annotation_id}")).to_contain_text("Only you can see this")

    context = browser.new_context(base_url=live_server)
    try:
        other_page = context.new_page()
        sign_in(other_page, other.email, other.password)
        other_page.goto(f"/articles/{slug}")
        # The page is fully drawn (its discussion heading says how many it shows) before absences count.
        expect(other_page.locator("#discussion-heading")).to_contain_text("(0 annotations)")
        assert "check the phase 1 data" not in other_page.content()
        expect(other_page.locator(f"[data-ids~='{annotation_id}']")).to_have_count(0)
        expect(other_page.locator(f"#a-{annotation_id}")).to_have_count(0)
        response = other_page.goto(f"/annotations/{annotation_id}")
        assert response.status == 404
    finally:
        context.close()


def test_clicking_a_highlight_opens_its_thread_and_the_quote_leads_back(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    first = make.annotation(author, slug, QUOTE, body="On the models.")
    second = make.annotation(author, slug, "rebastinib, a TIE2 inhibitor", body="On rebastinib.")
    page.goto(f"/articles/{slug}")
    page.locator(f"#article-body mark[data-ids='{second}']").first.click()
    thread = page.locator(f"#a-{second}")
    expect(thread).to_have_class(re.compile(r"\bis-open\b"))
    expect(thread).to_be_focused()
    expect(page.locator(f"mark.is-active[data-ids='{second}']").first).to_be_visible()

    page.locator(f"#a-{first} .quote-link").click()
    expect(page.locator(f"mark.is-active[data-ids='{first}']").first).to_be_visible()
    expect(page.locator(f"mark.is-active[data-ids='{second}']")).to_have_count(0)
    expect(page.locator(f"#hl-{first}")).to_be_focused()


def test_permalink_opens_the_thread_and_marks_the_passage(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE, body="Permalinked.")
    page.goto(f"/annotations/{annotation_id}")
    expect(page.locator(f"#a-{annotation_id}")).to_have_class(re.compile(r"\bis-open\b"))
    expect(page.locator(f"mark.is-active[data-ids='{annotation_id}']").first).to_be_visible()


def test_each_kind_is_drawn_with_its_tint_line_style_and_marker(page, make):
    from app.models import AnnotationKind
    from app.text.kinds import KINDS

    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE, kind=AnnotationKind.CRITIQUE)
    page.goto(f"/articles/{slug}")
    style = KINDS[AnnotationKind.CRITIQUE]
    rgb = "rgb({}, {}, {})".format(*(int(style.tint[i:i + 2], 16) for i in (1, 3, 5)))
    mark = page.locator(f"#article-body mark.hl-critique[data-ids~='{annotation_id}']").first
    assert mark.evaluate("m => [getComputedStyle(m).backgroundColor, getComputedStyle(m).borderBottomStyle]") == [
        rgb, style.line]
    assert page.locator(f"#a-{annotation_id}").evaluate("t => getComputedStyle(t).borderLeftStyle") == style.line
    assert page.locator(f"#hl-{annotation_id}").inner_text() == style.marker
    page.locator(".legend").screenshot(path=str(ARTIFACTS / "kinds-legend.png"))
    page.screenshot(path=str(ARTIFACTS / "kinds-critique.png"))
