"""No observation before its initiative started, before its KPI has figures, or before the
scoreboard's earliest date (METRIC_EARLIEST_DATE), on every path: the quick form, a CSV file, the
API and a pull. The rule holds for what is stored too: a start or a first day with figures
cannot move past values already stored. Issue 16, "sane input"."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.models import CsvImport, Measurement, MetricSource, SourceMapping
from metrics.services import kpis as kpis_services
from metrics.services.pulls import source_pull

pytestmark = pytest.mark.django_db

STARTED = date(2026, 3, 10)
BEFORE = date(2026, 3, 9)


@pytest.fixture
def started_initiative(initiative_a):
    initiative_a.started_on = STARTED
    initiative_a.save(update_fields=["started_on"])
    return initiative_a


def _api(client, initiative, day: date, **changes):
    body = {"kpi": "fixture-kpi", "initiative": initiative.code, "observed_at": f"{day}T12:00:00Z", "value": "5"}
    return client.post("/api/v1/measurements/", json.dumps(body | changes), content_type="application/json")


# --- Before the initiative started -----------------------------------------------------------------


def test_the_quick_form_refuses_a_day_before_the_initiative_started(client, ops_lead_a, started_initiative, kpi):
    client.force_login(ops_lead_a)

    response = client.post(
        reverse("workspace:log", args=[started_initiative.code]),
        {"kpi": kpi.code, "period": BEFORE.isoformat(), "value": "5", "note": ""},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["period"] == [
        f"{started_initiative.name} started on 10 Mar 2026: the observed time is before it"
    ]
    assert not Measurement.objects.exists()


def test_a_csv_row_dated_before_the_initiative_started_is_refused_naming_its_row(
    client, ops_lead_a, started_initiative, kpi
):
    client.force_login(ops_lead_a)
    content = f"kpi,date,value,note\n{kpi.code},{STARTED},5,\n{kpi.code},{BEFORE},6,\n".encode()

    upload = client.post(
        reverse("workspace:csv-upload", args=[started_initiative.code]),
        {"file": SimpleUploadedFile("values.csv", content, content_type="text/csv")},
    )
    page = client.get(upload["Location"]).content.decode()

    csv_import = CsvImport.objects.get()
    assert (csv_import.rows_total, csv_import.rows_valid) == (2, 1)
    assert f"Row 3 · date: {started_initiative.name} started on 10 Mar 2026: the observed time is before it" in page
    assert not Measurement.objects.exists()


def test_the_api_refuses_an_observation_before_the_initiative_started(client, ops_lead_a, started_initiative, kpi):
    client.force_login(ops_lead_a)

    response = _api(client, started_initiative, BEFORE)

    assert response.status_code == 400
    assert "started on 10 Mar 2026" in response.json()["observed_at"][0]
    assert not Measurement.objects.exists()


def test_the_start_day_itself_is_accepted(client, ops_lead_a, started_initiative, kpi):
    client.force_login(ops_lead_a)

    assert _api(client, started_initiative, STARTED).status_code == 201


def test_a_pull_refuses_a_value_observed_before_the_initiative_started(fake_source, started_initiative, kpi, settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]
    source = MetricSource.objects.create(
        name="Catalogue", kind="http_json", url=fake_source.url("/q"), timestamp_path="$.at", timeout_seconds=2
    )
    SourceMapping.objects.create(source=source, kpi=kpi, initiative=started_initiative, expression="$.score")
    fake_source.json("/q", {"at": f"{BEFORE}T10:00:00Z", "score": 87.5})

    run = source_pull(source_id=source.pk)

    assert (run.rows_read, run.rows_stored, run.rows_rejected) == (1, 0, 1)
    assert "started on 10 Mar 2026: the observed time is before it" in json.dumps(run.rejections)
    assert not Measurement.objects.exists()


# --- Before the KPI has figures -------------------------------------------------------------------


def test_the_api_refuses_an_observation_before_the_kpi_has_figures(client, ops_lead_a, initiative_a, kpi):
    kpi.measured_from = date(2026, 4, 1)
    kpi.save(update_fields=["measured_from"])
    client.force_login(ops_lead_a)

    response = _api(client, initiative_a, date(2026, 3, 31))

    assert response.status_code == 400
    assert response.json()["observed_at"] == [f"{kpi.name} has figures from 1 Apr 2026: the observed time is before it"]
    assert not Measurement.objects.exists()
    assert _api(client, initiative_a, date(2026, 4, 1)).status_code == 201


# --- Before the scoreboard's earliest date -------------------------------------------------------


def test_the_earliest_date_is_configurable_and_refuses_what_is_older(client, ops_lead_a, initiative_a, kpi, settings):
    settings.METRIC_EARLIEST_DATE = date(2025, 6, 1)
    initiative_a.started_on = None
    initiative_a.save(update_fields=["started_on"])
    client.force_login(ops_lead_a)

    refused = _api(client, initiative_a, date(2025, 5, 31))

    assert refused.status_code == 400
    assert refused.json()["observed_at"] == [
        "the observed time is before 1 Jun 2025: the scoreboard keeps no earlier figures"
    ]
    assert not Measurement.objects.exists()
    assert _api(client, initiative_a, date(2025, 6, 1)).status_code == 201


def test_the_earliest_date_is_a_day_in_the_companys_time_zone(client, ops_lead_a, initiative_a, kpi, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.METRIC_EARLIEST_DATE = date(2025, 6, 1)
    initiative_a.started_on = None
    initiative_a.save(update_fields=["started_on"])
    client.force_login(ops_lead_a)

    # 23:30 UTC on 31 May is already 1 June in Berlin.
    assert _api(client, initiative_a, date(2025, 5, 31), observed_at="2025-05-31T23:30:00Z").status_code == 201
    assert _api(client, initiative_a, date(2025, 5, 31), observed_at="2025-05-31T21:30:00Z").status_code == 400


@pytest.mark.parametrize(
    ("value", "reason"),
    [("1990-01-01", "between 2000-01-01 and 2099-12-31"), ("last year", "a date written YYYY-MM-DD")],
)
def test_a_wrong_earliest_date_stops_the_app_from_starting_with_the_reason(value, reason):
    environment = {**os.environ, "METRIC_EARLIEST_DATE": value, "DJANGO_SETTINGS_MODULE": "scoreboard.settings"}
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert reason in started.stderr


# --- What is stored holds the rule too ----------------------------------------------------------


def _stored_on(kpi, initiative, day: date) -> Measurement:
    source = MetricSource.objects.get_or_create(name="REST API", defaults={"kind": "api_push"})[0]
    return Measurement.objects.create(
        kpi=kpi,
        initiative=initiative,
        source=source,
        observed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=12),
        value=5,
        entered_via="api",
    )


def test_an_initiative_cannot_start_after_its_stored_measurements(client, ops_lead_a, initiative_a, kpi):
    _stored_on(kpi, initiative_a, date(2026, 3, 2))
    client.force_login(ops_lead_a)
    before = initiative_a.started_on

    response = client.patch(
        f"/api/v1/initiatives/{initiative_a.code}/",
        json.dumps({"started_on": "2026-03-03"}),
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["started_on"] == [
        "Measurements of this initiative are stored from 2 Mar 2026: it cannot have started after them."
    ]
    initiative_a.refresh_from_db()
    assert initiative_a.started_on == before


def test_an_initiative_may_start_on_the_day_of_its_first_measurement(client, ops_lead_a, initiative_a, kpi):
    _stored_on(kpi, initiative_a, date(2026, 3, 2))
    client.force_login(ops_lead_a)

    response = client.patch(
        f"/api/v1/initiatives/{initiative_a.code}/",
        json.dumps({"started_on": "2026-03-02"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content


def test_a_kpis_figures_cannot_start_after_its_stored_values(admin_user, initiative_a, kpi):
    _stored_on(kpi, initiative_a, date(2026, 3, 2))

    with pytest.raises(ValidationError) as refused:
        kpis_services.kpi_save(by=admin_user, data={"measured_from": date(2026, 3, 3)}, kpi=kpi)

    assert refused.value.message_dict["measured_from"] == [
        "This KPI has values stored from 2 Mar 2026: its figures cannot start later."
    ]
    kpi.refresh_from_db()
    assert kpi.measured_from is None
