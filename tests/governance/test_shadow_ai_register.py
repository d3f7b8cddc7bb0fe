"""The shadow-AI register (governance/views/registers.py): each tool with its facts and what it
became, its filters, and tools registered and edited by admins only, each refusal leaving nothing
behind."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.models import ShadowAITool
from governance.services.shadow_ai import SHADOW_AI_TOOL_FIELDS, shadow_ai_tool_save
from tests.governance.register_helpers import SHADOW_AI, _section, _tool

pytestmark = pytest.mark.django_db


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

    # The list, not the register's history below it (which names every tool that changed).
    under_review = client.get(SHADOW_AI, {"status": "under_review"}).content.decode().split('id="history"')[0]
    public_under_review = (
        client.get(SHADOW_AI, {"status": "under_review", "sensitivity": "public"})
        .content.decode()
        .split('id="history"')[0]
    )

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
