"""Values and dates a person would not mean are refused with the reason, on every path through
the one intake (issue 15, "also"): "1_000", digits of other scripts, "NaN", a value too small to
keep, an observation before the months the scoreboard speaks of."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.models import Measurement

pytestmark = pytest.mark.django_db

RECENT = (timezone.now() - timedelta(days=2)).isoformat()


def _post(client, initiative, **changes):
    body = {"kpi": "fixture-kpi", "initiative": initiative.code, "observed_at": RECENT, "value": "5"} | changes
    return client.post("/api/v1/measurements/", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1_000", "is not a number"),
        ("١٢٣", "is not a number"),  # Arabic-Indic digits
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("1e-999999", "smaller than the 6 decimal places"),
        ("0.0000001", "smaller than the 6 decimal places"),
    ],
)
def test_a_value_no_one_means_is_refused_with_the_reason(client, ops_lead_a, initiative_a, kpi, value, reason):
    client.force_login(ops_lead_a)

    response = _post(client, initiative_a, value=value)

    assert response.status_code == 400
    assert reason in response.json()["value"][0]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("observed_at", ["0001-01-01T00:00:00Z", "1999-12-31T23:00:00Z"])
def test_an_observation_before_2000_is_refused_on_its_field(client, ops_lead_a, initiative_a, kpi, observed_at):
    client.force_login(ops_lead_a)

    response = _post(client, initiative_a, observed_at=observed_at)

    assert response.status_code == 400
    assert "before 1 Jan 2000" in response.json()["observed_at"][0]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("value", ["85", "85.5", "+3.25", "1e1", "0.000001", "0"])
def test_plain_numbers_are_still_read(client, ops_lead_a, initiative_a, kpi, value):
    client.force_login(ops_lead_a)

    assert _post(client, initiative_a, value=value).status_code == 201


@pytest.mark.parametrize("value", ["138.7", "-20", "100.5"])
def test_the_roi_against_the_business_case_may_pass_100_percent_or_fall_below_0(
    client, ops_lead_a, initiative_a, kpi, value
):
    kpi.role = "roi"
    kpi.save(update_fields=["role"])
    client.force_login(ops_lead_a)

    response = _post(client, initiative_a, value=value)

    assert response.status_code == 201, response.content
    assert Measurement.objects.get().value == Decimal(value)


@pytest.mark.parametrize("value", ["100.5", "-0.5"])
def test_any_other_percentage_outside_0_to_100_is_still_refused(client, ops_lead_a, initiative_a, kpi, value):
    client.force_login(ops_lead_a)

    response = _post(client, initiative_a, value=value)

    assert response.status_code == 400
    assert "is outside 0 to 100" in response.json()["value"][0]
    assert not Measurement.objects.exists()
