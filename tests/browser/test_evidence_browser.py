"""In the browser: the evidence map, the citation tooltips, the appraisal fields and the risk-of-bias summary.

Screenshots of each land in test-artifacts/ (evidence-*.png) for a person to look at.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind, Study
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
REBASTINIB = "rebastinib, a TIE2 inhibitor"
MODELS = "studying breast cancer through mouse models"


def study_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Study.id).where(Study.citation_key == key))


def retract(app, key: str) -> None:
    from app.bibliography.notices import NoticeRecord
    from app.services.notices import add_notice

    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.citation_key == key))
        add_notice(study, NoticeRecord(kind="retraction", key="10.5555/test.retraction.1", source="Retraction Watch",
                                       date=date(2026, 5, 16), url="https://doi.org/10.5555/test.retraction.1"))
        db.session.commit()


def appraise(app, make, author, slug, quote, tool, domain, judgement) -> int:
    from app.services.appraisals import read_appraisal, set_appraisal

    annotation_id = make.annotation(author, slug, quote, kind=AnnotationKind.CRITIQUE, body=f"{domain}: {judgement}.",
                                    study_id=study_id(app, "karagiannis2017"))
    with app.app_context():
        set_appraisal(db.session.get(Annotation, annotation_id), read_appraisal(tool, domain, judgement))
        db.session.commit()
    return annotation_id


def shoot(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"evidence-{name}.png"))


def test_the_evidence_map_shows_levels_critiques_notices_and_the_retraction_banner(page, make, app):
    slug = make.demo_article()
    reader = make.user(trusted=True)
    appraise(app, make, reader, slug, REBASTINIB, "syrcle", "random_housing", "high")
    retract(app, "karagiannis2017")
    page.goto(f"/articles/{slug}")
    banner = page.get_by_role("note").filter(has_text="A cited study has been retracted.")
    assert banner.is_visible()
    evidence = page.get_by_role("region", name="Evidence map")
    assert evidence.is_visible()
    assert evidence.get_by_role("img", name="Levels of evidence of the 3 cited studies").is_visible()
    rows = evidence.locator("table.evidence-table tbody tr")
    assert rows.count() == 3
    assert "Animal model" in rows.nth(1).inner_text() and "Retracted 16 May 2026" in rows.nth(1).inner_text()
    box = evidence.bounding_box()
    body_top = page.locator("#article-body").bounding_box()["y"]
    assert box["y"] < body_top, "the panel sits at the top of the article"
    shoot(page.locator(".article-header ~ .retraction-banner, #evidence-map").first, "banner")
    shoot(evidence, "map")
    claims = page.get_by_role("region", name="Claims and evidence")
    claims.scroll_into_view_if_needed()
    assert claims.locator("tbody tr").count() == 4
    shoot(claims, "claims")


def test_a_citation_marker_shows_design_and_level_on_hover_and_on_keyboard_focus(page, make):
    slug = make.demo_article()
    page.goto(f"/articles/{slug}")
    marker = page.locator('sup.cite a[data-cite="karagiannis2017"]').first
    tip = page.locator("#cite-tip-2")
    assert tip.is_hidden()
    marker.hover()
    tip.wait_for(state="visible")
    assert "Animal model" in tip.inner_text() and "CEBM level 5" in tip.inner_text()
    assert page.get_by_role("tooltip").count() == 1
    marker_box, tip_box = marker.bounding_box(), tip.bounding_box()
    assert tip_box["y"] >= marker_box["y"] + marker_box["height"] - 1, "the tooltip opens below its marker"
    shoot(page.locator("#article-body p").nth(1), "tooltip-hover")
    tip.hover()  # the pointer may move onto the tooltip without it vanishing (WCAG 1.4.13)
    page.wait_for_timeout(400)
    assert tip.is_visible()
    page.mouse.move(5, 5)
    tip.wait_for(state="hidden")

    page.locator('sup.cite a[data-cite="chabner2018"]').first.focus()
    first_tip = page.locator("#cite-tip-1")
    first_tip.wait_for(state="visible")
    assert "Editorial / commentary / opinion" in first_tip.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "cite-tip-1"
    page.keyboard.press("Escape")
    first_tip.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.cite") == "chabner2018", "Escape leaves focus in place"
    marker.focus()
    tip.wait_for(state="visible")
    assert first_tip.is_hidden()


def test_the_appraisal_fields_follow_the_chosen_tool(page, make, app):
    slug = make.demo_article()
    reader = make.user(trusted=True)
    sign_in(page, reader.email, reader.password)
    page.goto(f"/articles/{slug}/annotate?block=4")
    page.get_by_label("Passage you are annotating").fill(REBASTINIB)
    page.get_by_label("Your annotation").fill("Cages were not randomised.")
    page.get_by_label("Critique of evidence").check()
    page.get_by_label("Linked study").select_option(value=str(study_id(app, "karagiannis2017")))
    tool = page.get_by_label("Tool", exact=True)
    assert tool.input_value() == "syrcle", "the tool fitting an animal study is suggested"
    domains = page.get_by_label("Domain", exact=True)
    visible = domains.locator("optgroup:not([hidden]) option").all_inner_texts()
    assert visible[0].startswith("1 Sequence generation") and len(visible) == 10
    domains.select_option(label="4 Random housing (performance bias)")
    page.get_by_label("High risk of bias").check()
    shoot(page.locator("fieldset.appraisal-fields"), "appraisal-fields")
    page.get_by_role("button", name="Save annotation").click()
    page.wait_for_url(f"**/articles/{slug}**")
    chip = page.locator(".appraisal-chip").first
    assert "SYRCLE" in chip.inner_text() and "High risk of bias" in chip.inner_text()


def test_the_study_page_summary_is_readable_without_colour_and_links_to_the_critiques(page, make, app):
    slug = make.demo_article()
    readers = [make.user(trusted=True) for _ in range(3)]
    appraise(app, make, readers[0], slug, REBASTINIB, "syrcle", "random_housing", "high")
    appraise(app, make, readers[1], slug, MODELS, "syrcle", "random_housing", "high")
    appraise(app, make, readers[2], slug, MODELS, "syrcle", "blinding_assessors", "some_concerns")
    appraise(app, make, readers[0], slug, MODELS, "syrcle", "baseline", "low")
    page.goto(f"/studies/{study_id(app, 'karagiannis2017')}")
    figure = page.locator("svg.rob-summary")
    figure.scroll_into_view_if_needed()
    assert figure.is_visible()
    text = page.evaluate("() => document.querySelector('svg.rob-summary').textContent")
    assert "2 high" in text and "1 some concerns" in text and "1 low" in text
    shoot(page.locator(".appraisal-summary"), "summary")
    # Grey page: what the cells say survives without colour.
    page.evaluate("() => { document.querySelector('svg.rob-summary').style.filter = 'grayscale(1)'; }")
    shoot(figure, "summary-greyscale")
    cell = page.get_by_role("link", name="SYRCLE, 4 Random housing (performance bias): 2 appraisals judged high "
                                         "risk of bias")
    cell.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#appraisal-syrcle-random-housing-high"
    target = page.locator("#appraisal-syrcle-random-housing-high")
    assert target.locator("li").count() == 2
