"""The invariants live in the database, and clean() states the same rule in words."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from governance.models import DecisionRequest, MatrixVersion
from initiatives.models import SCORE_SCALE, Initiative, PrioritisationInput, priority_score
from metrics.models import KPI, MonthlySnapshot, Target
from tests import factories

pytestmark = pytest.mark.django_db


def assert_refused_by_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_database_refuses_a_second_measurement_with_the_same_natural_key(initiative_a, kpi):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    assert_refused_by_database(lambda: factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, value=7))


def test_database_refuses_a_duplicate_company_wide_measurement(kpi):
    # NULL initiatives are never equal in a plain unique index: the partial one catches these.
    factories.MeasurementFactory(kpi=kpi, initiative=None)
    assert_refused_by_database(lambda: factories.MeasurementFactory(kpi=kpi, initiative=None, value=7))


def test_same_observed_time_from_another_source_is_a_different_measurement(initiative_a, kpi):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    other = factories.MetricSourceFactory(name="Warehouse", kind="sql")
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, source=other)
    assert kpi.measurements.count() == 2


def test_database_refuses_a_kpi_whose_two_accountable_executives_are_one_person(cio):
    assert_refused_by_database(lambda: factories.KPIFactory(accountable_executive=cio, co_accountable_executive=cio))


def test_kpi_clean_names_the_field_when_executives_are_the_same_person(cio):
    kpi = factories.KPIFactory.build(accountable_executive=cio, co_accountable_executive=cio)
    with pytest.raises(ValidationError) as excinfo:
        kpi.full_clean()
    assert "must be different people" in str(excinfo.value.message_dict["co_accountable_executive"])


def test_kpi_clean_requires_a_second_accountable_executive(cio):
    kpi = factories.KPIFactory.build(accountable_executive=cio, co_accountable_executive=None)
    with pytest.raises(ValidationError) as excinfo:
        kpi.full_clean()
    assert "two accountable executives" in str(excinfo.value.message_dict["co_accountable_executive"])


def test_database_allows_only_one_primary_kpi(cio, coo):
    factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, is_primary=True)
    assert_refused_by_database(
        lambda: factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, is_primary=True)
    )


def test_database_refuses_a_ratio_kpi_without_its_parts(cio, coo):
    assert_refused_by_database(
        lambda: factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, aggregation="ratio")
    )


def test_database_refuses_a_second_snapshot_for_the_same_kpi_initiative_and_month(initiative_a, kpi):
    def snapshot():
        return MonthlySnapshot.objects.create(
            kpi=kpi, initiative=initiative_a, month=date(2026, 3, 1), value=1, computed_at=datetime.now(UTC)
        )

    snapshot()
    assert_refused_by_database(snapshot)


def test_database_refuses_a_second_company_wide_snapshot_for_the_month(kpi):
    def snapshot():
        return MonthlySnapshot.objects.create(kpi=kpi, month=date(2026, 3, 1), value=1, computed_at=datetime.now(UTC))

    snapshot()
    assert_refused_by_database(snapshot)


def test_database_refuses_an_unknown_stage(initiative_a):
    assert_refused_by_database(lambda: Initiative.objects.filter(pk=initiative_a.pk).update(stage="moonshot"))


def test_database_refuses_negative_investment(initiative_a):
    assert_refused_by_database(lambda: Initiative.objects.filter(pk=initiative_a.pk).update(investment=-1))


def test_initiative_clean_names_the_field_for_negative_investment(initiative_a):
    initiative_a.investment = Decimal("-5")
    with pytest.raises(ValidationError) as excinfo:
        initiative_a.full_clean()
    assert excinfo.value.message_dict["investment"] == ["Investment cannot be negative."]


def test_database_refuses_one_person_owning_both_sides_of_an_initiative(cio):
    assert_refused_by_database(lambda: factories.InitiativeFactory(technology_owner=cio, operations_owner=cio))


def test_database_refuses_a_fifth_autonomy_tier(admin_user):
    assert_refused_by_database(lambda: factories.MatrixDecisionFactory(autonomy_tier="ai_rules_all"))


def test_database_refuses_a_confidence_threshold_above_one():
    assert_refused_by_database(lambda: factories.MatrixDecisionFactory(confidence_threshold=Decimal("1.5")))


def test_database_refuses_a_monitoring_kpi_without_its_breach_threshold(kpi):
    assert_refused_by_database(lambda: factories.MatrixDecisionFactory(monitoring_kpi=kpi))


def test_database_refuses_a_published_matrix_version_without_approval(admin_user):
    assert_refused_by_database(
        lambda: MatrixVersion.objects.create(number=9, status="published", created_by=admin_user, reason="x")
    )


def test_database_allows_only_one_draft_matrix_version(admin_user):
    MatrixVersion.objects.create(number=1, created_by=admin_user)
    assert_refused_by_database(lambda: MatrixVersion.objects.create(number=2, created_by=admin_user))


def test_database_refuses_a_decision_request_due_before_it_was_asked(cio, ops_lead_a):
    asked = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert_refused_by_database(
        lambda: DecisionRequest.objects.create(
            question="Go live?", requested_by=ops_lead_a, executive=cio, requested_at=asked, due_at=asked
        )
    )


def test_target_clean_explains_threshold_order_for_a_higher_is_better_kpi(kpi):
    target = Target(kpi=kpi, effective_from=date(2026, 1, 1), target=80, red_threshold=90)
    with pytest.raises(ValidationError) as excinfo:
        target.full_clean()
    assert "red threshold ≤ target" in excinfo.value.message_dict["red_threshold"][0]


def test_target_clean_refuses_a_target_starting_mid_month(kpi):
    target = Target(kpi=kpi, effective_from=date(2026, 1, 15), target=80, red_threshold=60)
    with pytest.raises(ValidationError) as excinfo:
        target.full_clean()
    assert "first day of a month" in excinfo.value.message_dict["effective_from"][0]


def test_initiative_changes_are_kept_in_history_with_who_changed_them(initiative_a, admin_user):
    initiative = Initiative.objects.get(pk=initiative_a.pk)
    initiative._history_user = admin_user
    initiative.stage = "production"
    initiative.save()
    latest = initiative.history.first()
    assert (latest.stage, latest.history_user, latest.history_type) == ("production", admin_user, "~")
    assert initiative.history.last().history_type == "+"


def test_kpi_definitions_keep_history(kpi):
    kpi.name = "Renamed"
    kpi.save()
    assert [h.name for h in KPI.objects.get(pk=kpi.pk).history.all()] == ["Renamed", kpi.history.last().name]
    assert kpi.history.count() == 2


def test_description_overlap_is_measured_whenever_either_description_is_saved(initiative_a):
    initiative_a.technology_owner_description = "A language model drafts replies to supplier emails."
    initiative_a.operations_owner_description = "Fewer overdue invoices and disputes."
    initiative_a.save(update_fields=["technology_owner_description", "operations_owner_description"])
    initiative_a.refresh_from_db()
    assert initiative_a.description_overlap == 0.0
    initiative_a.operations_owner_description = "Drafts supplier email replies."
    initiative_a.save()
    initiative_a.refresh_from_db()
    assert initiative_a.description_overlap == pytest.approx(4 / 6)  # draft, reply, supplier, email of 6 words


def test_database_refuses_a_description_overlap_outside_zero_to_one(initiative_a):
    assert_refused_by_database(lambda: Initiative.objects.filter(pk=initiative_a.pk).update(description_overlap=1.5))


@pytest.mark.parametrize("bandwidth", [1, 3, 5])
@pytest.mark.parametrize("volume", [0, 2_345, 10_000, 50_000])
def test_priority_in_sql_equals_the_score_shown(initiative_a, bandwidth, volume):
    inputs = PrioritisationInput.objects.create(
        initiative=initiative_a,
        management_bandwidth=bandwidth,
        process_structure=4,
        data_availability=2,
        risk_profile=3,
        roi_clarity=2,
        monthly_volume=volume,
    )
    in_sql = PrioritisationInput.objects.annotate(p=priority_score()).get().p
    assert in_sql == inputs.priority
    # Bandwidth × mean feasibility + a quarter point per ROI clarity step above 1 + volume up to 10 000.
    expected = Decimal(bandwidth * 3) + Decimal("0.25") + min(Decimal(volume) / 10_000, Decimal(1))
    assert inputs.score == expected.quantize(Decimal("0.01"))
    assert Decimal(in_sql) / SCORE_SCALE == expected
