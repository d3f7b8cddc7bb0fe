"""KPI definitions and targets through their services (metrics.services.kpis): a change that
alters a month's figure or colour makes every month it affects owed a roll-up, at once, not only
the current month at night; a signed-off month keeps its figures."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from metrics.models import MonthlySnapshot, RollUpDue, Target
from metrics.services.kpis import kpi_save, target_delete, target_save
from metrics.services.rollup import month_freeze, roll_up_owed, snapshot_roll_up
from scoreboard.months import first_of_month
from tests import factories

pytestmark = pytest.mark.django_db

JANUARY, FEBRUARY, MARCH = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def measured(kpi, initiative_a):
    """60 in January, February and March, rolled up against a target of 50 (green)."""
    for month in (1, 2, 3):
        factories.MeasurementFactory(
            kpi=kpi, initiative=initiative_a, value=Decimal(60), observed_at=datetime(2026, month, 10, tzinfo=UTC)
        )
    factories.TargetFactory(kpi=kpi, initiative=None, effective_from=JANUARY, target=50, red_threshold=40)
    snapshot_roll_up()
    RollUpDue.objects.all().delete()
    return kpi


def _owed(kpi) -> set[date]:
    return set(RollUpDue.objects.filter(kpi=kpi).values_list("month", flat=True))


def _status(kpi, initiative, month) -> str:
    return MonthlySnapshot.objects.get(kpi=kpi, initiative=initiative, month=month).status


def _roll_up_everything_owed():
    for month in set(RollUpDue.objects.values_list("month", flat=True)):
        roll_up_owed(month=month)


def test_a_new_target_makes_each_month_it_governs_owed_and_the_roll_up_recolours_them(
    admin_user, measured, initiative_a
):
    target_save(
        by=admin_user,
        data={"kpi": measured, "effective_from": FEBRUARY, "target": 80, "red_threshold": 65},
    )

    assert {FEBRUARY, MARCH} <= _owed(measured)
    assert JANUARY not in _owed(measured)
    _roll_up_everything_owed()
    assert (_status(measured, initiative_a, JANUARY), _status(measured, initiative_a, FEBRUARY)) == ("green", "red")
    assert not RollUpDue.objects.exists()


def test_moving_a_target_earlier_makes_the_months_between_owed_too(admin_user, measured):
    target = Target.objects.get(kpi=measured)
    target_save(by=admin_user, target=target, data={"effective_from": date(2025, 12, 1)})

    assert {JANUARY, FEBRUARY, MARCH, first_of_month(timezone.localdate())} <= _owed(measured)


def test_removing_a_target_makes_its_months_owed(admin_user, measured, initiative_a):
    target_delete(by=admin_user, target=Target.objects.get(kpi=measured))

    _roll_up_everything_owed()
    assert _status(measured, initiative_a, MARCH) == "none"


def test_a_signed_off_month_keeps_its_status_when_the_target_changes(admin_user, measured, initiative_a):
    month_freeze(month=JANUARY)
    target = Target.objects.get(kpi=measured)

    target_save(by=admin_user, target=target, data={"target": 90, "red_threshold": 70})
    _roll_up_everything_owed()

    assert _status(measured, initiative_a, JANUARY) == "green"
    assert _status(measured, initiative_a, FEBRUARY) == "red"


def test_a_kpi_whose_aggregation_changes_is_restated_in_a_signed_off_month(admin_user, measured, initiative_a):
    factories.MeasurementFactory(
        kpi=measured, initiative=initiative_a, value=Decimal(20), observed_at=datetime(2026, 1, 20, tzinfo=UTC)
    )
    snapshot_roll_up(months=[JANUARY])
    month_freeze(month=JANUARY)
    signed = MonthlySnapshot.objects.get(kpi=measured, initiative=initiative_a, month=JANUARY)
    assert signed.value == Decimal(40)  # the mean of 60 and 20

    kpi_save(by=admin_user, kpi=measured, data={"aggregation": "max"})
    _roll_up_everything_owed()

    signed.refresh_from_db()
    assert (signed.value, signed.pending_restatement_value) == (Decimal(40), Decimal(60))
    assert MonthlySnapshot.objects.get(kpi=measured, initiative=initiative_a, month=FEBRUARY).value == Decimal(60)


def test_a_kpi_change_that_alters_no_figure_owes_nothing(admin_user, measured):
    kpi_save(by=admin_user, kpi=measured, data={"name": "Automation rate (claims)"})

    assert _owed(measured) == set()


def test_only_admins_set_targets(ops_lead_a, cio, measured):
    for person in (ops_lead_a, cio):
        with pytest.raises(PermissionDenied, match="Only admins keep the KPI definitions"):
            target_save(by=person, target=Target.objects.get(kpi=measured), data={"target": 1})
    assert Target.objects.get(kpi=measured).target == 50


def test_a_red_threshold_on_the_wrong_side_and_a_second_target_the_same_month_are_refused_by_field(
    admin_user, measured
):
    with pytest.raises(ValidationError) as refused:
        target_save(
            by=admin_user,
            data={"kpi": measured, "effective_from": JANUARY, "target": 50, "red_threshold": 60},
        )
    assert set(refused.value.message_dict) == {"red_threshold", "effective_from"}
    assert Target.objects.filter(kpi=measured).count() == 1
    assert _owed(measured) == set()


def test_a_target_for_an_initiative_that_does_not_report_the_kpi_is_refused(admin_user, measured, initiative_a):
    initiative_a.kpis.remove(measured)

    with pytest.raises(ValidationError) as refused:
        target_save(
            by=admin_user,
            data={
                "kpi": measured,
                "initiative": initiative_a,
                "effective_from": FEBRUARY,
                "target": 70,
                "red_threshold": 50,
            },
        )

    assert "does not report" in refused.value.message_dict["initiative"][0]
    assert not Target.objects.filter(initiative=initiative_a).exists()
