"""Search and the owner picker in a real browser: Debian's Chromium driven by Playwright."""

import re

import pytest
from playwright.sync_api import expect

from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at

from .helpers import in_force_matrix, one_of_each


def _person(make, **fields):
    person = make(**fields)
    person.set_password(DEMO_PASSWORD)
    person.save()
    return person


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_from_the_header_box_shows_grouped_results_and_follows_one_in_chromium(page, live_server):
    cio = _person(factories.executive, username="cio", title="CIO", first_name="Claire", last_name="Ito")
    coo = _person(factories.executive, username="coo", title="COO", first_name="Omar", last_name="Okafor")
    admin = factories.admin(username="admin")
    rows = one_of_each("hailstorm", cio=cio, coo=coo, admin=admin, version=in_force_matrix(admin, coo))
    one_of_each("flood", cio=cio, coo=coo, admin=admin, version=rows["matrix"].version, n=1)

    sign_in_at(page, live_server, "cio", "/initiatives/")
    page.get_by_role("search").get_by_label("Search the scoreboard").fill("hailstorm")
    page.get_by_role("search").get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/search/\?q=hailstorm$"))
    expect(page.locator("h2")).to_have_text(
        [re.compile(rf"^{label} · 1 found$") for label in ("Initiatives", "KPIs", "Matrix decisions")]
        + [re.compile(rf"^{label} · 1 found$") for label in ("Decision requests", "Risks", "Shadow-AI tools")]
    )
    expect(page.locator("#header-q")).to_have_value("hailstorm")
    page.locator("#group-initiatives").get_by_role("link", name=rows["initiatives"].name).click()

    expect(page).to_have_url(re.compile(rf"/initiatives/{rows['initiatives'].code}/$"))
    expect(page.locator("h1")).to_contain_text(rows["initiatives"].name)
    assert page.console_errors == []
    assert page.foreign_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_initiatives_owner_filter_is_picked_by_name_in_chromium(page, live_server):
    cio = _person(factories.executive, username="cio", title="CIO", first_name="Claire", last_name="Ito")
    coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
    other = factories.executive(username="cfo", title="OTHER", first_name="Fay", last_name="Fenwick")
    theirs = factories.InitiativeFactory(name="Okafor's claims triage", technology_owner=cio, operations_owner=coo)
    not_theirs = factories.InitiativeFactory(name="Fenwick's ledger", technology_owner=cio, operations_owner=other)

    sign_in_at(page, live_server, "cio", "/initiatives/")
    page.get_by_label("Owner").select_option(label="Omar Okafor")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/initiatives/\?.*owner=coo"))
    table = page.locator("#initiatives table")
    expect(table.get_by_role("link", name=theirs.name)).to_be_visible()
    expect(table.get_by_role("link", name=not_theirs.name)).to_have_count(0)
