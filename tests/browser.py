"""A real browser for page tests: Debian's Chromium driven by Playwright.

The fixtures (`browser`, `page`) are registered in conftest.py; `page` records console errors
and any request that leaves the test server, for tests to assert on.
"""

import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium phones home at start-up; our machines' closed network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse ORM calls from the test body; they are still synchronous, so allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.foreign_requests = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.on(
        "request",
        lambda req: req.url.startswith(live_server.url) or page.foreign_requests.append(req.url),
    )
    yield page
    context.close()


def sign_in_at(page, live_server, username: str, path: str) -> None:
    """As a demo persona (or a test user given the demo password): open `path` signed out,
    get sent to the login form, sign in and land back on `path`."""
    from scoreboard.demo import DEMO_PASSWORD  # here: the browser's settings import without Django

    page.goto(f"{live_server.url}{path}")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))
    # Scripts (deferred) run before "load": a click sooner reaches a page whose handlers are not
    # bound yet, and follows the plain link instead (seen on a busy machine).
    page.wait_for_load_state("load")
