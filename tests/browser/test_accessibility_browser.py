"""axe-core finds nothing on any page, for any role, and in the states a reader passes through.

Every page is every GET route of the security access table that answers HTML with 200 to the
visitor, with the security world's objects (tests/security/conftest.py): reader A (a trusted
reader), reader B (a new reader whose note waits for a moderator), the moderator, the admin, and
anonymous visitors.
"""
import pytest

from app.models import AnnotationKind
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.helpers import select_with_mouse
from tests.browser.test_anchoring_browser import FIGURE, REWORDED, REWRITTEN, revised  # noqa: F401 - fixture
from tests.security.access_table import TABLE
from tests.security.conftest import ROLES, world  # noqa: F401 - the fixture, for these tests

pytestmark = pytest.mark.browser
NOT_PAGES = ("/api", "/healthz", "/kinds.css", "/unsubscribe")


def _pages(w, role: str) -> list[str]:
    values = {**w.ids, "slug": w.slug}
    index = ROLES.index(role)
    paths = []
    for (method, rule), cases in TABLE.items():
        if method != "GET" or rule.startswith(NOT_PAGES):
            continue
        for case in cases:
            if case.expect[index] == 200 and not case.fresh:
                path = case.path.format(**values)
                if "." in path.split("?")[0].rsplit("/", 1)[-1]:
                    continue  # a download (.ris, .csv, .jsonld...), not a page
                if path not in paths:
                    paths.append(path)
    return paths


def _check(page, paths) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(path)
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found += [f"{path}: {line}" for line in violations(page)]
    return found


@pytest.mark.parametrize("role", ["anonymous", "reader_a", "reader_b", "moderator", "admin"])
def test_no_page_has_an_accessibility_violation(page, world, role):  # noqa: F811 - the fixture
    if role != "anonymous":
        user = world.user(role)
        sign_in(page, user.email, user.password)
    found = _check(page, _pages(world, role))
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)


# 1280 x 800 (a laptop), 390 x 844 (a phone), and 640 x 400: a 1280 x 800 screen at 200% zoom.
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844), "zoom-200": (640, 400)}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_reading_states_have_no_violation_after_a_revision_and_with_forms_open(page, revised,  # noqa: F811
                                                                                  viewport):
    slug, author, ids = revised
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    sign_in(page, author.email, author.password)
    found = _check(page, [f"/articles/{slug}", f"/annotations/{ids[REWRITTEN]}/reattach",
                          f"/annotations/{ids[FIGURE]}/edit"])

    page.goto(f"/articles/{slug}")
    select_with_mouse(page, "What were the levels of resistance to taxanes")
    page.get_by_role("button", name="Annotate").click()
    page.get_by_role("dialog", name="New annotation").get_by_label("Your annotation").fill("A draft.")
    found += [f"annotate form open: {line}" for line in violations(page)]
    page.keyboard.press("Escape")

    page.locator(f"#a-{ids[REWORDED]}").get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("A reply draft.")
    found += [f"reply form open: {line}" for line in violations(page)]
    page.screenshot(path=str(ARTIFACTS / f"accessibility-reading-{viewport}.png"), full_page=True)
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)


def _luminance(css: str) -> float:
    channels = [int(c) / 255 for c in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: str, two: str) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_stands_out_on_the_dark_header_and_on_the_page(page, make):
    make.demo_article()
    page.goto("/")
    rings = []
    for _ in range(4):  # the skip link, the brand, the search box, then a header link
        page.keyboard.press("Tab")
        rings.append(page.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            const header = el.closest('.site-header');
            const behind = getComputedStyle(header || document.body).backgroundColor;
            const name = el.textContent.trim() || el.getAttribute('placeholder');
            return [name, style.outlineStyle, style.outlineColor, behind];
        }"""))
    for name, style, ring, behind in rings:
        assert style != "none", f"no focus ring on {name!r}"
        assert _contrast(ring, behind) >= 3, f"focus ring on {name!r}: {ring} on {behind}"


def test_a_highlights_name_starts_with_the_marker_it_shows(page, make):
    slug = make.demo_article()
    make.annotation(make.user(trusted=True, name="Dr Q Asker"), slug, REWORDED, body="Which models?",
                    kind=AnnotationKind.QUESTION)
    page.goto(f"/articles/{slug}")
    link = page.locator("#article-body a.hl-ref").first
    assert link.text_content() == "Q"
    assert link.get_attribute("aria-label") == "Q Question by Dr Q Asker: open discussion"
