"""Reading and annotating in a real browser: select, annotate, reply, edit, delete, keyboard, privacy."""
import re

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import highlighted_text, select_programmatically, select_with_mouse

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
    assert dialog.get_by_label("Passage").input_value() == QUOTE
    dialog.get_by_label("Your annotation").fill("Orthotopic murine models lack the human *stroma*.")
    dialog.get_by_label("Question").check()
    dialog.get_by_label("Tags").fill("preclinical models")
    dialog.get_by_role("button", name="Save annotation").click()

    annotation_id = _new_annotation_id(page)
    assert page.url.endswith(f"/articles/{slug}"), "saving must not reload the page"
    assert highlighted_text(page, annotation_id) == QUOTE
    thread = page.locator(f"#a-{annotation_id}")
    assert "Orthotopic murine models lack the human stroma." in thread.inner_text()
    assert thread.locator("em").inner_text() == "stroma"
    page.screenshot(path=str(ARTIFACTS / "annotating-saved.png"), full_page=True)

    page.reload()
    assert highlighted_text(page, annotation_id) == QUOTE
    assert page.locator(f"#article-body mark.hl-question[data-ids~='{annotation_id}']").count() >= 1

    thread = page.locator(f"#a-{annotation_id}")
    thread.get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("The 20 patients' tissue is a start, but not a trial.")
    page.get_by_role("button", name="Post reply").click()
    page.locator(".reply", has_text="not a trial").wait_for()

    page.locator(f"#a-{annotation_id} > .annotation").get_by_role("link", name="Edit").click()
    page.get_by_label("Your annotation").fill("Orthotopic murine models lack human stroma and immunity.")
    page.get_by_role("button", name="Save changes").click()
    thread = page.locator(f"#a-{annotation_id}")
    assert "lack human stroma and immunity" in thread.inner_text()
    assert re.search(r"edited", thread.locator(".annotation").first.inner_text())

    thread.locator(".annotation").first.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    stub = page.locator(f"#a-{annotation_id}")
    assert "deleted by its author" in stub.inner_text()
    assert "not a trial" in stub.inner_text(), "replies survive the deletion of their parent"


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
    assert page.evaluate("() => document.activeElement.name") == "body"
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
    assert highlighted_text(page, annotation_id) == (
        "What were the levels of resistance to taxanes and other chemotherapies?")


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
    assert highlighted_text(page, annotation_id) == phrase
    assert page.locator(f"sup.cite mark[data-ids~='{annotation_id}']").count() == 1
    assert page.locator("sup.cite a[href='#ref-1']").inner_text() == "1", "the citation link still works"


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
    assert "Only you can see this" in page.locator(f"#a-{annotation_id}").inner_text()

    context = browser.new_context(base_url=live_server)
    try:
        other_page = context.new_page()
        sign_in(other_page, other.email, other.password)
        other_page.goto(f"/articles/{slug}")
        content = other_page.content()
        assert "check the phase 1 data" not in content
        assert other_page.locator(f"[data-ids~='{annotation_id}']").count() == 0
        assert other_page.locator(f"#a-{annotation_id}").count() == 0
        assert "(0 annotations)" in other_page.locator("#discussion-heading").inner_text()
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
    assert "is-open" in thread.get_attribute("class")
    assert page.evaluate("() => document.activeElement.id") == f"a-{second}"
    assert page.locator(f"mark.is-active[data-ids='{second}']").count() >= 1

    page.locator(f"#a-{first} .quote-link").click()
    assert page.locator(f"mark.is-active[data-ids='{first}']").count() >= 1
    assert page.locator(f"mark.is-active[data-ids='{second}']").count() == 0
    assert page.evaluate("() => document.activeElement.id") == f"hl-{first}"


def test_permalink_opens_the_thread_and_marks_the_passage(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, QUOTE, body="Permalinked.")
    page.goto(f"/annotations/{annotation_id}")
    assert "is-open" in page.locator(f"#a-{annotation_id}").get_attribute("class")
    assert page.locator(f"mark.is-active[data-ids='{annotation_id}']").count() >= 1


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
