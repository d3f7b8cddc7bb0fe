"""One ingestion service for every path: idempotent on the natural key, history on change,
clear rejections, and the roll-ups it makes due recorded in the same transaction."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.models import Measurement, MonthlySnapshot, RollUpDue
from metrics.services.ingest import measurements_ingest
from metrics.services.rollup import roll_up_owed
from metrics.services.upsert import Row
from tests import factories

pytestmark = pytest.mark.django_db

T1 = datetime(2026, 3, 15, 12, tzinfo=UTC)
T2 = datetime(2026, 4, 2, 9, tzinfo=UTC)


@pytest.fixture
def source():
    return factories.MetricSourceFactory(name="Warehouse", kind="sql")


def ingest(rows, source, **kwargs):
    return measurements_ingest(rows=rows, source=source, entered_via=kwargs.pop("via", "test"), **kwargs)


def test_new_values_are_stored_for_initiatives_and_company_wide(kpi, initiative_a, source):
    result = ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal("55.5")), Row(kpi.pk, None, T1, Decimal(60))], source)
    assert (result.stored, result.unchanged, result.rejected) == (2, 0, [])
    assert set(Measurement.objects.values_list("initiative_id", "value")) == {
        (initiative_a.pk, Decimal("55.5")),
        (None, Decimal(60)),
    }


def test_sending_the_same_values_twice_stores_them_once(kpi, initiative_a, source):
    rows = [Row(kpi.pk, initiative_a.pk, T1, Decimal(50)), Row(kpi.pk, None, T1, Decimal(60))]
    ingest(rows, source)
    again = ingest(rows, source)
    assert (again.stored, again.unchanged) == (0, 2)
    assert Measurement.objects.count() == 2


def test_a_changed_value_for_the_same_key_is_an_update_kept_in_history(kpi, initiative_a, source, ops_lead_a):
    ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal(50))], source, entered_by=ops_lead_a, via="form")
    result = ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal(52))], source, via="pull:Warehouse")
    assert (result.stored, result.unchanged) == (1, 0)
    measurement = Measurement.objects.get()
    assert (measurement.value, measurement.entered_via, measurement.entered_by) == (Decimal(52), "pull:Warehouse", None)
    trail = list(measurement.history.order_by("history_date").values_list("history_type", "value", "entered_via"))
    assert trail == [("+", Decimal(50), "form"), ("~", Decimal(52), "pull:Warehouse")]


def test_company_wide_updates_do_not_touch_initiative_values(kpi, initiative_a, source):
    ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal(50)), Row(kpi.pk, None, T1, Decimal(50))], source)
    ingest([Row(kpi.pk, None, T1, Decimal(70))], source)
    assert Measurement.objects.get(initiative=initiative_a).value == Decimal(50)
    assert Measurement.objects.get(initiative=None).value == Decimal(70)


def test_the_same_key_twice_in_one_batch_keeps_the_later_value(kpi, source):
    result = ingest([Row(kpi.pk, None, T1, Decimal(1)), Row(kpi.pk, None, T1, Decimal(2))], source)
    assert result.stored == 1
    assert Measurement.objects.get().value == Decimal(2)


@pytest.mark.parametrize(
    ("value", "when", "reason"),
    [
        (Decimal(120), T1, "is a percentage: 120 is outside 0 to 100"),
        (Decimal("NaN"), T1, "is not a finite number"),
        (Decimal("1e15"), T1, "too large"),
        (Decimal(50), datetime(2999, 1, 1, tzinfo=UTC), "is in the future"),
        (Decimal(50), datetime(2026, 3, 1), "has no time zone"),  # noqa: DTZ001 - the point of the test
    ],
)
def test_invalid_rows_are_rejected_with_the_reason_and_nothing_of_them_stored(kpi, source, value, when, reason):
    kpi.unit = "percent"
    kpi.save()
    result = ingest([Row(kpi.pk, None, when, value), Row(kpi.pk, None, T1, Decimal(40))], source)
    assert result.stored == 1
    assert len(result.rejected) == 1
    assert result.rejected[0].row == 1
    assert reason in result.rejected[0].reason
    assert Measurement.objects.get().value == Decimal(40)


def test_a_company_wide_kpi_refuses_an_initiative(kpi, initiative_a, source):
    kpi.scope = "company"
    kpi.save()
    result = ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal(5))], source)
    assert "measured company-wide" in result.rejected[0].reason
    assert not Measurement.objects.exists()


def test_a_kpi_the_initiative_does_not_report_is_refused_naming_it(kpi, initiative_a, source):
    initiative_a.kpis.remove(kpi)
    result = ingest([Row(kpi.pk, initiative_a.pk, T1, Decimal(5))], source)
    assert result.rejected[0].field == "kpi"
    assert result.rejected[0].reason == f"{kpi.name} is not one of the KPIs {initiative_a.name} reports"
    assert not Measurement.objects.exists()


def test_an_initiative_that_does_not_exist_is_refused(kpi, source):
    result = ingest([Row(kpi.pk, 999_999, T1, Decimal(5))], source)
    assert (result.rejected[0].field, result.rejected[0].reason) == ("initiative", "initiative #999999 does not exist")
    assert not Measurement.objects.exists()


def test_storing_values_records_their_months_as_owed_roll_ups(kpi, source):
    ingest([Row(kpi.pk, None, T1, Decimal(5)), Row(kpi.pk, None, T2, Decimal(6))], source)
    assert set(RollUpDue.objects.values_list("kpi_id", "month")) == {
        (kpi.pk, date(2026, 3, 1)),
        (kpi.pk, date(2026, 4, 1)),
    }


def test_unchanged_values_owe_no_roll_up(kpi, source):
    ingest([Row(kpi.pk, None, T1, Decimal(5))], source)
    RollUpDue.objects.all().delete()
    ingest([Row(kpi.pk, None, T1, Decimal(5))], source)
    assert not RollUpDue.objects.exists()


def test_owed_roll_up_computes_the_month_and_clears_the_debt(kpi, source):
    ingest([Row(kpi.pk, None, T1, Decimal(5))], source)
    roll_up_owed(month=date(2026, 3, 1))
    assert MonthlySnapshot.objects.get(kpi=kpi, initiative=None).value == Decimal(5)
    assert not RollUpDue.objects.exists()


def test_a_second_roll_up_of_the_same_month_finds_nothing_owed(kpi, source):
    ingest([Row(kpi.pk, None, T1, Decimal(5))], source)
    roll_up_owed(month=date(2026, 3, 1))
    computed_at = MonthlySnapshot.objects.get().computed_at
    assert roll_up_owed(month=date(2026, 3, 1)) == 0
    assert MonthlySnapshot.objects.get().computed_at == computed_at


def test_roll_up_runs_when_the_values_commit(kpi, source, in_process_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([Row(kpi.pk, None, timezone.now() - timedelta(hours=1), Decimal(9))], source)
    assert MonthlySnapshot.objects.filter(kpi=kpi, initiative=None, value=Decimal(9)).exists()
    assert not RollUpDue.objects.exists()
