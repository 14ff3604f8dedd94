"""Further pages of threads: loaded in place with the script (by scrolling or a button), followed without it."""
import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
QUOTE = "increased expression of TIE2, the angiopoietin receptor"
LONG = " ".join(["This thread says a great deal about the passage, at length."] * 60)


@pytest.fixture
def paged(app, make, monkeypatch):
    """Five threads on one passage, two to a page, each long enough to fill the column."""
    monkeypatch.setitem(app.config, "DISCUSSION_PAGE_THREADS", 2)
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Long Writer")
    ids = [make.annotation(author, slug, QUOTE, body=f"Thread number {n}. {LONG}") for n in range(1, 6)]
    return slug, author, ids


def test_show_more_threads_loads_the_next_page_in_place_announces_it_and_moves_focus_there(page, paged):
    slug, author, ids = paged
    page.set_viewport_size({"width": 1280, "height": 700})
    sign_in(page, author.email, author.password)
    page.goto(f"/articles/{slug}")
    more = page.get_by_role("button", name="Show more threads")
    assert page.locator("[data-threads] > li").count() == 2
    assert not page.get_by_role("link", name="More threads →").is_visible()
    more.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#a-{ids[2]}")).to_be_visible()
    # Focus goes to the first thread the press brought (the third, or the fifth if scrolling brought the third).
    focused = page.locator("[data-threads] > li:focus")
    expect(focused).to_have_count(1)
    assert focused.get_attribute("id") in (f"a-{ids[2]}", f"a-{ids[4]}")
    expect(page.locator("p[role=status][aria-live]")).to_contain_text("more threads loaded")
    assert not violations(page)
    page.screenshot(path=str(ARTIFACTS / "thread-pages-loaded.png"))
    # Replying works on a thread that came with a later page.
    page.locator(f"#a-{ids[2]}").get_by_role("link", name="Reply").first.click()
    assert page.get_by_label("Your reply").is_visible()


def test_scrolling_to_the_end_of_the_threads_loads_the_rest(page, paged):
    slug, _, ids = paged
    page.goto(f"/articles/{slug}")
    for _ in range(4):
        button = page.locator("button.more-threads")
        if not button.count():
            break
        button.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    expect(page.locator("[data-threads] > li")).to_have_count(5)
    assert page.locator(f"#a-{ids[4]}").is_visible()
    assert page.locator("button.more-threads").count() == 0
    assert "Threads 1 to 5 of 5" in page.locator("[data-thread-range]").text_content()


def test_a_highlight_whose_thread_is_on_another_page_leads_to_it(page, paged):
    slug, _, ids = paged
    page.goto(f"/articles/{slug}")
    page.locator(f"#hl-{ids[4]}").click()
    page.wait_for_url(f"**/articles/{slug}?threads=3#a-{ids[4]}")
    assert page.locator(f"#a-{ids[4]}").is_visible()


def test_without_the_script_the_threads_are_reached_by_links(browser, live_server, paged):
    slug, _, ids = paged
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"/articles/{slug}")
        page.get_by_role("link", name="More threads →").click()
        page.wait_for_url("**threads=2**")
        assert page.locator(f"#a-{ids[2]}").count() == 1 and page.locator(f"#a-{ids[0]}").count() == 0
        page.locator(f"#hl-{ids[4]}").click()
        page.wait_for_url("**threads=3**")
        assert page.locator(f"#a-{ids[4]}").count() == 1
    finally:
        context.close()


def test_an_action_on_a_thread_from_a_later_page_keeps_every_thread_loaded_and_the_reader_there(page, make,
                                                                                                  paged):
    slug, _, ids = paged
    reader = make.user(trusted=True, name="Dr Keen Reader")
    page.set_viewport_size({"width": 1280, "height": 700})
    sign_in(page, reader.email, reader.password)
    page.goto(f"/articles/{slug}")
    page.get_by_role("button", name="Show more threads").click()
    expect(page.locator(f"#a-{ids[2]}")).to_be_visible()
    loaded = page.locator("[data-threads] > li").count()
    assert loaded >= 4
    page.locator(f"#a-{ids[2]}").get_by_role("link", name="Helpful", exact=True).click()
    withdraw = page.locator(f"#a-{ids[2]}").get_by_role("link", name="You found this helpful (withdraw)")
    expect(withdraw).to_be_visible()
    # Still on the article's first address, with the threads of the later page still there, and the
    # reader where they acted: nothing they were reading went away.
    assert page.url.endswith(f"/articles/{slug}")
    assert page.locator("[data-threads] > li").count() >= loaded
    expect(page.locator(f"#a-{ids[2]}")).to_be_in_viewport()
