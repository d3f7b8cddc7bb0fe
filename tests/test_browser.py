"""Pages checked in a real browser: Debian's Chromium driven by Playwright."""

import os

import pytest
from playwright.sync_api import sync_playwright

from scoreboard import demo

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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executive_signs_in_and_sees_the_demo_company_overview(page, live_server):
    demo.build_demo_company(seed=7, months=6)

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "cio")
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("h1:has-text('The AI programme at a glance')")
    assert page.locator("table.stages th").count() == 8
    assert page.locator("tr.primary").count() == 1
    assert page.locator("text=12 initiatives").count() == 1
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    # The stylesheet came from our own static files.
    colour = page.evaluate("getComputedStyle(document.querySelector('.topbar .brand')).color")
    assert colour == "rgb(31, 78, 140)"
