"""The way to production (governance/services/gates.py): the stage gates as the initiative's edit
page applies them, as asking the sponsor for Production applies them first, and the same gates
through the API and the admin. That the late stages need the sponsor: test_late_stages.py."""

import json

import pytest
from django.urls import reverse

from governance.models import GateKind, GovernanceGate
from governance.services.decisions import decision_answer
from governance.services.stage_moves import stage_move_ask
from initiatives.models import Initiative, Stage
from initiatives.services.stages import stage_change_refusals
from tests import factories
from tests.initiatives.gate_helpers import NO_WORKFLOW, _at, _brief, _gates, _workflow
from tests.initiatives.page_helpers import edit_body

pytestmark = pytest.mark.django_db


def _move(client, user, initiative, stage):
    client.force_login(user)
    return client.post(f"/initiatives/{initiative.code}/edit/", edit_body(initiative, stage=stage))


def _refusals(response) -> str:
    return " ".join(response.context["form"].errors.get("stage", []))


# --- The stage gates, on the initiative's edit page ---------------------------------------------------------


def test_leaving_assessed_without_a_workflow_change_is_refused_and_nothing_changes(client, ops_lead_a, initiative_a):
    _at(initiative_a, Stage.ASSESSED)
    history = initiative_a.history.count()

    response = _move(client, ops_lead_a, initiative_a, Stage.BRIEF_SIGNED)

    assert response.status_code == 400
    assert NO_WORKFLOW in _refusals(response)
    assert NO_WORKFLOW in response.content.decode()
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.ASSESSED
    assert initiative_a.history.count() == history


def test_with_a_workflow_change_only_the_unsigned_brief_holds_it_back(client, ops_lead_a, initiative_a):
    _at(initiative_a, Stage.ASSESSED)
    _workflow(initiative_a)

    response = _move(client, ops_lead_a, initiative_a, Stage.BRIEF_SIGNED)

    refusals = _refusals(response)
    assert NO_WORKFLOW not in refusals
    assert (
        "cannot reach Brief signed without a deployment brief signed by both the sponsoring executive and the COO"
        in (refusals)
    )
    assert "there is no brief yet" in refusals


@pytest.mark.parametrize(
    ("sponsor_signed", "coo_signed", "missing"),
    [
        (False, False, "the sponsor and the COO have not signed it"),
        (True, False, "the COO has not signed it"),
        (False, True, "the sponsor has not signed it"),
    ],
)
def test_building_needs_both_signatures_and_the_refusal_names_the_missing_one(
    client, ops_lead_a, initiative_a, cio, coo, sponsor_signed, coo_signed, missing
):
    initiative_a.sponsor = cio
    initiative_a.save()
    _at(initiative_a, Stage.BRIEF_SIGNED)
    _workflow(initiative_a)
    _brief(initiative_a, sponsor=cio if sponsor_signed else None, coo=coo if coo_signed else None)

    response = _move(client, ops_lead_a, initiative_a, Stage.BUILDING)

    assert response.status_code == 400
    refusals = _refusals(response)
    assert "cannot start building without a deployment brief signed by both" in refusals
    assert missing in refusals
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.BRIEF_SIGNED


def test_a_brief_without_a_named_sponsor_says_so(ops_lead_a, initiative_a, coo):
    _workflow(initiative_a)
    _brief(initiative_a, coo=coo)

    (refusal,) = stage_change_refusals(initiative=_at(initiative_a, Stage.BRIEF_SIGNED), to_stage=Stage.BUILDING)

    assert "the sponsor (none is named yet) has not signed it" in refusal


def test_asking_for_production_needs_each_gate_recorded_done_and_names_each_missing_one(
    client, ops_lead_a, initiative_a, cio, coo, admin_user
):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    GovernanceGate.objects.filter(initiative=initiative_a, kind=GateKind.FALLBACK).delete()
    GovernanceGate.objects.filter(initiative=initiative_a, kind=GateKind.MONITORING).update(done_by=None, done_at=None)
    client.force_login(ops_lead_a)

    response = client.post(f"/governance/decisions/stage-move/{initiative_a.code}/", {"stage": "production"})

    assert response.status_code == 400
    refusals = " ".join(response.context["form"].errors["stage"])
    assert "cannot enter Production until its governance gates are recorded done" in refusals
    assert "monitoring (defined, not recorded done)" in refusals
    assert "fallback procedure (not defined)" in refusals
    assert "testing" not in refusals
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PILOT
    assert not initiative_a.decision_requests.exists()


def test_with_every_gate_done_the_sponsors_approval_takes_it_into_production(
    ops_lead_a, initiative_a, cio, coo, admin_user
):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)

    asked = stage_move_ask(by=ops_lead_a, initiative=initiative_a, stage=Stage.PRODUCTION)
    decision_answer(decision_request=asked, by=cio, answer="approved", note="Go.")

    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PRODUCTION


def test_skipping_stages_names_every_missing_gate_at_once(initiative_a):
    refusals = stage_change_refusals(initiative=_at(initiative_a, Stage.IDEA), to_stage=Stage.SCALED)

    assert len(refusals) == 3
    assert NO_WORKFLOW in refusals[0]
    assert "there is no brief yet" in refusals[1]
    assert "testing (not defined); monitoring (not defined); fallback procedure (not defined)" in refusals[2]


@pytest.mark.parametrize("stage", [Stage.ASSESSED, Stage.IDEA])
def test_moving_back_needs_no_gate(client, ops_lead_a, initiative_a, stage):
    response = _move(client, ops_lead_a, _at(initiative_a, Stage.PILOT), stage)

    assert response.status_code == 302
    initiative_a.refresh_from_db()
    assert initiative_a.stage == stage


# --- The same gates through the API and the admin -------------------------------------------------------------


def test_the_api_asks_the_sponsor_only_once_the_gates_hold_naming_the_missing_gate(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    response = client.post(
        "/api/v1/decision-requests/",
        json.dumps({"initiative": initiative_a.code, "stage": "production", "question": "Ready."}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "fallback procedure (not defined)" in " ".join(response.json()["stage"])
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PILOT
    assert not initiative_a.decision_requests.exists()


def test_the_api_refuses_an_initiative_created_straight_into_production(client, admin_user, cio, coo):
    client.force_login(admin_user)
    body = {
        "code": "invoice-matching",
        "name": "Invoice matching",
        "business_unit": "Finance",
        "process": "Accounts payable",
        "stage": "production",
        "sourcing": "buy",
        "technology_owner": cio.username,
        "operations_owner": coo.username,
        "technology_owner_description": "Matches invoices to purchase orders.",
        "operations_owner_description": "Clerks handle only what does not match.",
    }

    response = client.post("/api/v1/initiatives/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "Moving it into Production is approved by its sponsor" in " ".join(response.json()["stage"])
    assert not Initiative.objects.filter(code="invoice-matching").exists()
    body["stage"] = "idea"
    assert client.post("/api/v1/initiatives/", json.dumps(body), content_type="application/json").status_code == 201


def _admin_form_data(client, url) -> dict:
    form = client.get(url).context["adminform"].form
    data = {}
    for name, value in form.initial.items():
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = "" if value is None else getattr(value, "pk", value)
    return data


def test_the_admin_refuses_a_move_into_production_saying_the_sponsor_approves_it(client, admin_user, initiative_a):
    client.force_login(admin_user)
    url = reverse("admin:initiatives_initiative_change", args=[initiative_a.pk])
    data = _admin_form_data(client, url)
    data.update(
        {
            "stage": "production",
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
            "backlog_items-TOTAL_FORMS": "0",
            "backlog_items-INITIAL_FORMS": "0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["stage"])
    assert "Moving it into Production is approved by its sponsor" in errors
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PILOT


def test_editing_a_signed_brief_in_the_admin_voids_its_signatures(client, admin_user, initiative_a, cio, coo):
    brief = _brief(initiative_a, sponsor=cio, coo=coo)
    client.force_login(admin_user)
    url = reverse("admin:initiatives_deploymentbrief_change", args=[brief.pk])
    data = _admin_form_data(client, url)
    data["scope"] = "Route claims and letters."

    response = client.post(url, data)

    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.scope == "Route claims and letters."
    assert (brief.sponsor_signed_by, brief.coo_signed_by, brief.sponsor_signed_at, brief.coo_signed_at) == (None,) * 4
    assert "signatures voided" in brief.history.latest().history_change_reason


def test_the_admin_records_gates_done_by_the_admin_now(client, admin_user, initiative_a):
    _gates(initiative_a, None, done=False)
    client.force_login(admin_user)
    ids = list(GovernanceGate.objects.filter(initiative=initiative_a).values_list("pk", flat=True))

    response = client.post(
        reverse("admin:governance_governancegate_changelist"),
        {"action": "record_done", "_selected_action": ids},
    )

    assert response.status_code == 302
    assert set(GovernanceGate.objects.filter(initiative=initiative_a).values_list("done_by", flat=True)) == {
        admin_user.pk
    }
