"""Initiatives and their parts through the API (/api/v1/): read by everyone signed in, filtered and
ordered; changed by their ops leads and admins, added and deleted by admins only; milestones, backlog
items and the workflow change kept by the initiative's ops leads. Each write refused to the others
leaves nothing behind."""

from datetime import date

import pytest

from initiatives.models import BacklogItem, Initiative, Milestone, WorkflowChange, WorkflowStep
from scoreboard.models import IdempotencyRecord
from tests import factories
from tests.api.domain_helpers import API, as_user, patch, post

pytestmark = pytest.mark.django_db


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


def test_an_executive_changing_an_initiative_gets_403_even_with_a_broken_body(client, ceo, initiative_a):
    # The CEO holds no seat of initiative A; its owners may send their own descriptions, so a body
    # of theirs is read first (tests/initiatives/test_owner_words.py).
    client = as_user(client, ceo)
    assert patch(client, f"{API}/initiatives/{initiative_a.code}/", {"stage": "no-such-stage"}).status_code == 403
    assert patch(client, f"{API}/initiatives/{initiative_a.code}/", {"stage": "production"}).status_code == 403
    initiative_a.refresh_from_db()
    assert initiative_a.stage == "pilot"


def test_ops_lead_changes_the_initiative_they_lead(client, ops_lead_a, initiative_a, cio, coo, admin_user):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    response = patch(as_user(client, ops_lead_a), f"{API}/initiatives/{initiative_a.code}/", {"stage": "building"})
    assert response.status_code == 200, response.content
    initiative_a.refresh_from_db()
    assert initiative_a.stage == "building"


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
