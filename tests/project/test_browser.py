"""Pages checked in a real browser: Debian's Chromium driven by Playwright."""

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader

from metrics.models import FrozenMonth
from scoreboard import demo
from scoreboard.models import MonthlyReview, User
from scoreboard.months import add_months, month_in_progress, next_month, previous_month

SECTIONS = (
    "primary",
    "headline",
    "layers",
    "warnings",
    "portfolio",
    "redesign",
    "roi",
    "decisions",
    "freshness",
    "pipeline",
    "review",
)
MONTH_URL = re.compile(r"/exco/(\d{4})-(\d{2})/$")


def sign_in(page, live_server, username):
    """Open /, get sent to the login form, sign in and land on the latest month's page."""
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(MONTH_URL)
    page.wait_for_selector("h1:has-text('ExCo dashboard')")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/"))


def landed_month(page) -> date:
    year, month = MONTH_URL.search(page.url).groups()
    return date(int(year), int(month), 1)


def sign_off(page, slot, title, month, comment):
    signature = page.locator(f"#sign-{slot}")
    signature.locator("textarea[name=comment]").fill(comment)
    signature.get_by_role("button", name=f"Sign off {month:%B %Y} as {title}").click()
    expect(page.locator("ul.messages")).to_contain_text(f"{month:%B %Y} signed off as {title}.")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executive_opens_the_month_and_sees_every_section_with_drawn_charts(page, live_server):
    demo.build_demo_company(seed=7, months=6)

    sign_in(page, live_server, "cio")

    month = landed_month(page)
    expect(page.locator("h1")).to_have_text(f"ExCo dashboard · {month:%B %Y}")
    for section in SECTIONS:
        expect(page.locator(f"section#{section}")).to_be_visible()
    page.wait_for_selector(".chart.drawn svg.main-svg")
    assert page.locator(".chart.drawn svg.main-svg").count() >= 1
    # Every chart the page asks for is drawn, not just the first.
    expect(page.locator("[data-chart]:not(.drawn)")).to_have_count(0)
    expect(page.locator("#primary .tile.is-primary")).to_have_count(1)
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    # Plotly is served from our own static files, not a CDN.
    plotly = page.evaluate("document.querySelector('script[src*=plotly]').src")
    assert plotly.startswith(f"{live_server.url}/static/"), plotly
    # The stylesheet came from our own static files too.
    colour = page.evaluate("getComputedStyle(document.querySelector('.topbar .brand')).color")
    assert colour == "rgb(31, 78, 140)"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cio_withdraws_signs_again_then_the_coo_signs_and_the_month_is_frozen(page, live_server):
    demo.build_demo_company(seed=7, months=6)
    cio, coo = User.objects.get(username="cio"), User.objects.get(username="coo")

    sign_in(page, live_server, "cio")
    month = landed_month(page)
    # The demo's CIO has signed the latest complete month already: take it back, then sign again.
    page.locator("#sign-cio").get_by_role("button", name="Withdraw my sign-off").click()
    expect(page.locator("ul.messages")).to_contain_text(f"Your CIO sign-off of {month:%B %Y} is withdrawn.")
    sign_off(page, "cio", "CIO", month, "Platform steady; I answer for the technology figures.")

    expect(page).to_have_url(MONTH_URL)
    assert landed_month(page) == month
    expect(page.locator("#sign-cio")).to_contain_text(f"Signed by {cio} on")
    expect(page.locator("#sign-cio blockquote")).to_have_text("Platform steady; I answer for the technology figures.")
    expect(page.locator("#sign-coo")).to_contain_text("Not signed")
    expect(page.locator("#review .flag")).to_contain_text("Signed by one only")
    expect(page.locator("strong.frozen")).to_have_count(0)

    sign_out(page)
    sign_in(page, live_server, "coo")
    assert landed_month(page) == month
    sign_off(page, "coo", "COO", month, "Adoption is real; I answer for the operations figures.")

    expect(page.locator("ul.messages")).to_contain_text("Both have signed: the month is frozen.")
    expect(page.locator("header strong.frozen")).to_have_text("Frozen")
    expect(page.locator("#sign-cio")).to_contain_text(f"Signed by {cio} on")
    expect(page.locator("#sign-coo")).to_contain_text(f"Signed by {coo} on")
    expect(page.locator("#sign-coo blockquote")).to_have_text("Adoption is real; I answer for the operations figures.")
    expect(page.locator("#review .flag")).to_have_count(0)
    expect(page.locator("#review form")).to_have_count(0)  # nothing left to sign or withdraw
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"

    review = MonthlyReview.objects.get(month=month)
    assert review.cio_signed_by == cio
    assert review.coo_signed_by == coo
    assert review.frozen_at is not None
    assert FrozenMonth.objects.filter(month=month).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_the_fifth_the_exco_opens_last_month_and_this_month_cannot_be_signed_yet(page, live_server):
    # The server's clock (the live server runs in this process) set to the 5th of a month two
    # months ahead: ahead, so the browser, on the real clock, keeps the cookies the server dates.
    under_way = add_months(month_in_progress(), 2)
    with time_machine.travel(datetime(under_way.year, under_way.month, 5, 9, 30, tzinfo=UTC), tick=True):
        demo.build_demo_company(seed=7, months=6)

        sign_in(page, live_server, "cio")
        assert landed_month(page) == previous_month(under_way)
        expect(page.locator("h1 .in-progress")).to_have_count(0)
        expect(page.locator("#closed-cio, #closed-coo")).to_have_count(0)  # a month that has ended is signed

        page.goto(f"{live_server.url}/exco/{under_way:%Y-%m}/")
        expect(page.locator("h1 .in-progress")).to_have_text(f"in progress, to 5 {under_way:%b %Y}")
        button = page.get_by_role("button", name=f"Sign off {under_way:%B %Y} as CIO")
        expect(button).to_be_disabled()
        expect(page.locator("#comment-cio")).to_be_disabled()
        expect(page.locator("#closed-cio")).to_have_text(
            f"{under_way:%B %Y} is still in progress: it can be signed off from 1 {next_month(under_way):%b %Y},"
            " once it has ended."
        )
        assert button.get_attribute("aria-describedby") == "closed-cio"
        assert page.console_errors == []
    assert MonthlyReview.objects.filter(month=under_way, cio_signed_at=None, coo_signed_at=None).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pdf_pack_downloads_with_pages_and_the_months_title(page, live_server):
    demo.build_demo_company(seed=7, months=6)

    sign_in(page, live_server, "cio")
    month = landed_month(page)

    with page.expect_download(timeout=60000) as info:
        page.get_by_role("link", name="Download the PDF pack").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"exco-pack-{month:%Y-%m}.pdf"
    with open(download.path(), "rb") as pdf:
        content = pdf.read()

    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    assert f"{month:%B %Y}" in reader.pages[0].extract_text()
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
