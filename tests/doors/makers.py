"""What the rows make before they send their write: plain rows of the tables (no service is
called to make them, so that the table runs on any version of the product), each with the
history a real write would leave where the row needs it (who changed it last)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from governance.models import DecisionRequest, GovernanceGate, MatrixVersion, Risk, SharedZoneDecision
from initiatives.models import BacklogItem, DeploymentBrief, Initiative, Milestone, WorkflowChange, WorkflowStep
from metrics.models import KPI, FrozenMonth, Measurement, MetricSource, MonthlySnapshot
from scoreboard.models import MonthlyReview
from tests import factories
from tests.initiatives.page_helpers import edit_body as page_edit_body

TODAY = timezone.localdate()
FUTURE = TODAY + timedelta(days=30)
RECENT = TODAY - timedelta(days=10)
FIRST_OF_MONTH = TODAY.replace(day=1)
LAST_MONTH = (FIRST_OF_MONTH - timedelta(days=1)).replace(day=1)  # started, not signed off


def moment(day) -> str:
    """Noon UTC of ``day``, as the API reads a moment."""
    return f"{day.isoformat()}T12:00:00Z"


def stamp(obj, by, why: str = "Changed by someone else", **changes):
    """Change ``obj`` as a person would have, before the row's write: saved with its history
    saying who (the one a stale edit's refusal must name)."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_user = by
    obj._change_reason = why
    obj.save()
    return obj


def refreshed(obj):
    obj.refresh_from_db()
    return obj


# --- Initiatives -----------------------------------------------------------------------------------------


def at_stage(initiative: Initiative, stage: str) -> Initiative:
    Initiative.objects.filter(pk=initiative.pk).update(stage=stage)
    return refreshed(initiative)


def workflow(initiative: Initiative, **fields) -> WorkflowChange:
    return WorkflowChange.objects.create(
        initiative=initiative,
        process_name=fields.pop("process_name", "Claims intake"),
        adoption_target_percent=fields.pop("adoption_target_percent", Decimal("60")),
        **fields,
    )


def step(workflow_change: WorkflowChange, order: int, name: str, phase: str = "before") -> WorkflowStep:
    return WorkflowStep.objects.create(
        workflow_change=workflow_change, phase=phase, order=order, name=name, treatment="unchanged"
    )


def signed_brief(w, initiative: Initiative) -> DeploymentBrief:
    """The initiative's brief, signed by its sponsor (the CEO) and the COO an hour ago."""
    Initiative.objects.filter(pk=initiative.pk).update(sponsor=w.ceo)
    initiative.refresh_from_db()
    now = timezone.now()
    return DeploymentBrief.objects.create(
        initiative=initiative,
        scope="Route incoming claims documents.",
        investment=Decimal("250000"),
        governance="Per the published matrix.",
        timeline="Pilot in spring, live in summer.",
        revised_at=now - timedelta(hours=1),
        sponsor_signed_by=w.ceo,
        sponsor_signed_at=now - timedelta(minutes=30),
        coo_signed_by=w.coo,
        coo_signed_at=now - timedelta(minutes=20),
    )


def gates_done(w, initiative: Initiative, kinds=("testing", "monitoring", "fallback")) -> list[GovernanceGate]:
    return [
        GovernanceGate.objects.create(
            initiative=initiative,
            kind=kind,
            description=f"{kind} checked",
            done_by=w.admin_user,
            done_at=timezone.now(),
        )
        for kind in kinds
    ]


def spare_kpi(w) -> KPI:
    """A per-initiative KPI that neither initiative reports."""
    return factories.KPIFactory(
        code="not-reported",
        name="Straight-through rate",
        accountable_executive=w.cio,
        co_accountable_executive=w.coo,
    )


def milestone(initiative: Initiative) -> Milestone:
    return Milestone.objects.create(initiative=initiative, title="Pilot in Ghent", due_on=FUTURE)


def backlog_item(initiative: Initiative) -> BacklogItem:
    return BacklogItem.objects.create(initiative=initiative, title="Read handwritten forms", priority=2)


def edit_body(initiative: Initiative, **changes) -> dict:
    """The initiative's edit page (/initiatives/<code>/edit/) sent back as shown, with ``changes``."""
    initiative.refresh_from_db()
    return page_edit_body(initiative, **changes)


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def workflow_body(*, before=(), after=(), roles=(), **fields) -> dict:
    """The workflow page (/initiatives/<code>/workflow/) for an initiative without one yet."""
    body = {"process_name": "Claims intake", "summary": "", "adoption_target_percent": "60", "adoption_kpi": ""}
    body.update(fields)
    body.update(formset("before", list(before)))
    body.update(formset("after", list(after)))
    body.update(formset("roles", list(roles)))
    return body


# --- Governance ------------------------------------------------------------------------------------------


def zone_decision(w, **inputs) -> SharedZoneDecision:
    return SharedZoneDecision.objects.create(
        topic="timeline", title="Go-live window for claims triage", initiative=w.initiative_a, **inputs
    )


def with_both_inputs(w) -> SharedZoneDecision:
    return zone_decision(w, ceo_input="Before the renewals.", coo_input="After them.")


def published_v1(w) -> MatrixVersion:
    version = MatrixVersion.objects.create(
        number=1,
        status=MatrixVersion.Status.PUBLISHED,
        effective_from=TODAY - timedelta(days=60),
        reason="First matrix.",
        created_by=w.admin_user,
        published_by=w.admin_user,
        approved_by=w.coo,
        published_at=timezone.now() - timedelta(days=60),
        submitted_at=timezone.now() - timedelta(days=60),
    )
    factories.MatrixDecisionFactory(version=version, key="approve-low-value-claim")
    return version


def draft_decision(w):
    """A decision of the draft v2 (as an admin opened it), last changed by its maker."""
    draft = factories.MatrixVersionFactory(number=2, created_by=w.admin_user)
    decision = factories.MatrixDecisionFactory.build(version=draft, key="approve-refund")
    return stamp(decision, w.admin_user, "Added to the draft v2")


def request_to(w, executive) -> DecisionRequest:
    now = timezone.now()
    return DecisionRequest.objects.create(
        question=f"Go live with {w.initiative_a.code} in Belgium?",
        initiative=w.initiative_a,
        requested_by=w.ops_lead_a,
        executive=executive,
        requested_at=now,
        due_at=now + timedelta(hours=24),
    )


def review_signed_by_cio(w) -> MonthlyReview:
    return MonthlyReview.objects.create(
        month=LAST_MONTH, cio_signed_by=w.cio, cio_signed_at=timezone.now(), cio_comment="On track."
    )


def restatable_month(w) -> MonthlyReview:
    """Last month signed by both and frozen at 65, which late data would now make 80."""
    signed = timezone.now() - timedelta(hours=2)
    review = MonthlyReview.objects.create(
        month=LAST_MONTH,
        cio_signed_by=w.cio,
        cio_signed_at=signed,
        cio_comment="On track.",
        coo_signed_by=w.coo,
        coo_signed_at=signed,
        coo_comment="Agreed.",
        frozen_at=signed,
    )
    FrozenMonth.objects.create(month=LAST_MONTH, frozen_at=signed)
    MonthlySnapshot.objects.create(
        kpi=w.kpi,
        month=LAST_MONTH,
        value=Decimal("65"),
        pending_restatement_value=Decimal("80"),
        computed_at=signed,
    )
    return review


def risk(w) -> Risk:
    made = Risk.objects.create(
        title="Customer data leaves the EU",
        category="privacy",
        preventive_measures="EU-hosted model endpoints only.",
        responsive_measures="Tell the DPO within 24 hours.",
        technology_owner=w.cio,
        operations_owner=w.coo,
        likelihood=2,
        impact=4,
    )
    made.initiatives.add(w.initiative_a)
    return made


def entered(kpi: KPI, initiative: Initiative, source: MetricSource, day, hour: int, value: Decimal) -> Measurement:
    """A value a person entered earlier, at ``hour`` (UTC) of ``day``, keyed by its period as the
    intake keys it (the factory gives a person's source's value its period)."""
    when = datetime.combine(day, time(hour), tzinfo=UTC)
    return factories.MeasurementFactory(
        kpi=kpi, initiative=initiative, source=source, observed_at=when, value=value, entered_via="api"
    )


def http_source() -> MetricSource:
    return MetricSource.objects.create(
        name="Claims system", kind="http_json", url="https://claims.example.com/metrics", schedule="5 * * * *"
    )


TOOL_FORM = {
    "tool": "Gemini",
    "team": "Underwriting",
    "use": "Summarising broker emails",
    "why_it_helps": "Faster quotes",
    "data_sensitivity": "confidential",
    "status": "under_review",
    "discovered_on": RECENT.isoformat(),
    "promoted_to": "",
}
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
KPI_BODY = {
    "code": "straight-through",
    "name": "Straight-through rate",
    "family": "coo_operations",
    "unit": "percent",
    "direction": "higher",
    "aggregation": "mean",
    "scope": "initiative",
}
SCORES = {
    "management_bandwidth": "4",
    "process_structure": "3",
    "data_availability": "5",
    "risk_profile": "2",
    "roi_clarity": "4",
    "monthly_volume": "1200",
}
