"""The governance gates, recorded done by admins only, and what the initiative's page says about the
way ahead: what the next stage still needs, the gates skipped, and asking a decision about it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import GateKind, GovernanceGate
from initiatives.models import Initiative, Stage
from tests import factories
from tests.initiatives.gate_helpers import NO_WORKFLOW, _at, _gates

pytestmark = pytest.mark.django_db


# --- The governance gates, recorded by admins -----------------------------------------------------------------


def test_an_admin_records_a_gate_done_with_who_and_when(client, admin_user, initiative_a):
    client.force_login(admin_user)

    response = client.post(
        f"/governance/gates/{initiative_a.code}/fallback/", {"description": "Switch-back drill on 3 March"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/initiatives/{initiative_a.code}/#gates"
    gate = GovernanceGate.objects.get(initiative=initiative_a, kind=GateKind.FALLBACK)
    assert (gate.done_by, gate.description) == (admin_user, "Switch-back drill on 3 March")
    assert timezone.now() - gate.done_at < timedelta(minutes=1)
    assert gate.history.latest().history_change_reason == "Fallback procedure recorded done"


def test_recording_a_done_gate_again_keeps_who_did_it_and_when(client, admin_user, cio, initiative_a):
    _gates(initiative_a, cio, kinds=[GateKind.TESTING])
    before = GovernanceGate.objects.get(initiative=initiative_a, kind=GateKind.TESTING)
    client.force_login(admin_user)

    client.post(f"/governance/gates/{initiative_a.code}/testing/", {})

    after = GovernanceGate.objects.get(pk=before.pk)
    assert (after.done_by, after.done_at) == (cio, before.done_at)


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executives_and_ops_leads_cannot_record_gates(client, request, initiative_a, persona):
    _gates(initiative_a, None, kinds=[GateKind.TESTING], done=False)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(f"/governance/gates/{initiative_a.code}/testing/", {})

    assert response.status_code == 403
    assert GovernanceGate.objects.get(initiative=initiative_a).done_at is None
    assert not GovernanceGate.objects.filter(initiative=initiative_a, kind=GateKind.FALLBACK).exists()


def test_an_unknown_gate_is_not_found(client, admin_user, initiative_a):
    client.force_login(admin_user)

    assert client.post(f"/governance/gates/{initiative_a.code}/vibes/", {}).status_code == 404
    assert not GovernanceGate.objects.exists()


# --- What the initiative's page says about the way ahead ----------------------------------------------------


def test_the_page_says_what_the_next_stage_still_needs(client, cio, initiative_a):
    _at(initiative_a, Stage.ASSESSED)
    client.force_login(cio)

    html = client.get(f"/initiatives/{initiative_a.code}/").content.decode()

    gates = html[html.index('id="gates"') : html.index('id="brief"')]
    assert "Before Brief signed:" in gates
    assert NO_WORKFLOW in gates


def test_the_page_shows_gates_skipped_on_the_way_to_production(client, cio, initiative_a):
    Initiative.objects.filter(pk=initiative_a.pk).update(stage=Stage.PRODUCTION)  # as before the rules existed
    client.force_login(cio)

    html = client.get(f"/initiatives/{initiative_a.code}/").content.decode()

    assert "Skipped on the way to Production:" in html
    assert "fallback procedure (not defined)" in html


def test_the_admin_sees_record_buttons_and_others_do_not(client, admin_user, cio, initiative_a):
    client.force_login(admin_user)
    assert "Record it as done" in client.get(f"/initiatives/{initiative_a.code}/").content.decode()
    client.force_login(cio)
    assert "Record it as done" not in client.get(f"/initiatives/{initiative_a.code}/").content.decode()


def test_the_api_shows_the_brief_its_signatures_and_the_gates(client, ops_lead_a, initiative_a, cio, coo, admin_user):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    client.force_login(ops_lead_a)

    body = client.get(f"/api/v1/initiatives/{initiative_a.code}/").json()

    brief = body["deployment_brief"]
    assert (brief["sponsor_signed_by"], brief["coo_signed_by"], brief["is_signed"]) == ("cio", "coo", True)
    assert [(g["kind"], g["done_by"]) for g in body["gates"]] == [
        ("fallback", "admin"),
        ("monitoring", "admin"),
        ("testing", "admin"),
    ]


def test_the_page_links_to_asking_a_decision_about_the_initiative(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    html = client.get(f"/initiatives/{initiative_a.code}/").content.decode()
    assert f'href="/governance/decisions/ask/?initiative={initiative_a.code}"' in html

    form = client.get(f"/governance/decisions/ask/?initiative={initiative_a.code}").context["form"]

    assert form["initiative"].value() == initiative_a.code
