"""Re-anchored passages in a real browser: the reworded badge's diff on hover and focus, the changed passage
side by side, and an author re-attaching an orphan by picking a suggested passage with the keyboard."""
import pytest
from sqlalchemy import select

from app.extensions import db
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import highlighted_text

pytestmark = pytest.mark.browser
REWORDED = "are the models used really representative of the spectrum of human tumors?"
FIGURE = "These TMEM sites show three significant changes characteristic of tumor invasion"
REWRITTEN = "it makes sense to continue the current chemotherapy therapy for breast cancer"
NEW_WORDING = "we should keep giving chemotherapy to women with breast cancer"


def _revise(app, slug: str, transform) -> None:
    from app.models import Article
    from app.services import articles

    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        articles.save_article(articles.ArticleInput(title=article.title, body=transform(article.body_source),
                                                    slug=slug), editor=None)
        db.session.commit()


@pytest.fixture
def revised(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Ann Otator")
    ids = {quote: make.annotation(author, slug, quote, body=f"About: {quote[:24]}")
           for quote in (REWORDED, FIGURE, REWRITTEN)}
    _revise(app, slug, lambda s: s.replace("human tumors?", "human tumours?")
            .replace("three significant changes", "four significant changes").replace(REWRITTEN, NEW_WORDING))
    return slug, author, ids


def test_a_reader_sees_the_reworded_diff_on_hover_and_focus_and_a_changed_passage_side_by_side(page, revised):
    slug, _, ids = revised
    page.goto(f"/articles/{slug}")

    thread = page.locator(f"#a-{ids[REWORDED]}")
    badge = thread.get_by_text("Reworded", exact=True)
    tip = thread.get_by_role("tooltip")
    assert not tip.is_visible()
    badge.hover()
    tip.wait_for(state="visible")
    # Marked by <del>/<ins> and by text labels for screen readers ("[removed: tumors]").
    assert "tumors" in tip.locator("del").inner_text() and "tumours" in tip.locator("ins").inner_text()
    page.mouse.move(0, 0)
    tip.wait_for(state="hidden")
    badge.focus()
    tip.wait_for(state="visible")
    assert badge.get_attribute("aria-describedby") == tip.get_attribute("id")
    page.screenshot(path=str(ARTIFACTS / "anchoring-reworded-badge.png"), full_page=False)
    assert "tumours" in highlighted_text(page, ids[REWORDED])

    changed = page.locator(f"#a-{ids[FIGURE]}")
    assert "The passage was changed" in changed.inner_text()
    sides = changed.locator(".anchor-side")
    assert sides.count() == 2
    left, right = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
    assert right["x"] > left["x"] + left["width"] - 1, "the two wordings stand side by side"
    assert "three" in sides.nth(0).locator("del").inner_text()
    assert "four" in sides.nth(1).locator("ins").inner_text()
    assert highlighted_text(page, ids[FIGURE]) == ""
    changed.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "anchoring-changed-passage.png"), full_page=False)


def test_an_author_reattaches_an_orphan_by_picking_a_suggestion_with_the_keyboard(page, revised):
    slug, author, ids = revised
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    orphan = page.locator(f"#a-{ids[REWRITTEN]}")
    assert "The passage was not found" not in orphan.inner_text()
    orphan.get_by_role("link", name="Re-attach").click()

    page.get_by_role("heading", name="The passage was not found").wait_for()
    choices = page.get_by_role("radio")
    assert 1 <= choices.count() <= 3
    first = page.locator(".suggestion").first
    assert NEW_WORDING in first.inner_text() and "match" in first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "anchoring-reattach-picker.png"), full_page=True)
    choices.first.focus()
    page.keyboard.press("Space")
    assert choices.first.is_checked()
    page.get_by_role("button", name="Attach to this passage").press("Enter")

    page.wait_for_url(f"**/articles/{slug}**")
    assert highlighted_text(page, ids[REWRITTEN]) == NEW_WORDING
    assert "The annotation is attached to the passage again." in page.content()
