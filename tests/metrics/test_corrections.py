"""A correction corrects: a value a person enters again for the same KPI, initiative and period
replaces the stored one, whichever path (the quick form, a CSV file, the API, one or in bulk)
brought either, and history keeps both. The period is the KPI's: a day, a week (Monday to
Sunday, cut at a month's end) or a month. The same value again stores nothing; pulled values
keep their exact time."""

import html
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from metrics.models import CsvImport, Measurement, MetricSource, RollUpDue, SourceKind
from metrics.services.ingest import measurements_ingest
from metrics.services.kpis import kpi_save
from metrics.services.upsert import Row
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - timedelta(days=3)


def at(day: date, hour: int) -> str:
    """``hour`` o'clock of ``day`` in the company's time zone, as the API reads a moment."""
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone()).isoformat()


def by_api(client, initiative, value, when: str, kpi="fixture-kpi"):
    body = {"kpi": kpi, "initiative": initiative.code, "observed_at": when, "value": value}
    return client.post("/api/v1/measurements/", json.dumps(body), content_type="application/json")


def by_bulk(client, initiative, *values_at, kpi="fixture-kpi"):
    rows = [{"kpi": kpi, "initiative": initiative.code, "observed_at": w, "value": v} for v, w in values_at]
    body = json.dumps({"measurements": rows})
    return client.post("/api/v1/measurements/bulk/", body, content_type="application/json")


def by_form(client, initiative, value, day: date = DAY, kpi="fixture-kpi"):
    url = reverse("workspace:log", args=[initiative.code])
    return client.post(url, {"kpi": kpi, "period": day.isoformat(), "value": value, "note": ""}, follow=True)


def by_csv(client, initiative, *rows: str, **choice):
    data = ("kpi,date,value,note\n" + "\n".join(rows) + "\n").encode()
    url = reverse("workspace:csv-upload", args=[initiative.code])
    client.post(url, {"file": SimpleUploadedFile("values.csv", data, content_type="text/csv")})
    csv_import = CsvImport.objects.latest("created_at")
    client.post(reverse("workspace:csv-store", args=[csv_import.uuid]), {"choice": "all", **choice})
    csv_import.refresh_from_db()
    return csv_import


def values():
    return list(Measurement.objects.order_by("observed_at").values_list("value", flat=True))


def trail(measurement):
    return list(measurement.history.order_by("history_date", "history_id").values_list("value", flat=True))


# --- Every path: a later value for the same day replaces the earlier one -----------------------------


def test_a_correction_through_the_api_at_another_time_of_day_replaces_the_days_value(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)
    by_api(client, initiative_a, "80", at(DAY, 9))

    response = by_api(client, initiative_a, "85", at(DAY, 15))

    assert response.json() == {"received": 1, "stored": 1, "unchanged": 0}
    stored = Measurement.objects.get()
    assert (stored.value, timezone.localtime(stored.observed_at).hour) == (Decimal(85), 15)
    assert trail(stored) == [Decimal(80), Decimal(85)]


def test_a_correction_through_the_api_in_bulk_replaces_the_days_value(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    by_bulk(client, initiative_a, ("80", at(DAY, 9)), ("70", at(DAY - timedelta(days=1), 9)))

    response = by_bulk(client, initiative_a, ("85", at(DAY, 15)), ("70", at(DAY - timedelta(days=1), 18)))

    assert response.json() == {"received": 2, "stored": 1, "unchanged": 1}
    assert values() == [Decimal(70), Decimal(85)]
    assert trail(Measurement.objects.get(value=85)) == [Decimal(80), Decimal(85)]


def test_a_correction_through_the_quick_form_replaces_a_value_the_api_sent(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    by_api(client, initiative_a, "80", at(DAY, 9))

    page = by_form(client, initiative_a, "85")

    stored = Measurement.objects.get()
    assert (stored.value, stored.entered_via, stored.source.kind) == (Decimal(85), "form", SourceKind.MANUAL)
    assert trail(stored) == [Decimal(80), Decimal(85)]
    assert "corrected from 80" in page.content.decode()


def test_a_correction_in_a_csv_file_replaces_a_value_logged_on_the_quick_form(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    by_form(client, initiative_a, "80")

    csv_import = by_csv(client, initiative_a, f"fixture-kpi,{at(DAY, 15)},85,checked again")

    assert (csv_import.stored_count, csv_import.unchanged_count) == (1, 0)
    stored = Measurement.objects.get()
    assert (stored.value, stored.note, stored.source.kind) == (Decimal(85), "checked again", SourceKind.CSV)
    assert trail(stored) == [Decimal(80), Decimal(85)]


def test_a_correction_through_the_api_replaces_a_value_from_a_csv_file(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    by_csv(client, initiative_a, f"fixture-kpi,{DAY},80,")

    by_api(client, initiative_a, "85", at(DAY, 15))

    assert values() == [Decimal(85)]
    assert trail(Measurement.objects.get()) == [Decimal(80), Decimal(85)]


def test_a_company_wide_value_corrected_at_another_time_of_day_is_one_value(client, admin_user, kpi):
    kpi.initiatives.clear()
    kpi.scope = "company"
    kpi.save()
    client.force_login(admin_user)
    body = {"kpi": kpi.code, "observed_at": at(DAY, 9), "value": "80"}
    client.post("/api/v1/measurements/", json.dumps(body), content_type="application/json")

    body |= {"observed_at": at(DAY, 15), "value": "85"}
    client.post("/api/v1/measurements/", json.dumps(body), content_type="application/json")

    assert list(Measurement.objects.values_list("initiative", "value")) == [(None, Decimal(85))]


def test_a_correction_leaves_its_month_one_value_and_owed_a_roll_up(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    by_api(client, initiative_a, "80", at(DAY, 9))
    RollUpDue.objects.all().delete()

    by_api(client, initiative_a, "85", at(DAY, 15))

    assert values() == [Decimal(85)]
    assert list(RollUpDue.objects.values_list("month", flat=True)) == [DAY.replace(day=1)]


# --- The same value again stores nothing ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["api", "bulk", "form", "csv"])
def test_the_same_value_for_the_same_day_again_stores_nothing_new(client, ops_lead_a, initiative_a, kpi, path):
    client.force_login(ops_lead_a)
    by_api(client, initiative_a, "80", at(DAY, 9))
    before = Measurement.objects.get()

    if path == "api":
        assert by_api(client, initiative_a, "80.000", at(DAY, 15)).json()["unchanged"] == 1
    elif path == "bulk":
        assert by_bulk(client, initiative_a, ("80", at(DAY, 17))).json()["unchanged"] == 1
    elif path == "form":
        assert "nothing changed" in by_form(client, initiative_a, "80 %").content.decode()
    else:
        assert by_csv(client, initiative_a, f"fixture-kpi,{DAY},80,").unchanged_count == 1

    after = Measurement.objects.get()
    assert (after.observed_at, after.source_id, after.updated_at) == (
        before.observed_at,
        before.source_id,
        before.updated_at,
    )
    assert after.history.count() == 0  # no correction recorded


# --- The KPI's period --------------------------------------------------------------------------------------


def _ingest(kpi, initiative, *values_at, kind=SourceKind.MANUAL):
    source = MetricSource.objects.get_or_create(name=f"{kind} source", defaults={"kind": kind})[0]
    rows = [Row(kpi.pk, initiative.pk, when, Decimal(value)) for value, when in values_at]
    return measurements_ingest(rows=rows, source=source, entered_via="test")


def test_a_weekly_kpi_holds_one_value_a_week_the_later_replacing_the_earlier(kpi, initiative_a):
    kpi.period = "week"
    kpi.save()
    monday, thursday, next_monday = (datetime(2026, 3, d, 9, tzinfo=UTC) for d in (9, 12, 16))

    _ingest(kpi, initiative_a, ("80", monday))
    _ingest(kpi, initiative_a, ("85", thursday))
    _ingest(kpi, initiative_a, ("70", next_monday))

    assert list(Measurement.objects.order_by("observed_at").values_list("period_start", "value")) == [
        (date(2026, 3, 9), Decimal(85)),
        (date(2026, 3, 16), Decimal(70)),
    ]


def test_a_week_that_spans_two_months_is_two_periods(kpi, initiative_a):
    kpi.period = "week"
    kpi.save()
    # Monday 30 March to Sunday 5 April 2026: a value in March, another in April.
    _ingest(kpi, initiative_a, ("80", datetime(2026, 3, 31, 9, tzinfo=UTC)))
    _ingest(kpi, initiative_a, ("85", datetime(2026, 4, 2, 9, tzinfo=UTC)))

    assert list(Measurement.objects.order_by("observed_at").values_list("period_start", "value")) == [
        (date(2026, 3, 30), Decimal(80)),
        (date(2026, 4, 1), Decimal(85)),
    ]


def test_a_monthly_kpi_holds_one_value_a_month(kpi, initiative_a):
    kpi.period = "month"
    kpi.save()

    _ingest(kpi, initiative_a, ("80", datetime(2026, 3, 3, 9, tzinfo=UTC)))
    _ingest(kpi, initiative_a, ("85", datetime(2026, 3, 20, 9, tzinfo=UTC)))
    _ingest(kpi, initiative_a, ("70", datetime(2026, 4, 2, 9, tzinfo=UTC)))

    assert list(Measurement.objects.order_by("observed_at").values_list("period_start", "value")) == [
        (date(2026, 3, 1), Decimal(85)),
        (date(2026, 4, 1), Decimal(70)),
    ]


def test_a_day_is_the_companys_day_not_utcs(kpi, initiative_a, settings):
    settings.TIME_ZONE = "Europe/Brussels"  # 23:30 UTC on the 9th is already the 10th there
    _ingest(kpi, initiative_a, ("80", datetime(2026, 3, 9, 22, 30, tzinfo=UTC)))
    _ingest(kpi, initiative_a, ("85", datetime(2026, 3, 9, 23, 30, tzinfo=UTC)))

    assert list(Measurement.objects.order_by("observed_at").values_list("period_start", flat=True)) == [
        date(2026, 3, 9),
        date(2026, 3, 10),
    ]


def test_pulled_values_keep_their_exact_time(kpi, initiative_a):
    _ingest(kpi, initiative_a, ("80", datetime(2026, 3, 9, 9, tzinfo=UTC)), kind=SourceKind.SQL)
    _ingest(kpi, initiative_a, ("85", datetime(2026, 3, 9, 15, tzinfo=UTC)), kind=SourceKind.SQL)

    assert values() == [Decimal(80), Decimal(85)]
    assert not Measurement.objects.filter(period_start__isnull=False).exists()


def test_the_database_refuses_a_second_value_a_person_entered_for_one_day(kpi, initiative_a):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, observed_at=datetime(2026, 3, 9, 9, tzinfo=UTC))

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, observed_at=datetime(2026, 3, 9, 15, tzinfo=UTC))


def test_the_database_refuses_a_second_company_wide_value_for_one_day(kpi):
    factories.MeasurementFactory(kpi=kpi, initiative=None, observed_at=datetime(2026, 3, 9, 9, tzinfo=UTC))

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MeasurementFactory(kpi=kpi, initiative=None, observed_at=datetime(2026, 3, 9, 15, tzinfo=UTC))


# --- Changing a KPI's period -------------------------------------------------------------------------------


def test_a_finer_period_gives_each_stored_value_its_own(kpi, initiative_a, admin_user):
    kpi.period = "month"
    kpi.save()
    _ingest(kpi, initiative_a, ("80", datetime(2026, 3, 20, 9, tzinfo=UTC)))

    kpi_save(by=admin_user, data={"period": "day"}, kpi=kpi)

    assert Measurement.objects.get().period_start == date(2026, 3, 20)


def test_a_coarser_period_that_would_merge_stored_values_is_refused_and_changes_nothing(kpi, initiative_a, admin_user):
    _ingest(
        kpi, initiative_a, ("80", datetime(2026, 3, 3, 9, tzinfo=UTC)), ("85", datetime(2026, 3, 20, 9, tzinfo=UTC))
    )

    with pytest.raises(ValidationError) as refused:
        kpi_save(by=admin_user, data={"period": "month"}, kpi=kpi)

    assert "would become one value for March 2026" in refused.value.message_dict["period"][0]
    kpi.refresh_from_db()
    assert kpi.period == "day"
    assert sorted(Measurement.objects.values_list("period_start", flat=True)) == [date(2026, 3, 3), date(2026, 3, 20)]


# --- One batch, one value a period -------------------------------------------------------------------------


def test_an_api_batch_giving_one_day_two_values_is_refused_naming_the_row_it_repeats(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)

    response = by_bulk(client, initiative_a, ("80", at(DAY, 9)), ("70", at(DAY, 10)), ("85", at(DAY, 15)))

    assert response.status_code == 400
    errors = response.json()["measurements"]
    assert errors["3"]["observed_at"] == [
        "This row repeats row 1: same KPI, initiative and day; send one value for each."
    ]
    assert set(errors) == {"2", "3"}
    assert not Measurement.objects.exists()


def test_the_quick_form_corrects_a_weekly_kpis_week_and_says_which(client, ops_lead_a, initiative_a, kpi):
    kpi.period = "week"
    kpi.save()
    client.force_login(ops_lead_a)
    by_form(client, initiative_a, "80", day=date(2026, 3, 9))  # a Monday

    page = by_form(client, initiative_a, "85", day=date(2026, 3, 12))  # the Thursday after

    assert values() == [Decimal(85)]
    assert "for the week of 9 Mar 2026 corrected from 80" in html.unescape(page.content.decode())
