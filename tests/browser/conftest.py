"""Browser tests: the app served over real HTTP on localhost, driven by Playwright in headless Chromium.

The Chromium comes from $CHROMIUM_PATH (set by `make test` through scripts/find_chromium.py) or the
system's; Playwright's own browser download is not needed. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# How long a browser action or an expect() waits for its state. Generous on purpose: it only turns a
# page that never gets there into a failure, and a busy 2-core machine may take seconds to get there.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("No Chromium: run the tests with `make test`, which finds or installs one, "
                    "or set CHROMIUM_PATH.")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the session's app on a free localhost port in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageErrors(list):
    """Console errors and uncaught exceptions seen by a page."""


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context and page; fails the test on any uncaught script error or CSP violation."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    errors = PageErrors()
    pg.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    pg.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    pg.errors = errors
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name[:80]}.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is a courtesy, never the reason a test fails
        pass
    context.close()
    # A form answered with 4xx (validation errors) is expected; the browser logs it as a failed load.
    real_errors = [e for e in errors if "favicon" not in e
                   and "the server responded with a status of 4" not in e]
    assert real_errors == [], real_errors


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the form like a person would."""
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
