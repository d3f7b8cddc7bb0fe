"""What the permission table's rows are made of: the five personas, the objects a row names (MAKERS,
each made when first named into the World), what an allowed write must have done, valid bodies,
the Case a row is and the usual answers of the five personas.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.models import DecisionRequest, MatrixVersion, Risk, ShadowAITool
from initiatives.models import BacklogItem, Initiative, Milestone, WorkflowChange
from metrics.models import MonthlySnapshot
from metrics.services.csv_import import csv_import_create
from scoreboard.exco.services import review_sign
from tests import factories

PERSONAS = ("anonymous", "cio", "ops_lead_a", "ops_lead_b", "admin")


# --- The objects a row names ------------------------------------------------------------------


def _published_v1(w):
    return MatrixVersion.objects.create(
        number=1,
        status=MatrixVersion.Status.PUBLISHED,
        effective_from=date(2026, 1, 1),
        reason="First matrix.",
        created_by=w["admin"],
        published_by=w["admin"],
        approved_by=w["coo"],
        published_at=timezone.now(),
        submitted_at=timezone.now(),
    )


def _request_to(executive: str):
    def make(w):
        now = timezone.now()
        return DecisionRequest.objects.create(
            question=f"Go live with {w['initiative_a'].code} in Belgium?",
            initiative=w["initiative_a"],
            requested_by=w["ops_lead_a"],
            executive=w[executive],
            requested_at=now,
            due_at=now + timedelta(hours=24),
        )

    return make


def _review_signed_by(slot: str, month: date):
    def make(w):
        return review_sign(month=month, by=w[slot], slot=slot, comment="On track.")

    return make


def _restatable(w):
    """November 2025, signed by both, with late data that would restate a figure."""
    month = date(2025, 11, 1)
    review_sign(month=month, by=w["cio"], slot="cio", comment="On track.")
    review = review_sign(month=month, by=w["coo"], slot="coo", comment="Agreed.")
    MonthlySnapshot.objects.create(
        kpi=w["kpi"], month=month, value=65, pending_restatement_value=80, computed_at=timezone.now()
    )
    return review


def _in_use(name: str, *referrers: str):
    """The object ``name``, once the ``referrers`` are made: they need it, so it cannot be deleted."""

    def make(w):
        for referrer in referrers:
            w[referrer]
        return w[name]

    return make


def _kpi(code: str, scope: str):
    def make(w):
        return factories.KPIFactory(
            code=code, scope=scope, accountable_executive=w["cio"], co_accountable_executive=w["coo"]
        )

    return make


MAKERS: dict[str, Callable] = {
    "company_kpi": _kpi("company-kpi", "company"),
    "spare_kpi": _kpi("spare-kpi", "initiative"),
    "kpi_in_use": _in_use("kpi", "measurement_a"),
    "initiative_a_in_use": _in_use("initiative_a", "measurement_a"),
    "target_a": lambda w: factories.TargetFactory(kpi=w["kpi"], initiative=w["initiative_a"]),
    "measurement_a": lambda w: factories.MeasurementFactory(kpi=w["kpi"], initiative=w["initiative_a"]),
    "snapshot_a": lambda w: MonthlySnapshot.objects.create(
        kpi=w["kpi"], initiative=w["initiative_a"], month=date(2026, 1, 1), value=50, computed_at=timezone.now()
    ),
    "milestone_a": lambda w: Milestone.objects.create(
        initiative=w["initiative_a"], title="Pilot in Ghent", due_on=date(2026, 4, 1)
    ),
    "backlog_item_a": lambda w: BacklogItem.objects.create(
        initiative=w["initiative_a"], title="Handle handwritten forms", priority=2
    ),
    "workflow_change_a": lambda w: WorkflowChange.objects.create(
        initiative=w["initiative_a"], process_name="Claims intake", adoption_target_percent=50
    ),
    # Deleting a workflow change is for an initiative that has not left "assessed" (the gates).
    "workflow_change_assessed": lambda w: (
        Initiative.objects.filter(pk=w["initiative_a"].pk).update(stage="assessed"),
        w["workflow_change_a"],
    )[1],
    "shadow_ai_tool": lambda w: ShadowAITool.objects.create(
        tool="ChatGPT",
        team="Claims",
        use="Drafting letters to customers",
        why_it_helps="Saves an hour a day",
        data_sensitivity="restricted",
        discovered_on=date(2026, 2, 1),
    ),
    "risk_a": lambda w: _risk(w),
    "published_v1": _published_v1,
    "draft_v2": lambda w: factories.MatrixVersionFactory(number=2, created_by=w["admin"]),
    "decision_v1": lambda w: factories.MatrixDecisionFactory(version=w["published_v1"], key="published-decision"),
    "decision_v2": lambda w: factories.MatrixDecisionFactory(version=w["draft_v2"], key="draft-decision"),
    "draft_v2_in_use": _in_use("draft_v2", "decision_v2"),
    "csv_import_a": lambda w: csv_import_create(
        initiative=w["initiative_a"], by=w["ops_lead_a"], file_name="checked.csv", data=CSV_FILE
    ),
    "request_to_cio": _request_to("cio"),
    "request_to_coo": _request_to("coo"),
    "review_cio": _review_signed_by("cio", date(2026, 1, 1)),  # signed by the CIO only: open
    "review_coo": _review_signed_by("coo", date(2025, 12, 1)),  # signed by the COO only: open
    "restatable": _restatable,
    "kept_pack": lambda w: factories.MonthlyPackFactory(month=date(2025, 10, 1), revision=1),
}


def _risk(w):
    risk = Risk.objects.create(
        title="Customer data leaves the EU",
        category="privacy",
        preventive_measures="EU-hosted model endpoints only.",
        responsive_measures="Tell the DPO within 24 hours.",
        technology_owner=w["cio"],
        operations_owner=w["coo"],
        likelihood=2,
        impact=4,
    )
    risk.initiatives.add(w["initiative_a"])
    return risk


class World(dict):
    """The personas and the fixtures' objects; any other object a row names is made when first named."""

    def __missing__(self, name):
        self[name] = MAKERS[name](self)
        return self[name]


def fill(value, world: World):
    """The URL or body with its placeholders filled in from the world (making what they name)."""
    if callable(value):  # made afresh for each request, e.g. an uploaded file
        return value(world)
    if isinstance(value, str):
        return value.format_map(world)
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    return value


# --- What an allowed write must have done -------------------------------------------------------


def created(model, **fields) -> Callable[[World], bool]:
    return lambda w: model.objects.filter(**fill(fields, w)).exists()


def changed(model, obj: str, /, **fields) -> Callable[[World], bool]:
    return lambda w: model.objects.filter(pk=w[obj].pk, **fill(fields, w)).exists()


def any_of(*dones: Callable[[World], bool]) -> Callable[[World], bool]:
    """A write whose outcome depends on who sends it (a form showing each person their own fields)."""
    return lambda w: any(done(w) for done in dones)


def deleted(model, obj: str) -> Callable[[World], bool]:
    return lambda w: not model.objects.filter(pk=w[obj].pk).exists()


def signed_out(w) -> bool:
    return not Session.objects.exists()


# --- Valid bodies ---------------------------------------------------------------------------------

KPI_BODY = {
    "code": "straight-through",
    "name": "Straight-through rate",
    "family": "coo_operations",
    "unit": "percent",
    "direction": "higher",
    "aggregation": "mean",
    "scope": "initiative",
    "accountable_executive": "{cio.username}",
    "co_accountable_executive": "{coo.username}",
}
# The KPI's edit page (/kpis/<code>/edit/): the whole form, as the permission table's `kpi` is stored
# but renamed; the executives by their ids, as a form's select sends them.
KPI_PAGE_EDIT = {
    "name": "Renamed on its page",
    "family": "coo_operations",
    "unit": "percent",
    "direction": "higher",
    "scope": "initiative",
    "aggregation": "mean",
    "accountable_executive": "{cio.pk}",
    "co_accountable_executive": "{coo.pk}",
    "expected_interval_days": "31",
    "period": "day",
    "display_order": "100",
}
TARGET_BODY = {
    "kpi": "{kpi.code}",
    "initiative": "{initiative_a.code}",
    "effective_from": "2026-01-01",
    "target": "85.0000",
    "red_threshold": "65.0000",
}
MEASUREMENT_A = {"kpi": "{kpi.code}", "initiative": "{initiative_a.code}", "observed_at": "2026-03-10T09:00:00Z"}
MEASUREMENT_B = {"kpi": "{kpi.code}", "initiative": "{initiative_b.code}", "observed_at": "2026-03-10T09:00:00Z"}
COMPANY_MEASUREMENT = {"kpi": "{company_kpi.code}", "initiative": None, "observed_at": "2026-03-10T09:00:00Z"}
INITIATIVE_BODY = {
    "code": "invoice-matching",
    "name": "Invoice matching",
    "business_unit": "Finance",
    "process": "Accounts payable",
    "stage": "idea",
    "sourcing": "buy",
    "technology_owner": "{cio.username}",
    "operations_owner": "{coo.username}",
    "technology_owner_description": "Matches invoices to purchase orders with a model.",
    "operations_owner_description": "Clerks only handle the invoices that do not match.",
}
INITIATIVE_A_BODY = {
    **INITIATIVE_BODY,
    "code": "{initiative_a.code}",
    "name": "Claims triage, renamed",
    # Each owner's words as they stand: only that owner (or an admin) changes them (OWN_WORDS).
    "technology_owner_description": "{initiative_a.technology_owner_description}",
    "operations_owner_description": "{initiative_a.operations_owner_description}",
}
OWN_WORDS = "A language model reads each claim and suggests the team that should handle it."
MILESTONE_BODY = {"initiative": "{initiative_a.code}", "title": "Go live in Ghent", "due_on": "2026-06-01"}
BACKLOG_BODY = {"initiative": "{initiative_a.code}", "title": "Read scanned forms", "priority": 1}
WORKFLOW_BODY = {"initiative": "{initiative_a.code}", "process_name": "Claims routing", "adoption_target_percent": "75"}
SHADOW_AI_BODY = {
    "tool": "Gemini",
    "team": "Underwriting",
    "use": "Summarising broker emails",
    "why_it_helps": "Faster quotes",
    "data_sensitivity": "confidential",
    "discovered_on": "2026-02-01",
    "status": "adopted",
    "promoted_to": "{initiative_a.code}",
}
RISK_BODY = {
    "title": "Model drifts after a policy change",
    "category": "operational_disruption",
    "preventive_measures": "Monthly drift report.",
    "responsive_measures": "Route claims to people until retrained.",
    "technology_owner": "{cio.username}",
    "operations_owner": "{coo.username}",
    "likelihood": 3,
    "impact": 3,
    "initiatives": ["{initiative_a.code}"],
}
DECISION_BODY = {
    "key": "approve-refund",
    "process": "Refunds",
    "decision": "Approve a refund under 100 EUR",
    "autonomy_tier": "ai_notifies",
    "confidence_threshold": "0.900",
    "escalation_owner": "Refunds team lead",
    "accountable_executive": "COO",
    "override_protocol": "The team lead reverses it in the refunds tool.",
    "audit_trail": "summary",
}
DRAFT_DECISION = {**DECISION_BODY, "version": "{draft_v2.number}"}
PUBLISHED_DECISION = {**DECISION_BODY, "version": "{published_v1.number}"}
QUESTION = {
    "question": "Extend the pilot to Antwerp?",
    "executive": "{coo.username}",
    "initiative": "{initiative_a.code}",
}
SIGN_CIO = {"slot": "cio", "comment": "On track."}
RESTATE = {"reason": "The claims warehouse re-sent November."}
RESTATED_MONTH = date(2025, 11, 1)
SIGN_COO = {"slot": "coo", "comment": "Agreed."}
NOTE = {"text": "Claims spiked after the February storm.", "initiative": "{initiative_a.code}"}
EDIT = {
    "name": "Renamed in the permission table",
    "business_unit": "Claims",
    "process": "Claims intake",
    "sourcing": "build",
    "stage": "pilot",
    "technology_owner_description": "Classifies incoming claims documents.",
    "operations_owner_description": "Routes incoming claims documents.",
    "investment": "250000",
    "expected_annual_benefit": "400000",
    "payback_months": "",
    "started_on": "2025-01-06",
    "planned_go_live": "",
    "actual_go_live": "",
    "read_at": "{initiative_a.updated_at}",
}
_NO_ROWS = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}
WORKFLOW = {
    "process_name": "Claims intake, redesigned",
    "summary": "",
    "adoption_target_percent": "60",
    "adoption_kpi": "",
    **{f"{formset}-{name}": value for formset in ("before", "after", "roles") for name, value in _NO_ROWS.items()},
}
ROADMAP = {
    "milestones-TOTAL_FORMS": "1",
    "milestones-INITIAL_FORMS": "0",
    "milestones-0-title": "Go live in Ghent",
    "milestones-0-due_on": "2026-06-01",
    **{f"backlog-{name}": value for name, value in _NO_ROWS.items()},
}
CSV_FILE = b"kpi,date,value,note\nfixture-kpi,2026-01-15,64,From a file\n"
UPLOAD = {"file": lambda w: SimpleUploadedFile("uploaded.csv", CSV_FILE, content_type="text/csv")}
LOG = {"kpi": "{kpi.code}", "period": "2026-01-15", "value": "64", "note": "From the permission table"}
NEW_MONTH = date(2026, 2, 1)  # 2026-02: no review yet, a first signature opens it


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    expect: tuple[int, int, int, int, int]  # anonymous, cio, ops_lead_a, ops_lead_b, admin
    body: dict | None = None
    done: Callable[[World], bool] | None = None  # for a write: true once it has happened
    note: str = ""

    def __str__(self):
        shown = re.sub(r"\{(\w+)[^}]*\}", r"<\1>", self.url)
        return f"{self.method} {shown}" + (f" [{self.note}]" if self.note else "")


READ = (401, 200, 200, 200, 200)  # read by everyone signed in
PAGE = (302, 200, 200, 200, 200)  # a page: anonymous visitors are sent to sign in
WORKSPACE = (302, 403, 200, 200, 200)  # the workspace is for those who log metrics
RUNS_A = (302, 403, 200, 403, 200)  # a page that changes initiative A: its ops lead and admins
# Initiative A's edit page: its ops lead and admins, and the CIO, its technology owner, for their own words.
EDITS_A = (302, 200, 200, 403, 200)
