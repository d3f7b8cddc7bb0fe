"""The REST API over the rest of the domain (/api/v1/): initiatives and their parts, the
shadow-AI register, the decision matrix, decision requests, risks and the monthly review.
Each endpoint with the writes it allows, and first of all the ones it refuses."""

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from governance.models import DecisionRequest, MatrixDecision, MatrixVersion, Risk
from initiatives.models import BacklogItem, Initiative, Milestone, ShadowAITool, WorkflowChange, WorkflowStep
from scoreboard.exco.services import review_sign
from scoreboard.models import IdempotencyRecord, MonthlyReview
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"
MONTH = "2026-01"  # a past month: it can be signed off


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def as_user(client, user):
    client.force_login(user)
    return client


def new_initiative_body(tech, ops, **extra):
    return {
        "code": "invoice-matching",
        "name": "Invoice matching",
        "business_unit": "Finance",
        "process": "Accounts payable",
        "stage": "idea",
        "sourcing": "buy",
        "technology_owner": tech.username,
        "operations_owner": ops.username,
        "technology_owner_description": "Matches invoices to purchase orders with a model.",
        "operations_owner_description": "Clerks only handle the invoices that do not match.",
        **extra,
    }


def risk_body(tech, ops, *initiatives, **extra):
    return {
        "title": "Customer data leaves the EU",
        "category": "privacy",
        "preventive_measures": "EU-hosted model endpoints only.",
        "responsive_measures": "Tell the DPO within 24 hours.",
        "technology_owner": tech.username,
        "operations_owner": ops.username,
        "likelihood": 2,
        "impact": 4,
        "initiatives": [i.code for i in initiatives],
        **extra,
    }


def published_version(admin, approver, number=1):
    return MatrixVersion.objects.create(
        number=number,
        status=MatrixVersion.Status.PUBLISHED,
        effective_from=date(2026, 1, 1),
        reason="First matrix.",
        created_by=admin,
        published_by=admin,
        approved_by=approver,
        published_at=timezone.now(),
    )


def decision_body(version, key="approve-refund"):
    return {
        "version": version.number,
        "key": key,
        "process": "Refunds",
        "decision": "Approve a refund under 100 EUR",
        "autonomy_tier": "ai_notifies",
        "confidence_threshold": "0.900",
        "escalation_owner": "Refunds team lead",
        "accountable_executive": "COO",
        "override_protocol": "The team lead reverses it in the refunds tool.",
        "audit_trail": "summary",
    }


def ask(executive, requested_by, **extra):
    now = timezone.now()
    return DecisionRequest.objects.create(
        question="Go live with claims triage in Belgium?",
        requested_by=requested_by,
        executive=executive,
        requested_at=now,
        due_at=now + timedelta(hours=24),
        **extra,
    )


# --- Signing in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "initiatives",
        "milestones",
        "backlog-items",
        "workflow-changes",
        "shadow-ai-tools",
        "risks",
        "matrix-versions",
        "matrix-decisions",
        "decision-requests",
        "reviews",
    ],
)
def test_anonymous_reading_or_writing_is_refused_with_401(client, path):
    assert client.get(f"{API}/{path}/").status_code == 401
    assert post(client, f"{API}/{path}/", {}).status_code == 401


def test_anonymous_signing_a_month_or_answering_a_request_gets_401(client, coo, ops_lead_a):
    request = ask(coo, ops_lead_a)
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "Fine."}).status_code == 401
    assert post(client, f"{API}/decision-requests/{request.pk}/answer/", {"answer": "approved"}).status_code == 401
    assert not MonthlyReview.objects.exists()


# --- Initiatives ----------------------------------------------------------------------------------


def test_everyone_signed_in_reads_an_initiative_with_its_roadmap_backlog_and_workflow_change(
    client, ceo, initiative_a, ops_lead_a, kpi
):
    Milestone.objects.create(initiative=initiative_a, title="Pilot in Ghent", due_on=date(2026, 4, 1))
    BacklogItem.objects.create(initiative=initiative_a, title="Handle handwritten forms", priority=1)
    change = WorkflowChange.objects.create(
        initiative=initiative_a, process_name="Claims intake", adoption_target_percent=80, adoption_kpi=kpi
    )
    WorkflowStep.objects.create(workflow_change=change, phase="after", order=1, name="Triage", treatment="replaced")
    body = as_user(client, ceo).get(f"{API}/initiatives/{initiative_a.code}/").json()
    assert body["ops_leads"] == [ops_lead_a.username]
    assert body["technology_owner"] == initiative_a.technology_owner.username
    assert [m["title"] for m in body["milestones"]] == ["Pilot in Ghent"]
    assert [b["title"] for b in body["backlog"]] == ["Handle handwritten forms"]
    assert body["workflow_change"]["adoption_kpi"] == kpi.code
    assert body["workflow_change"]["steps"][0]["name"] == "Triage"


def test_an_initiative_without_a_workflow_change_reads_it_as_null(client, cio, initiative_a):
    assert as_user(client, cio).get(f"{API}/initiatives/{initiative_a.code}/").json()["workflow_change"] is None


def test_initiatives_filter_by_stage_owner_and_ops_lead_and_order_by_benefit(
    client, cio, coo, ceo, initiative_a, initiative_b, ops_lead_b
):
    other = factories.InitiativeFactory(
        technology_owner=ceo, operations_owner=coo, stage="idea", expected_annual_benefit=1
    )
    client = as_user(client, cio)

    def codes(**query):
        return [i["code"] for i in client.get(f"{API}/initiatives/", query).json()["results"]]

    assert codes(stage="idea") == [other.code]
    assert set(codes(owner=ceo.username)) == {other.code}
    assert set(codes(owner=coo.username)) == {initiative_a.code, initiative_b.code, other.code}
    assert codes(ops_lead=ops_lead_b.username) == [initiative_b.code]
    assert codes(ordering="expected_annual_benefit")[0] == other.code
    assert client.get(f"{API}/initiatives/no-such-initiative/").status_code == 404


@pytest.mark.parametrize("persona", ["cio", "ceo"])
def test_an_executive_changing_an_initiative_gets_403_even_with_a_broken_body(client, request, persona, initiative_a):
    client = as_user(client, request.getfixturevalue(persona))
    assert patch(client, f"{API}/initiatives/{initiative_a.code}/", {"stage": "no-such-stage"}).status_code == 403
    assert patch(client, f"{API}/initiatives/{initiative_a.code}/", {"stage": "production"}).status_code == 403
    initiative_a.refresh_from_db()
    assert initiative_a.stage == "pilot"


def test_ops_lead_changes_the_initiative_they_lead(client, ops_lead_a, initiative_a, cio, coo, admin_user):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    response = patch(as_user(client, ops_lead_a), f"{API}/initiatives/{initiative_a.code}/", {"stage": "production"})
    assert response.status_code == 200, response.content
    initiative_a.refresh_from_db()
    assert initiative_a.stage == "production"


def test_ops_lead_b_editing_initiative_a_gets_403_and_nothing_changes(client, ops_lead_b, initiative_a):
    response = patch(as_user(client, ops_lead_b), f"{API}/initiatives/{initiative_a.code}/", {"name": "Taken over"})
    assert response.status_code == 403
    initiative_a.refresh_from_db()
    assert initiative_a.name != "Taken over"


def test_ops_leads_are_read_only_in_the_api(client, ops_lead_a, ops_lead_b, initiative_a):
    patch(as_user(client, ops_lead_a), f"{API}/initiatives/{initiative_a.code}/", {"ops_leads": [ops_lead_b.username]})
    assert list(initiative_a.ops_leads.all()) == [ops_lead_a]


def test_only_admins_add_initiatives(client, cio, coo, ops_lead_a, admin_user):
    body = new_initiative_body(cio, coo)
    assert post(as_user(client, ops_lead_a), f"{API}/initiatives/", body).status_code == 403
    assert post(as_user(client, cio), f"{API}/initiatives/", body).status_code == 403
    assert not Initiative.objects.exists()
    response = post(as_user(client, admin_user), f"{API}/initiatives/", body)
    assert response.status_code == 201, response.content
    assert response.json()["ops_leads"] == []
    assert Initiative.objects.get().operations_owner == coo


def test_an_initiative_owned_twice_by_the_same_person_is_refused_naming_the_field(client, cio, admin_user):
    response = post(as_user(client, admin_user), f"{API}/initiatives/", new_initiative_body(cio, cio))
    assert response.status_code == 400
    assert "different person" in response.json()["operations_owner"][0]
    assert not Initiative.objects.exists()


def test_an_unknown_owner_is_refused_naming_the_field(client, cio, admin_user):
    body = new_initiative_body(cio, cio, operations_owner="nobody")
    response = post(as_user(client, admin_user), f"{API}/initiatives/", body)
    assert response.status_code == 400
    assert "nobody" in response.json()["operations_owner"][0]


def test_adding_an_initiative_twice_with_the_same_idempotency_key_stores_it_once(client, cio, coo, admin_user):
    client = as_user(client, admin_user)
    body = new_initiative_body(cio, coo)
    first = post(client, f"{API}/initiatives/", body, HTTP_IDEMPOTENCY_KEY="add-invoice-matching")
    retry = post(client, f"{API}/initiatives/", body, HTTP_IDEMPOTENCY_KEY="add-invoice-matching")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Initiative.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_only_admins_delete_an_initiative_and_not_while_others_refer_to_it(
    client, admin_user, ops_lead_a, initiative_a, initiative_b
):
    assert as_user(client, ops_lead_a).delete(f"{API}/initiatives/{initiative_a.code}/").status_code == 403
    WorkflowChange.objects.create(initiative=initiative_a, process_name="Claims intake", adoption_target_percent=50)
    client = as_user(client, admin_user)
    refused = client.delete(f"{API}/initiatives/{initiative_a.code}/")
    assert refused.status_code == 409
    assert "workflow change" in refused.json()["detail"]
    assert client.delete(f"{API}/initiatives/{initiative_b.code}/").status_code == 204
    assert list(Initiative.objects.all()) == [initiative_a]


def test_a_page_of_initiatives_costs_the_same_queries_for_3_and_30(
    client, cio, coo, ceo, ops_lead_a, kpi, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            initiative = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo, sponsor=ceo)
            initiative.ops_leads.add(ops_lead_a)
            Milestone.objects.create(initiative=initiative, title="Pilot", due_on=date(2026, 4, 1))
            BacklogItem.objects.create(initiative=initiative, title="Forms")
            change = WorkflowChange.objects.create(
                initiative=initiative, process_name="Intake", adoption_target_percent=60, adoption_kpi=kpi
            )
            WorkflowStep.objects.create(workflow_change=change, phase="before", order=1, name="Read", treatment="new")
            change.affected_roles.create(role="Claims handler", headcount=12)
            factories.clear_the_way_to_production(initiative, sponsor=ceo, coo=coo, admin=cio)  # brief and gates

    client = as_user(client, cio)
    make(3)
    # Session, user, count, the page (with its brief), ops leads, KPIs, milestones, backlog, steps,
    # affected roles, gates.
    with django_assert_max_num_queries(11):
        assert len(client.get(f"{API}/initiatives/").json()["results"]) == 3
    make(27)
    with django_assert_max_num_queries(11):
        assert len(client.get(f"{API}/initiatives/").json()["results"]) == 30


# --- Milestones, backlog, workflow change ---------------------------------------------------------


def test_ops_lead_adds_a_milestone_to_the_initiative_they_lead(client, ops_lead_a, initiative_a):
    body = {"initiative": initiative_a.code, "title": "Pilot in Ghent", "due_on": "2026-04-01"}
    response = post(as_user(client, ops_lead_a), f"{API}/milestones/", body)
    assert response.status_code == 201, response.content
    assert response.json()["initiative"] == initiative_a.code
    assert Milestone.objects.get().initiative == initiative_a


def test_ops_lead_b_adding_a_milestone_to_initiative_a_gets_403_and_nothing_is_stored(client, ops_lead_b, initiative_a):
    body = {"initiative": initiative_a.code, "title": "Pilot in Ghent", "due_on": "2026-04-01"}
    response = post(as_user(client, ops_lead_b), f"{API}/milestones/", body)
    assert response.status_code == 403
    assert initiative_a.code in response.json()["detail"]
    assert not Milestone.objects.exists()


def test_an_executive_adding_a_milestone_gets_403_before_the_body_is_read(client, coo, initiative_a):
    assert post(as_user(client, coo), f"{API}/milestones/", {"nonsense": True}).status_code == 403
    assert not Milestone.objects.exists()


def test_ops_lead_b_cannot_change_or_delete_a_milestone_of_initiative_a(client, ops_lead_b, initiative_a):
    milestone = Milestone.objects.create(initiative=initiative_a, title="Pilot", due_on=date(2026, 4, 1))
    client = as_user(client, ops_lead_b)
    assert patch(client, f"{API}/milestones/{milestone.pk}/", {"title": "Mine now"}).status_code == 403
    assert client.delete(f"{API}/milestones/{milestone.pk}/").status_code == 403
    milestone.refresh_from_db()
    assert milestone.title == "Pilot"


def test_ops_lead_cannot_move_a_milestone_into_an_initiative_they_do_not_lead(
    client, ops_lead_a, initiative_a, initiative_b
):
    milestone = Milestone.objects.create(initiative=initiative_a, title="Pilot", due_on=date(2026, 4, 1))
    response = patch(
        as_user(client, ops_lead_a), f"{API}/milestones/{milestone.pk}/", {"initiative": initiative_b.code}
    )
    assert response.status_code == 403
    milestone.refresh_from_db()
    assert milestone.initiative == initiative_a


def test_admin_changes_and_deletes_any_milestone(client, admin_user, initiative_b):
    milestone = Milestone.objects.create(initiative=initiative_b, title="Pilot", due_on=date(2026, 4, 1))
    client = as_user(client, admin_user)
    assert patch(client, f"{API}/milestones/{milestone.pk}/", {"completed_on": "2026-04-02"}).status_code == 200
    assert client.delete(f"{API}/milestones/{milestone.pk}/").status_code == 204
    assert not Milestone.objects.exists()


def test_milestones_filter_by_initiative_code(client, cio, initiative_a, initiative_b):
    Milestone.objects.create(initiative=initiative_a, title="A", due_on=date(2026, 4, 1))
    Milestone.objects.create(initiative=initiative_b, title="B", due_on=date(2026, 4, 1))
    page = as_user(client, cio).get(f"{API}/milestones/", {"initiative": initiative_b.code}).json()
    assert [m["title"] for m in page["results"]] == ["B"]


def test_ops_lead_keeps_their_backlog_and_a_bad_status_is_refused_naming_the_field(
    client, ops_lead_a, initiative_a, initiative_b
):
    client = as_user(client, ops_lead_a)
    ok = post(client, f"{API}/backlog-items/", {"initiative": initiative_a.code, "title": "Forms", "priority": 1})
    assert ok.status_code == 201, ok.content
    assert ok.json()["status"] == "open"
    bad = post(client, f"{API}/backlog-items/", {"initiative": initiative_a.code, "title": "X", "status": "maybe"})
    assert bad.status_code == 400
    assert "status" in bad.json()
    refused = post(client, f"{API}/backlog-items/", {"initiative": initiative_b.code, "title": "Theirs"})
    assert refused.status_code == 403
    assert list(BacklogItem.objects.values_list("title", flat=True)) == ["Forms"]


def test_ops_lead_describes_the_workflow_change_of_their_initiative_once(
    client, ops_lead_a, ops_lead_b, initiative_a, kpi
):
    body = {
        "initiative": initiative_a.code,
        "process_name": "Claims intake",
        "adoption_target_percent": "75.00",
        "adoption_kpi": kpi.code,
        "steps": [{"phase": "after", "order": 1, "name": "ignored", "treatment": "new"}],
    }
    assert post(as_user(client, ops_lead_b), f"{API}/workflow-changes/", body).status_code == 403
    created = post(as_user(client, ops_lead_a), f"{API}/workflow-changes/", body)
    assert created.status_code == 201, created.content
    assert created.json()["steps"] == []  # steps are read-only here
    again = post(client, f"{API}/workflow-changes/", body)
    assert again.status_code == 400
    assert "initiative" in again.json()
    over = patch(client, f"{API}/workflow-changes/{created.json()['id']}/", {"adoption_target_percent": "140"})
    assert over.status_code == 400
    assert "adoption_target_percent" in over.json()
    assert WorkflowChange.objects.get().adoption_target_percent == 75


def test_workflow_changes_filter_by_initiative(client, cio, initiative_a, initiative_b):
    WorkflowChange.objects.create(initiative=initiative_a, process_name="A", adoption_target_percent=10)
    WorkflowChange.objects.create(initiative=initiative_b, process_name="B", adoption_target_percent=10)
    page = as_user(client, cio).get(f"{API}/workflow-changes/", {"initiative": initiative_a.code}).json()
    assert [w["process_name"] for w in page["results"]] == ["A"]


# --- Shadow AI and risks: admins keep them --------------------------------------------------------

SHADOW_TOOL = {
    "tool": "ChatGPT",
    "team": "Claims",
    "use": "Drafting letters to customers",
    "why_it_helps": "Saves an hour a day",
    "data_sensitivity": "restricted",
    "discovered_on": "2026-02-01",
}


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_only_admins_register_shadow_ai_tools(client, request, persona):
    assert (
        post(as_user(client, request.getfixturevalue(persona)), f"{API}/shadow-ai-tools/", SHADOW_TOOL).status_code
        == 403
    )
    assert not ShadowAITool.objects.exists()


def test_admin_registers_a_shadow_ai_tool_once_per_team(client, admin_user, initiative_a):
    client = as_user(client, admin_user)
    created = post(
        client, f"{API}/shadow-ai-tools/", {**SHADOW_TOOL, "status": "adopted", "promoted_to": initiative_a.code}
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "adopted"
    assert post(client, f"{API}/shadow-ai-tools/", SHADOW_TOOL).status_code == 400
    assert ShadowAITool.objects.count() == 1


def test_an_executive_creating_a_risk_gets_403_and_nothing_is_stored(client, cio, coo, initiative_a):
    response = post(as_user(client, cio), f"{API}/risks/", risk_body(cio, coo, initiative_a))
    assert response.status_code == 403
    assert not Risk.objects.exists()


def test_admin_adds_a_risk_for_initiatives_named_by_code(client, admin_user, cio, coo, initiative_a, initiative_b):
    response = post(as_user(client, admin_user), f"{API}/risks/", risk_body(cio, coo, initiative_a, initiative_b))
    assert response.status_code == 201, response.content
    assert response.json()["rating"] == 8
    assert set(Risk.objects.get().initiatives.all()) == {initiative_a, initiative_b}
    page = client.get(f"{API}/risks/", {"initiative": initiative_b.code}).json()
    assert page["count"] == 1


def test_a_risk_rated_outside_1_to_5_is_refused_naming_the_field(client, admin_user, cio, coo):
    response = post(as_user(client, admin_user), f"{API}/risks/", risk_body(cio, coo, likelihood=6))
    assert response.status_code == 400
    assert "likelihood" in response.json()
    assert not Risk.objects.exists()


# --- The decision-authority matrix ----------------------------------------------------------------


def test_ops_lead_editing_the_matrix_gets_403(client, ops_lead_a, admin_user):
    draft = factories.MatrixVersionFactory(created_by=admin_user)
    decision = factories.MatrixDecisionFactory(version=draft)
    client = as_user(client, ops_lead_a)
    assert patch(client, f"{API}/matrix-decisions/{decision.pk}/", {"decision": "Mine"}).status_code == 403
    assert post(client, f"{API}/matrix-decisions/", decision_body(draft)).status_code == 403
    assert post(client, f"{API}/matrix-versions/", {}).status_code == 403
    assert patch(client, f"{API}/matrix-versions/{draft.number}/", {"reason": "Mine"}).status_code == 403
    decision.refresh_from_db()
    assert decision.decision != "Mine"
    assert MatrixDecision.objects.count() == MatrixVersion.objects.count() == 1


def test_admin_opens_a_draft_numbered_after_the_last_and_only_one_at_a_time(client, admin_user, coo):
    published_version(admin_user, coo, number=4)
    client = as_user(client, admin_user)
    created = post(client, f"{API}/matrix-versions/", {"reason": "Refunds move to AI"})
    assert created.status_code == 201, created.content
    assert (created.json()["number"], created.json()["status"], created.json()["created_by"]) == (
        5,
        "draft",
        admin_user.username,
    )
    second = post(client, f"{API}/matrix-versions/", {"reason": "Another"})
    assert second.status_code == 400
    assert "already a draft" in json.dumps(second.json())


def test_admin_keeps_the_decisions_of_the_draft(client, admin_user):
    draft = factories.MatrixVersionFactory(created_by=admin_user)
    client = as_user(client, admin_user)
    created = post(client, f"{API}/matrix-decisions/", decision_body(draft))
    assert created.status_code == 201, created.content
    assert created.json()["version"] == draft.number
    url = f"{API}/matrix-decisions/{created.json()['id']}/"
    assert patch(client, url, {"autonomy_tier": "ai_autonomous"}).status_code == 200
    bad = patch(client, url, {"confidence_threshold": "1.500"})
    assert bad.status_code == 400
    assert "confidence_threshold" in bad.json()
    assert client.delete(url).status_code == 204


def test_a_published_matrix_version_is_not_changed_even_by_an_admin(client, admin_user, coo):
    version = published_version(admin_user, coo)
    decision = factories.MatrixDecisionFactory(version=version)
    client = as_user(client, admin_user)
    assert patch(client, f"{API}/matrix-decisions/{decision.pk}/", {"decision": "Changed"}).status_code == 403
    assert client.delete(f"{API}/matrix-decisions/{decision.pk}/").status_code == 403
    assert patch(client, f"{API}/matrix-versions/{version.number}/", {"reason": "Rewritten"}).status_code == 403
    added = post(client, f"{API}/matrix-decisions/", decision_body(version, key="new-one"))
    assert added.status_code == 403
    assert "published" in added.json()["detail"]
    assert list(MatrixDecision.objects.all()) == [decision]


def test_a_decision_cannot_be_moved_into_a_published_version(client, admin_user, coo):
    published = published_version(admin_user, coo)
    decision = factories.MatrixDecisionFactory(version=factories.MatrixVersionFactory(created_by=admin_user, number=2))
    response = patch(
        as_user(client, admin_user), f"{API}/matrix-decisions/{decision.pk}/", {"version": published.number}
    )
    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.version.number == 2


def test_a_draft_with_decisions_is_not_deleted_from_under_them(client, admin_user):
    draft = factories.MatrixVersionFactory(created_by=admin_user)
    factories.MatrixDecisionFactory(version=draft)
    response = as_user(client, admin_user).delete(f"{API}/matrix-versions/{draft.number}/")
    assert response.status_code == 409
    assert MatrixVersion.objects.exists()


def test_matrix_decisions_filter_by_version_number(client, cio, admin_user, coo):
    old = published_version(admin_user, coo)
    draft = factories.MatrixVersionFactory(created_by=admin_user, number=2)
    factories.MatrixDecisionFactory(version=old, key="old")
    factories.MatrixDecisionFactory(version=draft, key="new")
    page = as_user(client, cio).get(f"{API}/matrix-decisions/", {"version": 2}).json()
    assert [d["key"] for d in page["results"]] == ["new"]
    assert client.get(f"{API}/matrix-versions/{old.number}/").json()["status"] == "published"


# --- Decision requests ----------------------------------------------------------------------------


def test_anyone_signed_in_asks_an_executive_as_themselves_due_in_24_hours(client, ops_lead_a, coo, cio, initiative_a):
    body = {"question": "Go live in Belgium?", "executive": coo.username, "initiative": initiative_a.code}
    response = post(as_user(client, ops_lead_a), f"{API}/decision-requests/", {**body, "requested_by": cio.username})
    assert response.status_code == 201, response.content
    stored = DecisionRequest.objects.get()
    assert stored.requested_by == ops_lead_a
    assert stored.due_at - stored.requested_at == timedelta(hours=24)
    assert (stored.answer, stored.answered_at) == ("", None)


def test_asking_someone_who_is_not_an_executive_is_refused_naming_the_field(client, ops_lead_a, ops_lead_b):
    body = {"question": "May I?", "executive": ops_lead_b.username}
    response = post(as_user(client, ops_lead_a), f"{API}/decision-requests/", body)
    assert response.status_code == 400
    assert ops_lead_b.username in response.json()["executive"][0]


def test_a_due_time_before_the_request_is_refused_naming_the_field(client, ops_lead_a, coo):
    body = {"question": "Yesterday?", "executive": coo.username, "due_at": "2020-01-01T00:00:00Z"}
    response = post(as_user(client, ops_lead_a), f"{API}/decision-requests/", body)
    assert response.status_code == 400
    assert "due_at" in response.json()


def test_asking_twice_with_the_same_idempotency_key_stores_one_request(client, ops_lead_a, coo):
    client = as_user(client, ops_lead_a)
    body = {"question": "Go live?", "executive": coo.username}
    first = post(client, f"{API}/decision-requests/", body, HTTP_IDEMPOTENCY_KEY="ask-go-live")
    retry = post(client, f"{API}/decision-requests/", body, HTTP_IDEMPOTENCY_KEY="ask-go-live")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert DecisionRequest.objects.count() == 1


@pytest.mark.parametrize("persona", ["cio", "ceo", "ops_lead_a", "admin_user"])
def test_only_the_executive_asked_answers(client, request, persona, coo, ops_lead_a):
    decision_request = ask(coo, ops_lead_a)
    client = as_user(client, request.getfixturevalue(persona))
    response = post(client, f"{API}/decision-requests/{decision_request.pk}/answer/", {"answer": "approved"})
    assert response.status_code == 403
    decision_request.refresh_from_db()
    assert decision_request.answered_at is None


def test_the_executive_asked_answers_once_and_a_second_answer_is_refused(client, coo, ops_lead_a):
    decision_request = ask(coo, ops_lead_a)
    client = as_user(client, coo)
    url = f"{API}/decision-requests/{decision_request.pk}/answer/"
    answered = post(client, url, {"answer": "approved", "note": "Go ahead in Ghent first."})
    assert answered.status_code == 200, answered.content
    assert answered.json()["answer"] == "approved"
    again = post(client, url, {"answer": "rejected"})
    assert again.status_code == 400
    assert "Already answered (approved)" in again.json()["answer"][0]
    decision_request.refresh_from_db()
    assert (decision_request.answer, decision_request.note) == ("approved", "Go ahead in Ghent first.")


def test_an_answer_must_be_one_of_the_answers(client, coo, ops_lead_a):
    decision_request = ask(coo, ops_lead_a)
    response = post(as_user(client, coo), f"{API}/decision-requests/{decision_request.pk}/answer/", {"answer": "maybe"})
    assert response.status_code == 400
    assert "answer" in response.json()


def test_decision_requests_filter_by_executive_and_whether_answered(client, cio, coo, ops_lead_a):
    ask(coo, ops_lead_a)
    ask(cio, ops_lead_a, answer="approved", answered_at=timezone.now())
    client = as_user(client, ops_lead_a)
    assert client.get(f"{API}/decision-requests/", {"executive": coo.username}).json()["count"] == 1
    waiting = client.get(f"{API}/decision-requests/", {"answered": "false"}).json()["results"]
    assert [r["executive"] for r in waiting] == [coo.username]


# --- The monthly review ---------------------------------------------------------------------------


def test_the_cio_signs_a_month_that_has_no_review_yet(client, cio):
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/sign/", {"slot": "cio", "comment": "On track."})
    assert response.status_code == 200, response.content
    assert (response.json()["month"], response.json()["cio_signed_by"]) == ("2026-01-01", cio.username)
    assert client.get(f"{API}/reviews/{MONTH}/").json()["cio_comment"] == "On track."
    assert client.get(f"{API}/reviews/{MONTH}-01/").status_code == 200


def test_the_cio_signing_the_coo_slot_gets_403_and_nothing_is_stored(client, cio):
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "For Omar."})
    assert response.status_code == 403
    assert "Only the COO" in response.json()["detail"]
    assert not MonthlyReview.objects.exists()


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_only_executives_sign_even_with_a_broken_body(client, request, persona):
    client = as_user(client, request.getfixturevalue(persona))
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "nobody"}).status_code == 403
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "cio", "comment": "Hi"}).status_code == 403
    assert not MonthlyReview.objects.exists()


def test_a_sign_off_without_a_comment_is_refused_naming_the_field(client, coo):
    response = post(as_user(client, coo), f"{API}/reviews/{MONTH}/sign/", {"slot": "coo"})
    assert response.status_code == 400
    assert "comment" in response.json()


def test_a_month_that_has_not_started_cannot_be_signed(client, coo):
    future = timezone.localdate().replace(day=1) + timedelta(days=40)
    response = post(as_user(client, coo), f"{API}/reviews/{future:%Y-%m}/sign/", {"slot": "coo", "comment": "Early"})
    assert response.status_code == 400
    assert "has not started" in response.json()["month"][0]


def test_the_second_signature_freezes_the_month_and_then_nothing_is_withdrawn(client, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="On track.")
    client = as_user(client, coo)
    signed = post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "Agreed."})
    assert signed.status_code == 200
    assert signed.json()["is_frozen"] is True
    withdrawn = post(client, f"{API}/reviews/{MONTH}/withdraw/", {"slot": "coo"})
    assert withdrawn.status_code == 400
    assert "frozen" in withdrawn.json()["month"][0]
    assert MonthlyReview.objects.get().coo_signed_by == coo


def test_an_executive_withdraws_their_own_sign_off_while_the_month_is_open(client, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="On track.")
    assert post(as_user(client, coo), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"}).status_code == 403
    response = post(as_user(client, cio), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"})
    assert response.status_code == 200
    assert response.json()["cio_signed_by"] is None
    assert MonthlyReview.objects.get().cio_signed_at is None


def test_withdrawing_from_a_month_with_no_review_is_a_404(client, cio):
    assert post(as_user(client, cio), f"{API}/reviews/{MONTH}/withdraw/", {"slot": "cio"}).status_code == 404
    assert not MonthlyReview.objects.exists()


def test_reviews_filter_by_frozen(client, ops_lead_a, cio, coo):
    review_sign(month=date(2026, 1, 1), by=cio, slot="cio", comment="Ok.")
    review_sign(month=date(2026, 1, 1), by=coo, slot="coo", comment="Ok.")
    review_sign(month=date(2026, 2, 1), by=cio, slot="cio", comment="Ok.")
    client = as_user(client, ops_lead_a)
    assert [r["month"] for r in client.get(f"{API}/reviews/", {"frozen": "true"}).json()["results"]] == ["2026-01-01"]
    assert client.get(f"{API}/reviews/2026-13/").status_code == 404


# --- The schema -----------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_documents_the_new_writes(tmp_path, client, cio):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    client.force_login(cio)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for create in ["initiatives", "milestones", "risks", "matrix-versions", "decision-requests"]:
        parameters = paths[f"/api/v1/{create}/"]["post"]["parameters"]
        assert any(p["name"] == "Idempotency-Key" for p in parameters), create
    assert "409" in paths["/api/v1/initiatives/{code}/"]["delete"]["responses"]
    assert "403" in paths["/api/v1/reviews/{month}/sign/"]["post"]["responses"]
    assert "StatusEnum" in schema["components"]["schemas"]  # the snapshots' enum keeps its name
