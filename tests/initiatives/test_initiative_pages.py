"""The initiative pages: the list, each initiative's page, and its editing by its ops leads
and admins (the initiative, its workflow change, its roadmap and backlog)."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import GateKind, GovernanceGate
from initiatives.models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    Stage,
    WorkflowChange,
    WorkflowStep,
)
from initiatives.services.workflow import workflow_change_save
from metrics.models import MonthlySnapshot
from scoreboard.demo import DEMO_PASSWORD
from scoreboard.months import add_months, first_of_month, previous_month
from tests import factories
from tests.browser import sign_in_at

pytestmark = pytest.mark.django_db


# --- Helpers ----------------------------------------------------------------------------------------


def _url(initiative, page=""):
    return f"/initiatives/{initiative.code}/{page + '/' if page else ''}"


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """POST data for a Django formset: its management form and each row's fields."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def workflow_body(*, before=(), after=(), roles=(), initial=(0, 0, 0), **fields) -> dict:
    body = {"process_name": "Claims intake", "summary": "Triage by AI", "adoption_target_percent": "60"}
    body.update(fields)
    body.update(formset("before", list(before), initial[0]))
    body.update(formset("after", list(after), initial[1]))
    body.update(formset("roles", list(roles), initial[2]))
    return body


def step(order, name, treatment="unchanged", performed_by="", id=""):
    return {"id": id, "order": str(order), "name": name, "treatment": treatment, "performed_by": performed_by}


def edit_body(initiative, **changes) -> dict:
    body = {
        "name": initiative.name,
        "business_unit": initiative.business_unit,
        "process": initiative.process,
        "sourcing": initiative.sourcing,
        "stage": initiative.stage,
        "technology_owner_description": initiative.technology_owner_description,
        "operations_owner_description": initiative.operations_owner_description,
        "investment": str(initiative.investment),
        "expected_annual_benefit": str(initiative.expected_annual_benefit),
        "payback_months": "",
        "started_on": initiative.started_on.isoformat() if initiative.started_on else "",
        "planned_go_live": "",
        "actual_go_live": "",
        "read_at": initiative.updated_at.isoformat(),
    }
    body.update(changes)
    return body


def _workflow_with_steps(initiative):
    workflow = WorkflowChange.objects.create(
        initiative=initiative, process_name="Claims intake", adoption_target_percent=Decimal("60")
    )
    for order, name in enumerate(["Open the mail", "Read the claim", "Route it"], start=1):
        WorkflowStep.objects.create(
            workflow_change=workflow, phase="before", order=order, name=name, treatment="unchanged"
        )
    WorkflowStep.objects.create(
        workflow_change=workflow, phase="after", order=1, name="AI reads and routes", treatment="replaced"
    )
    WorkflowStep.objects.create(
        workflow_change=workflow, phase="after", order=2, name="Handler checks edge cases", treatment="ai_assisted"
    )
    AffectedRole.objects.create(
        workflow_change=workflow, role="Claims handler", headcount=42, reskilling="Reviewing AI routing"
    )
    return workflow


def _fingerprint():
    """Everything the edit pages could write, to show a refusal changed nothing."""
    return (
        list(Initiative.objects.order_by("pk").values()),
        list(WorkflowChange.objects.order_by("pk").values()),
        list(WorkflowStep.objects.order_by("pk").values()),
        list(AffectedRole.objects.order_by("pk").values()),
        list(Milestone.objects.order_by("pk").values()),
        list(BacklogItem.objects.order_by("pk").values()),
    )


# --- The list ---------------------------------------------------------------------------------------


def test_list_shows_each_initiative_with_unit_stage_owners_and_ops_leads(client, cio, initiative_a, ops_lead_a):
    client.force_login(cio)

    html = client.get("/initiatives/").content.decode()

    assert f'href="/initiatives/{initiative_a.code}/"' in html
    for text in (initiative_a.name, "Claims", "Pilot", str(initiative_a.technology_owner), str(ops_lead_a)):
        assert text in html


def test_list_filters_by_stage(client, cio, initiative_a, initiative_b):
    Initiative.objects.filter(pk=initiative_b.pk).update(stage=Stage.PRODUCTION)
    client.force_login(cio)

    html = client.get("/initiatives/", {"stage": "production"}).content.decode()

    assert initiative_b.name in html
    assert initiative_a.name not in html


def test_list_filters_by_either_owners_username(client, cio, coo, initiative_a, initiative_b):
    other = factories.executive(username="cfo", title="OTHER")
    Initiative.objects.filter(pk=initiative_b.pk).update(operations_owner=other)
    client.force_login(cio)

    by_operations_owner = client.get("/initiatives/", {"owner": "cfo"}).content.decode()
    by_technology_owner = client.get("/initiatives/", {"owner": "cio"}).content.decode()

    assert initiative_b.name in by_operations_owner
    assert initiative_a.name not in by_operations_owner
    assert initiative_a.name in by_technology_owner
    assert initiative_b.name in by_technology_owner


def test_list_filters_by_business_unit(client, cio, initiative_a, initiative_b):
    Initiative.objects.filter(pk=initiative_b.pk).update(business_unit="Service")
    client.force_login(cio)

    html = client.get("/initiatives/", {"business_unit": "Service"}).content.decode()

    assert initiative_b.name in html
    assert initiative_a.name not in html


def test_list_sorted_by_priority_puts_the_highest_score_first_and_the_unprioritised_last(client, cio, coo):
    low, high, _none = (
        factories.InitiativeFactory(name=name, technology_owner=cio, operations_owner=coo)
        for name in ("Alpha low", "Beta high", "Aardvark none")
    )
    scores = dict(process_structure=3, data_availability=3, risk_profile=3, roi_clarity=3, monthly_volume=100)
    PrioritisationInput.objects.create(initiative=low, management_bandwidth=1, **scores)
    PrioritisationInput.objects.create(initiative=high, management_bandwidth=5, **scores)
    client.force_login(cio)

    html = client.get("/initiatives/", {"sort": "priority"}).content.decode()

    assert html.index("Beta high") < html.index("Alpha low") < html.index("Aardvark none")
    assert "not prioritised" in html
    # The default order is by name.
    by_name = client.get("/initiatives/").content.decode()
    assert by_name.index("Aardvark none") < by_name.index("Alpha low") < by_name.index("Beta high")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"stage": "finished"}, "“finished” is not a stage: choose one of Idea, Assessed"),
        ({"owner": "nobody-here"}, "Nobody has the username “nobody-here”."),
        ({"business_unit": "Atlantis"}, "No initiative is in a business unit called “Atlantis”"),
        ({"sort": "random"}, "Sort by name or by priority score."),
    ],
)
def test_list_answers_a_bad_filter_with_a_message_naming_it(client, cio, initiative_a, query, message):
    client.force_login(cio)

    response = client.get("/initiatives/", query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_list_pages_past_fifty_initiatives_keeping_the_filters(client, cio, coo):
    for n in range(55):
        factories.InitiativeFactory(name=f"Initiative {n:02}", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    html = client.get("/initiatives/", {"stage": "pilot"}).content.decode()

    assert "Initiative 49" in html
    assert "Initiative 50" not in html
    assert "?stage=pilot&amp;page=2" in html
    assert "Initiative 50" in client.get("/initiatives/", {"stage": "pilot", "page": "2"}).content.decode()


def _initiatives_with_people(count, cio, coo):
    for n in range(count):
        initiative = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative.ops_leads.add(factories.ops_lead(username=f"lead-{count}-{n}"))
        PrioritisationInput.objects.create(
            initiative=initiative,
            management_bandwidth=3,
            process_structure=3,
            data_availability=3,
            risk_profile=3,
            roi_clarity=3,
            monthly_volume=n,
        )


@pytest.mark.parametrize("count", [2, 40])
def test_list_costs_the_same_queries_whatever_the_number_of_initiatives(
    client, cio, coo, django_assert_max_num_queries, count
):
    _initiatives_with_people(count, cio, coo)
    client.force_login(cio)

    # Session, user, roles, business units, the owner check, count, rows, ops leads.
    with django_assert_max_num_queries(8):
        response = client.get("/initiatives/", {"sort": "priority", "owner": "cio"})

    assert response.status_code == 200


# --- The detail page --------------------------------------------------------------------------------


def test_detail_shows_both_owners_and_their_descriptions_side_by_side(client, cio, initiative_a):
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    owners = html[html.index('id="owners"') :]
    technology = owners.index('id="technology-owner"')
    operations = owners.index('id="operations-owner"')
    assert technology < owners.index(initiative_a.technology_owner_description) < operations
    assert operations < owners.index(initiative_a.operations_owner_description)
    assert 'class="side-by-side"' in owners[:technology]


def test_detail_shows_before_and_after_steps_in_two_ordered_columns_with_treatments(client, cio, initiative_a):
    _workflow_with_steps(initiative_a)
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    before = html[html.index('id="steps-before"') : html.index('id="steps-after"')]
    after = html[html.index('id="steps-after"') : html.index('id="roles"')]
    assert before.index("Open the mail") < before.index("Read the claim") < before.index("Route it")
    assert "AI reads and routes" not in before
    assert after.index("AI reads and routes") < after.index("Handler checks edge cases")
    assert "Replaced by AI" in after
    assert "AI-assisted" in after


def test_detail_lists_the_roles_affected_with_headcount_and_reskilling(client, cio, initiative_a):
    _workflow_with_steps(initiative_a)
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    roles = html[html.index('id="roles"') :]
    assert re.search(r"Claims handler</td><td class=\"num\">42</td><td>Reviewing AI routing", roles)


def test_detail_shows_each_stage_change_with_when_and_who(client, cio, coo, admin_user, ops_lead_a, initiative_a):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    client.force_login(ops_lead_a)
    client.post(_url(initiative_a, "edit"), edit_body(initiative_a, stage="production"))
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    history = html[html.index('id="stage-history"') : html.index('id="business-case"')]
    assert history.index("Pilot") < history.index("Production")
    assert str(ops_lead_a) in history
    assert f"{timezone.localdate():%-d %b %Y}" in history


def test_detail_shows_gates_done_by_whom_and_when_or_missing(client, cio, admin_user, initiative_a):
    GovernanceGate.objects.create(
        initiative=initiative_a, kind=GateKind.TESTING, done_by=admin_user, done_at=timezone.now()
    )
    GovernanceGate.objects.create(initiative=initiative_a, kind=GateKind.MONITORING)
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    gates = html[html.index('id="gates"') : html.index('id="brief"')]
    testing = gates[gates.index("gate-testing") : gates.index("gate-monitoring")]
    monitoring = gates[gates.index("gate-monitoring") : gates.index("gate-fallback")]
    fallback = gates[gates.index("gate-fallback") :]
    assert "Done" in testing
    assert str(admin_user) in testing
    assert "Defined, not checked" in monitoring
    assert "Missing" in fallback


@pytest.mark.parametrize(
    ("signed", "status"),
    [
        (None, "No deployment brief yet"),
        ((), "Draft: not signed"),
        (("sponsor",), "Signed by the sponsor only; the COO has not signed"),
        (("coo",), "Signed by the COO only; the sponsor has not signed"),
        (("sponsor", "coo"), "Signed by the sponsor and the COO"),
    ],
)
def test_detail_shows_the_deployment_briefs_status(client, cio, coo, ceo, initiative_a, signed, status):
    if signed is not None:
        brief = DeploymentBrief(initiative=initiative_a, scope="s", investment=1, governance="g", timeline="t")
        for slot in signed:
            setattr(brief, f"{slot}_signed_by", ceo if slot == "sponsor" else coo)
            setattr(brief, f"{slot}_signed_at", timezone.now())
        brief.save()
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    assert f'<p class="brief-status">{status}</p>' in html


def test_detail_marks_done_and_late_milestones(client, cio, initiative_a):
    today = timezone.localdate()
    Milestone.objects.create(initiative=initiative_a, title="Overdue pilot", due_on=today - timedelta(days=3))
    Milestone.objects.create(
        initiative=initiative_a,
        title="Done on time",
        due_on=today - timedelta(days=9),
        completed_on=today - timedelta(days=10),
    )
    Milestone.objects.create(initiative=initiative_a, title="Next quarter", due_on=today + timedelta(days=90))
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    section = html[html.index('id="milestones"') : html.index('id="backlog"')]
    rows = {title: row for row in section.split("<tr")[2:] for title in re.findall(r"<td>([^<]+)</td>", row)[:1]}
    assert 'class="milestone late"' in rows["Overdue pilot"]
    assert 'rag-red">Late' in rows["Overdue pilot"]
    assert 'class="milestone done"' in rows["Done on time"]
    assert 'rag-green">Done' in rows["Done on time"]
    assert "Planned" in rows["Next quarter"]


def test_detail_embeds_each_kpis_last_twelve_months_for_this_initiative(client, cio, initiative_a, initiative_b, kpi):
    this_month = first_of_month(timezone.localdate())
    for back, value in ((0, 61), (1, 55), (13, 10)):
        month = add_months(this_month, -back)
        MonthlySnapshot.objects.create(
            kpi=kpi,
            initiative=initiative_a,
            month=month,
            value=value,
            target=70,
            status="red",
            computed_at=timezone.now(),
        )
    MonthlySnapshot.objects.create(
        kpi=kpi,
        initiative=initiative_b,
        month=this_month,
        value=99,
        target=70,
        status="green",
        computed_at=timezone.now(),
    )
    client.force_login(cio)

    response = client.get(_url(initiative_a))

    charts = json.loads(
        re.search(r'id="initiative-charts" type="application/json">(.*?)</script>', response.content.decode()).group(1)
    )
    chart = charts[f"kpi-{kpi.pk}"]
    assert len(chart["x"]) == 12
    assert chart["x"][-1] == this_month.isoformat()
    assert chart["y"][-2:] == [55.0, 61.0]
    assert 10.0 not in chart["y"]
    assert 99.0 not in chart["y"]
    assert chart["target"][-1] == 70.0
    assert f'data-chart="kpi-{kpi.pk}"' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "sees"), [("cio", False), ("ops_lead_a", True), ("ops_lead_b", False), ("admin_user", True)]
)
def test_detail_shows_edit_links_only_to_those_who_may_edit(client, request, initiative_a, initiative_b, persona, sees):
    client.force_login(request.getfixturevalue(persona))

    html = client.get(_url(initiative_a)).content.decode()

    for page in ("edit", "workflow", "roadmap"):
        assert (f'href="{_url(initiative_a, page)}"' in html) is sees


def test_an_unknown_initiative_answers_404(client, cio):
    client.force_login(cio)

    assert client.get("/initiatives/no-such-thing/").status_code == 404


def _rich_initiative(initiative, kpi, size):
    workflow = WorkflowChange.objects.create(
        initiative=initiative, process_name="Claims", adoption_target_percent=50, adoption_kpi=kpi
    )
    for n in range(size):
        WorkflowStep.objects.create(
            workflow_change=workflow, phase="before", order=n + 1, name=f"b{n}", treatment="unchanged"
        )
        WorkflowStep.objects.create(workflow_change=workflow, phase="after", order=n + 1, name=f"a{n}", treatment="new")
        AffectedRole.objects.create(workflow_change=workflow, role=f"Role {n}", headcount=n)
        Milestone.objects.create(initiative=initiative, title=f"M{n}", due_on=date(2026, 1, 1) + timedelta(days=n))
        BacklogItem.objects.create(initiative=initiative, title=f"B{n}")
    month = first_of_month(timezone.localdate())
    for n in range(min(size, 12)):
        MonthlySnapshot.objects.create(kpi=kpi, initiative=initiative, month=month, value=n, computed_at=timezone.now())
        month = previous_month(month)
    for kind in GateKind.values[: min(size, 3)]:
        GovernanceGate.objects.create(initiative=initiative, kind=kind)
    for n in range(size):
        initiative.name = f"Renamed {n}"
        initiative.save()


@pytest.mark.parametrize("size", [1, 12])
def test_detail_costs_the_same_queries_whatever_the_number_of_snapshots_steps_and_milestones(
    client, ops_lead_a, initiative_a, kpi, django_assert_max_num_queries, size
):
    _rich_initiative(initiative_a, kpi, size)
    client.force_login(ops_lead_a)

    # Session, user, the initiative, its 7 prefetches, stage history, snapshots, roles, led initiatives,
    # and Django's model permissions (two queries, once per request) when a rule refuses (recording gates).
    with django_assert_max_num_queries(16):
        response = client.get(_url(initiative_a))

    assert response.status_code == 200
    assert response.content.decode().count('class="step-name"') == 2 * size


# --- Editing: the initiative ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_ops_lead_and_admin_edit_the_initiative_with_its_history_recorded(
    client, request, initiative_a, persona, cio, coo, admin_user
):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.post(
        _url(initiative_a, "edit"),
        edit_body(initiative_a, name="Claims triage v2", stage="production", payback_months="18"),
    )

    assert response.status_code == 302
    assert response["Location"] == _url(initiative_a)
    initiative_a.refresh_from_db()
    assert (initiative_a.name, initiative_a.stage, initiative_a.payback_months) == (
        "Claims triage v2",
        "production",
        18,
    )
    last = initiative_a.history.latest()
    assert last.history_user == user
    assert last.history_change_reason == "Stage: Pilot → Production"
    assert "Claims triage v2: saved." in client.get(response["Location"]).content.decode()


def test_the_edit_form_opens_filled_in_with_when_it_was_read(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    html = client.get(_url(initiative_a, "edit")).content.decode()

    assert f'value="{initiative_a.name}"' in html
    assert f'name="read_at" value="{initiative_a.updated_at.isoformat()}"' in html


def test_a_stale_edit_is_refused_naming_who_changed_it_and_when(client, ops_lead_a, admin_user, initiative_a):
    opened = edit_body(initiative_a, name="My rename")
    client.force_login(admin_user)
    client.post(_url(initiative_a, "edit"), edit_body(initiative_a, name="Admin's rename"))
    client.force_login(ops_lead_a)

    response = client.post(_url(initiative_a, "edit"), opened)

    assert response.status_code == 409
    initiative_a.refresh_from_db()
    assert initiative_a.name == "Admin's rename"
    when = timezone.localtime(initiative_a.updated_at)
    assert f"Nothing was saved: {admin_user} changed this initiative on {when:%Y-%m-%d at %H:%M}" in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_initiative_edit_errors_name_the_field_and_store_nothing(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    before = _fingerprint()

    response = client.post(
        _url(initiative_a, "edit"),
        edit_body(initiative_a, name="Renamed", started_on="2026-05-01", actual_go_live="2026-01-01"),
    )

    assert response.status_code == 400
    assert "Actual go live: Go-live cannot be before the start of work." in response.content.decode()
    assert _fingerprint() == before


@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_ops_lead_and_admin_open_each_edit_form(client, request, initiative_a, page, persona):
    _workflow_with_steps(initiative_a)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(_url(initiative_a, page))

    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert 'id="errors"' not in response.content.decode()


# --- Editing: refusals ------------------------------------------------------------------------------


def _valid_body(page, initiative):
    if page == "edit":
        return edit_body(initiative, name="Hijacked")
    if page == "workflow":
        return workflow_body(before=[step(1, "Hijacked step")])
    return {**formset("milestones", [{"title": "Hijacked", "due_on": "2026-06-01"}]), **formset("backlog", [])}


@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("persona", ["cio", "ops_lead_b"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_executives_and_other_ops_leads_are_refused_and_nothing_changes(
    client, request, initiative_a, initiative_b, page, persona, method
):
    client.force_login(request.getfixturevalue(persona))
    before = _fingerprint()

    response = getattr(client, method)(_url(initiative_a, page), _valid_body(page, initiative_a))

    assert response.status_code == 403
    assert _fingerprint() == before


@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, initiative_a, page, method):
    before = _fingerprint()

    response = getattr(client, method)(_url(initiative_a, page), _valid_body(page, initiative_a))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert _fingerprint() == before


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


# --- Editing: the roadmap and backlog ------------------------------------------------------------------


def test_ops_lead_adds_changes_and_deletes_milestones_and_backlog_items(client, ops_lead_a, initiative_a):
    pilot = Milestone.objects.create(initiative=initiative_a, title="Pilot", due_on=date(2026, 3, 1))
    old = BacklogItem.objects.create(initiative=initiative_a, title="Old idea")
    client.force_login(ops_lead_a)

    response = client.post(
        _url(initiative_a, "roadmap"),
        {
            **formset(
                "milestones",
                [
                    {"id": pilot.pk, "title": "Pilot", "due_on": "2026-03-01", "completed_on": "2026-03-04"},
                    {"id": "", "title": "Go live", "due_on": "2026-06-01", "completed_on": ""},
                ],
                initial=1,
            ),
            **formset(
                "backlog",
                [
                    {
                        "id": old.pk,
                        "title": "Old idea",
                        "description": "",
                        "status": "open",
                        "priority": "3",
                        "DELETE": "on",
                    },
                    {"id": "", "title": "Read handwriting", "description": "", "status": "open", "priority": "1"},
                ],
                initial=1,
            ),
        },
    )

    assert response.status_code == 302, response.content.decode()
    assert list(initiative_a.milestones.values_list("title", "completed_on")) == [
        ("Pilot", date(2026, 3, 4)),
        ("Go live", None),
    ]
    assert list(initiative_a.backlog_items.values_list("title", flat=True)) == ["Read handwriting"]
    assert Milestone.history.filter(id=pilot.pk).latest().history_user == ops_lead_a


def test_roadmap_errors_name_the_row_and_field_and_store_nothing(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    before = _fingerprint()

    response = client.post(
        _url(initiative_a, "roadmap"),
        {
            **formset("milestones", [{"id": "", "title": "Go live", "due_on": "soon", "completed_on": ""}]),
            **formset("backlog", [{"id": "", "title": "Fine", "description": "", "status": "open", "priority": "1"}]),
        },
    )

    assert response.status_code == 400
    assert "Milestones row 1 · Due on: Enter a valid date." in response.content.decode()
    assert _fingerprint() == before


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
    expect(page.locator("#workflow")).to_contain_text("Adoption target 75 %")
    page.wait_for_selector(".chart.drawn svg.main-svg")
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    assert WorkflowChange.objects.get(initiative=initiative).adoption_target_percent == Decimal(75)
