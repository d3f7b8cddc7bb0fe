"""Promoting a shadow-AI tool to an initiative: the form prefilled from the tool's facts, the new
initiative at the idea stage, what becomes of the tool, every mistake said at once with nothing
written, no second initiative on a second submit, and the whole promotion in Chromium."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from playwright.sync_api import expect

from governance.services.shadow_ai import AlreadyPromoted, shadow_ai_tool_promote
from initiatives.models import Initiative
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at
from tests.governance.register_helpers import SHADOW_AI, _tool

pytestmark = pytest.mark.django_db


# --- Promoting a tool to an initiative -----------------------------------------------------------------


def _promote_body(cio, coo, **changes) -> dict:
    return {
        "code": "translation-desk",
        "name": "Translation desk",
        "business_unit": "Claims cross-border desk",
        "process": "Translating foreign police and repair reports",
        "sourcing": "buy",
        "technology_owner": cio.pk,
        "operations_owner": coo.pk,
        "sponsor": "",
        "technology_owner_description": "Machine translation of foreign reports inside our network.",
        "operations_owner_description": "Claims handlers read foreign reports the day they arrive.",
        "status": "adopted",
        **changes,
    }


def _promote_data(cio, coo, **changes) -> dict:
    """What the service takes: people rather than their ids, no status (a keyword of its own)."""
    data = {**_promote_body(cio, coo), "technology_owner": cio, "operations_owner": coo, "sponsor": None, **changes}
    del data["status"]
    return data


def test_the_promotion_form_is_prefilled_from_the_tools_facts(client, admin_user):
    tool = _tool("Free Online Translator")
    client.force_login(admin_user)

    form = client.get(f"{SHADOW_AI}{tool.pk}/promote/").context["form"]

    assert form.initial["code"] == "free-online-translator"
    assert form.initial["name"] == "Free Online Translator"
    assert form.initial["business_unit"] == "Claims cross-border desk"
    assert form.initial["process"] == "Translating foreign police and repair reports"
    assert tool.use in form.initial["technology_owner_description"]
    assert tool.use in form.initial["operations_owner_description"]
    assert tool.why_it_helps in form.initial["operations_owner_description"]
    assert form.initial["status"] == "adopted"


def test_the_suggested_code_steps_around_a_code_already_taken(client, admin_user, cio, coo):
    factories.InitiativeFactory(code="translator", technology_owner=cio, operations_owner=coo)
    tool = _tool("Translator")
    client.force_login(admin_user)

    form = client.get(f"{SHADOW_AI}{tool.pk}/promote/").context["form"]

    assert form.initial["code"] == "translator-2"


def test_admin_promotes_a_tool_to_an_idea_carrying_its_facts_and_lands_on_it(
    client, admin_user, cio, coo, ceo, ops_lead_a
):
    tool = _tool()
    client.force_login(admin_user)

    response = client.post(
        f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, sponsor=ceo.pk, ops_leads=[ops_lead_a.pk])
    )

    initiative = Initiative.objects.get(code="translation-desk")
    assert response.status_code == 302
    assert response["Location"] == f"/initiatives/{initiative.code}/"
    assert (initiative.stage, initiative.name, initiative.business_unit) == (
        "idea",
        "Translation desk",
        "Claims cross-border desk",
    )
    assert (initiative.technology_owner, initiative.operations_owner, initiative.sponsor) == (cio, coo, ceo)
    assert list(initiative.ops_leads.all()) == [ops_lead_a]
    reasons = set(initiative.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Promoted from the shadow-AI register: Free online translator (Claims cross-border desk)"}
    assert initiative.history.earliest().history_user == admin_user
    tool.refresh_from_db()
    assert (tool.promoted_to, tool.status) == (initiative, "adopted")
    assert tool.history.latest().history_change_reason == "Promoted to the initiative translation-desk; status: Adopted"
    assert "promoted to the initiative Translation desk" in client.get(response["Location"]).content.decode()


def test_a_long_tool_name_is_shortened_in_the_history_reason_not_refused(admin_user, cio, coo):
    tool = _tool("A" * 120, team="B" * 120)

    initiative = shadow_ai_tool_promote(tool=tool, by=admin_user, data=_promote_data(cio, coo))

    reason = initiative.history.get().history_change_reason
    assert len(reason) == 100
    assert reason.startswith("Promoted from the shadow-AI register: AAAA")
    assert reason.endswith("…")


def test_the_admin_chooses_what_becomes_of_the_promoted_tool(client, admin_user, cio, coo):
    tool = _tool()
    client.force_login(admin_user)

    client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, status="replaced"))

    tool.refresh_from_db()
    assert tool.status == "replaced"
    assert tool.promoted_to.code == "translation-desk"


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_promote_a_tool(client, request, persona, cio, coo):
    user = request.getfixturevalue(persona)
    tool = _tool()
    client.force_login(user)

    page = client.get(f"{SHADOW_AI}{tool.pk}/promote/")
    sent = client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo))
    with pytest.raises(PermissionDenied, match="Only admins promote"):
        shadow_ai_tool_promote(tool=tool, by=user, data=_promote_data(cio, coo))

    assert (page.status_code, sent.status_code) == (403, 403)
    assert not Initiative.objects.filter(code="translation-desk").exists()
    tool.refresh_from_db()
    assert (tool.promoted_to, tool.status) == (None, "under_review")


def test_a_second_submit_of_the_promotion_creates_nothing_twice_and_names_the_initiative(client, admin_user, cio, coo):
    tool = _tool()
    client.force_login(admin_user)
    client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo))
    initiatives_before = Initiative.objects.count()

    again = client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, code="translation-desk-2"))

    assert again.status_code == 409
    html = again.content.decode()
    assert "already promoted to the initiative Translation desk (translation-desk)" in html
    assert Initiative.objects.count() == initiatives_before
    assert tool.history.count() == 2  # registered, promoted: not promoted again


def test_the_service_refuses_a_tool_already_promoted_naming_the_initiative(admin_user, cio, coo, initiative_a):
    tool = _tool(status="adopted", promoted_to=initiative_a)

    with pytest.raises(AlreadyPromoted) as refusal:
        shadow_ai_tool_promote(tool=tool, by=admin_user, data=_promote_data(cio, coo))

    assert f"({initiative_a.code})" in refusal.value.messages[0]
    assert not Initiative.objects.filter(code="translation-desk").exists()


def test_promoting_with_a_code_already_taken_is_refused_on_the_code_and_nothing_is_written(
    client, admin_user, cio, coo, initiative_a
):
    tool = _tool()
    client.force_login(admin_user)
    initiatives_before = Initiative.objects.count()

    response = client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, code=initiative_a.code))

    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        f"{initiative_a.name} already has the code {initiative_a.code}: choose another."
    ]
    assert Initiative.objects.count() == initiatives_before
    tool.refresh_from_db()
    assert (tool.promoted_to, tool.status, tool.history.count()) == (None, "under_review", 1)


def test_the_service_refuses_a_taken_code_on_the_code_field(admin_user, cio, coo, initiative_a):
    tool = _tool()

    with pytest.raises(ValidationError) as refusal:
        shadow_ai_tool_promote(tool=tool, by=admin_user, data=_promote_data(cio, coo, code=initiative_a.code))

    assert "choose another" in refusal.value.message_dict["code"][0]
    assert Initiative.objects.count() == 1


def test_every_mistake_in_a_promotion_is_said_at_once(client, admin_user, cio, coo, initiative_a):
    tool = _tool()
    client.force_login(admin_user)

    response = client.post(
        f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, code=initiative_a.code, operations_owner=cio.pk)
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"code", "operations_owner"}
    assert Initiative.objects.count() == 1


def test_promoting_with_one_person_as_both_owners_is_refused_and_nothing_is_written(client, admin_user, cio, coo):
    tool = _tool()
    client.force_login(admin_user)

    response = client.post(f"{SHADOW_AI}{tool.pk}/promote/", _promote_body(cio, coo, operations_owner=cio.pk))
    with pytest.raises(ValidationError) as refusal:
        shadow_ai_tool_promote(tool=tool, by=admin_user, data=_promote_data(cio, coo, operations_owner=cio))

    message = "The operations owner must be a different person from the technology owner."
    assert response.status_code == 400
    assert response.context["form"].errors["operations_owner"] == [message]
    assert refusal.value.message_dict["operations_owner"] == [message]
    assert not Initiative.objects.exists()
    tool.refresh_from_db()
    assert (tool.promoted_to, tool.status, tool.history.count()) == (None, "under_review", 1)


def test_a_promoted_tool_cannot_stay_under_review(admin_user, cio, coo):
    tool = _tool()

    with pytest.raises(ValidationError) as refusal:
        shadow_ai_tool_promote(tool=tool, by=admin_user, data=_promote_data(cio, coo), status="under_review")

    assert "no longer under review" in refusal.value.message_dict["status"][0]
    assert not Initiative.objects.exists()


# --- In a browser -----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_promotes_a_shadow_ai_tool_and_lands_on_the_new_initiative(page, live_server):
    admin = factories.admin(username="registrar")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    cio = factories.executive(username="cio", title="CIO", first_name="Claire", last_name="Ito")
    coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
    tool = _tool("Spreadsheet add-in", team="Finance accounts payable", data_sensitivity="internal")

    sign_in_at(page, live_server, "registrar", SHADOW_AI)

    page.locator(f"#tool-{tool.pk}").get_by_role("link", name="Promote to initiative").click()
    expect(page).to_have_url(re.compile(rf"/shadow-ai/{tool.pk}/promote/$"))
    expect(page.locator("#id_code")).to_have_value("spreadsheet-add-in")
    expect(page.locator("#id_business_unit")).to_have_value("Finance accounts payable")
    page.select_option("#id_sourcing", "buy")
    page.select_option("#id_technology_owner", str(cio.pk))
    page.select_option("#id_operations_owner", str(coo.pk))
    page.get_by_role("button", name="Create the initiative").click()

    expect(page).to_have_url(re.compile(r"/initiatives/spreadsheet-add-in/$"))
    expect(page.locator("ul.messages")).to_contain_text("promoted to the initiative Spreadsheet add-in")
    expect(page.locator("h1")).to_contain_text("Spreadsheet add-in")
    page.goto(f"{live_server.url}{SHADOW_AI}")
    expect(page.locator(f"#tool-{tool.pk}")).to_contain_text("Adopted")
    expect(page.locator(f"#tool-{tool.pk} a[href='/initiatives/spreadsheet-add-in/']")).to_have_count(1)
    assert page.console_errors == []
    assert page.foreign_requests == []
