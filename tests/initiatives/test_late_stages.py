"""Late stages need the sponsor: moving an initiative into Production or Scaled, or retiring it, is
asked by its ops leads or an admin and approved by its sponsoring executive in the decision log,
with their words; the gates apply first, when it is asked and again when it is approved; every
other path (the edit page, the API, the admin) refuses the move and says how to ask."""

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from governance.models import DecisionRequest, GateKind, GovernanceGate
from governance.services.decisions import decision_answer
from governance.services.stage_moves import stage_move_ask
from initiatives.models import Stage
from tests import factories
from tests.initiatives.gate_helpers import _at
from tests.initiatives.page_helpers import _fingerprint, _url, edit_body

pytestmark = pytest.mark.django_db

SPONSOR_SAYS = "is approved by its sponsor, Claire Ito (CIO), in the app: ask for it from the initiative's page"


@pytest.fixture
def ready(initiative_a, cio, coo, admin_user):
    """initiative_a in Pilot, sponsored by the CIO, every gate to Production passed."""
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    initiative_a.refresh_from_db()
    return initiative_a


def _rows(initiative) -> tuple:
    initiative.refresh_from_db()
    return (initiative.stage, initiative.history.count(), DecisionRequest.objects.count(), _fingerprint())


# --- Every other path refuses the move ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
@pytest.mark.parametrize("stage", [Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED])
def test_the_edit_page_refuses_a_late_stage_naming_the_sponsor_and_stores_nothing(
    client, request, ready, persona, stage
):
    client.force_login(request.getfixturevalue(persona))
    before = _rows(ready)

    response = client.post(_url(ready, "edit"), edit_body(ready, stage=stage, name="Renamed"))

    assert response.status_code == 400
    assert SPONSOR_SAYS in " ".join(response.context["form"].errors["stage"])
    assert _rows(ready) == before


def test_the_api_refuses_a_late_stage_on_its_field(client, ops_lead_a, ready):
    client.force_login(ops_lead_a)
    before = _rows(ready)

    response = client.patch(
        f"/api/v1/initiatives/{ready.code}/", json.dumps({"stage": "scaled"}), content_type="application/json"
    )

    assert response.status_code == 400
    assert SPONSOR_SAYS.replace("Moving", "") in " ".join(response.json()["stage"])
    assert _rows(ready) == before


def test_moving_back_from_scaled_to_production_asks_nobody(client, ops_lead_a, ready):
    _at(ready, Stage.SCALED)
    client.force_login(ops_lead_a)

    response = client.post(_url(ready, "edit"), edit_body(ready, stage=Stage.PRODUCTION))

    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.stage == Stage.PRODUCTION


# --- Asking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_its_ops_leads_or_an_admin_ask_the_sponsor_due_in_24_hours(request, ready, cio, persona):
    asker = request.getfixturevalue(persona)

    asked = stage_move_ask(by=asker, initiative=ready, stage=Stage.PRODUCTION, why="Pilot met every target.")

    assert (asked.executive, asked.requested_by, asked.initiative, asked.stage) == (cio, asker, ready, "production")
    assert asked.due_at - asked.requested_at == timedelta(hours=24)
    assert "to move into Production, from Pilot? Pilot met every target." in asked.question
    ready.refresh_from_db()
    assert ready.stage == Stage.PILOT


@pytest.mark.parametrize("persona", ["ops_lead_b", "cio", "coo", "ceo"])
def test_nobody_else_asks_and_nothing_is_stored(client, request, ready, persona):
    user = request.getfixturevalue(persona)
    before = _rows(ready)
    with pytest.raises(PermissionDenied, match=re.escape(f"Only the ops leads of {ready.code} and admins ask")):
        stage_move_ask(by=user, initiative=ready, stage=Stage.PRODUCTION)
    client.force_login(user)
    response = client.post(reverse("governance:stage-move-ask", args=[ready.code]), {"stage": "production"})
    assert response.status_code == 403
    assert client.get(reverse("governance:stage-move-ask", args=[ready.code])).status_code == 403
    assert _rows(ready) == before


def test_a_second_ask_is_refused_naming_the_one_waiting_and_the_database_holds_it_too(ready, ops_lead_a, admin_user):
    first = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION)
    with pytest.raises(ValidationError) as refusal:
        stage_move_ask(by=admin_user, initiative=ready, stage=Stage.RETIRED)
    assert f"and is waiting for Claire Ito (CIO) (request {first.pk}): it was not asked again" in str(refusal.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionRequest.objects.create(
            initiative=ready,
            question="Again",
            requested_by=admin_user,
            executive=first.executive,
            requested_at=first.requested_at,
            due_at=first.due_at,
            stage=Stage.SCALED,
        )
    assert DecisionRequest.objects.count() == 1


def test_asking_with_no_sponsor_or_a_stage_needing_no_approval_is_refused(ready, ops_lead_a):
    with pytest.raises(ValidationError, match="a step back, which its ops leads make on the edit page"):
        stage_move_ask(by=ops_lead_a, initiative=_at(ready, Stage.SCALED), stage=Stage.PRODUCTION)
    with pytest.raises(ValidationError, match="The sponsor approves a move into Production, Scaled, Retired"):
        stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.BUILDING)
    _at(ready, Stage.PILOT)
    ready.sponsor = None
    ready.save()
    with pytest.raises(ValidationError, match="Nobody can approve this move: it has no sponsor"):
        stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.RETIRED)
    assert not DecisionRequest.objects.exists()


# --- Answering ---------------------------------------------------------------------------------------------


def test_the_sponsors_approval_moves_it_with_their_words_in_its_history(ready, ops_lead_a, cio):
    asked = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION)

    decision_answer(decision_request=asked, by=cio, answer="approved", note="The pilot earned it.")

    ready.refresh_from_db()
    assert ready.stage == Stage.PRODUCTION
    last = ready.history.first()
    assert last.history_user == cio
    assert last.history_change_reason == (
        f"Stage: Pilot → Production, asked by {ops_lead_a}, approved by {cio}: The pilot earned it."
    )


def test_a_rejection_leaves_it_where_it_is_and_it_can_be_asked_again(ready, ops_lead_a, cio):
    asked = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.SCALED)
    history = ready.history.count()

    decision_answer(decision_request=asked, by=cio, answer="rejected", note="Not before the audit.")

    ready.refresh_from_db()
    assert (ready.stage, ready.history.count()) == (Stage.PILOT, history)
    assert DecisionRequest.objects.get(pk=asked.pk).answer == "rejected"
    assert stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION).pk != asked.pk


@pytest.mark.parametrize("persona", ["coo", "ceo", "admin_user", "ops_lead_a"])
def test_only_the_sponsor_approves(request, ready, ops_lead_a, persona):
    asked = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION)
    before = _rows(ready)
    with pytest.raises(PermissionDenied, match=re.escape("Only Claire Ito (CIO), who was asked, answers")):
        decision_answer(decision_request=asked, by=request.getfixturevalue(persona), answer="approved", note="Go.")
    assert _rows(ready) == before


def test_a_gate_that_no_longer_holds_refuses_the_approval_and_the_request_still_waits(ready, ops_lead_a, cio):
    asked = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION)
    GovernanceGate.objects.filter(initiative=ready, kind=GateKind.FALLBACK).update(done_by=None, done_at=None)
    before = _rows(ready)

    with pytest.raises(ValidationError) as refusal:
        decision_answer(decision_request=asked, by=cio, answer="approved", note="Go.")

    assert "fallback procedure (defined, not recorded done)" in " ".join(refusal.value.message_dict["stage"])
    assert _rows(ready) == before
    assert DecisionRequest.objects.get(pk=asked.pk).answered_at is None


def test_retiring_asks_no_gate_only_the_sponsor(initiative_a, cio, ops_lead_a):
    initiative_a.sponsor = cio
    initiative_a.save()
    asked = stage_move_ask(by=ops_lead_a, initiative=_at(initiative_a, Stage.BUILDING), stage=Stage.RETIRED)
    decision_answer(decision_request=asked, by=cio, answer="approved", note="The vendor closed.")
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.RETIRED


# --- On the pages and through the API ----------------------------------------------------------------------


def test_the_ops_lead_asks_on_the_page_and_the_sponsor_approves_in_the_decision_log(client, ready, ops_lead_a, cio):
    client.force_login(ops_lead_a)
    page = client.get(_url(ready)).content.decode()
    assert 'id="ask-stage-move"' in page
    form = client.get(reverse("governance:stage-move-ask", args=[ready.code]))
    assert form.context["form"].initial["stage"] == Stage.PRODUCTION
    response = client.post(
        reverse("governance:stage-move-ask", args=[ready.code]),
        {"stage": "production", "why": "Every target met for three months."},
        follow=True,
    )
    assert "Asked Claire Ito (CIO) to approve the move" in response.content.decode()
    asked = DecisionRequest.objects.get(initiative=ready)
    waiting = client.get(_url(ready)).content.decode()
    assert "Waiting for Claire Ito (CIO):</strong> a move into Production" in waiting
    assert 'id="ask-stage-move"' not in waiting

    client.force_login(cio)
    detail = client.get(reverse("governance:decision", args=[asked.pk])).content.decode()
    assert "moves from <strong>Pilot</strong> to <strong>Production</strong>" in detail
    assert 'id="gates-now"' not in detail
    response = client.post(
        reverse("governance:decision-answer", args=[asked.pk]), {"answer": "approved", "note": "Go live."}
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.stage == Stage.PRODUCTION


def test_the_decision_page_says_when_the_gates_would_refuse_the_move_now(client, ready, ops_lead_a, cio):
    asked = stage_move_ask(by=ops_lead_a, initiative=ready, stage=Stage.PRODUCTION)
    GovernanceGate.objects.filter(initiative=ready, kind=GateKind.TESTING).delete()
    client.force_login(cio)
    detail = client.get(reverse("governance:decision", args=[asked.pk])).content.decode()
    assert "The gates would refuse the move now" in detail
    response = client.post(
        reverse("governance:decision-answer", args=[asked.pk]), {"answer": "approved", "note": "Go."}
    )
    assert response.status_code == 400
    assert "testing (not defined)" in response.content.decode()
    ready.refresh_from_db()
    assert ready.stage == Stage.PILOT


def test_the_api_asks_and_the_sponsor_answers_through_the_api(client, ready, ops_lead_a, cio, coo):
    client.force_login(ops_lead_a)
    body = {"initiative": ready.code, "stage": "scaled", "question": "Every region wants it."}
    refused = client.post(
        "/api/v1/decision-requests/", json.dumps({**body, "executive": "coo"}), content_type="application/json"
    )
    assert refused.status_code == 400
    assert "A stage move is asked of the initiative's sponsor" in " ".join(refused.json()["executive"])
    asked = client.post("/api/v1/decision-requests/", json.dumps(body), content_type="application/json")
    assert asked.status_code == 201, asked.content
    assert (asked.json()["executive"], asked.json()["stage"]) == ("cio", "scaled")
    url = f"/api/v1/decision-requests/{asked.json()['id']}/answer/"
    client.force_login(coo)
    answer = json.dumps({"answer": "approved", "note": "Yes."})
    assert client.post(url, answer, content_type="application/json").status_code == 403
    client.force_login(cio)
    deferred = client.post(url, json.dumps({"answer": "deferred", "note": "Later."}), content_type="application/json")
    assert deferred.status_code == 400
    assert client.post(url, answer, content_type="application/json").status_code == 200
    ready.refresh_from_db()
    assert ready.stage == Stage.SCALED
    again = client.post(url, answer, content_type="application/json")
    assert again.status_code == 409
