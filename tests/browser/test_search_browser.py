"""Search in a real browser, on the demo: the header box, the results, and landing on the annotation."""
import pytest

from app.extensions import db
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app):
    """The demo as `flask seed-demo` loads it."""
    from app.services import demo as demo_service

    with app.app_context():
        result = demo_service.seed()
        db.session.commit()
        return result.article_slug


def test_a_newcomer_finds_the_passage_and_the_annotation_and_lands_on_it(page, demo):
    page.goto("/")
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search articles, annotations and studies")
    assert page.evaluate("() => document.activeElement.id") == "site-search-q"
    box.fill("tie2 macrophages")
    box.press("Enter")
    page.wait_for_url("**/search?q=tie2+macrophages")

    passage = page.locator(".hit-article").first
    assert "macrophages" in passage.locator("mark").all_inner_texts()[0].lower() or \
        "tie2" in " ".join(passage.locator("mark").all_inner_texts()).lower()
    annotation = page.locator(".hit-annotation", has_text="TIE2-expressing perivascular macrophages")
    assert "Question" in annotation.inner_text() and "Dr Chris Clinician" in annotation.inner_text()
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)

    annotation.locator("a.hit-link").click()
    page.wait_for_url(f"**/articles/{demo}?open=*")
    opened = page.locator(".thread.is-open")
    opened.wait_for()
    assert "TIE2-expressing perivascular macrophages" in opened.inner_text()
    active = page.locator("#article-body mark.hl.is-active")
    assert "TIE2, the angiopoietin receptor" in "".join(active.all_inner_texts())
    page.screenshot(path=str(ARTIFACTS / "search-landed-on-annotation.png"), full_page=False)


def test_the_slash_key_does_not_steal_typing_and_questions_and_dois_work(page, demo):
    page.goto("/search")
    page.keyboard.press("/")
    main_box = page.locator("#search-q")
    assert page.evaluate("() => document.activeElement.id") == "search-q"
    main_box.type("kind:question a/b")
    assert main_box.input_value() == "kind:question a/b", "typing / in a field types it"
    main_box.fill("kind:question")
    main_box.press("Enter")
    page.wait_for_url("**/search?q=kind*question")
    assert page.locator(".hit-annotation").count() == 2
    assert page.locator(".chip", has_text="kind:question").count() == 1
    page.screenshot(path=str(ARTIFACTS / "search-questions.png"), full_page=True)

    page.locator("#site-search-q").fill("10.1634/theoncologist.2017-0648")
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url("**/studies/*")
    assert "Does Chemotherapy Induce Metastases?" in page.locator("h1").inner_text()


def test_the_discussion_words_box_filters_threads(page, demo):
    page.goto(f"/articles/{demo}")
    words = page.get_by_label("Words")
    words.fill("rebastinib")
    words.press("Enter")
    page.wait_for_url("**q=rebastinib*")
    threads = page.locator(".threads > .thread")
    assert threads.count() == 1 and "rebastinib" in threads.first.inner_text()
