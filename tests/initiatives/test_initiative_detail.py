"""Each initiative's page: both owners side by side, the workflow change, the stage history, the
gates and the brief, the milestones, each KPI's last twelve months, edit links for those who may
edit, and a query count that does not grow with what the initiative holds."""

import json
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from governance.models import GateKind, GovernanceGate
from governance.services.decisions import decision_answer
from governance.services.stage_moves import stage_move_ask
from initiatives.models import AffectedRole, BacklogItem, DeploymentBrief, Milestone, WorkflowChange, WorkflowStep
from metrics.models import MonthlySnapshot
from scoreboard.months import add_months, first_of_month, previous_month
from tests import factories
from tests.initiatives.page_helpers import _url, _workflow_with_steps

pytestmark = pytest.mark.django_db


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
    asked = stage_move_ask(by=ops_lead_a, initiative=initiative_a, stage="production")
    decision_answer(decision_request=asked, by=cio, answer="approved", note="Go.")
    client.force_login(coo)

    html = client.get(_url(initiative_a)).content.decode()

    history = html[html.index('id="stage-history"') : html.index('id="business-case"')]
    assert history.index("Pilot") < history.index("Production")
    assert str(cio) in history  # the sponsor who approved it moved it
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
    ("persona", "sees"), [("ceo", False), ("ops_lead_a", True), ("ops_lead_b", False), ("admin_user", True)]
)  # the CIO owns initiative A's technology seat: test_owner_words.py shows what it sees
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

    # Session, user, the initiative, its 8 prefetches (the move waiting for the sponsor among them), stage
    # history, snapshots, roles, led initiatives, and Django's model permissions (two queries, once per
    # request) when a rule refuses (recording gates).
    # Its history section: the latest changes, then the records of each part shown (the initiative with
    # its ops leads and KPIs, workflow change, steps, roles, brief, milestones, backlog, gates): at most 11.
    with django_assert_max_num_queries(28):
        response = client.get(_url(initiative_a))

    assert response.status_code == 200
    assert response.content.decode().count('class="step-name"') == 2 * size
