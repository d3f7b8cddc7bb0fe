"""A ratio's drill-down pages through the measurements of both its parts in time order, reading
each part in its index's order up to the page asked for, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from metrics.models import Measurement
from scoreboard.exco.dashboard import figure_behind
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def rate(cio, coo):
    def kpi(name, **extra):
        return factories.KPIFactory(
            name=name, accountable_executive=coo, co_accountable_executive=cio, **{"unit": "count", **extra}
        )

    cases, errors = kpi("Cases", aggregation="sum"), kpi("Errors", aggregation="sum")
    source = factories.HttpJsonSourceFactory(name="Drill-down feed")
    rows = []
    for n in range(130):  # the parts interleaved
        at = START + timedelta(hours=n // 2)  # each pair of parts at the same instant
        rows.append(factories.MeasurementFactory.build(kpi=cases if n % 2 else errors, source=source, observed_at=at))
    Measurement.objects.bulk_create(rows)
    return kpi("Error rate", unit="ratio", aggregation="ratio", ratio_numerator=errors, ratio_denominator=cases)


def _in_order() -> list[int]:
    return list(Measurement.objects.order_by("observed_at", "pk").values_list("pk", flat=True))


def test_the_parts_are_merged_in_time_order_page_after_page(rate):
    measurements = figure_behind(rate, MARCH, None)["measurements"]

    assert measurements.count() == 130
    assert [m.pk for m in measurements[0:100]] + [m.pk for m in measurements[100:200]] == _in_order()
    assert measurements[42].pk == _in_order()[42]


def test_the_drilldown_page_shows_the_second_page_of_both_parts(client, cio, rate):
    client.force_login(cio)

    page = client.get(reverse("kpi-drilldown", args=[MARCH, rate.code]), {"page": 2}).content.decode()

    rows = page[page.index('id="measurements"') :]
    assert "(130)" in rows
    assert len(re.findall(r"<tr><td>", rows)) == 30


@pytest.mark.parametrize("page", [1, 2])
def test_a_ratios_drilldown_costs_a_fixed_number_of_queries(client, cio, rate, django_assert_max_num_queries, page):
    client.force_login(cio)
    # The session, the user and their roles (3), the KPI, the snapshot, the count, both parts' keys (one
    # UNION ALL; one query each on SQLite), the page's rows, the notes
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 10):
        assert client.get(reverse("kpi-drilldown", args=[MARCH, rate.code]), {"page": page}).status_code == 200
