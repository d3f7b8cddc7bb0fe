"""Who gets what from every address of the product: one table, every persona, every method.

``CASES`` is the whole permission surface outside the Django admin: each REST endpoint under
/api/v1/ with each method its router exposes (list, retrieve, create, update, delete and the
custom actions), a few methods it does not expose (nothing is writable by accident), the API
schema and docs, and every page of the project (scoreboard/urls.py and the apps' urls.py it
includes). One row per request:

    Case(method, url, (anonymous, cio, ops_lead_a, ops_lead_b, admin), body, done, note)

with the HTTP status each of the five personas must get: the signed-out visitor, an executive
(the CIO), the ops leads of initiatives A and B, and an admin; the personas of tests/conftest.py,
made once for the module. Placeholders in the URL and the body name what the row is about
(``{milestone_a.pk}``: a milestone of initiative A); ``MAKERS`` makes each just before the
request, so a row costs only what it names. What is written belongs to initiative A, which ops
lead A leads and ops lead B does not, so the two must get different answers. Bodies are valid
for the endpoint: a refusal can only come from the permissions.

Each row runs as each persona, a test of its own (``<method> <url> [<note>] as <persona>``):

- the status is the table's; an anonymous API request is also given the token challenge, an
  anonymous page request is sent to sign in, and a signed-in person never is (but by signing out);
- a write the persona may make (``done`` is set and the answer is a 2xx, or a page form's
  redirect) has happened: the row is created, changed or deleted;
- anything else, a read or a refused write (401, 403, 404, 405, 409, a redirect to sign in),
  leaves every row of every table as it was: all tables but the sessions are read before and
  after the request and compared (the product's, their history and many-to-many tables, users
  and roles, the admin's log, sign-in attempts, scheduled jobs).

Two more tests keep the table complete: every method of every endpoint the router exposes, and
every page address of the project, has a row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver, resolve
from django.utils import timezone

from governance.models import DecisionRequest, GovernanceGate, MatrixDecision, MatrixVersion, Risk
from initiatives.models import BacklogItem, DeploymentBrief, Initiative, Milestone, ShadowAITool, WorkflowChange
from metrics.models import KPI, Annotation, CsvImport, Measurement, MonthlySnapshot, Target
from metrics.services.csv_import import csv_import_create
from scoreboard import urls as scoreboard_urls
from scoreboard.exco.services import review_sign
from scoreboard.models import MonthlyReview
from tests import factories
from tests.db_rows import rows

pytestmark = pytest.mark.django_db

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
TARGET_BODY = {
    "kpi": "{kpi.code}",
    "initiative": "{initiative_a.code}",
    "effective_from": "2026-01-01",
    "target": "85.0000",
    "amber_threshold": "75.0000",
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
INITIATIVE_A_BODY = {**INITIATIVE_BODY, "code": "{initiative_a.code}", "name": "Claims triage, renamed"}
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

# Each row: method, URL, the status for (anonymous, cio, ops_lead_a, ops_lead_b, admin), the
# body, what an allowed write has done, a note on what the row is about.
# fmt: off
CASES = [
    # The API's root: the list of endpoints.
    Case("GET", "/api/v1/", READ),
    # KPI definitions: admins.
    Case("GET", "/api/v1/kpis/", READ),
    Case("GET", "/api/v1/kpis/{kpi.code}/", READ),
    Case("POST", "/api/v1/kpis/", (401, 403, 403, 403, 201), KPI_BODY, created(KPI, code="straight-through")),
    Case("PATCH", "/api/v1/kpis/{kpi.code}/", (401, 403, 403, 403, 200), {"name": "Renamed"},
         changed(KPI, "kpi", name="Renamed")),
    Case("PUT", "/api/v1/kpis/{kpi.code}/", (401, 403, 403, 403, 200), {**KPI_BODY, "code": "{kpi.code}"},
         changed(KPI, "kpi", name="Straight-through rate")),
    Case("DELETE", "/api/v1/kpis/{spare_kpi.code}/", (401, 403, 403, 403, 204), done=deleted(KPI, "spare_kpi")),
    Case("DELETE", "/api/v1/kpis/{kpi_in_use.code}/", (401, 403, 403, 403, 409), note="measured"),
    # Targets: admins, even for an initiative an ops lead leads.
    Case("GET", "/api/v1/targets/", READ),
    Case("GET", "/api/v1/targets/{target_a.pk}/", READ),
    Case("POST", "/api/v1/targets/", (401, 403, 403, 403, 201), TARGET_BODY, created(Target, target=85),
         note="initiative A"),
    Case("PATCH", "/api/v1/targets/{target_a.pk}/", (401, 403, 403, 403, 200), {"target": "90.0000"},
         changed(Target, "target_a", target=90)),
    Case("PUT", "/api/v1/targets/{target_a.pk}/", (401, 403, 403, 403, 200), TARGET_BODY,
         changed(Target, "target_a", target=85)),
    Case("DELETE", "/api/v1/targets/{target_a.pk}/", (401, 403, 403, 403, 204), done=deleted(Target, "target_a")),
    # Measurements: an initiative's ops leads (for it) and admins (for any, and company-wide ones).
    Case("GET", "/api/v1/measurements/", READ),
    Case("GET", "/api/v1/measurements/{measurement_a.pk}/", READ),
    Case("POST", "/api/v1/measurements/", (401, 403, 201, 403, 201), {**MEASUREMENT_A, "value": "61.5"},
         created(Measurement, value="61.5"), note="initiative A"),
    Case("POST", "/api/v1/measurements/", (401, 403, 403, 403, 201), {**COMPANY_MEASUREMENT, "value": "61.5"},
         created(Measurement, value="61.5", initiative=None), note="company-wide"),
    Case("POST", "/api/v1/measurements/bulk/", (401, 403, 201, 403, 201),
         {"measurements": [{**MEASUREMENT_A, "value": "62.5"}]}, created(Measurement, value="62.5"),
         note="initiative A"),
    Case("POST", "/api/v1/measurements/bulk/", (401, 403, 403, 403, 201),
         {"measurements": [{**MEASUREMENT_A, "value": "63.5"}, {**MEASUREMENT_B, "value": "64.5"}]},
         created(Measurement, value="64.5"), note="initiatives A and B"),
    Case("PUT", "/api/v1/measurements/{measurement_a.pk}/", (401, 403, 405, 405, 405),
         {**MEASUREMENT_A, "value": "70"}, note="not exposed"),
    Case("PATCH", "/api/v1/measurements/{measurement_a.pk}/", (401, 403, 405, 405, 405), {"value": "70"},
         note="not exposed"),
    Case("DELETE", "/api/v1/measurements/{measurement_a.pk}/", (401, 403, 405, 405, 405), note="not exposed"),
    # Monthly snapshots: computed by the roll-up, never written through the API.
    Case("GET", "/api/v1/snapshots/", READ),
    Case("GET", "/api/v1/snapshots/{snapshot_a.pk}/", READ),
    Case("POST", "/api/v1/snapshots/", (401, 403, 403, 403, 405), {"kpi": "{kpi.code}", "month": "2026-02-01"},
         note="not exposed"),
    Case("DELETE", "/api/v1/snapshots/{snapshot_a.pk}/", (401, 403, 403, 403, 405), note="not exposed"),
    # Initiatives: added and deleted by admins, changed by their ops leads and admins.
    Case("GET", "/api/v1/initiatives/", READ),
    Case("GET", "/api/v1/initiatives/{initiative_a.code}/", READ),
    Case("POST", "/api/v1/initiatives/", (401, 403, 403, 403, 201), INITIATIVE_BODY,
         created(Initiative, code="invoice-matching")),
    Case("PATCH", "/api/v1/initiatives/{initiative_a.code}/", (401, 403, 200, 403, 200), {"stage": "assessed"},
         changed(Initiative, "initiative_a", stage="assessed"), note="back a stage: no gate to pass"),
    Case("PUT", "/api/v1/initiatives/{initiative_a.code}/", (401, 403, 200, 403, 200), INITIATIVE_A_BODY,
         changed(Initiative, "initiative_a", name="Claims triage, renamed")),
    Case("DELETE", "/api/v1/initiatives/{initiative_a.code}/", (401, 403, 403, 403, 204),
         done=deleted(Initiative, "initiative_a")),
    Case("DELETE", "/api/v1/initiatives/{initiative_a_in_use.code}/", (401, 403, 403, 403, 409), note="measured"),
    # Milestones, backlog, workflow change: the initiative's ops leads and admins.
    Case("GET", "/api/v1/milestones/", READ),
    Case("GET", "/api/v1/milestones/{milestone_a.pk}/", READ),
    Case("POST", "/api/v1/milestones/", (401, 403, 201, 403, 201), MILESTONE_BODY,
         created(Milestone, title="Go live in Ghent"), note="initiative A"),
    Case("PATCH", "/api/v1/milestones/{milestone_a.pk}/", (401, 403, 200, 403, 200), {"title": "Pilot in Bruges"},
         changed(Milestone, "milestone_a", title="Pilot in Bruges")),
    Case("PUT", "/api/v1/milestones/{milestone_a.pk}/", (401, 403, 200, 403, 200), MILESTONE_BODY,
         changed(Milestone, "milestone_a", title="Go live in Ghent")),
    Case("PATCH", "/api/v1/milestones/{milestone_a.pk}/", (401, 403, 403, 403, 200),
         {"initiative": "{initiative_b.code}"},
         changed(Milestone, "milestone_a", initiative__code="{initiative_b.code}"), note="moved to initiative B"),
    Case("DELETE", "/api/v1/milestones/{milestone_a.pk}/", (401, 403, 204, 403, 204),
         done=deleted(Milestone, "milestone_a")),
    Case("GET", "/api/v1/backlog-items/", READ),
    Case("GET", "/api/v1/backlog-items/{backlog_item_a.pk}/", READ),
    Case("POST", "/api/v1/backlog-items/", (401, 403, 201, 403, 201), BACKLOG_BODY,
         created(BacklogItem, title="Read scanned forms"), note="initiative A"),
    Case("PATCH", "/api/v1/backlog-items/{backlog_item_a.pk}/", (401, 403, 200, 403, 200), {"status": "done"},
         changed(BacklogItem, "backlog_item_a", status="done")),
    Case("PUT", "/api/v1/backlog-items/{backlog_item_a.pk}/", (401, 403, 200, 403, 200), BACKLOG_BODY,
         changed(BacklogItem, "backlog_item_a", title="Read scanned forms")),
    Case("DELETE", "/api/v1/backlog-items/{backlog_item_a.pk}/", (401, 403, 204, 403, 204),
         done=deleted(BacklogItem, "backlog_item_a")),
    Case("GET", "/api/v1/workflow-changes/", READ),
    Case("GET", "/api/v1/workflow-changes/{workflow_change_a.pk}/", READ),
    Case("POST", "/api/v1/workflow-changes/", (401, 403, 201, 403, 201), WORKFLOW_BODY,
         created(WorkflowChange, process_name="Claims routing"), note="initiative A"),
    Case("PATCH", "/api/v1/workflow-changes/{workflow_change_a.pk}/", (401, 403, 200, 403, 200),
         {"adoption_target_percent": "80"}, changed(WorkflowChange, "workflow_change_a", adoption_target_percent=80)),
    Case("PUT", "/api/v1/workflow-changes/{workflow_change_a.pk}/", (401, 403, 200, 403, 200), WORKFLOW_BODY,
         changed(WorkflowChange, "workflow_change_a", process_name="Claims routing")),
    Case("DELETE", "/api/v1/workflow-changes/{workflow_change_assessed.pk}/", (401, 403, 204, 403, 204),
         done=deleted(WorkflowChange, "workflow_change_assessed")),
    # The shadow-AI register and the risk register: admins.
    Case("GET", "/api/v1/shadow-ai-tools/", READ),
    Case("GET", "/api/v1/shadow-ai-tools/{shadow_ai_tool.pk}/", READ),
    Case("POST", "/api/v1/shadow-ai-tools/", (401, 403, 403, 403, 201), SHADOW_AI_BODY,
         created(ShadowAITool, tool="Gemini")),
    Case("PATCH", "/api/v1/shadow-ai-tools/{shadow_ai_tool.pk}/", (401, 403, 403, 403, 200), {"status": "blocked"},
         changed(ShadowAITool, "shadow_ai_tool", status="blocked")),
    Case("PUT", "/api/v1/shadow-ai-tools/{shadow_ai_tool.pk}/", (401, 403, 403, 403, 200), SHADOW_AI_BODY,
         changed(ShadowAITool, "shadow_ai_tool", tool="Gemini")),
    Case("DELETE", "/api/v1/shadow-ai-tools/{shadow_ai_tool.pk}/", (401, 403, 403, 403, 204),
         done=deleted(ShadowAITool, "shadow_ai_tool")),
    Case("GET", "/api/v1/risks/", READ),
    Case("GET", "/api/v1/risks/{risk_a.pk}/", READ),
    Case("POST", "/api/v1/risks/", (401, 403, 403, 403, 201), RISK_BODY,
         created(Risk, title="Model drifts after a policy change"), note="initiative A"),
    Case("PATCH", "/api/v1/risks/{risk_a.pk}/", (401, 403, 403, 403, 200), {"status": "mitigated"},
         changed(Risk, "risk_a", status="mitigated")),
    Case("PUT", "/api/v1/risks/{risk_a.pk}/", (401, 403, 403, 403, 200), RISK_BODY,
         changed(Risk, "risk_a", title="Model drifts after a policy change")),
    Case("DELETE", "/api/v1/risks/{risk_a.pk}/", (401, 403, 403, 403, 204), done=deleted(Risk, "risk_a")),
    # The decision matrix: admins, and only while a version is a draft.
    Case("GET", "/api/v1/matrix-versions/", READ),
    Case("GET", "/api/v1/matrix-versions/{published_v1.number}/", READ),
    Case("POST", "/api/v1/matrix-versions/", (401, 403, 403, 403, 201), {"reason": "Refunds move to AI"},
         created(MatrixVersion, reason="Refunds move to AI", status="draft")),
    Case("PATCH", "/api/v1/matrix-versions/{draft_v2.number}/", (401, 403, 403, 403, 200), {"reason": "Rewritten"},
         changed(MatrixVersion, "draft_v2", reason="Rewritten"), note="draft"),
    Case("PUT", "/api/v1/matrix-versions/{draft_v2.number}/", (401, 403, 403, 403, 200),
         {"reason": "Rewritten", "effective_from": "2026-05-01"},
         changed(MatrixVersion, "draft_v2", effective_from=date(2026, 5, 1)), note="draft"),
    Case("PATCH", "/api/v1/matrix-versions/{published_v1.number}/", (401, 403, 403, 403, 403),
         {"reason": "Rewritten"}, note="published"),
    Case("PUT", "/api/v1/matrix-versions/{published_v1.number}/", (401, 403, 403, 403, 403),
         {"reason": "Rewritten", "effective_from": "2026-05-01"}, note="published"),
    Case("DELETE", "/api/v1/matrix-versions/{draft_v2.number}/", (401, 403, 403, 403, 204),
         done=deleted(MatrixVersion, "draft_v2"), note="empty draft"),
    Case("DELETE", "/api/v1/matrix-versions/{draft_v2_in_use.number}/", (401, 403, 403, 403, 409),
         note="draft with a decision"),
    Case("DELETE", "/api/v1/matrix-versions/{published_v1.number}/", (401, 403, 403, 403, 403), note="published"),
    Case("GET", "/api/v1/matrix-decisions/", READ),
    Case("GET", "/api/v1/matrix-decisions/{decision_v1.pk}/", READ),
    Case("POST", "/api/v1/matrix-decisions/", (401, 403, 403, 403, 201), DRAFT_DECISION,
         created(MatrixDecision, key="approve-refund"), note="into the draft"),
    Case("POST", "/api/v1/matrix-decisions/", (401, 403, 403, 403, 403),
         PUBLISHED_DECISION, note="into a published version"),
    Case("PATCH", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 200),
         {"autonomy_tier": "ai_autonomous"}, changed(MatrixDecision, "decision_v2", autonomy_tier="ai_autonomous"),
         note="draft"),
    Case("PUT", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 200),
         DRAFT_DECISION, changed(MatrixDecision, "decision_v2", key="approve-refund"),
         note="draft"),
    Case("PATCH", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 403),
         {"version": "{published_v1.number}"}, note="moved into a published version"),
    Case("PATCH", "/api/v1/matrix-decisions/{decision_v1.pk}/", (401, 403, 403, 403, 403),
         {"autonomy_tier": "ai_autonomous"}, note="published"),
    Case("PUT", "/api/v1/matrix-decisions/{decision_v1.pk}/", (401, 403, 403, 403, 403),
         PUBLISHED_DECISION, note="published"),
    Case("DELETE", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 204),
         done=deleted(MatrixDecision, "decision_v2"), note="draft"),
    Case("DELETE", "/api/v1/matrix-decisions/{decision_v1.pk}/", (401, 403, 403, 403, 403), note="published"),
    # Decision requests: anyone signed in asks; only the executive asked answers.
    Case("GET", "/api/v1/decision-requests/", READ),
    Case("GET", "/api/v1/decision-requests/{request_to_cio.pk}/", READ),
    Case("POST", "/api/v1/decision-requests/", (401, 201, 201, 201, 201), QUESTION,
         created(DecisionRequest, question="Extend the pilot to Antwerp?"), note="asking the COO"),
    Case("POST", "/api/v1/decision-requests/{request_to_cio.pk}/answer/", (401, 200, 403, 403, 403),
         {"answer": "approved", "note": "Go ahead."}, changed(DecisionRequest, "request_to_cio", answer="approved"),
         note="asked of the CIO"),
    Case("POST", "/api/v1/decision-requests/{request_to_coo.pk}/answer/", (401, 403, 403, 403, 403),
         {"answer": "approved", "note": "Go ahead."}, note="asked of the COO"),
    Case("PATCH", "/api/v1/decision-requests/{request_to_cio.pk}/", (401, 405, 405, 405, 405),
         {"question": "Changed?"}, note="not exposed"),
    Case("DELETE", "/api/v1/decision-requests/{request_to_cio.pk}/", (401, 405, 405, 405, 405), note="not exposed"),
    # Monthly reviews: the CIO signs the CIO slot, the COO the COO slot; nobody else.
    Case("GET", "/api/v1/reviews/", READ),
    Case("GET", "/api/v1/reviews/{review_cio.month:%Y-%m}/", READ),
    Case("POST", "/api/v1/reviews/2026-02/sign/", (401, 200, 403, 403, 403), SIGN_CIO,
         created(MonthlyReview, month=NEW_MONTH, cio_signed_by__username="cio"), note="CIO slot"),
    Case("POST", "/api/v1/reviews/2026-02/sign/", (401, 403, 403, 403, 403), SIGN_COO, note="COO slot"),
    Case("POST", "/api/v1/reviews/{review_cio.month:%Y-%m}/withdraw/", (401, 200, 403, 403, 403), {"slot": "cio"},
         changed(MonthlyReview, "review_cio", cio_signed_at=None), note="CIO slot"),
    Case("POST", "/api/v1/reviews/{review_coo.month:%Y-%m}/withdraw/", (401, 403, 403, 403, 403), {"slot": "coo"},
         note="COO slot"),
    Case("POST", "/api/v1/reviews/", (401, 405, 403, 403, 403), {"month": "2026-02-01"}, note="not exposed"),
    Case("DELETE", "/api/v1/reviews/{review_cio.month:%Y-%m}/", (401, 405, 403, 403, 403), note="not exposed"),
    # The API's schema (for clients) and its docs (a page).
    Case("GET", "/api/schema/", READ),
    Case("GET", "/api/docs/", PAGE),
    # Pages.
    Case("GET", "/", (302, 302, 302, 302, 302)),
    Case("GET", "/exco/?month=2026-01", (302, 302, 302, 302, 302)),
    Case("GET", "/exco/2026-01/", PAGE),
    Case("GET", "/exco/2026-01/pack.pdf", PAGE),
    Case("GET", "/exco/2026-01/sign-off/", (302, 405, 405, 405, 405)),
    Case("POST", "/exco/2026-02/sign-off/", (302, 302, 403, 403, 403), SIGN_CIO,
         created(MonthlyReview, month=NEW_MONTH, cio_signed_by__username="cio"), note="CIO slot"),
    Case("POST", "/exco/2026-02/sign-off/", (302, 403, 403, 403, 403), SIGN_COO, note="COO slot"),
    Case("POST", "/exco/{review_cio.month:%Y-%m}/sign-off/", (302, 302, 403, 403, 403),
         {"action": "withdraw", "slot": "cio"}, changed(MonthlyReview, "review_cio", cio_signed_at=None),
         note="withdraw the CIO slot"),
    Case("GET", "/exco/2026-01/kpi/{kpi.code}/", PAGE),
    Case("GET", "/exco/2026-01/kpi/{kpi.code}/annotate/", (302, 405, 405, 405, 405)),
    Case("POST", "/exco/2026-01/kpi/{kpi.code}/annotate/", (302, 302, 403, 403, 302), NOTE,
         created(Annotation, text=NOTE["text"]), note="initiative A, KPI of the CIO and the COO"),
    # Initiative pages (initiatives/urls.py).
    Case("GET", "/initiatives/", PAGE),
    Case("GET", "/initiatives/{initiative_a.code}/", PAGE),
    Case("POST", "/initiatives/{initiative_a.code}/", (302, 405, 405, 405, 405)),
    Case("GET", "/initiatives/{initiative_a.code}/edit/", RUNS_A),
    Case("POST", "/initiatives/{initiative_a.code}/edit/", (302, 403, 302, 403, 302), EDIT,
         changed(Initiative, "initiative_a", name=EDIT["name"])),
    Case("GET", "/initiatives/{initiative_a.code}/workflow/", RUNS_A),
    Case("POST", "/initiatives/{initiative_a.code}/workflow/", (302, 403, 302, 403, 302), WORKFLOW,
         created(WorkflowChange, initiative__code="{initiative_a.code}", process_name=WORKFLOW["process_name"])),
    Case("GET", "/initiatives/{initiative_a.code}/roadmap/", RUNS_A),
    Case("POST", "/initiatives/{initiative_a.code}/roadmap/", (302, 403, 302, 403, 302), ROADMAP,
         created(Milestone, initiative__code="{initiative_a.code}", title="Go live in Ghent")),
    # The ops-lead workspace (metrics/urls.py and metrics/csv_urls.py): ops leads and admins.
    Case("GET", "/my/", WORKSPACE),
    Case("GET", "/my/{initiative_a.code}/", RUNS_A),
    Case("GET", "/my/{initiative_a.code}/log/", (302, 405, 405, 405, 405)),
    Case("POST", "/my/{initiative_a.code}/log/", (302, 403, 302, 403, 302), LOG,
         created(Measurement, note=LOG["note"], entered_via="form"), note="initiative A's KPI"),
    Case("GET", "/my/{initiative_a.code}/csv/template.csv", RUNS_A),
    Case("GET", "/my/{initiative_a.code}/csv/upload/", RUNS_A),
    Case("POST", "/my/{initiative_a.code}/csv/upload/", (302, 403, 302, 403, 302), UPLOAD,
         created(CsvImport, file_name="uploaded.csv"), note="a valid file: checked, nothing stored yet"),
    Case("GET", "/my/{initiative_a.code}/measurements.csv", (302, 200, 200, 403, 200)),
    Case("GET", "/my/csv/{csv_import_a.uuid}/", RUNS_A),
    Case("GET", "/my/csv/{csv_import_a.uuid}/progress", RUNS_A),
    Case("GET", "/my/csv/{csv_import_a.uuid}/store/", (302, 405, 405, 405, 405)),
    Case("POST", "/my/csv/{csv_import_a.uuid}/store/", (302, 403, 302, 403, 302), {"choice": "all"},
         created(Measurement, entered_via="csv:checked.csv")),
    Case("GET", "/login/", (200, 302, 302, 302, 302)),
    Case("GET", "/logout/", (302, 405, 405, 405, 405)),
    Case("POST", "/logout/", (302, 302, 302, 302, 302), done=signed_out),
    Case("GET", "/healthz", (200, 200, 200, 200, 200)),
    Case("GET", "/readyz", (200, 200, 200, 200, 200)),
]
# fmt: on


# --- The decision-authority matrix (governance/views/matrix.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).
# Everyone signed in reads every version; admins edit the draft only (a published version answers 403 even to
# them), and a stale edit or a second publish answers 409. The objects are those of the API rows above.

ADMIN_PAGE = (302, 403, 403, 403, 200)
ADMIN_WRITE = (302, 403, 403, 403, 302)  # the page's form redirects once stored
REFUSED = (302, 403, 403, 403, 403)
MATRIX_DECISION_FORM = {
    **DECISION_BODY,
    "initiative": "",
    "monitoring_kpi": "",
    "breach_threshold": "",
    "breach_when": "",
    "read_at": "",
}
CELL = {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": "{decision_v2.updated_at}"}
STALE_CELL = {**CELL, "read_at": "2020-01-01T00:00:00+00:00"}
PUBLISH = {"effective_from": "2026-06-01", "reason": "Refunds move to AI", "approver": ""}

# fmt: off
MATRIX_CASES: list[Case] = [
    Case("GET", "/governance/matrix/", PAGE),
    Case("GET", "/governance/matrix/{published_v1.number}/", PAGE, note="published"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/", PAGE, note="draft"),
    Case("GET", "/governance/matrix/compare/?old={published_v1.number}&new={decision_v2.version.number}", PAGE),
    Case("GET", "/governance/matrix/history/", PAGE),
    Case("GET", "/governance/matrix/{decision_v1.version.number}/matrix.csv", PAGE),
    Case("GET", "/governance/matrix/{decision_v1.version.number}/print/", PAGE),
    # Opening the draft.
    Case("GET", "/governance/matrix/draft/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/matrix/draft/", ADMIN_WRITE, {"reason": "Refunds move to AI"},
         created(MatrixVersion, status="draft", reason="Refunds move to AI")),
    # The draft's decisions: added, edited (a cell), deleted; never those of a published version.
    Case("GET", "/governance/matrix/{draft_v2.number}/decisions/add/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{draft_v2.number}/decisions/add/", ADMIN_WRITE, MATRIX_DECISION_FORM,
         created(MatrixDecision, key="approve-refund", version__status="draft"), note="into the draft"),
    Case("POST", "/governance/matrix/{published_v1.number}/decisions/add/", REFUSED, MATRIX_DECISION_FORM,
         note="into a published version"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/", ADMIN_WRITE, CELL,
         changed(MatrixDecision, "decision_v2", autonomy_tier="ai_autonomous"), note="a cell of the draft"),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/",
         (302, 403, 403, 403, 409), STALE_CELL, note="stale: changed since read"),
    Case("POST", "/governance/matrix/{decision_v1.version.number}/decisions/{decision_v1.pk}/", REFUSED,
         {**CELL, "read_at": "{decision_v1.updated_at}"}, note="published"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/delete/",
         (302, 405, 405, 405, 405)),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/delete/", ADMIN_WRITE,
         {"read_at": "{decision_v2.updated_at}"}, deleted(MatrixDecision, "decision_v2"), note="draft"),
    Case("POST", "/governance/matrix/{decision_v1.version.number}/decisions/{decision_v1.pk}/delete/", REFUSED,
         {"read_at": "{decision_v1.updated_at}"}, note="published"),
    # Publishing: the draft once; a published version is no longer a draft (409).
    Case("GET", "/governance/matrix/{draft_v2.number}/publish/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{draft_v2_in_use.number}/publish/", ADMIN_WRITE, PUBLISH,
         changed(MatrixVersion, "draft_v2", status="published", approved_by__username="coo"), note="draft"),
    Case("POST", "/governance/matrix/{published_v1.number}/publish/", (302, 403, 403, 403, 409), PUBLISH,
         note="already published"),
    # The API: publishing, and a stale edit of a decision.
    Case("POST", "/api/v1/matrix-versions/{draft_v2_in_use.number}/publish/", (401, 403, 403, 403, 200),
         {"effective_from": "2026-06-01", "reason": "Refunds move to AI"},
         changed(MatrixVersion, "draft_v2", status="published"), note="draft"),
    Case("POST", "/api/v1/matrix-versions/{draft_v2.number}/publish/", (401, 403, 403, 403, 400),
         {"effective_from": "2026-06-01", "reason": "Refunds move to AI"}, note="empty draft"),
    Case("POST", "/api/v1/matrix-versions/{published_v1.number}/publish/", (401, 403, 403, 403, 409),
         {"effective_from": "2026-06-01", "reason": "Again"}, note="already published"),
    Case("PATCH", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 409),
         {"autonomy_tier": "ai_autonomous", "updated_at": "2020-01-01T00:00:00Z"}, note="stale: changed since read"),
]
# fmt: on


# --- The decision log (governance/views/decisions.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).


def _answered_by_cio(w):
    request = w["request_to_cio"]
    request.answer, request.note, request.answered_at = "deferred", "After the audit.", timezone.now()
    request.save()
    return request


MAKERS.update({"request_answered_by_cio": _answered_by_cio})
ASK_PAGE = {**QUESTION, "due_at": ""}
ANSWER = {"answer": "approved", "note": "Go ahead."}

# fmt: off
DECISION_LOG_CASES: list[Case] = [
    # The log and each request: read by everyone signed in.
    Case("GET", "/governance/decisions/", PAGE),
    Case("GET", "/governance/decisions/?executive={coo.username}&state=overdue", PAGE, note="filtered"),
    Case("GET", "/governance/decisions/{request_to_cio.pk}/", PAGE),
    # Asking: anyone signed in, as themselves.
    Case("GET", "/governance/decisions/ask/", PAGE),
    Case("POST", "/governance/decisions/ask/", (302, 302, 302, 302, 302), ASK_PAGE,
         created(DecisionRequest, question=QUESTION["question"]), note="asking the COO"),
    # Answering: only the executive asked, and only once.
    Case("GET", "/governance/decisions/{request_to_cio.pk}/answer/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/decisions/{request_to_cio.pk}/answer/", (302, 302, 403, 403, 403), ANSWER,
         changed(DecisionRequest, "request_to_cio", answer="approved"), note="asked of the CIO"),
    Case("POST", "/governance/decisions/{request_to_coo.pk}/answer/", (302, 403, 403, 403, 403), ANSWER,
         note="asked of the COO"),
    Case("POST", "/governance/decisions/{request_answered_by_cio.pk}/answer/", (302, 409, 403, 403, 403), ANSWER,
         note="already answered by the CIO"),
]
# fmt: on


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
    Case("GET", "/governance/risks/new/", ADMIN_PAGE),
    Case("POST", "/governance/risks/new/", ADMIN_WRITE, RISK_FORM,
         created(Risk, title=RISK_FORM["title"], initiatives__code="{initiative_a.code}")),
    Case("GET", "/governance/risks/{risk_a.pk}/edit/", ADMIN_PAGE),
    Case("POST", "/governance/risks/{risk_a.pk}/edit/", ADMIN_WRITE, RISK_FORM,
         changed(Risk, "risk_a", title=RISK_FORM["title"], status="mitigated")),
    # Shared-zone decisions: admins add and correct them; the CEO and the COO give the inputs and decide.
    Case("GET", "/governance/shared-zone/", PAGE),
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

CASES += MATRIX_CASES + DECISION_LOG_CASES + REGISTERS_CASES + GATES_CASES


# --- Running a row ---------------------------------------------------------------------------------------


def send(client, method: str, url: str, body):
    if body is None:
        return client.generic(method, url)
    if url.startswith("/api/"):
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.post(url, body)  # a page's form


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker):
    """The personas of tests/conftest.py and their initiatives, made once for the whole table:
    each test's own changes are rolled back at its end, these at the end of the module."""
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=md5), transaction.atomic():
        cio = factories.executive(username="cio", title="CIO", first_name="Claire", last_name="Ito")
        coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
        ops_lead_a, ops_lead_b = factories.ops_lead(username="ops.a"), factories.ops_lead(username="ops.b")
        initiative_a = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative_a.ops_leads.add(ops_lead_a)
        initiative_b = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative_b.ops_leads.add(ops_lead_b)
        kpi = factories.KPIFactory(code="fixture-kpi", accountable_executive=cio, co_accountable_executive=coo)
        kpi.initiatives.add(initiative_a, initiative_b)  # both report it
        yield {
            "cio": cio,
            "coo": coo,
            "ops_lead_a": ops_lead_a,
            "ops_lead_b": ops_lead_b,
            "admin": factories.admin(username="admin"),
            "initiative_a": initiative_a,
            "initiative_b": initiative_b,
            "kpi": kpi,
        }
        transaction.set_rollback(True)


@pytest.fixture
def world(cast, db):
    return World(cast)


@pytest.fixture(scope="module")
def _browser():
    # One for the whole table: each new client loads the middleware again, and WhiteNoise's
    # scan of the static files would cost half the run. A crash is a 500 in the table.
    return Client(raise_request_exception=False)


@pytest.fixture
def browser(_browser):
    """The test client (not enforcing CSRF, tested in tests/api/test_api.py), signed out."""
    _browser.cookies.clear()
    return _browser


@pytest.mark.parametrize(
    ("case", "persona"),
    [pytest.param(case, persona, id=f"{case} as {persona}") for case in CASES for persona in PERSONAS],
)
def test_persona_gets_the_expected_status_and_a_refusal_changes_no_row(browser, world, case, persona):
    url, body = fill(case.url, world), fill(case.body, world)  # makes what the row names
    user = None if persona == "anonymous" else world[persona]
    if user is not None:
        browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")  # as tests/conftest.py
    expected = case.expect[PERSONAS.index(persona)]
    before = rows()

    response = send(browser, case.method, url, body)

    assert response.status_code == expected, response.content[:500]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 302:
        # Anonymous visitors are sent to sign in; people signed in only when they sign out.
        assert response["Location"].startswith("/login/") == (user is None or url == "/logout/")
    if case.done is not None and user is not None and expected < 400:
        assert case.done(world), f"{case} answered {expected} as {persona}, but nothing changed"
    else:
        after = rows()
        touched = sorted(label for label in before if before[label] != after[label])
        assert not touched, f"{case} answered {expected} as {persona}, yet changed rows in {touched}"


# --- The table is complete ---------------------------------------------------------------------------------


@pytest.fixture
def every_row(world):
    """(method, URL name with its namespace) of every row of the table, its placeholders filled in."""
    return {(case.method, resolve(fill(case.url, world).split("?")[0]).view_name) for case in CASES}


def test_the_table_has_every_method_of_every_endpoint_the_router_exposes(every_row):
    exposed = set()
    for pattern in scoreboard_urls.api.urls:
        actions = getattr(pattern.callback, "actions", None) or {"get": "root"}
        exposed |= {(method.upper(), pattern.name) for method in actions if method not in ("head", "options")}
    assert exposed - every_row == set()


def _pages(patterns, namespace: str = "") -> set[str]:
    """Every named page, through the apps' includes (the admin and /api/v1/ are covered apart)."""
    pages = set()
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pages.add(f"{namespace}{pattern.name}")
        elif str(pattern.pattern) not in ("admin/", "api/v1/"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            pages |= _pages(pattern.url_patterns, inner)
    return pages


def test_the_table_has_every_page_of_the_project(every_row):
    pages = _pages(get_resolver().url_patterns)
    assert {"initiatives:detail", "workspace:log"} <= pages  # the includes are walked
    assert pages - {name for method, name in every_row if method == "GET"} == set()
