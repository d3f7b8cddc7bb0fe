"""Monthly snapshots computed from measurements: aggregation, scope, ratios, targets, freezing."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from metrics.models import MonthlySnapshot
from metrics.services.rollup import month_freeze, snapshot_roll_up
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["sql", "python"])
def roll_up_engine(request, monkeypatch):
    """Every rule proven twice: PostgreSQL's set-based SQL roll-up and the Python one SQLite
    uses (on SQLite both runs take the Python path)."""
    monkeypatch.setattr("metrics.services.rollup.ROLL_UP_IN_SQL", request.param == "sql")
    return request.param


MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


@pytest.fixture
def make_kpi(cio, coo):
    def make(**fields):
        return factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, **fields)

    return make


def measure(kpi, value, *, day=10, month=3, hour=12, initiative=None, source=None):
    return factories.MeasurementFactory(
        kpi=kpi,
        initiative=initiative,
        value=Decimal(str(value)),
        observed_at=datetime(2026, month, day, hour, tzinfo=UTC),
        **({"source": source} if source else {}),
    )


def snapshot(kpi, month=MARCH, initiative=None):
    return MonthlySnapshot.objects.get(kpi=kpi, month=month, initiative=initiative)


@pytest.mark.parametrize(
    ("aggregation", "expected"), [("sum", 60), ("mean", 20), ("min", 5), ("max", 40), ("last", 15)]
)
def test_month_value_follows_the_kpis_aggregation(make_kpi, initiative_a, aggregation, expected):
    kpi = make_kpi(aggregation=aggregation)
    for day, value in [(3, 40), (12, 5), (27, 15)]:
        measure(kpi, value, day=day, initiative=initiative_a)
    snapshot_roll_up()
    row = snapshot(kpi, initiative=initiative_a)
    assert (row.value, row.measurement_count) == (Decimal(expected), 3)


def test_company_wide_mean_counts_each_initiative_once(make_kpi, initiative_a, initiative_b):
    kpi = make_kpi(aggregation="mean")
    for day in (1, 2, 3):  # A reports three times at 90
        measure(kpi, 90, day=day, initiative=initiative_a)
    measure(kpi, 50, initiative=initiative_b)
    snapshot_roll_up()
    assert snapshot(kpi).value == Decimal(70)


def test_company_wide_sum_adds_the_initiatives(make_kpi, initiative_a, initiative_b):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 30, initiative=initiative_a)
    measure(kpi, 12, initiative=initiative_b)
    snapshot_roll_up()
    assert (snapshot(kpi).value, snapshot(kpi).measurement_count) == (Decimal(42), 2)


def test_a_company_wide_measurement_is_not_added_to_the_initiatives_figures(make_kpi, initiative_a):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 100)  # measured for the whole company
    measure(kpi, 100, initiative=initiative_a)  # and, separately, for one initiative
    snapshot_roll_up()
    assert snapshot(kpi).value == Decimal(100)
    assert snapshot(kpi, initiative=initiative_a).value == Decimal(100)


def test_ratio_kpi_divides_its_parts_per_initiative_and_company_wide(make_kpi, initiative_a, initiative_b):
    exceptions, cases = make_kpi(aggregation="sum"), make_kpi(aggregation="sum")
    rate = make_kpi(aggregation="ratio", ratio_numerator=exceptions, ratio_denominator=cases)
    measure(exceptions, 5, initiative=initiative_a)
    measure(cases, 100, initiative=initiative_a)
    measure(exceptions, 15, initiative=initiative_b)
    measure(cases, 100, initiative=initiative_b)
    snapshot_roll_up()
    assert snapshot(rate, initiative=initiative_a).value == Decimal("0.05")
    assert snapshot(rate).value == Decimal("0.1")


def test_rolling_up_a_ratio_alone_still_reads_its_parts(make_kpi):
    exceptions, cases = make_kpi(aggregation="sum"), make_kpi(aggregation="sum")
    rate = make_kpi(aggregation="ratio", ratio_numerator=exceptions, ratio_denominator=cases)
    measure(exceptions, 3)
    measure(cases, 12)
    snapshot_roll_up(kpi_ids=[rate.pk])
    assert snapshot(rate).value == Decimal("0.25")


def test_new_numerator_figures_recompute_the_ratio_built_on_them(make_kpi):
    exceptions, cases = make_kpi(aggregation="sum"), make_kpi(aggregation="sum")
    rate = make_kpi(aggregation="ratio", ratio_numerator=exceptions, ratio_denominator=cases)
    measure(exceptions, 3)
    measure(cases, 12)
    snapshot_roll_up()
    measure(exceptions, 3, day=11)
    snapshot_roll_up(kpi_ids=[exceptions.pk], months=[MARCH])
    assert snapshot(rate).value == Decimal("0.5")


def test_ratio_over_a_zero_denominator_is_no_figure(make_kpi):
    exceptions, cases = make_kpi(aggregation="sum"), make_kpi(aggregation="sum")
    rate = make_kpi(aggregation="ratio", ratio_numerator=exceptions, ratio_denominator=cases)
    measure(exceptions, 0)
    measure(cases, 0)
    snapshot_roll_up()
    assert snapshot(rate).value is None
    assert snapshot(rate).status == "none"


def test_initiative_target_overrides_the_company_target(make_kpi, initiative_a, initiative_b):
    kpi = make_kpi()
    factories.TargetFactory(kpi=kpi, target=80, red_threshold=60)
    factories.TargetFactory(kpi=kpi, initiative=initiative_a, target=50, red_threshold=40)
    measure(kpi, 55, initiative=initiative_a)
    measure(kpi, 55, initiative=initiative_b)
    snapshot_roll_up()
    assert (snapshot(kpi, initiative=initiative_a).target, snapshot(kpi, initiative=initiative_a).status) == (
        Decimal(50),
        "green",
    )
    assert (snapshot(kpi, initiative=initiative_b).target, snapshot(kpi, initiative=initiative_b).status) == (
        Decimal(80),
        "red",
    )


def test_target_in_force_is_the_latest_that_started_by_that_month(make_kpi):
    kpi = make_kpi()
    factories.TargetFactory(kpi=kpi, effective_from=date(2025, 1, 1), target=60, red_threshold=50)
    factories.TargetFactory(kpi=kpi, effective_from=APRIL, target=80, red_threshold=70)
    measure(kpi, 72, month=3)
    measure(kpi, 72, month=4)
    snapshot_roll_up()
    assert (snapshot(kpi, MARCH).target, snapshot(kpi, MARCH).status) == (Decimal(60), "green")
    assert (snapshot(kpi, APRIL).target, snapshot(kpi, APRIL).status) == (Decimal(80), "amber")


def test_initiative_target_applies_from_its_start_and_the_company_target_before_it(make_kpi, initiative_a):
    kpi = make_kpi()
    factories.TargetFactory(kpi=kpi, effective_from=date(2025, 1, 1), target=80, red_threshold=60)
    factories.TargetFactory(kpi=kpi, initiative=initiative_a, effective_from=APRIL, target=50, red_threshold=40)
    measure(kpi, 55, initiative=initiative_a, month=3)
    measure(kpi, 55, initiative=initiative_a, month=4)
    snapshot_roll_up()
    march, april = snapshot(kpi, MARCH, initiative_a), snapshot(kpi, APRIL, initiative_a)
    assert (march.target, march.red_threshold, march.status) == (Decimal(80), Decimal(60), "red")
    assert (april.target, april.red_threshold, april.status) == (Decimal(50), Decimal(40), "green")


def test_a_changed_figure_replaces_the_stored_snapshot_and_the_rest_stay(make_kpi, initiative_a):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 10, initiative=initiative_a, month=3)
    measure(kpi, 20, initiative=initiative_a, month=4)
    snapshot_roll_up()
    april_before = snapshot(kpi, APRIL, initiative_a)
    measure(kpi, 5, initiative=initiative_a, month=3, day=11)
    assert snapshot_roll_up() == 2  # March, per initiative and company-wide
    assert snapshot(kpi, MARCH, initiative_a).value == 15
    assert snapshot(kpi, MARCH).value == 15
    assert snapshot(kpi, APRIL, initiative_a).pk == april_before.pk  # untouched, not rewritten


def test_month_without_a_target_has_no_status(make_kpi):
    kpi = make_kpi()
    measure(kpi, 10)
    snapshot_roll_up()
    assert (snapshot(kpi).target, snapshot(kpi).status) == (None, "none")


def test_rolling_up_one_month_leaves_the_others_alone(make_kpi):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 1, month=3)
    measure(kpi, 2, month=4)
    snapshot_roll_up()
    april_before = snapshot(kpi, APRIL).computed_at
    measure(kpi, 10, month=3, day=20)
    snapshot_roll_up(months=[MARCH])
    assert snapshot(kpi, MARCH).value == Decimal(11)
    assert snapshot(kpi, APRIL).computed_at == april_before


def test_rolling_up_twice_gives_the_same_snapshots(make_kpi, initiative_a):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 4, initiative=initiative_a)
    snapshot_roll_up()
    first = list(MonthlySnapshot.objects.values_list("kpi", "initiative", "month", "value", "status"))
    snapshot_roll_up()
    assert list(MonthlySnapshot.objects.values_list("kpi", "initiative", "month", "value", "status")) == first
    assert MonthlySnapshot.objects.count() == 2  # the initiative and the company


def test_measurement_at_the_month_boundary_belongs_to_its_own_month(make_kpi):
    kpi = make_kpi(aggregation="sum")
    factories.MeasurementFactory(kpi=kpi, value=1, observed_at=datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    factories.MeasurementFactory(kpi=kpi, value=2, observed_at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    snapshot_roll_up(months=[MARCH, APRIL])
    assert (snapshot(kpi, MARCH).value, snapshot(kpi, APRIL).value) == (Decimal(1), Decimal(2))


def test_frozen_month_keeps_its_figures_and_shows_late_data_as_a_restatement(make_kpi):
    kpi = make_kpi(aggregation="sum")
    factories.TargetFactory(kpi=kpi, target=10, red_threshold=5)
    measure(kpi, 10)
    snapshot_roll_up()
    month_freeze(month=MARCH)
    signed_off = snapshot(kpi)

    measure(kpi, 3, day=25)  # arrives after the sign-off
    snapshot_roll_up()

    after = snapshot(kpi)
    assert (after.value, after.status, after.computed_at) == (signed_off.value, "green", signed_off.computed_at)
    assert after.pending_restatement_value == Decimal(13)


def test_frozen_month_gets_no_new_figures_only_a_restatement(make_kpi, initiative_a):
    kpi = make_kpi(aggregation="sum")
    month_freeze(month=MARCH)
    measure(kpi, 7, initiative=initiative_a)
    snapshot_roll_up()
    row = snapshot(kpi, initiative=initiative_a)
    assert (row.value, row.pending_restatement_value) == (None, Decimal(7))


def test_freezing_a_month_twice_keeps_the_first_freeze(make_kpi):
    first = month_freeze(month=MARCH)
    again = month_freeze(month=date(2026, 3, 15))
    assert (again.pk, again.frozen_at) == (first.pk, first.frozen_at)


def test_frozen_mean_month_rerolled_without_new_data_has_no_restatement(make_kpi):
    kpi = make_kpi(aggregation="mean")
    for day, value in [(1, 1), (2, 1), (3, 2)]:  # mean 1.333…, stored to six places
        measure(kpi, value, day=day)
    snapshot_roll_up()
    month_freeze(month=MARCH)
    snapshot_roll_up()
    assert snapshot(kpi).pending_restatement_value is None


def test_restatement_clears_when_late_data_is_corrected_back(make_kpi):
    kpi = make_kpi(aggregation="sum")
    measure(kpi, 9)
    snapshot_roll_up()
    month_freeze(month=MARCH)
    late = measure(kpi, 3, day=25)
    snapshot_roll_up()
    assert snapshot(kpi).pending_restatement_value == Decimal(12)
    late.delete()
    snapshot_roll_up()
    assert snapshot(kpi).pending_restatement_value is None


def test_last_value_at_the_same_instant_is_the_latest_written(make_kpi, initiative_a):
    kpi = make_kpi(aggregation="last")
    other = factories.MetricSourceFactory(name="Warehouse", kind="sql")
    measure(kpi, 5, initiative=initiative_a)
    measure(kpi, 8, initiative=initiative_a, source=other)  # same instant, written later
    snapshot_roll_up()
    assert snapshot(kpi, initiative=initiative_a).value == Decimal(8)


def test_months_are_counted_in_the_site_time_zone(make_kpi, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in March
    kpi = make_kpi(aggregation="sum")
    # 31 March 20:00 UTC is already 1 April in Auckland.
    factories.MeasurementFactory(kpi=kpi, value=4, observed_at=datetime(2026, 3, 31, 20, tzinfo=UTC))
    snapshot_roll_up()
    assert snapshot(kpi, APRIL).value == Decimal(4)
    assert not MonthlySnapshot.objects.filter(kpi=kpi, month=MARCH).exists()
