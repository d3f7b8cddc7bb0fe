"""An initiative's workflow change: the steps before and after, the roles affected, errors on the
field at fault with nothing stored, and the whole page read and edited in Chromium."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from initiatives.models import AffectedRole, WorkflowChange, WorkflowStep
from initiatives.services.workflow import workflow_change_save
from metrics.models import MonthlySnapshot
from scoreboard.demo import DEMO_PASSWORD
from scoreboard.months import first_of_month, previous_month
from tests import factories
from tests.browser import sign_in_at
from tests.initiatives.page_helpers import _fingerprint, _url, _workflow_with_steps, step, workflow_body

pytestmark = pytest.mark.django_db


# --- Editing: the workflow change ---------------------------------------------------------------------


def test_ops_lead_describes_a_workflow_change_with_steps_and_roles(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    response = client.post(
        _url(initiative_a, "workflow"),
        workflow_body(
            adoption_kpi=str(kpi.pk),
            before=[step(1, "Read the claim", performed_by="Handler"), step(2, "Route it"), step("", "", "")],
            after=[step(1, "AI routes it", "replaced", "Router model")],
            roles=[{"id": "", "role": "Claims handler", "headcount": "12", "reskilling": "Check AI routing"}],
        ),
    )

    assert response.status_code == 302
    workflow = WorkflowChange.objects.get(initiative=initiative_a)
    assert (workflow.adoption_target_percent, workflow.adoption_kpi) == (Decimal("60"), kpi)
    assert list(workflow.steps.values_list("phase", "order", "name", "treatment")) == [
        ("after", 1, "AI routes it", "replaced"),
        ("before", 1, "Read the claim", "unchanged"),
        ("before", 2, "Route it", "unchanged"),
    ]
    assert list(workflow.affected_roles.values_list("role", "headcount")) == [("Claims handler", 12)]
    record = workflow.history.latest()
    assert (record.history_user, record.history_change_reason) == (ops_lead_a, "Workflow change described")


def test_admin_reorders_renames_deletes_and_adds_steps_in_one_save(client, admin_user, initiative_a):
    workflow = _workflow_with_steps(initiative_a)
    mail, read, route = workflow.steps.filter(phase="before").order_by("order")
    routes, checks = workflow.steps.filter(phase="after").order_by("order")
    role = workflow.affected_roles.get()
    client.force_login(admin_user)

    response = client.post(
        _url(initiative_a, "workflow"),
        workflow_body(
            initial=(3, 2, 1),
            # Swap the first two positions, delete the third, add a new third.
            before=[
                step(2, "Open the mail", id=mail.pk),
                step(1, "Read the claim first", id=read.pk),
                {**step(3, "Route it", id=route.pk), "DELETE": "on"},
                step(3, "Scan it"),
            ],
            after=[
                step(1, "AI reads and routes", "replaced", id=routes.pk),
                step(2, "Handler checks", "ai_assisted", id=checks.pk),
            ],
            roles=[{"id": role.pk, "role": "Claims handler", "headcount": "40", "reskilling": "x", "DELETE": "on"}],
        ),
    )

    assert response.status_code == 302, response.content.decode()
    assert list(workflow.steps.filter(phase="before").order_by("order").values_list("name", flat=True)) == [
        "Read the claim first",
        "Open the mail",
        "Scan it",
    ]
    assert workflow.affected_roles.count() == 0
    assert WorkflowStep.history.filter(id=route.pk, history_type="-").get().history_user == admin_user


def test_two_roles_may_swap_names_in_one_save(client, ops_lead_a, initiative_a):
    workflow = _workflow_with_steps(initiative_a)
    handler = workflow.affected_roles.get()
    leader = AffectedRole.objects.create(workflow_change=workflow, role="Team leader", headcount=5)
    client.force_login(ops_lead_a)

    response = client.post(
        _url(initiative_a, "workflow"),
        workflow_body(
            initial=(0, 0, 2),
            roles=[
                {"id": handler.pk, "role": "Team leader", "headcount": "42", "reskilling": ""},
                {"id": leader.pk, "role": "Claims handler", "headcount": "5", "reskilling": ""},
            ],
        ),
    )

    assert response.status_code == 302, response.content.decode()
    assert dict(workflow.affected_roles.values_list("pk", "role")) == {
        handler.pk: "Team leader",
        leader.pk: "Claims handler",
    }


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        (
            {"before": [step(1, "Read"), step(1, "Route")]},
            "Before row 2 · Position",
            "Another before step already has position 1.",
        ),
        (
            {"adoption_target_percent": "120"},
            "Workflow change · Adoption target (%)",
            "The adoption target is a percentage from 0 to 100.",
        ),
        (
            {"adoption_kpi": "999999"},
            "Workflow change · Adoption KPI",
            "Choose one of the KPIs this initiative reports.",
        ),
        (
            {
                "roles": [
                    {"id": "", "role": "Handler", "headcount": "3", "reskilling": ""},
                    {"id": "", "role": "handler", "headcount": "4", "reskilling": ""},
                ]
            },
            "Affected roles row 2 · Role",
            "handler is listed twice: list each role once.",
        ),
        ({"before": [step(0, "Read")]}, "Before row 1 · Position", "A position is from 1 to 999."),
    ],
)
def test_workflow_errors_name_the_field_and_the_reason_and_store_nothing(
    client, ops_lead_a, initiative_a, changes, where, message
):
    client.force_login(ops_lead_a)
    before = _fingerprint()
    body = {"before": [step(1, "Read the claim")], "after": [step(1, "AI routes", "replaced")], **changes}

    response = client.post(_url(initiative_a, "workflow"), workflow_body(**body))

    assert response.status_code == 400
    assert f"{where}: {message}" in response.content.decode().replace("&#x27;", "'")
    assert _fingerprint() == before


def test_the_adoption_kpi_must_be_one_the_initiative_reports(client, ops_lead_a, initiative_a, cio, coo):
    other_kpi = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo)
    client.force_login(ops_lead_a)

    response = client.post(_url(initiative_a, "workflow"), workflow_body(adoption_kpi=str(other_kpi.pk)))

    assert response.status_code == 400
    assert not WorkflowChange.objects.exists()


def test_an_error_in_one_row_stores_none_of_the_others(client, ops_lead_a, initiative_a):
    workflow = _workflow_with_steps(initiative_a)
    mail = workflow.steps.get(phase="before", order=1)
    client.force_login(ops_lead_a)
    before = _fingerprint()

    response = client.post(
        _url(initiative_a, "workflow"),
        workflow_body(
            initial=(1, 0, 0),
            process_name="Renamed process",
            before=[step(1, "Open the mail, renamed", id=mail.pk)],
            after=[step(1, "New"), step(1, "Clash")],
        ),
    )

    assert response.status_code == 400
    assert _fingerprint() == before


def test_the_workflow_service_refuses_another_initiatives_ops_lead(ops_lead_b, initiative_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workflow_change_save(
            initiative=initiative_a, by=ops_lead_b, process_name="x", summary="", adoption_target_percent=Decimal(5)
        )
    assert not WorkflowChange.objects.exists()


# --- In a browser -----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ops_lead_reads_the_page_with_drawn_charts_and_edits_the_workflow_change(page, live_server):
    cio = factories.executive(username="cio", title="CIO")
    coo = factories.executive(username="coo", title="COO")
    lead = factories.ops_lead(username="ops.lead")
    lead.set_password(DEMO_PASSWORD)
    lead.save()
    kpi = factories.KPIFactory(name="Straight-through rate", accountable_executive=cio, co_accountable_executive=coo)
    initiative = factories.InitiativeFactory(name="Claims triage", technology_owner=cio, operations_owner=coo)
    initiative.ops_leads.add(lead)
    initiative.kpis.add(kpi)
    _workflow_with_steps(initiative)
    month = first_of_month(timezone.localdate())
    for value in (40, 48, 55):
        MonthlySnapshot.objects.create(
            kpi=kpi,
            initiative=initiative,
            month=month,
            value=value,
            target=60,
            status="red",
            computed_at=timezone.now(),
        )
        month = previous_month(month)

    sign_in_at(page, live_server, "ops.lead", _url(initiative))

    page.wait_for_selector(".chart.drawn svg.main-svg")
    expect(page.locator("[data-chart]:not(.drawn)")).to_have_count(0)
    expect(page.locator("#steps-before li")).to_have_count(3)
    page.get_by_role("link", name="Edit the workflow change").click()
    expect(page).to_have_url(re.compile(r"/workflow/$"))
    page.fill("#id_adoption_target_percent", "75")
    page.fill("#id_after-2-order", "3")
    page.fill("#id_after-2-name", "Handler explains the decision")
    page.select_option("#id_after-2-treatment", "new")
    page.get_by_role("button", name="Save the workflow change").click()

    expect(page).to_have_url(re.compile(re.escape(_url(initiative)) + "$"))
    expect(page.locator("ul.messages")).to_contain_text("workflow change saved")
    expect(page.locator("#steps-after li")).to_have_count(3)
    expect(page.locator("#steps-after")).to_contain_text("Handler explains the decision")
    expect(page.locator("#workflow")).to_contain_text("Adoption target 75.0 %")
    page.wait_for_selector(".chart.drawn svg.main-svg")
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    assert WorkflowChange.objects.get(initiative=initiative).adoption_target_percent == Decimal(75)
