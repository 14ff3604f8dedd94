"""A newcomer signs up from an article, confirms the address by email and is back on the article."""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import send_outbox
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_newcomer_signs_up_from_an_article_confirms_by_email_and_lands_back_on_it(page, make, app, smtp_server):
    slug = make.demo_article()
    page.goto("/")
    page.get_by_role("link", name="Chemotherapy: a cause of metastases?").click()
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Email").fill("gp@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Display name (your real name)").fill("Dr Grace Practitioner")
    page.get_by_label("Profession or specialty").fill("General practitioner")
    page.get_by_label("None declared").check()
    page.get_by_role("button", name="Create account").click()
    # Words that would be the same had the address already had an account.
    page.wait_for_url("**/sign-up/check-email")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert send_outbox(app).sent == 1
    [mail] = smtp_server.received
    assert mail.recipients == ["gp@example.org"]
    [link] = [link for link in mail.links() if "/confirm-email/" in link]
    page.goto(urlsplit(link).path)
    page.get_by_role("button", name="Confirm my address").click()

    page.wait_for_url(f"**/articles/{slug}")
    expect(page.get_by_text("your address is confirmed and you are signed in")).to_be_visible()
    expect(page.get_by_role("link", name="Dr Grace Practitioner")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chemotherapy: a cause of metastases?")
    expect(page.get_by_role("heading", name="References")).to_be_visible()
    expect(page.locator(".reference-list > li")).to_have_count(3)
    expect(page.get_by_text("are the models used really representative")).to_be_visible()

    # The link works once.
    page.goto(urlsplit(link).path)
    expect(page.get_by_text("This link was already used")).to_be_visible()


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
