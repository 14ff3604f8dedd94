"""In the browser: a citation marker shows its reference inline and leads to the study page.

The editor previews live.
"""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_citation_marker_shows_the_reference_then_leads_to_the_study_page(page, make):
    slug = make.demo_article()
    page.goto(f"/articles/{slug}")
    marker = page.locator('sup.cite a[data-cite="karagiannis2017"]').first
    marker.click()
    popup = page.get_by_role("dialog", name="Reference 2")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("TMEM-mediated mechanism")
    expect(popup).to_contain_text("Animal model")
    expect(marker).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("location.hash") == ""  # the page did not jump to the reference list

    popup.get_by_role("link", name=re.compile("Study record")).click()
    page.wait_for_url(re.compile(r"/studies/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Neoadjuvant chemotherapy induces"))
    expect(page.get_by_text("Animal model").first).to_be_visible()
    expect(page.get_by_role("heading", name="Articles citing this study")).to_be_visible()
    expect(page.get_by_text("blocks some prometastatic changes in their murine models")).to_be_visible()


def test_the_reference_popup_works_from_the_keyboard(page, make):
    slug = make.demo_article()
    page.goto(f"/articles/{slug}")
    marker = page.locator('sup.cite a[data-cite="chabner2018"]').first
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.get_by_role("dialog", name="Reference 1")
    expect(popup).to_be_visible()
    expect(popup).to_be_focused()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    expect(marker).to_be_focused()
    expect(marker).to_have_attribute("aria-expanded", "false")


def test_the_editor_preview_follows_typing_and_flags_unknown_keys(page, make):
    make.demo_article()
    admin = make.user(role=Role.ADMIN)
    sign_in(page, admin.email, admin.password)
    page.goto("/admin/articles/new")
    page.get_by_label("Article (Markdown with front matter)").fill(
        "---\ntitle: Live preview works\n---\n\nMice again. [@karagiannis2017] And a ghost. [@ghost1999]\n")
    preview = page.locator("#preview")
    preview.get_by_role("heading", name="Live preview works").wait_for()
    expect(preview).to_contain_text("Mice again.")
    expect(preview).to_contain_text("Unknown citation keys: ghost1999")
    expect(page.get_by_role("status").filter(has_text="Preview updated")).to_have_count(1)
