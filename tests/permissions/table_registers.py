"""The permission table's rows for the registers and the pipeline: shadow AI and promotion, risks,
shared-zone decisions and prioritisation inputs.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps

from governance.models import Risk, ShadowAITool
from tests.permissions.cases import MAKERS, PAGE, Case, changed, created

# --- The registers and the pipeline (governance/views/registers.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).
# The table has no CEO or COO persona: their inputs and the joint decision are refused to all five here, and
# given by the CEO and the COO in tests/governance/test_shared_zone.py.

SharedZoneDecision = apps.get_model("governance", "SharedZoneDecision")
PrioritisationInput = apps.get_model("initiatives", "PrioritisationInput")


def _zone_decision(**inputs):
    def make(w):
        return SharedZoneDecision.objects.create(
            topic="timeline", title="Go-live window for claims triage", initiative=w["initiative_a"], **inputs
        )

    return make


MAKERS.update(
    {
        "tool_in_use": lambda w: ShadowAITool.objects.create(
            tool="Free online translator",
            team="Claims cross-border desk",
            use="Translating foreign repair reports",
            why_it_helps="No week-long wait for a translator",
            data_sensitivity="restricted",
            discovered_on=date(2026, 1, 15),
        ),
        "zone_decision": _zone_decision(),
        "zone_decision_with_inputs": _zone_decision(ceo_input="Before the renewals.", coo_input="After them."),
    }
)
ADMIN_PAGE = (302, 403, 403, 403, 200)  # a page only admins may use
ADMIN_WRITE = (302, 403, 403, 403, 302)
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
PROMOTE_FORM = {
    "code": "translation-desk",
    "name": "Translation desk",
    "business_unit": "Claims cross-border desk",
    "process": "Translating foreign repair reports",
    "sourcing": "buy",
    "technology_owner": "{cio.pk}",
    "operations_owner": "{coo.pk}",
    "sponsor": "",
    "technology_owner_description": "Machine translation of foreign reports inside our network.",
    "operations_owner_description": "Claims handlers read foreign reports the day they arrive.",
    "status": "replaced",
}
RISK_FORM = {
    "title": "Model drifts after a policy change",
    "category": "operational_disruption",
    "description": "",
    "preventive_measures": "Monthly drift report.",
    "responsive_measures": "Route claims to people until retrained.",
    "technology_owner": "{cio.pk}",
    "operations_owner": "{coo.pk}",
    "likelihood": "3",
    "impact": "4",
    "status": "mitigated",
    "initiatives": ["{initiative_a.pk}"],
}
ZONE_FORM = {"topic": "investment_level", "title": "Budget for next year", "initiative": ""}
INPUTS_FORM = {
    "management_bandwidth": "4",
    "process_structure": "3",
    "data_availability": "5",
    "risk_profile": "2",
    "roi_clarity": "4",
    "monthly_volume": "1200",
}

# fmt: off
REGISTERS_CASES: list[Case] = [
    # The shadow-AI register: read by everyone signed in, kept by admins, who promote a tool to an initiative.
    Case("GET", "/governance/shadow-ai/", PAGE),
    Case("GET", "/governance/shadow-ai/history/", PAGE),
    Case("GET", "/governance/shadow-ai/new/", ADMIN_PAGE),
    Case("POST", "/governance/shadow-ai/new/", ADMIN_WRITE, TOOL_FORM,
         created(ShadowAITool, tool="Gemini", team="Underwriting")),
    Case("GET", "/governance/shadow-ai/{shadow_ai_tool.pk}/edit/", ADMIN_PAGE),
    Case("POST", "/governance/shadow-ai/{shadow_ai_tool.pk}/edit/", ADMIN_WRITE, {**TOOL_FORM, "status": "blocked"},
         changed(ShadowAITool, "shadow_ai_tool", tool="Gemini", status="blocked")),
    Case("GET", "/governance/shadow-ai/{tool_in_use.pk}/promote/", ADMIN_PAGE),
    Case("POST", "/governance/shadow-ai/{tool_in_use.pk}/promote/", ADMIN_WRITE, PROMOTE_FORM,
         changed(ShadowAITool, "tool_in_use", promoted_to__code="translation-desk", promoted_to__stage="idea",
                 status="replaced")),
    # The risk register: read by everyone signed in, kept by admins.
    Case("GET", "/governance/risks/", PAGE),
    Case("GET", "/governance/risks/history/", PAGE),
    Case("POST", "/governance/risks/history/", (302, 405, 405, 405, 405)),
    Case("GET", "/governance/risks/new/", ADMIN_PAGE),
    Case("POST", "/governance/risks/new/", ADMIN_WRITE, RISK_FORM,
         created(Risk, title=RISK_FORM["title"], initiatives__code="{initiative_a.code}")),
    Case("GET", "/governance/risks/{risk_a.pk}/edit/", ADMIN_PAGE),
    Case("POST", "/governance/risks/{risk_a.pk}/edit/", ADMIN_WRITE, RISK_FORM,
         changed(Risk, "risk_a", title=RISK_FORM["title"], status="mitigated")),
    # Shared-zone decisions: admins add and correct them; the CEO and the COO give the inputs and decide.
    Case("GET", "/governance/shared-zone/", PAGE),
    Case("GET", "/governance/shared-zone/history/", PAGE),
    Case("GET", "/governance/shared-zone/new/", ADMIN_PAGE),
    Case("POST", "/governance/shared-zone/new/", ADMIN_WRITE, ZONE_FORM,
         created(SharedZoneDecision, title=ZONE_FORM["title"])),
    Case("GET", "/governance/shared-zone/{zone_decision.pk}/edit/", ADMIN_PAGE),
    Case("POST", "/governance/shared-zone/{zone_decision.pk}/edit/", ADMIN_WRITE, ZONE_FORM,
         changed(SharedZoneDecision, "zone_decision", title=ZONE_FORM["title"])),
    Case("GET", "/governance/shared-zone/{zone_decision.pk}/input/ceo/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/shared-zone/{zone_decision.pk}/input/ceo/", (302, 403, 403, 403, 403),
         {"text": "Spend no more."}, changed(SharedZoneDecision, "zone_decision", ceo_input="Spend no more."),
         note="the CEO's"),
    Case("POST", "/governance/shared-zone/{zone_decision.pk}/input/coo/", (302, 403, 403, 403, 403),
         {"text": "Train first."}, changed(SharedZoneDecision, "zone_decision", coo_input="Train first."),
         note="the COO's"),
    Case("GET", "/governance/shared-zone/{zone_decision_with_inputs.pk}/decide/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/shared-zone/{zone_decision_with_inputs.pk}/decide/", (302, 403, 403, 403, 403),
         {"joint_decision": "Pilot in spring.", "decided_on": ""},
         changed(SharedZoneDecision, "zone_decision_with_inputs", joint_decision="Pilot in spring."),
         note="the CEO's or the COO's"),
    # The expansion pipeline: read by everyone signed in; admins set an initiative's inputs.
    Case("GET", "/governance/pipeline/", PAGE),
    Case("GET", "/governance/pipeline/{initiative_a.code}/inputs/", ADMIN_PAGE),
    Case("POST", "/governance/pipeline/{initiative_a.code}/inputs/", ADMIN_WRITE, INPUTS_FORM,
         created(PrioritisationInput, initiative__code="{initiative_a.code}", management_bandwidth=4)),
]
# fmt: on
