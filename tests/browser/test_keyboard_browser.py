"""Annotating with the keyboard and a screen reader: the Annotate control, the dialog, sentences of a paragraph."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.helpers import select_programmatically

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _active(page, script: str = "el => el.textContent"):
    return page.evaluate(f"() => ({script})(document.activeElement)")


def test_after_a_keyboard_selection_tab_reaches_annotate_named_by_the_passage(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    expect(page.locator("#annotate-hint")).to_contain_text("Alt+A")

    select_programmatically(page, QUOTE)
    page.keyboard.press("Shift+ArrowLeft")  # a keyboard selection, adjusted by one character
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Tab")
    control = page.locator(".annotate-button")
    expect(control).to_be_focused()
    expect(control).to_have_attribute("aria-keyshortcuts", "Alt+A")
    expect(control).to_have_accessible_name("Annotate “are the models used really…”")

    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New annotation")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog.get_by_label("Your annotation")).to_be_focused()
    assert dialog.locator("[aria-label]").count() == 0, "the dialog is named once"
    # Focus stays inside: Tab from the last control comes back to the first, Shift+Tab goes round too.
    dialog.get_by_role("button", name="Discard draft").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('[role=dialog]') !== null")
    expect(dialog.get_by_label("Passage")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Discard draft")).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    # Back where it came from: the passage's paragraph (its annotate link).
    assert _active(page, "el => el.getAttribute('aria-label')") == "Annotate paragraph 4"


def test_the_paragraph_path_narrows_the_passage_by_sentence(page, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    page.get_by_role("link", name="Annotate paragraph 4").click()
    dialog = page.get_by_role("dialog", name="New annotation")
    sentences = dialog.get_by_role("group", name="Sentences to annotate (the first to the last ticked)")
    boxes = sentences.get_by_role("checkbox")
    assert boxes.count() >= 3
    first = boxes.nth(0).evaluate("el => el.labels[0].textContent")
    assert first.startswith("Some questions arise about the Karagiannis study:")

    boxes.nth(0).uncheck()
    for i in range(2, boxes.count()):
        boxes.nth(i).uncheck()
    second = boxes.nth(1).evaluate("el => el.labels[0].textContent")
    expect(dialog.get_by_label("Passage")).to_have_value(second)
    dialog.get_by_label("Your annotation").fill("Resistance data matter here.")
    dialog.get_by_role("button", name="Save annotation").click()
    thread = page.locator(".thread.is-open").first
    expect(thread).to_contain_text("Resistance data matter here.")
    assert second in thread.text_content()
