"""The registers and the expansion pipeline (governance/views/registers.py): the shadow-AI
register and promoting a tool to an initiative, the risk register, the shared-zone decisions,
and the pipeline ranked as on the ExCo page. Every refusal is checked to leave nothing behind.
"""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import Risk, SharedZoneDecision
from governance.services import registers
from initiatives.models import Initiative, PrioritisationInput, ShadowAITool
from initiatives.services.registers import (
    PRIORITISATION_LABELS,
    PRIORITISATION_SCORES,
    SHADOW_AI_TOOL_FIELDS,
    AlreadyPromoted,
    prioritisation_input_save,
    shadow_ai_tool_promote,
    shadow_ai_tool_save,
)
from scoreboard.demo import DEMO_PASSWORD
from scoreboard.exco import dashboard
from tests import factories
from tests.browser import sign_in_at

pytestmark = pytest.mark.django_db

SHADOW_AI = "/governance/shadow-ai/"
RISKS = "/governance/risks/"
SHARED_ZONE = "/governance/shared-zone/"
PIPELINE = "/governance/pipeline/"


def _tool(tool="Free online translator", team="Claims cross-border desk", **fields) -> ShadowAITool:
    values = {
        "use": "Translating foreign police and repair reports.",
        "why_it_helps": "Claims abroad no longer wait a week for a translator.",
        "data_sensitivity": "restricted",
        "status": "under_review",
        "discovered_on": date(2026, 1, 15),
        **fields,
    }
    return ShadowAITool.objects.create(tool=tool, team=team, **values)


def _risk(cio, coo, title="Prompt injection through customer emails", **fields) -> Risk:
    values = {
        "category": "cyber",
        "preventive_measures": "Quoted instructions are stripped.",
        "responsive_measures": "Switch drafting to manual.",
        "likelihood": 3,
        "impact": 4,
        "status": "open",
        **fields,
    }
    return Risk.objects.create(title=title, technology_owner=cio, operations_owner=coo, **values)


def _zone(title="Go-live window for broker intake", topic="timeline", **fields) -> SharedZoneDecision:
    return SharedZoneDecision.objects.create(title=title, topic=topic, **fields)


def _inputs(initiative, bandwidth=3, structure=3, data=3, risk=3, roi=3, volume=500) -> PrioritisationInput:
    return PrioritisationInput.objects.create(
        initiative=initiative,
        management_bandwidth=bandwidth,
        process_structure=structure,
        data_availability=data,
        risk_profile=risk,
        roi_clarity=roi,
        monthly_volume=volume,
    )


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    end = html.find("</tr>", start)
    return html[start:end] if end != -1 else html[start:]


# --- The shadow-AI register: the page ---------------------------------------------------------------


def test_shadow_ai_register_shows_each_tool_with_its_facts_and_what_it_became(client, cio, initiative_a):
    adopted = _tool("ChatGPT", "Email desk", status="adopted", promoted_to=initiative_a, data_sensitivity="internal")
    client.force_login(cio)

    html = client.get(SHADOW_AI).content.decode()

    row = _section(html, f'id="tool-{adopted.pk}"')
    for fact in ("ChatGPT", "Email desk", "Translating foreign", "Adopted", "Internal", "15 Jan 2026"):
        assert fact in row
    assert f'href="/initiatives/{initiative_a.code}/"' in row
    assert "Promote to initiative" not in html  # an executive reads, does not promote


def test_shadow_ai_register_filters_by_status_and_sensitivity(client, cio):
    _tool("Translator", status="blocked", data_sensitivity="restricted")
    _tool("Search engine", team="Pricing", status="under_review", data_sensitivity="public")
    _tool("Spreadsheet add-in", team="Finance", status="under_review", data_sensitivity="internal")
    client.force_login(cio)

    under_review = client.get(SHADOW_AI, {"status": "under_review"}).content.decode()
    public_under_review = client.get(SHADOW_AI, {"status": "under_review", "sensitivity": "public"}).content.decode()

    assert "Search engine" in under_review
    assert "Spreadsheet add-in" in under_review
    assert "Translator<" not in under_review
    assert "Search engine" in public_under_review
    assert "Spreadsheet add-in" not in public_under_review


@pytest.mark.parametrize(
    ("query", "named"),
    [({"status": "forgotten"}, "Status: “forgotten” is not a status"), ({"sensitivity": "secret"}, "Data sensitivity")],
)
def test_a_shadow_ai_filter_that_cannot_be_applied_is_a_400_naming_it(client, cio, query, named):
    _tool()
    client.force_login(cio)

    response = client.get(SHADOW_AI, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert named in html
    assert "This filter cannot be applied" in html
    assert 'id="tools"' not in html


def test_restricted_data_in_a_tool_under_review_stands_out(client, cio):
    flagged = _tool("Damage estimate app", data_sensitivity="restricted", status="under_review")
    blocked = _tool("Translator", data_sensitivity="restricted", status="blocked")
    calm = _tool("Search engine", team="Pricing", data_sensitivity="public", status="under_review")
    client.force_login(cio)

    html = client.get(SHADOW_AI).content.decode()

    assert "1 tool under review sees restricted data" in html
    assert 'class="needs-attention"' in _section(html, f'id="tool-{flagged.pk}"')
    assert "needs-attention" not in _section(html, f'id="tool-{blocked.pk}"')
    assert "needs-attention" not in _section(html, f'id="tool-{calm.pk}"')


# --- The shadow-AI register: adding and editing a tool --------------------------------------------------

TOOL_FORM = {
    "tool": "Gemini",
    "team": "Underwriting",
    "use": "Summarising broker emails",
    "why_it_helps": "Faster quotes",
    "data_sensitivity": "confidential",
    "status": "under_review",
    "discovered_on": "2026-02-01",
    "promoted_to": "",
}


def test_admin_registers_a_tool_on_the_page_with_its_history(client, admin_user):
    client.force_login(admin_user)

    response = client.post(f"{SHADOW_AI}new/", TOOL_FORM)

    tool = ShadowAITool.objects.get(tool="Gemini")
    assert response.status_code == 302
    assert response["Location"] == f"{SHADOW_AI}#tool-{tool.pk}"
    record = tool.history.get()
    assert (record.history_user, record.history_change_reason) == (admin_user, "Registered on the shadow-AI register")


def test_admin_edits_a_tool_and_links_what_it_became(client, admin_user, initiative_a):
    tool = _tool()
    client.force_login(admin_user)

    body = {**TOOL_FORM, "tool": tool.tool, "team": tool.team, "status": "replaced", "promoted_to": initiative_a.pk}
    response = client.post(f"{SHADOW_AI}{tool.pk}/edit/", body)

    assert response.status_code == 302
    tool.refresh_from_db()
    assert (tool.status, tool.promoted_to) == ("replaced", initiative_a)
    assert tool.history.latest().history_change_reason == "Edited on the shadow-AI register"


def test_the_same_tool_twice_for_one_team_is_refused_on_the_tool_field_not_a_500(client, admin_user):
    _tool("Gemini", "Underwriting")
    client.force_login(admin_user)

    response = client.post(f"{SHADOW_AI}new/", TOOL_FORM)

    assert response.status_code == 400
    assert response.context["form"].errors["tool"] == [
        "Gemini is already registered for Underwriting: edit that entry instead."
    ]
    assert "Nothing was saved" in response.content.decode()
    assert ShadowAITool.objects.filter(tool="Gemini").count() == 1


def test_renaming_a_tool_onto_another_entry_of_its_team_is_refused_and_changes_nothing(admin_user):
    _tool("Gemini", "Underwriting")
    other = _tool("Copilot", "Underwriting")
    data = {name: getattr(other, name) for name in SHADOW_AI_TOOL_FIELDS}

    with pytest.raises(ValidationError) as refusal:
        shadow_ai_tool_save(by=admin_user, tool=other, data={**data, "tool": "Gemini"})

    assert "already registered" in refusal.value.message_dict["tool"][0]
    other.refresh_from_db()
    assert other.tool == "Copilot"
    assert other.history.count() == 1


def test_a_tool_discovered_in_the_future_is_refused_on_its_date(client, admin_user):
    client.force_login(admin_user)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(f"{SHADOW_AI}new/", {**TOOL_FORM, "discovered_on": tomorrow.isoformat()})

    assert response.status_code == 400
    assert "not in the future" in response.context["form"].errors["discovered_on"][0]
    assert not ShadowAITool.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_register_or_edit_a_tool(request, persona):
    user = request.getfixturevalue(persona)
    tool = _tool()
    data = {name: getattr(tool, name) for name in SHADOW_AI_TOOL_FIELDS}

    with pytest.raises(PermissionDenied, match="Only admins keep the shadow-AI register"):
        shadow_ai_tool_save(by=user, data={**data, "tool": "Another"})
    with pytest.raises(PermissionDenied):
        shadow_ai_tool_save(by=user, tool=tool, data={**data, "status": "blocked"})

    assert list(ShadowAITool.objects.values_list("tool", "status")) == [(tool.tool, "under_review")]


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


# --- The risk register ---------------------------------------------------------------------------------


def test_risk_register_lists_risks_by_rating_with_measures_joint_owner_and_initiatives(client, cio, coo, initiative_a):
    low = _risk(cio, coo, "Garage payments late", category="operational_disruption", likelihood=2, impact=2)
    high = _risk(cio, coo, "Broker data abroad", category="privacy", likelihood=4, impact=4)
    high.initiatives.add(initiative_a)
    client.force_login(cio)

    html = client.get(RISKS).content.decode()

    assert html.index("Broker data abroad") < html.index("Garage payments late")
    row = _section(html, f'id="risk-{high.pk}"')
    for shown in ("Privacy", ">16<", "4 × 4", "Quoted instructions are stripped.", "Switch drafting to manual."):
        assert shown in row
    assert "(technology)" in row
    assert "(operations)" in row
    assert str(cio) in row
    assert str(coo) in row
    assert f'href="/initiatives/{initiative_a.code}/"' in row
    assert "heat-severe" in row
    assert "heat-low" in _section(html, f'id="risk-{low.pk}"')


def test_risk_register_filters_by_category_status_and_initiative(client, cio, coo, initiative_a, initiative_b):
    _risk(cio, coo, "Cyber on A").initiatives.add(initiative_a)
    _risk(cio, coo, "Privacy on B", category="privacy").initiatives.add(initiative_b)
    _risk(cio, coo, "Closed cyber", status="closed")
    client.force_login(cio)

    def titles(**query):
        page = client.get(RISKS, query).context["page"]
        return {risk.title for risk in page}

    assert titles(category="cyber") == {"Cyber on A", "Closed cyber"}
    assert titles(status="closed") == {"Closed cyber"}
    assert titles(initiative=initiative_b.code) == {"Privacy on B"}
    assert titles(category="cyber", status="open", initiative=initiative_a.code) == {"Cyber on A"}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"category": "weather"}, "Category: “weather” is not a risk category"),
        ({"status": "forgotten"}, "Status: “forgotten” is not a risk status"),
        ({"initiative": "nowhere"}, "Initiative: No risk concerns an initiative with the code “nowhere”"),
    ],
)
def test_a_risk_filter_that_cannot_be_applied_is_a_400_naming_it(client, cio, coo, query, named):
    _risk(cio, coo)
    client.force_login(cio)

    response = client.get(RISKS, query)

    assert response.status_code == 400
    assert named in response.content.decode()


def test_the_heat_grid_counts_risks_not_closed_by_likelihood_and_impact(client, cio, coo):
    _risk(cio, coo, "One", likelihood=3, impact=4)
    _risk(cio, coo, "Two", likelihood=3, impact=4, status="mitigated")
    _risk(cio, coo, "Three", likelihood=5, impact=1)
    _risk(cio, coo, "Closed", likelihood=5, impact=5, status="closed")
    client.force_login(cio)

    response = client.get(RISKS)

    cells = {(c["likelihood"], row["impact"]): c["count"] for row in response.context["grid"] for c in row["cells"]}
    assert len(cells) == 25
    assert {cell: n for cell, n in cells.items() if n} == {(3, 4): 2, (5, 1): 1}
    assert [row["impact"] for row in response.context["grid"]] == [5, 4, 3, 2, 1]
    html = response.content.decode()
    assert re.search(r'data-likelihood="3" data-impact="4"[^>]*>2</td>', html)
    assert "3 risks not closed" in html


RISK_FORM = {
    "title": "Model drifts after a policy change",
    "category": "operational_disruption",
    "description": "",
    "preventive_measures": "Monthly drift report.",
    "responsive_measures": "Route claims to people until retrained.",
    "likelihood": "3",
    "impact": "4",
    "status": "open",
}


def test_admin_adds_a_risk_with_its_initiatives_and_history(client, admin_user, cio, coo, initiative_a):
    client.force_login(admin_user)

    response = client.post(
        f"{RISKS}new/",
        {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, "initiatives": [initiative_a.pk]},
    )

    risk = Risk.objects.get()
    assert response.status_code == 302
    assert (risk.rating, list(risk.initiatives.all())) == (12, [initiative_a])
    assert risk.history.earliest().history_change_reason == "Added to the risk register"
    assert risk.history.earliest().history_user == admin_user


def test_admin_edits_a_risk_and_its_initiatives(client, admin_user, cio, coo, initiative_a, initiative_b):
    risk = _risk(cio, coo)
    risk.initiatives.add(initiative_a)
    client.force_login(admin_user)

    body = {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, "initiatives": [initiative_b.pk]}
    response = client.post(f"{RISKS}{risk.pk}/edit/", {**body, "status": "mitigated", "likelihood": "1"})

    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.likelihood, list(risk.initiatives.all())) == ("mitigated", 1, [initiative_b])
    assert risk.history.latest().history_change_reason == "Edited on the risk register"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"operations_owner": "tech"}, "operations_owner", "a different person from the technology owner"),
        ({"likelihood": "0"}, "likelihood", "Likelihood is rated from 1 (rare) to 5 (almost certain)."),
        ({"impact": "6"}, "impact", "Impact is rated from 1 (minor) to 5 (severe)."),
        ({"category": "weather"}, "category", "not one of the available choices"),
        ({"preventive_measures": ""}, "preventive_measures", "required"),
    ],
)
def test_an_invalid_risk_is_refused_on_its_field_and_nothing_changes(
    client, admin_user, cio, coo, changes, field, message
):
    risk = _risk(cio, coo)
    client.force_login(admin_user)
    body = {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, **changes}
    if body["operations_owner"] == "tech":
        body["operations_owner"] = cio.pk

    added = client.post(f"{RISKS}new/", body)
    edited = client.post(f"{RISKS}{risk.pk}/edit/", body)

    for response in (added, edited):
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors[field])
    assert Risk.objects.count() == 1
    risk.refresh_from_db()
    assert (risk.title, risk.history.count()) == ("Prompt injection through customer emails", 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"operations_owner": "cio"}, "operations_owner"), ({"likelihood": 0}, "likelihood"), ({"impact": 6}, "impact")],
)
def test_risk_save_refuses_what_the_register_cannot_hold(admin_user, cio, coo, initiative_a, changes, field):
    data = {**RISK_FORM, "technology_owner": cio, "operations_owner": coo, "likelihood": 3, "impact": 4}
    data.update({k: cio if v == "cio" else v for k, v in changes.items()})

    with pytest.raises(ValidationError) as refusal:
        registers.risk_save(by=admin_user, data=data, initiatives=[initiative_a])

    assert field in refusal.value.message_dict
    assert not Risk.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_add_or_change_a_risk(request, persona, cio, coo, initiative_a):
    user = request.getfixturevalue(persona)
    risk = _risk(cio, coo)
    data = {**RISK_FORM, "technology_owner": cio, "operations_owner": coo, "likelihood": 3, "impact": 4}

    with pytest.raises(PermissionDenied, match="Only admins keep the risk register"):
        registers.risk_save(by=user, data=data, initiatives=[])
    with pytest.raises(PermissionDenied):
        registers.risk_save(by=user, risk=risk, data={**data, "status": "closed"}, initiatives=[initiative_a])

    assert list(Risk.objects.values_list("status", flat=True)) == ["open"]
    assert not risk.initiatives.exists()


def test_the_database_refuses_a_risk_owned_twice_by_one_person(cio):
    with pytest.raises(IntegrityError), transaction.atomic():
        _risk(cio, cio)


def test_the_api_refuses_a_risk_owned_twice_by_one_person_naming_the_field(client, admin_user, cio):
    client.force_login(admin_user)
    body = {
        "title": "Model drifts",
        "category": "operational_disruption",
        "preventive_measures": "Monthly drift report.",
        "responsive_measures": "Route claims to people.",
        "technology_owner": cio.username,
        "operations_owner": cio.username,
        "likelihood": 3,
        "impact": 3,
    }

    response = client.post("/api/v1/risks/", body, content_type="application/json")

    assert response.status_code == 400
    assert "a different person from the technology owner" in response.json()["operations_owner"][0]
    assert not Risk.objects.exists()


# --- Shared-zone decisions -----------------------------------------------------------------------------


def test_shared_zone_groups_decisions_by_topic_with_both_inputs_the_decision_and_its_date(client, cio, initiative_a):
    _zone(
        "AI budget",
        topic="investment_level",
        ceo_input="Keep spend flat.",
        coo_input="Fund reskilling.",
        joint_decision="€4.2m with €0.6m for reskilling.",
        decided_on=date(2026, 8, 18),
    )
    _zone("Redeployment", topic="workforce_commitment", initiative=initiative_a, ceo_input="Nobody loses their job.")
    client.force_login(cio)

    html = client.get(SHARED_ZONE).content.decode()

    topics = re.findall(r'<section class="topic" id="topic-(\w+)">', html)
    assert topics == ["investment_level", "timeline", "success_metrics", "workforce_commitment"]
    investment = html[html.index('id="topic-investment_level"') : html.index('id="topic-timeline"')]
    for shown in (
        "AI budget",
        "Keep spend flat.",
        "Fund reskilling.",
        "€4.2m with €0.6m for reskilling.",
        "18 Aug 2026",
    ):
        assert shown in investment
    workforce = html[html.index('id="topic-workforce_commitment"') :]
    assert "Waiting for the COO input" in workforce
    assert f'href="/initiatives/{initiative_a.code}/"' in workforce
    assert "<form" not in html.split("<main>")[1].split("</main>")[0]  # the CIO gives no input here


def test_the_ceo_gives_the_ceo_input_and_only_that(client, ceo):
    decision = _zone()
    client.force_login(ceo)

    given = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "Before the renewals."})
    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/coo/", {"text": "Written by the CEO."})

    assert given.status_code == 302
    assert refused.status_code == 403
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.coo_input) == ("Before the renewals.", "")
    record = decision.history.latest()
    assert record.history_change_reason == f"CEO input given by {ceo}"
    assert record.history_user == ceo


def test_the_coo_gives_the_coo_input_and_only_that(client, coo):
    decision = _zone(ceo_input="Before the renewals.")
    client.force_login(coo)

    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "Written by the COO."})
    given = client.post(f"{SHARED_ZONE}{decision.pk}/input/coo/", {"text": "After the renewals."})

    assert (refused.status_code, given.status_code) == (403, 302)
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.coo_input) == ("Before the renewals.", "After the renewals.")
    assert decision.history.latest().history_change_reason == f"COO input given by {coo}"


def test_the_ceo_revises_their_input_and_the_history_says_so(ceo):
    decision = _zone(ceo_input="Before the renewals.")

    registers.shared_zone_input_give(decision=decision, by=ceo, side="ceo", text="In the spring.")

    decision.refresh_from_db()
    assert decision.ceo_input == "In the spring."
    assert decision.history.latest().history_change_reason == f"CEO input revised by {ceo}"


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a", "admin_user"])
def test_nobody_but_the_ceo_and_the_coo_gives_an_input_or_decides(request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    open_decision = _zone("Budget", topic="investment_level")

    for side in ("ceo", "coo"):
        with pytest.raises(PermissionDenied, match=f"Only the {side.upper()} gives the {side.upper()} input"):
            registers.shared_zone_input_give(decision=open_decision, by=user, side=side, text="Mine.")
    with pytest.raises(PermissionDenied, match="Only the CEO or the COO records the joint decision"):
        registers.shared_zone_decide(decision=decision, by=user, joint_decision="Pilot in spring.")

    assert list(SharedZoneDecision.objects.order_by("pk").values_list("ceo_input", "coo_input", "joint_decision")) == [
        ("Before the renewals.", "After them.", ""),
        ("", "", ""),
    ]


@pytest.mark.parametrize(
    ("inputs", "missing"),
    [
        ({}, "The CEO and the COO inputs are missing"),
        ({"ceo_input": "Before the renewals."}, "The COO input is missing"),
        ({"coo_input": "After them."}, "The CEO input is missing"),
    ],
)
def test_the_joint_decision_is_refused_until_both_inputs_are_in_naming_the_missing_one(client, ceo, inputs, missing):
    decision = _zone(**inputs)
    client.force_login(ceo)

    response = client.post(f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Pilot in spring."})
    with pytest.raises(ValidationError) as refusal:
        registers.shared_zone_decide(decision=decision, by=ceo, joint_decision="Pilot in spring.")

    assert response.status_code == 400
    assert missing in response.content.decode()
    assert refusal.value.message_dict["joint_decision"][0].startswith(missing)
    decision.refresh_from_db()
    assert (decision.joint_decision, decision.decided_on, decision.history.count()) == ("", None, 1)


@pytest.mark.parametrize("persona", ["ceo", "coo"])
def test_the_ceo_or_the_coo_records_the_joint_decision_dated_today_by_default(client, request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    client.force_login(user)

    response = client.post(
        f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Pilot in spring.", "decided_on": ""}
    )

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.joint_decision, decision.decided_on) == ("Pilot in spring.", timezone.localdate())
    assert decision.history.latest().history_change_reason == f"Joint decision recorded by {user}"


def test_the_joint_decision_keeps_the_date_given(coo):
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")

    registers.shared_zone_decide(decision=decision, by=coo, joint_decision="Spring.", decided_on=date(2026, 3, 2))

    decision.refresh_from_db()
    assert decision.decided_on == date(2026, 3, 2)


def test_a_joint_decision_dated_in_the_future_is_refused(client, ceo):
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    client.force_login(ceo)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Spring.", "decided_on": tomorrow.isoformat()}
    )

    assert response.status_code == 400
    assert "today or earlier" in response.content.decode()
    decision.refresh_from_db()
    assert decision.joint_decision == ""


def test_once_decided_neither_the_inputs_nor_the_decision_change(ceo, coo):
    decision = _zone(ceo_input="Before.", coo_input="After.", joint_decision="Spring.", decided_on=date(2026, 3, 2))

    with pytest.raises(ValidationError) as input_refusal:
        registers.shared_zone_input_give(decision=decision, by=ceo, side="ceo", text="Now I think otherwise.")
    with pytest.raises(ValidationError) as decision_refusal:
        registers.shared_zone_decide(decision=decision, by=coo, joint_decision="Autumn.")

    assert "recorded on 2026-03-02" in input_refusal.value.message_dict["ceo_input"][0]
    assert "already recorded on 2026-03-02" in decision_refusal.value.message_dict["joint_decision"][0]
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.joint_decision, decision.history.count()) == ("Before.", "Spring.", 1)


def test_an_empty_input_is_refused_and_shown_at_its_decision(client, ceo):
    decision = _zone()
    client.force_login(ceo)

    response = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "   "})

    assert response.status_code == 400
    card = response.content.decode().split(f'id="decision-{decision.pk}"')[1]
    assert "CEO input · Your input: Write your input: it cannot be empty." in card
    decision.refresh_from_db()
    assert decision.ceo_input == ""


def test_admin_adds_and_corrects_a_decision_but_gives_no_input(client, admin_user, initiative_a):
    client.force_login(admin_user)

    added = client.post(
        f"{SHARED_ZONE}new/", {"topic": "investment_level", "title": "Budget", "initiative": initiative_a.pk}
    )
    decision = SharedZoneDecision.objects.get()
    corrected = client.post(
        f"{SHARED_ZONE}{decision.pk}/edit/", {"topic": "timeline", "title": "Go-live", "initiative": ""}
    )
    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "From the admin."})

    assert (added.status_code, corrected.status_code, refused.status_code) == (302, 302, 403)
    decision.refresh_from_db()
    assert (decision.topic, decision.title, decision.initiative, decision.ceo_input) == (
        "timeline",
        "Go-live",
        None,
        "",
    )
    assert decision.history.latest().history_change_reason == f"Corrected by {admin_user}"


def test_an_unknown_topic_is_refused_on_its_field(client, admin_user):
    client.force_login(admin_user)

    response = client.post(f"{SHARED_ZONE}new/", {"topic": "weather", "title": "Budget", "initiative": ""})

    assert response.status_code == 400
    assert "topic" in response.context["form"].errors
    assert not SharedZoneDecision.objects.exists()


@pytest.mark.parametrize("persona", ["ceo", "cio", "ops_lead_a"])
def test_only_admins_add_or_correct_shared_zone_decisions(request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone()

    with pytest.raises(PermissionDenied, match="Only admins add"):
        registers.shared_zone_decision_save(by=user, data={"topic": "timeline", "title": "Mine", "initiative": None})
    with pytest.raises(PermissionDenied, match="Only admins correct"):
        registers.shared_zone_decision_save(by=user, decision=decision, data={"title": "Renamed"})

    assert list(SharedZoneDecision.objects.values_list("title", flat=True)) == [decision.title]


# --- The expansion pipeline ----------------------------------------------------------------------------


def _candidates(cio, coo):
    """Candidates at idea and assessed with distinct and tied scores, one not scored, and
    initiatives past assessment that never count."""
    made = {}
    for name, stage, bandwidth, roi in (
        ("Beta", "idea", 5, 3),
        ("Alpha", "assessed", 3, 3),
        ("Gamma", "idea", 3, 3),  # tied with Alpha: by name
        ("Delta", "assessed", 3, 5),  # clearer ROI than Alpha and Gamma
    ):
        made[name] = factories.InitiativeFactory(name=name, stage=stage, technology_owner=cio, operations_owner=coo)
        _inputs(made[name], bandwidth=bandwidth, roi=roi)
    made["Unscored"] = factories.InitiativeFactory(
        name="Aardvark", stage="idea", technology_owner=cio, operations_owner=coo
    )
    made["Live"] = factories.InitiativeFactory(
        name="Live one", stage="production", technology_owner=cio, operations_owner=coo
    )
    _inputs(made["Live"], bandwidth=5, structure=5, data=5, risk=5, roi=5)
    made["Building"] = factories.InitiativeFactory(
        name="Building one", stage="building", technology_owner=cio, operations_owner=coo
    )
    _inputs(made["Building"], bandwidth=5)
    return made


def test_the_pipeline_ranks_candidates_as_the_exco_page_does_with_the_unscored_last(client, cio, coo):
    _candidates(cio, coo)
    client.force_login(cio)

    page = client.get(PIPELINE).context["page"]
    exco = dashboard.exco_dashboard(timezone.localdate().replace(day=1))["pipeline"]

    ranked = [i.name for i in page]
    assert ranked == ["Beta", "Delta", "Alpha", "Gamma", "Aardvark"]
    assert [row["initiative"].name for row in exco] == ranked[:4]
    assert [i.rank for i in page if i.inputs] == [1, 2, 3, 4]


def test_the_pipeline_shows_each_candidates_inputs_score_stage_and_owners(client, cio, coo):
    made = _candidates(cio, coo)
    client.force_login(cio)

    html = client.get(PIPELINE).content.decode()

    beta = _section(html, f'id="candidate-{made["Beta"].code}"')
    cells = re.findall(r'<td class="num[^"]*">(?:<strong>)?([^<]*)', beta)
    # rank, bandwidth, structure, data, risk, feasibility, ROI clarity, volume, score
    assert cells == ["1", "5", "3", "3", "3", "3.00", "3", "500", "15.55"]
    assert "Idea" in beta
    assert str(cio) in beta
    assert str(coo) in beta
    assert str(made["Beta"].prioritisation.score) == "15.55"
    unscored = _section(html, f'id="candidate-{made["Unscored"].code}"')
    assert 'class="not-scored"' in unscored
    assert "not scored" in unscored
    assert "Live one" not in html
    assert "Building one" not in html
    assert "Edit inputs" not in html  # the CIO reads the pipeline, admins score it


def test_admin_sets_and_changes_a_candidates_inputs_with_history(client, admin_user, cio, coo):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    client.force_login(admin_user)
    body = {
        "management_bandwidth": "4",
        "process_structure": "3",
        "data_availability": "5",
        "risk_profile": "2",
        "roi_clarity": "4",
        "monthly_volume": "1200",
    }

    first = client.post(f"{PIPELINE}{candidate.code}/inputs/", body)
    second = client.post(f"{PIPELINE}{candidate.code}/inputs/", {**body, "management_bandwidth": "5"})

    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == f"{PIPELINE}#candidate-{candidate.code}"
    inputs = PrioritisationInput.objects.get(initiative=candidate)
    assert (inputs.management_bandwidth, inputs.data_availability, inputs.monthly_volume) == (5, 5, 1200)
    reasons = list(inputs.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["Prioritisation inputs set on the pipeline", "Prioritisation inputs changed on the pipeline"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("management_bandwidth", "0", "Management bandwidth is scored from 1 to 5."),
        ("process_structure", "6", "Process structure is scored from 1 to 5."),
        ("data_availability", "", "Data availability is scored from 1 to 5."),
        ("risk_profile", "9", "Risk profile is scored from 1 to 5."),
        ("roi_clarity", "0", "ROI clarity is scored from 1 to 5."),
        ("monthly_volume", "-1", "Monthly volume is a whole number of cases a month, 0 or more."),
    ],
)
def test_an_input_out_of_range_is_refused_on_its_field_and_nothing_changes(
    client, admin_user, cio, coo, field, value, message
):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    inputs = _inputs(candidate)
    client.force_login(admin_user)
    body = {name: "4" for name in PRIORITISATION_SCORES} | {"monthly_volume": "100"}

    response = client.post(f"{PIPELINE}{candidate.code}/inputs/", {**body, field: value})

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert "Inputs · " in response.content.decode()
    inputs.refresh_from_db()
    assert (inputs.management_bandwidth, inputs.monthly_volume, inputs.history.count()) == (3, 500, 1)


@pytest.mark.parametrize("field", PRIORITISATION_SCORES)
def test_the_service_refuses_a_score_outside_1_to_5_naming_the_field(admin_user, cio, coo, field):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    data = {name: 3 for name in PRIORITISATION_SCORES} | {"monthly_volume": 10}

    with pytest.raises(ValidationError) as refusal:
        prioritisation_input_save(initiative=candidate, by=admin_user, data={**data, field: 6})

    assert refusal.value.message_dict == {field: [f"{PRIORITISATION_LABELS[field]} is scored from 1 to 5."]}
    assert not PrioritisationInput.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_set_prioritisation_inputs(request, persona, initiative_a):
    user = request.getfixturevalue(persona)
    data = {name: 3 for name in PRIORITISATION_SCORES} | {"monthly_volume": 10}

    with pytest.raises(PermissionDenied, match="Only admins set"):
        prioritisation_input_save(initiative=initiative_a, by=user, data=data)

    assert not PrioritisationInput.objects.exists()


# --- A fixed number of queries whatever the register's size ------------------------------------------------


def _fill_registers(count: int, cio, coo) -> None:
    for n in range(count):
        initiative = factories.InitiativeFactory(
            stage="idea" if n % 2 else "assessed", technology_owner=cio, operations_owner=coo
        )
        if n % 3:
            _inputs(initiative, bandwidth=1 + n % 5)
        _tool(f"Tool {n}", team=f"Team {n}", status="adopted" if n % 2 else "under_review", promoted_to=initiative)
        risk = _risk(cio, coo, f"Risk {n}", likelihood=1 + n % 5, impact=1 + (n * 2) % 5)
        risk.initiatives.add(initiative)
        _zone(
            f"Decision {n}", topic="timeline" if n % 2 else "success_metrics", initiative=initiative, ceo_input="Yes."
        )


@pytest.mark.parametrize("count", [2, 30])
@pytest.mark.parametrize(
    ("url", "persona", "most"),
    [
        # Session, user, roles, Django's model permissions (two queries, once per request) when a rule
        # refuses (the page asks whether the reader may edit), the tools counted and read, the restricted
        # ones under review counted.
        (SHADOW_AI + "?status=adopted", "cio", 8),
        # Session, user, roles, model permissions (two), the initiatives to filter on, the heat grid, the
        # risks counted and read, their initiatives.
        (RISKS + "?category=cyber", "cio", 10),
        # Session, user, roles, model permissions (two), the decisions with their initiatives.
        (SHARED_ZONE, "ceo", 6),
        # Session, user, roles, the candidates counted and read with their owners and inputs.
        (PIPELINE, "admin_user", 5),
    ],
)
def test_each_register_page_costs_the_same_queries_whatever_its_size(
    client, request, django_assert_max_num_queries, cio, coo, count, url, persona, most
):
    _fill_registers(count, cio, coo)
    client.force_login(request.getfixturevalue(persona))

    with django_assert_max_num_queries(most):
        response = client.get(url)

    assert response.status_code == 200


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
