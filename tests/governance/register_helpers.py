"""What the registers' tests share: the pages' addresses, and a shadow-AI tool, a risk, a shared-zone
decision and prioritisation inputs made straight in the database.
"""

from datetime import date

from governance.models import Risk, ShadowAITool, SharedZoneDecision
from initiatives.models import PrioritisationInput

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
