"""Times are shown in the reader's time zone: the profile's, or else the browser's."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, sign_in

pytestmark = pytest.mark.browser
QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _time_text(page, note) -> tuple[str, str]:
    stamp = page.locator(f"#a-{note} time[datetime]").first
    expect(stamp).not_to_have_text(re.compile(r"UTC$"))
    return stamp.text_content(), stamp.get_attribute("datetime")


@pytest.mark.parametrize("zone, name", [("Asia/Tokyo", "GMT+9"), ("America/New_York", "GMT-5")])
def test_a_reader_without_a_chosen_zone_sees_the_browsers(browser, live_server, make, zone, name):
    slug = make.demo_article()
    note = make.annotation(make.user(trusted=True), slug, QUOTE, body="When?")
    context = browser.new_context(base_url=live_server, timezone_id=zone)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"/articles/{slug}")
    shown, utc = _time_text(page, note)
    local = datetime.fromisoformat(utc).astimezone(ZoneInfo(zone))
    assert shown == f"{local.day} {local:%b %Y, %H:%M} {name}"
    assert page.locator(f"#a-{note} time[datetime]").first.get_attribute("title").endswith(" UTC")
    context.close()


def test_the_profiles_zone_wins_and_the_profile_starts_from_the_browsers(page, make, app):
    slug = make.demo_article()
    reader = make.user(trusted=True)
    note = make.annotation(reader, slug, QUOTE, body="When?")
    sign_in(page, reader.email, reader.password)
    page.goto("/profile")
    # The browser of the tests runs in UTC: the profile keeps UTC and says nothing.
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save profile").click()
    page.goto(f"/articles/{slug}")
    shown, _ = _time_text(page, note)
    assert shown.endswith("GMT+5:30"), shown
