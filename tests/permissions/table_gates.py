"""The permission table's rows for the governance workspace's front page, the deployment brief and
its signatures, and the governance gates.
"""

from __future__ import annotations

from governance.models import GovernanceGate
from initiatives.models import DeploymentBrief, Initiative
from tests.permissions.cases import MAKERS, PAGE, RUNS_A, Case, changed, created

# --- The brief, its signatures and the gates (initiatives/views.py) ---------------------------------------------------


def _brief_a(w):
    """Initiative A's unsigned brief, with the CIO (the table's executive) as its sponsor."""
    Initiative.objects.filter(pk=w["initiative_a"].pk).update(sponsor=w["cio"])
    return DeploymentBrief.objects.create(
        initiative=w["initiative_a"], scope="Route claims.", investment=1000, governance="Matrix.", timeline="Q3."
    )


MAKERS.update({"brief_a": _brief_a})
BRIEF = {"scope": "Route claims and letters.", "investment": "1000", "governance": "Matrix.", "timeline": "Q3."}
SIGN = {"slot": "sponsor", "read_at": "{brief_a.revised_at}"}

# fmt: off
GATES_CASES: list[Case] = [
    # The governance workspace's front page (governance/views/home.py): read by everyone signed in.
    Case("GET", "/governance/", PAGE),
    # The brief: written by initiative A's ops lead and admins, signed by its sponsor (the CIO here).
    Case("GET", "/initiatives/{initiative_a.code}/brief/", RUNS_A),
    Case("POST", "/initiatives/{initiative_a.code}/brief/", (302, 403, 302, 403, 302), {**BRIEF, "read_at": ""},
         created(DeploymentBrief, initiative__code="{initiative_a.code}", scope=BRIEF["scope"])),
    Case("GET", "/initiatives/{brief_a.initiative.code}/brief/sign/", (302, 405, 405, 405, 405)),
    Case("POST", "/initiatives/{brief_a.initiative.code}/brief/sign/", (302, 302, 403, 403, 403), SIGN,
         changed(DeploymentBrief, "brief_a", sponsor_signed_by__username="cio"), note="the sponsor's slot"),
    # Gates: recorded done by admins only.
    Case("GET", "/governance/gates/{initiative_a.code}/testing/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/gates/{initiative_a.code}/testing/", (302, 403, 403, 403, 302), {"description": ""},
         created(GovernanceGate, initiative__code="{initiative_a.code}", kind="testing", done_at__isnull=False)),
]
# fmt: on
