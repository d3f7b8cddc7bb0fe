"""Complete months first (issue 16, item 2): the ExCo opens on the latest month that has ended;
the month under way is reachable, says so and compares with nothing; and no one signs a month off
before it has ended, on the page or through the API. The clock is set by each test."""

import html
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from metrics.services.rollup import snapshot_roll_up
from scoreboard.exco.services import review_sign, review_unsign
from scoreboard.models import MonthlyReview
from tests import factories
from tests.api.domain_helpers import API, as_user, post

pytestmark = pytest.mark.django_db

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
FIFTH_OF_APRIL = datetime(2026, 4, 5, 9, 30, tzinfo=UTC)
OPENS = "it can be signed off from 1 May 2026, once it has ended"


@pytest.fixture
def on_the_fifth_of_april():
    with time_machine.travel(FIFTH_OF_APRIL, tick=False):
        yield


@pytest.fixture
def figures(kpi, on_the_fifth_of_april):
    """Whole months of figures for February and March, and five days of April's."""
    kpi.is_primary = True
    kpi.save()
    factories.TargetFactory(kpi=kpi)
    for day, value in ((date(2026, 2, 10), 75), (date(2026, 3, 10), 65), (date(2026, 4, 3), 20)):
        observed = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        factories.MeasurementFactory(kpi=kpi, initiative=None, value=value, observed_at=observed)
    snapshot_roll_up()
    return kpi


def _page(client, month: date) -> str:
    return html.unescape(client.get(reverse("exco-month", args=[month])).content.decode())


def test_home_opens_the_latest_month_that_has_ended_not_the_one_under_way(client, cio, figures):
    client.force_login(cio)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/exco/2026-03/"


def test_the_month_under_way_says_so_and_compares_with_nothing(client, cio, figures):
    client.force_login(cio)

    response = client.get(reverse("exco-month", args=[APRIL]))

    page = html.unescape(response.content.decode())
    assert "in progress, to 5 Apr 2026" in page
    assert '<option value="2026-04" selected>April 2026 (in progress)</option>' in page
    tile = response.context["primary"]
    assert tile["snapshot"].value == 20
    assert (tile["change"], tile["improving"]) == (None, None)


def test_a_month_that_has_ended_still_shows_its_change_from_the_month_before(client, cio, figures):
    client.force_login(cio)

    response = client.get(reverse("exco-month", args=[MARCH]))

    assert "in progress, to" not in html.unescape(response.content.decode())
    assert response.context["primary"]["change"] == -10


@pytest.mark.parametrize("slot", ["cio", "coo"])
def test_signing_the_month_under_way_is_refused_on_the_page_saying_when_it_opens(client, request, figures, slot):
    client.force_login(request.getfixturevalue(slot))

    response = client.post(
        reverse("exco-sign-off", args=[APRIL]), {"slot": slot, "comment": "Looks fine so far."}, follow=True
    )

    assert f"April 2026 is still in progress: {OPENS}." in html.unescape(response.content.decode())
    assert not MonthlyReview.objects.exists()


def test_signing_the_month_under_way_through_the_api_is_a_400_naming_the_month(client, coo, figures):
    response = post(as_user(client, coo), f"{API}/reviews/2026-04/sign/", {"slot": "coo", "comment": "Early."})

    assert response.status_code == 400
    assert OPENS in response.json()["month"][0]
    assert not MonthlyReview.objects.exists()


def test_the_sign_off_buttons_of_the_month_under_way_are_disabled_with_the_reason(client, cio, figures):
    client.force_login(cio)

    page = _page(client, APRIL)

    assert '<button type="submit" disabled aria-describedby="closed-cio">Sign off April 2026 as CIO</button>' in page
    assert f'<p class="muted small" id="closed-cio">April 2026 is still in progress: {OPENS}.</p>' in page
    assert 'disabled aria-describedby="closed-cio"' not in _page(client, MARCH)


def test_a_month_opens_to_signing_on_the_first_day_of_the_next(cio, coo, figures):
    with time_machine.travel(datetime(2026, 5, 1, 0, 5, tzinfo=UTC), tick=False):
        review_sign(month=APRIL, by=cio, slot="cio", comment="April reviewed.")
        review = review_sign(month=APRIL, by=coo, slot="coo", comment="Agreed.")

    assert review.is_frozen


def test_a_sign_off_given_to_a_month_under_way_before_the_rule_can_still_be_withdrawn(cio, figures):
    # Signed before months under way were closed to signing: its signer may take it back.
    MonthlyReview.objects.create(month=APRIL, cio_signed_by=cio, cio_signed_at=FIFTH_OF_APRIL, cio_comment="Early")

    review = review_unsign(month=APRIL, by=cio, slot="cio")

    assert review.cio_signed_at is None
