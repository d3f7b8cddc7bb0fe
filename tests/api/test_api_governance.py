"""Governance through the API (/api/v1/): the shadow-AI register and the risks kept by admins, the
decision matrix's drafts and decisions, and decision requests asked by anyone signed in and
answered once by the executive asked. Each refused write leaves nothing behind."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from governance.models import DecisionRequest, MatrixDecision, MatrixVersion, Risk, ShadowAITool
from tests import factories
from tests.api.domain_helpers import API, as_user, ask, patch, post

pytestmark = pytest.mark.django_db


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
        submitted_at=timezone.now(),
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
    assert again.status_code == 409  # the request changed under the second answer: a conflict
    assert "Already answered (approved)" in again.json()["detail"]
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
