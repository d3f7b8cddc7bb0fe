"""The deployment brief: written by the initiative's ops leads with its history, voided by an edit,
signed by the sponsor and the COO each in their own slot, and the way to building in Chromium."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from initiatives.models import DeploymentBrief, Stage
from initiatives.services.brief import brief_save
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at
from tests.initiatives.gate_helpers import _brief, _workflow

pytestmark = pytest.mark.django_db


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
