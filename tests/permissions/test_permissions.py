"""Who may do what, decided in scoreboard/rules.py. Refusals are tested as carefully as grants."""

import pytest

from scoreboard.models import MonthlyReview
from tests import factories

pytestmark = pytest.mark.django_db


def test_ops_lead_may_change_the_initiative_they_lead(ops_lead_a, initiative_a):
    assert ops_lead_a.has_perm("initiatives.change_initiative", initiative_a)


def test_ops_lead_cannot_change_another_leads_initiative(ops_lead_a, initiative_b):
    assert not ops_lead_a.has_perm("initiatives.change_initiative", initiative_b)


def test_ops_lead_may_record_metrics_for_their_initiative(ops_lead_a, initiative_a):
    assert ops_lead_a.has_perm("metrics.record_measurement", initiative_a)


def test_ops_lead_cannot_record_metric_for_another_initiative(ops_lead_a, initiative_b):
    assert not ops_lead_a.has_perm("metrics.record_measurement", initiative_b)


def test_ops_lead_cannot_change_a_measurement_of_another_initiative(ops_lead_a, initiative_b, kpi):
    measurement = factories.MeasurementFactory(kpi=kpi, initiative=initiative_b)
    assert not ops_lead_a.has_perm("metrics.change_measurement", measurement)


def test_ops_lead_may_edit_the_workflow_steps_of_their_initiative(ops_lead_a, initiative_a):
    from initiatives.models import WorkflowChange, WorkflowStep

    change = WorkflowChange.objects.create(initiative=initiative_a, process_name="Intake", adoption_target_percent=80)
    step = WorkflowStep.objects.create(workflow_change=change, phase="after", order=1, name="Triage", treatment="new")
    assert ops_lead_a.has_perm("initiatives.change_workflowstep", step)


def test_ops_lead_without_the_role_cannot_change_an_initiative_they_are_listed_on(initiative_a):
    # Leading an initiative is not enough: the person must hold the ops-lead role too.
    person = factories.UserFactory(username="former.lead")
    initiative_a.ops_leads.add(person)
    assert not person.has_perm("initiatives.change_initiative", initiative_a)


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a"])
def test_only_admins_change_the_decision_matrix(request, persona):
    person = request.getfixturevalue(persona)
    decision = factories.MatrixDecisionFactory()
    assert not person.has_perm("governance.change_matrixdecision", decision)
    assert not person.has_perm("governance.add_matrixdecision")
    assert not person.has_perm("governance.publish_matrixversion", decision.version)


def test_admin_changes_the_decision_matrix(admin_user):
    decision = factories.MatrixDecisionFactory()
    assert admin_user.has_perm("governance.change_matrixdecision", decision)
    assert admin_user.has_perm("governance.publish_matrixversion", decision.version)


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
@pytest.mark.parametrize(
    "permission", ["metrics.change_kpi", "metrics.add_kpi", "metrics.change_metricsource", "metrics.add_target"]
)
def test_only_admins_change_kpi_definitions_and_sources(request, persona, permission):
    assert not request.getfixturevalue(persona).has_perm(permission)


def test_admin_changes_kpi_definitions_and_sources(admin_user, kpi):
    assert admin_user.has_perm("metrics.change_kpi", kpi)
    assert admin_user.has_perm("metrics.change_metricsource")


@pytest.mark.parametrize("persona", ["cio", "coo", "ceo", "ops_lead_a", "ops_lead_b", "admin_user"])
def test_everyone_signed_in_reads_everything(request, persona, initiative_a, kpi):
    person = request.getfixturevalue(persona)
    assert person.has_perm("initiatives.view_initiative", initiative_a)
    assert person.has_perm("metrics.view_kpi", kpi)
    assert person.has_perm("governance.view_matrixdecision")


def test_executives_cannot_change_initiatives(cio, initiative_a):
    assert not cio.has_perm("initiatives.change_initiative", initiative_a)


def test_cio_signs_only_the_cio_slot(cio):
    assert cio.has_perm("scoreboard.sign_off_as_cio")
    assert not cio.has_perm("scoreboard.sign_off_as_coo")


def test_coo_signs_only_the_coo_slot(coo):
    assert coo.has_perm("scoreboard.sign_off_as_coo")
    assert not coo.has_perm("scoreboard.sign_off_as_cio")


@pytest.mark.parametrize("persona", ["ceo", "ops_lead_a", "admin_user"])
def test_nobody_else_signs_off_the_month(request, persona):
    person = request.getfixturevalue(persona)
    assert not person.has_perm("scoreboard.sign_off_as_cio")
    assert not person.has_perm("scoreboard.sign_off_as_coo")


def test_a_cio_title_without_the_executive_role_cannot_sign(db):
    impostor = factories.UserFactory(username="not.an.exec", executive_title="CIO")
    assert not impostor.has_perm("scoreboard.sign_off_as_cio")


def test_a_deactivated_executive_cannot_sign(cio):
    cio.is_active = False
    cio.save()
    assert not cio.has_perm("scoreboard.sign_off_as_cio")


def test_only_the_executive_asked_answers_a_decision_request(cio, coo, ops_lead_a):
    from datetime import UTC, datetime, timedelta

    asked = datetime(2026, 3, 2, 9, tzinfo=UTC)
    from governance.models import DecisionRequest

    request_ = DecisionRequest.objects.create(
        question="Approve go-live?",
        requested_by=ops_lead_a,
        executive=coo,
        requested_at=asked,
        due_at=asked + timedelta(hours=24),
    )
    assert coo.has_perm("governance.answer_decisionrequest", request_)
    assert not cio.has_perm("governance.answer_decisionrequest", request_)
    assert not ops_lead_a.has_perm("governance.answer_decisionrequest", request_)


def test_only_a_kpis_accountable_executives_annotate_it(cio, coo, ceo, ops_lead_a, kpi):
    assert cio.has_perm("metrics.add_annotation", kpi)
    assert coo.has_perm("metrics.add_annotation", kpi)
    assert not ceo.has_perm("metrics.add_annotation", kpi)
    assert not ops_lead_a.has_perm("metrics.add_annotation", kpi)


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_only_admins_delete_a_monthly_review(request, persona):
    review = MonthlyReview.objects.create(month="2026-03-01")
    assert not request.getfixturevalue(persona).has_perm("scoreboard.delete_monthlyreview", review)


def test_ops_lead_cannot_record_a_company_wide_measurement(ops_lead_a):
    assert not ops_lead_a.has_perm("metrics.record_measurement", None)


@pytest.mark.parametrize("persona", ["cio", "coo", "ceo"])
def test_executives_do_not_record_measurements(request, persona, initiative_a):
    assert not request.getfixturevalue(persona).has_perm("metrics.record_measurement", initiative_a)


@pytest.mark.parametrize("action", ["add", "delete"])
def test_ops_lead_cannot_add_or_delete_initiatives(ops_lead_a, initiative_a, action):
    assert not ops_lead_a.has_perm(f"initiatives.{action}_initiative", initiative_a)


def test_ops_lead_cannot_change_another_initiatives_milestones(ops_lead_a, initiative_b):
    from initiatives.models import Milestone

    milestone = Milestone.objects.create(initiative=initiative_b, title="Pilot starts", due_on="2026-05-01")
    assert not ops_lead_a.has_perm("initiatives.change_milestone", milestone)


def test_ops_lead_cannot_certify_their_own_governance_gate(ops_lead_a, initiative_a):
    from governance.models import GovernanceGate

    gate = GovernanceGate.objects.create(initiative=initiative_a, kind="fallback")
    assert not ops_lead_a.has_perm("governance.change_governancegate", gate)


def test_ops_lead_cannot_delete_their_initiatives_deployment_brief(ops_lead_a, initiative_a):
    from initiatives.models import DeploymentBrief

    brief = DeploymentBrief.objects.create(
        initiative=initiative_a, scope="Claims intake", investment=1, governance="Gates", timeline="Q3"
    )
    assert ops_lead_a.has_perm("initiatives.change_deploymentbrief", brief)
    assert not ops_lead_a.has_perm("initiatives.delete_deploymentbrief", brief)


def _brief_for(initiative, sponsor):
    from initiatives.models import DeploymentBrief

    initiative.sponsor = sponsor
    initiative.save()
    return DeploymentBrief.objects.create(
        initiative=initiative, scope="Claims intake", investment=1, governance="Gates", timeline="Q3"
    )


def test_only_the_sponsor_signs_the_sponsor_slot_of_a_brief(ceo, cio, initiative_a):
    brief = _brief_for(initiative_a, sponsor=ceo)
    assert ceo.has_perm("initiatives.sign_deploymentbrief_as_sponsor", brief)
    assert not cio.has_perm("initiatives.sign_deploymentbrief_as_sponsor", brief)


def test_only_the_coo_signs_the_coo_slot_of_a_brief(ceo, coo, initiative_a):
    brief = _brief_for(initiative_a, sponsor=ceo)
    assert coo.has_perm("initiatives.sign_deploymentbrief_as_coo", brief)
    assert not ceo.has_perm("initiatives.sign_deploymentbrief_as_coo", brief)


def test_even_an_admin_cannot_edit_a_published_matrix_version(admin_user, coo):
    from datetime import UTC, date, datetime

    decision = factories.MatrixDecisionFactory(
        version__status="published",
        version__effective_from=date(2026, 1, 1),
        version__reason="First version",
        version__published_by=admin_user,
        version__approved_by=coo,
        version__published_at=datetime(2026, 1, 1, tzinfo=UTC),
        version__submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert not admin_user.has_perm("governance.change_matrixdecision", decision)
    assert not admin_user.has_perm("governance.delete_matrixversion", decision.version)
    assert not admin_user.has_perm("governance.publish_matrixversion", decision.version)


def test_admin_cannot_delete_a_frozen_review(admin_user, cio, coo):
    from datetime import UTC, datetime

    signed = datetime(2026, 4, 8, tzinfo=UTC)
    review = MonthlyReview.objects.create(
        month="2026-03-01",
        cio_signed_by=cio,
        cio_signed_at=signed,
        coo_signed_by=coo,
        coo_signed_at=signed,
        frozen_at=signed,
    )
    assert not admin_user.has_perm("scoreboard.delete_monthlyreview", review)


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_only_admins_manage_users_and_roles(request, persona):
    person = request.getfixturevalue(persona)
    assert not person.has_perm("scoreboard.change_user")
    assert not person.has_perm("auth.change_group")
