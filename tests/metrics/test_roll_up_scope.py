"""What a roll-up rewrites: after a pull that touches one KPI's current month, only the snapshots
whose figures changed; after a target change, only the months that target governs. Counted in
rows (the snapshot ids and computed_at that survive), never timed: bench/rollup.py times it."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.models import MonthlySnapshot, RollUpDue, Target
from metrics.services.ingest import measurements_ingest
from metrics.services.kpis import target_delete, target_save
from metrics.services.rollup import roll_up_owed, snapshot_roll_up
from metrics.services.upsert import Row
from scoreboard.months import add_months, first_of_month
from tests import factories

pytestmark = pytest.mark.django_db

JANUARY, APRIL, JULY = date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1)


def _stored() -> dict[tuple, tuple]:
    """Each snapshot by its key: its id and when it was computed (a rewrite changes both)."""
    return {
        (s.kpi_id, s.initiative_id, s.month): (s.pk, s.computed_at)
        for s in MonthlySnapshot.objects.all().only("pk", "kpi_id", "initiative_id", "month", "computed_at")
    }


def _rewritten(before: dict, after: dict) -> set[tuple]:
    return {key for key, row in after.items() if before.get(key) != row}


@pytest.fixture
def company(cio, coo):
    """Two KPIs reported by three initiatives, measured on the 10th of each month from January
    2025 to the current month; rolled up, nothing owed."""
    kpis = [
        factories.KPIFactory(code=f"scope-kpi-{n}", accountable_executive=cio, co_accountable_executive=coo)
        for n in (1, 2)
    ]
    initiatives = [factories.InitiativeFactory(technology_owner=cio, operations_owner=coo) for _ in range(3)]
    source = factories.HttpJsonSourceFactory(name="Scope test feed")
    current = first_of_month(timezone.localdate())
    month = JANUARY
    while month <= current:
        for kpi in kpis:
            for n, initiative in enumerate(initiatives):
                initiative.kpis.add(kpi)
                factories.MeasurementFactory(
                    kpi=kpi,
                    initiative=initiative,
                    source=source,
                    value=Decimal(50 + n),
                    observed_at=datetime(month.year, month.month, 1, 3, tzinfo=UTC),
                )
        month = add_months(month, 1)
    snapshot_roll_up()
    RollUpDue.objects.all().delete()
    return {"kpis": kpis, "initiatives": initiatives, "source": source, "current": current}


def _roll_up_everything_owed() -> int:
    return sum(roll_up_owed(month=month) for month in set(RollUpDue.objects.values_list("month", flat=True)))


def test_a_pull_touching_one_kpis_current_month_rewrites_only_the_touched_snapshots(company):
    kpi, _other = company["kpis"]
    first, *_ = company["initiatives"]
    current = company["current"]
    before = _stored()
    observed = max(timezone.now() - timedelta(minutes=10), datetime(current.year, current.month, 1, 4, tzinfo=UTC))

    pulled = measurements_ingest(
        rows=[Row(kpi.pk, first.pk, observed, Decimal(90))], source=company["source"], entered_via="pull:test"
    )
    assert (pulled.stored, [r.reason for r in pulled.rejected]) == (1, [])
    written = _roll_up_everything_owed()

    # The initiative's figure and the company-wide one it feeds: nothing else, no other month or KPI.
    assert _rewritten(before, _stored()) == {(kpi.pk, first.pk, current), (kpi.pk, None, current)}
    assert written == 2
    assert not RollUpDue.objects.exists()


def test_a_pull_that_changes_no_figure_rewrites_nothing(company):
    kpi, _ = company["kpis"]
    first, *_ = company["initiatives"]
    current = company["current"]
    before = _stored()

    # The value already stored for that time, sent again.
    measurements_ingest(
        rows=[Row(kpi.pk, first.pk, datetime(current.year, current.month, 1, 3, tzinfo=UTC), Decimal(50))],
        source=company["source"],
        entered_via="pull:test",
    )
    roll_up_owed(month=current)

    assert _rewritten(before, _stored()) == set()


def test_a_target_change_owes_only_the_months_it_governs(admin_user, company):
    kpi, _ = company["kpis"]
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JANUARY, target=60, red_threshold=45)
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JULY, target=40, red_threshold=30)
    snapshot_roll_up()
    RollUpDue.objects.all().delete()
    before = _stored()

    # The first target, January to June, now asks for less: its months turn green.
    target_save(by=admin_user, target=Target.objects.get(kpi=kpi, effective_from=JANUARY), data={"target": 45})

    governed = {add_months(JANUARY, n) for n in range(6)}
    assert set(RollUpDue.objects.values_list("month", flat=True)) == governed
    _roll_up_everything_owed()
    rewritten = _rewritten(before, _stored())
    assert {month for _, _, month in rewritten} == governed
    assert {kpi_id for kpi_id, _, _ in rewritten} == {kpi.pk}


def test_removing_a_target_owes_the_months_until_the_next_one(admin_user, company):
    kpi, _ = company["kpis"]
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JANUARY, target=60, red_threshold=45)
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=APRIL, target=40, red_threshold=30)
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JULY, target=70, red_threshold=50)
    RollUpDue.objects.all().delete()

    target_delete(by=admin_user, target=Target.objects.get(kpi=kpi, effective_from=APRIL))

    assert set(RollUpDue.objects.values_list("month", flat=True)) == {APRIL, add_months(APRIL, 1), add_months(APRIL, 2)}


def test_the_latest_target_changed_owes_its_months_through_the_current_one(admin_user, company):
    kpi, _ = company["kpis"]
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JANUARY, target=60, red_threshold=45)
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JULY, target=40, red_threshold=30)
    RollUpDue.objects.all().delete()

    target_save(by=admin_user, target=Target.objects.get(kpi=kpi, effective_from=JULY), data={"target": 45})

    owed = set(RollUpDue.objects.values_list("month", flat=True))
    assert min(owed) == JULY
    assert max(owed) == company["current"]
    assert JANUARY not in owed
