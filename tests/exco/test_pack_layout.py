"""The printed pack is designed for the ExCo (issue 16, item 8): page 1 is the month on one page
(the shared outcomes with their status, the warning signs, the decisions waiting, who has
signed), the demo month fits in eight A4 pages, and no heading stands alone at a page's foot.
Rendered by the real Chromium, read back with pypdf."""

import html
import re
import unicodedata
from io import BytesIO

import pytest
from pypdf import PdfReader

from scoreboard import demo
from scoreboard.exco import dashboard
from scoreboard.exco.pack import pack_html
from scoreboard.exco.pdf import html_to_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_pack(django_db_setup, django_db_blocker):
    """The demo company's latest complete month, as HTML and as the PDF's pages' text."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            demo.build_demo_company(seed=7, months=6)
            month = dashboard.latest_month()
            page = pack_html(month)
            context = dashboard.exco_dashboard(month)
            transaction.set_rollback(True)
    # NFKC: the PDF's text has the font's ligatures ("ﬁ", "ﬀ") where the page has letters.
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(BytesIO(html_to_pdf(page))).pages]
    return page, pages, context


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_demo_month_fits_in_eight_a4_pages(demo_pack):
    _, pages, _ = demo_pack

    assert 2 <= len(pages) <= 8


def test_page_one_is_the_month_on_one_page(demo_pack):
    _, pages, context = demo_pack
    first = " ".join(_lines(pages[0]))

    for heading in ("Shared outcomes", "Warning signs", "Decisions waiting", "Sign-off"):
        assert heading in first
    for tile in [context["primary"], *context["headline"]]:
        assert tile["kpi"].name in first
    assert "CIO: signed by" in first or "CIO: not signed" in first
    assert "COO: signed by" in first or "COO: not signed" in first
    # The figures behind the summary start on page 2.
    assert "The three layers" not in first
    assert "The three layers" in " ".join(pages[1:])


def test_the_pack_draws_each_kpi_once_the_primary_first_among_the_shared_outcomes(demo_pack):
    page, _, context = demo_pack
    tiles = [context["primary"], *context["headline"]]
    tiles += [t for layer in context["layers"] for t in layer["tiles"]]
    for tile in tiles:
        assert page.count(f'id="kpi-{tile["kpi"].code}"') == 1, tile["kpi"].code
    outcomes = page[page.index('id="headline"') : page.index('id="layers"')]
    assert re.search(r'id="kpi-([^"]+)"', outcomes).group(1) == context["primary"]["kpi"].code
    assert 'id="primary"' not in page


def test_no_heading_stands_alone_at_the_foot_of_a_page(demo_pack):
    page, pages, _ = demo_pack
    headings = {
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
        for text in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page, flags=re.S)
    }

    feet = {n: _lines(text)[-1] for n, text in enumerate(pages, start=1) if _lines(text)}

    assert not {n: foot for n, foot in feet.items() if foot in headings}
