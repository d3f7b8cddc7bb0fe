"""Usable on a phone: at 390 px wide, every main page fits its width. Wide tables scroll inside
their own box, and the matrix reads as one card per decision, so the page itself never scrolls
sideways."""

import pytest

from scoreboard import demo
from tests.browser import sign_in_at
from tests.project.test_accessibility import each_main_page

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["cio", "ops.claims", "admin"])
def test_each_main_page_fits_a_phones_width(browser, live_server, persona):
    demo.build_demo_company(seed=7, months=6)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    too_wide = {}
    for path in each_main_page(page, live_server, persona):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprits = page.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > limit + 1)
                    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= limit + 1)
                    .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
                        + ' ' + Math.round(e.getBoundingClientRect().right))""",
                PHONE["width"],
            )
            too_wide[path] = f"{width} px: {', '.join(culprits)}"
    context.close()
    assert too_wide == {}, "\n".join(f"{path}: {why}" for path, why in too_wide.items())


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_matrix_reads_as_one_card_per_decision(browser, live_server):
    demo.build_demo_company(seed=7, months=6)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in_at(page, live_server, "cio", "/governance/matrix/")

    first = page.locator("table#matrix tr.decision").first
    box = first.bounding_box()
    labels = first.locator("td.cell-autonomy_tier").evaluate("e => getComputedStyle(e, '::before').content")
    context.close()

    assert box["width"] <= PHONE["width"]
    assert box["height"] > 200  # the decision's values stacked, not a row of narrow columns
    assert labels == '"Autonomy tier"'
