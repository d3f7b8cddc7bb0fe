"""The way to production (governance/services/gates.py): the stage gates as the initiative
page, the API and the admin apply them, the deployment brief with its signatures, and the
governance gates recorded by admins."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import GateKind, GovernanceGate
from initiatives.models import DeploymentBrief, Initiative, Stage, WorkflowChange
from initiatives.services.brief import brief_save
from initiatives.services.stages import stage_change_refusals
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at
from tests.initiatives.test_initiative_pages import edit_body

pytestmark = pytest.mark.django_db

NO_WORKFLOW = "cannot leave Assessed without a workflow-change definition"


def _move(client, user, initiative, stage):
    client.force_login(user)
    return client.post(f"/initiatives/{initiative.code}/edit/", edit_body(initiative, stage=stage))


def _at(initiative, stage):
    Initiative.objects.filter(pk=initiative.pk).update(stage=stage)
    initiative.refresh_from_db()
    return initiative


def _workflow(initiative):
    return WorkflowChange.objects.create(
        initiative=initiative, process_name="Claims intake", adoption_target_percent=60
    )


def _brief(initiative, *, sponsor=None, coo=None):
    now = timezone.now()
    return DeploymentBrief.objects.create(
        initiative=initiative,
        scope="Route claims documents.",
        investment=Decimal("250000"),
        governance="Per the matrix.",
        timeline="Pilot in spring.",
        revised_at=now - timedelta(hours=1),
        sponsor_signed_by=sponsor,
        sponsor_signed_at=now if sponsor else None,
        coo_signed_by=coo,
        coo_signed_at=now if coo else None,
    )


def _gates(initiative, by, kinds=GateKind.values, done=True):
    for kind in kinds:
        GovernanceGate.objects.create(
            initiative=initiative, kind=kind, done_by=by if done else None, done_at=timezone.now() if done else None
        )


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


def test_production_needs_each_gate_recorded_done_and_names_each_missing_one(
    client, ops_lead_a, initiative_a, cio, coo, admin_user
):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    GovernanceGate.objects.filter(initiative=initiative_a, kind=GateKind.FALLBACK).delete()
    GovernanceGate.objects.filter(initiative=initiative_a, kind=GateKind.MONITORING).update(done_by=None, done_at=None)

    response = _move(client, ops_lead_a, initiative_a, Stage.PRODUCTION)

    assert response.status_code == 400
    refusals = _refusals(response)
    assert "cannot enter Production until its governance gates are recorded done" in refusals
    assert "monitoring (defined, not recorded done)" in refusals
    assert "fallback procedure (not defined)" in refusals
    assert "testing" not in refusals
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PILOT


def test_with_every_gate_done_it_enters_production(client, ops_lead_a, initiative_a, cio, coo, admin_user):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)

    response = _move(client, ops_lead_a, initiative_a, Stage.PRODUCTION)

    assert response.status_code == 302
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PRODUCTION


def test_skipping_stages_names_every_missing_gate_at_once(initiative_a):
    refusals = stage_change_refusals(initiative=_at(initiative_a, Stage.IDEA), to_stage=Stage.SCALED)

    assert len(refusals) == 3
    assert NO_WORKFLOW in refusals[0]
    assert "there is no brief yet" in refusals[1]
    assert "testing (not defined); monitoring (not defined); fallback procedure (not defined)" in refusals[2]


@pytest.mark.parametrize("stage", [Stage.ASSESSED, Stage.IDEA, Stage.RETIRED])
def test_moving_back_or_retiring_needs_no_gate(client, ops_lead_a, initiative_a, stage):
    response = _move(client, ops_lead_a, _at(initiative_a, Stage.PILOT), stage)

    assert response.status_code == 302
    initiative_a.refresh_from_db()
    assert initiative_a.stage == stage


# --- The same gates through the API and the admin -------------------------------------------------------------


def test_the_api_refuses_a_stage_change_naming_the_missing_gate(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    response = client.patch(
        f"/api/v1/initiatives/{initiative_a.code}/",
        json.dumps({"stage": "production"}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "fallback procedure (not defined)" in " ".join(response.json()["stage"])
    initiative_a.refresh_from_db()
    assert initiative_a.stage == Stage.PILOT


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
    assert NO_WORKFLOW in " ".join(response.json()["stage"])
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


def test_the_admin_refuses_a_stage_change_naming_the_missing_gate(client, admin_user, initiative_a):
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
    assert "testing (not defined)" in errors
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


# --- The brief: written by the initiative's ops leads, signed by the sponsor and the COO -------------------


def _brief_body(**changes) -> dict:
    body = {
        "scope": "Route claims documents.",
        "investment": "250000",
        "governance": "Per the matrix.",
        "timeline": "Pilot in spring.",
        "read_at": "",
    }
    body.update(changes)
    return body


def test_ops_lead_writes_the_brief_with_its_history(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    response = client.post(f"/initiatives/{initiative_a.code}/brief/", _brief_body())

    assert response.status_code == 302
    assert response["Location"] == f"/initiatives/{initiative_a.code}/#brief"
    brief = DeploymentBrief.objects.get(initiative=initiative_a)
    assert brief.scope == "Route claims documents."
    assert brief.history.latest().history_user == ops_lead_a
    assert brief.history.latest().history_change_reason == "Brief written"


def test_editing_what_a_signed_brief_says_voids_both_signatures(client, ops_lead_a, initiative_a, cio, coo):
    brief = _brief(initiative_a, sponsor=cio, coo=coo)
    client.force_login(ops_lead_a)

    response = client.post(
        f"/initiatives/{initiative_a.code}/brief/",
        _brief_body(investment="300000", read_at=brief.revised_at.isoformat()),
    )

    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.investment == Decimal("300000")
    assert not brief.is_signed
    assert (brief.sponsor_signed_by, brief.coo_signed_by) == (None, None)
    reason = brief.history.latest().history_change_reason
    assert reason == "Brief edited (investment): signatures voided"
    signed = brief.history.earliest()  # history keeps who had signed what
    assert (signed.sponsor_signed_by, signed.coo_signed_by) == (cio, coo)
    assert "Its signatures were voided" in client.get(response["Location"]).content.decode()


def test_saving_a_signed_brief_unchanged_keeps_its_signatures(ops_lead_a, initiative_a, cio, coo):
    brief = _brief(initiative_a, sponsor=cio, coo=coo)
    data = {"scope": brief.scope, "investment": brief.investment, "governance": brief.governance, "timeline": ""}
    data["timeline"] = brief.timeline

    brief_save(initiative=initiative_a, by=ops_lead_a, data=data, read_at=brief.revised_at)

    brief.refresh_from_db()
    assert brief.is_signed
    assert brief.history.count() == 1


def test_a_brief_edited_since_it_was_opened_is_refused_naming_who_and_nothing_changes(
    client, ops_lead_a, admin_user, initiative_a
):
    brief = _brief(initiative_a)
    opened_at = brief.revised_at.isoformat()
    brief_save(initiative=initiative_a, by=admin_user, data={"scope": "Changed by the admin."})
    client.force_login(ops_lead_a)

    response = client.post(f"/initiatives/{initiative_a.code}/brief/", _brief_body(scope="Mine", read_at=opened_at))

    assert response.status_code == 409
    assert f"Nothing was saved: {admin_user} changed this brief" in response.content.decode()
    brief.refresh_from_db()
    assert brief.scope == "Changed by the admin."


@pytest.mark.parametrize("persona", ["ops_lead_b", "cio"])
def test_only_the_initiatives_ops_leads_and_admins_write_its_brief(client, request, initiative_a, persona):
    brief = _brief(initiative_a)
    client.force_login(request.getfixturevalue(persona))

    assert client.get(f"/initiatives/{initiative_a.code}/brief/").status_code == 403
    response = client.post(f"/initiatives/{initiative_a.code}/brief/", _brief_body(scope="Taken over"))

    assert response.status_code == 403
    brief.refresh_from_db()
    assert brief.scope == "Route claims documents."


def test_a_bad_investment_is_refused_naming_the_field(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    response = client.post(f"/initiatives/{initiative_a.code}/brief/", _brief_body(investment="-5"))

    assert response.status_code == 400
    assert "Investment cannot be negative." in response.context["form"].errors["investment"]
    assert not DeploymentBrief.objects.filter(initiative=initiative_a).exists()


def _sign(client, user, initiative, slot, brief):
    client.force_login(user)
    return client.post(
        f"/initiatives/{initiative.code}/brief/sign/", {"slot": slot, "read_at": brief.revised_at.isoformat()}
    )


def test_the_sponsor_and_the_coo_each_sign_and_the_brief_is_signed(client, initiative_a, ceo, coo):
    initiative_a.sponsor = ceo
    initiative_a.save()
    brief = _brief(initiative_a)

    assert _sign(client, ceo, initiative_a, "sponsor", brief).status_code == 302
    # The sponsor's signature is not an edit: the COO signs the brief they opened before it.
    assert _sign(client, coo, initiative_a, "coo", brief).status_code == 302

    brief.refresh_from_db()
    assert brief.is_signed
    assert (brief.sponsor_signed_by, brief.coo_signed_by) == (ceo, coo)
    reasons = list(brief.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["Signed as the sponsoring executive", "Signed as the COO"]
    assert "Signed by the sponsor and the COO" in client.get(f"/initiatives/{initiative_a.code}/").content.decode()


def test_signing_twice_signs_nothing_twice(client, initiative_a, coo):
    brief = _brief(initiative_a)
    _sign(client, coo, initiative_a, "coo", brief)
    brief.refresh_from_db()
    signed_at = brief.coo_signed_at

    assert _sign(client, coo, initiative_a, "coo", brief).status_code == 302

    brief.refresh_from_db()
    assert brief.coo_signed_at == signed_at
    assert brief.history.count() == 2


@pytest.mark.parametrize(
    ("persona", "slot"),
    [("cio", "sponsor"), ("cio", "coo"), ("ceo", "coo"), ("ops_lead_a", "sponsor"), ("admin_user", "coo")],
)
def test_only_the_sponsor_and_the_coo_sign_their_own_slot(client, request, initiative_a, ceo, persona, slot):
    initiative_a.sponsor = ceo
    initiative_a.save()
    brief = _brief(initiative_a)

    response = _sign(client, request.getfixturevalue(persona), initiative_a, slot, brief)

    assert response.status_code == 403
    brief.refresh_from_db()
    assert (brief.sponsor_signed_at, brief.coo_signed_at) == (None, None)


def test_a_brief_edited_after_the_signer_opened_it_is_not_signed(client, ops_lead_a, initiative_a, coo):
    brief = _brief(initiative_a)
    opened = DeploymentBrief.objects.get(pk=brief.pk)
    brief_save(initiative=initiative_a, by=ops_lead_a, data={"scope": "Now also letters."})

    response = _sign(client, coo, initiative_a, "coo", opened)

    assert response.status_code == 409
    assert f"Nothing was signed: {ops_lead_a} changed this brief on " in response.content.decode()
    brief.refresh_from_db()
    assert brief.coo_signed_at is None


def test_the_page_offers_each_signer_only_their_own_empty_slot(client, initiative_a, ceo, coo, cio):
    initiative_a.sponsor = ceo
    initiative_a.save()
    _brief(initiative_a, sponsor=ceo)

    def buttons(user):
        client.force_login(user)
        html = client.get(f"/initiatives/{initiative_a.code}/").content.decode()
        return [label for label in ("Sign as the sponsoring executive", "Sign as the COO") if label in html]

    assert buttons(coo) == ["Sign as the COO"]
    assert buttons(ceo) == []  # signed already
    assert buttons(cio) == []


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
    assert "Record done" in client.get(f"/initiatives/{initiative_a.code}/").content.decode()
    client.force_login(cio)
    assert "Record done" not in client.get(f"/initiatives/{initiative_a.code}/").content.decode()


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


# --- In a browser -----------------------------------------------------------------------------------------------


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_way_to_building_in_chromium_brief_written_signed_twice_then_the_stage_moves(page, live_server):
    people = {}
    for username, make in (
        ("ceo", lambda: factories.executive(username="ceo", title="CEO")),
        ("coo", lambda: factories.executive(username="coo", title="COO")),
        ("ops.lead", lambda: factories.ops_lead(username="ops.lead")),
    ):
        people[username] = make()
        people[username].set_password(DEMO_PASSWORD)
        people[username].save()
    initiative = factories.InitiativeFactory(
        name="Claims triage",
        stage=Stage.ASSESSED,
        technology_owner=factories.UserFactory(),
        operations_owner=people["coo"],
        sponsor=people["ceo"],
    )
    initiative.ops_leads.add(people["ops.lead"])
    _workflow(initiative)
    url = f"/initiatives/{initiative.code}/"

    sign_in_at(page, live_server, "ops.lead", url)
    expect(page.locator("#gates .next-stage")).to_contain_text("there is no brief yet")
    page.get_by_role("link", name="Write the brief").click()
    page.fill("#id_scope", "Route claims documents to the right handler.")
    page.fill("#id_investment", "250000")
    page.fill("#id_governance", "Per the published matrix.")
    page.fill("#id_timeline", "Pilot in spring.")
    page.get_by_role("button", name="Save the brief").click()
    expect(page.locator("#brief .brief-status")).to_have_text("Draft: not signed")
    _sign_out(page)

    for signer, button in (("ceo", "Sign as the sponsoring executive"), ("coo", "Sign as the COO")):
        sign_in_at(page, live_server, signer, url)
        page.get_by_role("button", name=button).click()
        expect(page.locator("ul.messages")).to_contain_text("you signed the deployment brief")
        _sign_out(page)

    sign_in_at(page, live_server, "ops.lead", url)
    expect(page.locator("#brief .brief-status")).to_have_text("Signed by the sponsor and the COO")
    expect(page.locator("#gates .next-stage")).to_contain_text("Nothing stops it moving to Brief signed")
    page.get_by_role("link", name="Edit the initiative").click()
    page.select_option("#id_stage", "building")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("ul.messages")).to_contain_text("saved")
    initiative.refresh_from_db()
    assert initiative.stage == Stage.BUILDING
    assert page.console_errors == []
    assert page.foreign_requests == []


def test_the_page_links_to_asking_a_decision_about_the_initiative(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    html = client.get(f"/initiatives/{initiative_a.code}/").content.decode()
    assert f'href="/governance/decisions/ask/?initiative={initiative_a.code}"' in html

    form = client.get(f"/governance/decisions/ask/?initiative={initiative_a.code}").context["form"]

    assert form["initiative"].value() == initiative_a.code
