"""A newcomer signs up, signs in and reads the demo article."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_newcomer_signs_up_signs_in_and_reads_the_demo_article(page, make):
    make.demo_article()
    page.goto("/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Email").fill("gp@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Display name (your real name)").fill("Dr Grace Practitioner")
    page.get_by_label("Profession or specialty").fill("General practitioner")
    page.get_by_label("None declared").check()
    page.get_by_role("button", name="Create account").click()
    # Sent to sign in with words that would be the same had the address already had an account.
    page.wait_for_url("**/sign-in")
    expect(page.get_by_text("If this email address is new to Postil, your account is ready")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    sign_in(page, "gp@example.org", PASSWORD)
    expect(page.get_by_role("link", name="Dr Grace Practitioner")).to_be_visible()

    page.get_by_role("link", name="Chemotherapy: a cause of metastases?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chemotherapy: a cause of metastases?")
    expect(page.get_by_role("heading", name="References")).to_be_visible()
    expect(page.locator(".reference-list > li")).to_have_count(3)
    expect(page.get_by_text("are the models used really representative")).to_be_visible()


def test_sign_up_errors_are_announced_and_keep_what_was_typed(page, make):
    page.goto("/sign-up")
    page.get_by_label("Email").fill("gp@example.org")
    page.get_by_label("Password").fill("too short")
    page.get_by_label("Display name (your real name)").fill("Dr Grace Practitioner")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#password-error")).to_contain_text("at least 15 characters")
    expect(page.get_by_label("Display name (your real name)")).to_have_value("Dr Grace Practitioner")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
