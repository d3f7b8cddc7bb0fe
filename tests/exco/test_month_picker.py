"""The month picker lists only the months that have figures (issue 16, item 4): one stray old
date must not fill it with hundreds of empty months, and the arrows step to the nearest month
with figures."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from metrics.services.rollup import snapshot_roll_up
from tests import factories

pytestmark = pytest.mark.django_db

STRAY, FEBRUARY, MARCH = date(2000, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def figures_with_a_stray_old_date(kpi):
    for month in (STRAY, FEBRUARY, MARCH):
        observed = datetime(month.year, month.month, 10, 12, tzinfo=UTC)
        factories.MeasurementFactory(kpi=kpi, initiative=None, value=50, observed_at=observed)
    snapshot_roll_up()


def test_the_picker_lists_the_months_with_figures_newest_first(client, cio, figures_with_a_stray_old_date):
    client.force_login(cio)

    context = client.get(reverse("exco-month", args=[MARCH])).context

    assert context["picker"] == [MARCH, FEBRUARY, STRAY]


def test_the_arrows_step_to_the_nearest_month_with_figures(client, cio, figures_with_a_stray_old_date):
    client.force_login(cio)

    context = client.get(reverse("exco-month", args=[FEBRUARY])).context

    assert (context["previous"], context["next"]) == (STRAY, MARCH)


def test_a_month_without_figures_is_listed_only_while_it_is_shown(client, cio, figures_with_a_stray_old_date):
    client.force_login(cio)
    empty = date(2025, 6, 1)

    context = client.get(reverse("exco-month", args=[empty])).context

    assert context["picker"] == [MARCH, FEBRUARY, empty, STRAY]
    assert (context["previous"], context["next"]) == (STRAY, FEBRUARY)
