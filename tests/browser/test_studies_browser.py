"""In the browser: a citation marker shows its reference inline and leads to the study page.

The editor previews live.
"""
import re

import pytest

from app.models import Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_citation_marker_shows_the_reference_then_leads_to_the_study_page(page, make):
    slug = make.demo_article()
    page.goto(f"/articles/{slug}")
    marker = page.locator('sup.cite a[data-cite="karagiannis2017"]').first
    marker.click()
    popup = page.get_by_role("dialog", name="Reference 2")
    assert popup.is_visible()
    assert "TMEM-mediated mechanism" in popup.inner_text()
    assert "Animal model" in popup.inner_text()
    assert marker.get_attribute("aria-expanded") == "true"
    assert page.evaluate("location.hash") == ""  # the page did not jump to the reference list

    popup.get_by_role("link", name=re.compile("Study record")).click()
    page.wait_for_url(re.compile(r"/studies/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Neoadjuvant chemotherapy induces")
    assert page.get_by_text("Animal model").first.is_visible()
    assert page.get_by_role("heading", name="Articles citing this study").is_visible()
    assert page.get_by_text("blocks some prometastatic changes in their murine models").is_visible()


def test_the_reference_popup_works_from_the_keyboard(page, make):
    slug = make.demo_article()
    page.goto(f"/articles/{slug}")
    marker = page.locator('sup.cite a[data-cite="chabner2018"]').first
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.get_by_role("dialog", name="Reference 1")
    assert popup.is_visible()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "dialog"
    page.keyboard.press("Escape")
    assert popup.count() == 0
    assert page.evaluate("document.activeElement.dataset.cite") == "chabner2018"
    assert marker.get_attribute("aria-expanded") == "false"


def test_the_editor_preview_follows_typing_and_flags_unknown_keys(page, make):
    make.demo_article()
    admin = make.user(role=Role.ADMIN)
    sign_in(page, admin.email, admin.password)
    page.goto("/admin/articles/new")
    page.get_by_label("Article (Markdown with front matter)").fill(
        "---\ntitle: Live preview works\n---\n\nMice again. [@karagiannis2017] And a ghost. [@ghost1999]\n")
    preview = page.locator("#preview")
    preview.get_by_role("heading", name="Live preview works").wait_for()
    assert "Mice again." in preview.inner_text()
    assert "Unknown citation keys: ghost1999" in preview.inner_text()
    assert page.get_by_role("status").filter(has_text="Preview updated").count() == 1
