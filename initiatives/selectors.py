"""What the initiative pages read, each page in a fixed number of queries whatever the
number of initiatives, snapshots, steps or milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from governance.models import DecisionRequest, GateKind, GovernanceGate
from metrics.models import KPI, MonthlySnapshot
from scoreboard import formatting, history
from scoreboard.months import first_of_month, months_back

from .models import (
    PIPELINE_STAGES,
    SCORE_SCALE,
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    Stage,
    StepPhase,
    WorkflowChange,
    WorkflowStep,
    priority_score,
)
from .services.stages import next_stage, refusals_for
from .vocabulary import MISMATCH_BELOW

TREND_MONTHS = 12


# --- The list -------------------------------------------------------------------------------------


def business_units() -> list[str]:
    """Every business unit an initiative names, for the list's filter."""
    return list(Initiative.objects.order_by("business_unit").values_list("business_unit", flat=True).distinct())


def initiative_owners() -> list[tuple[str, str]]:
    """(username, name) of everyone who owns an initiative on either side, by surname: the list's
    owner picker. One query, which also validates the choice (no second look-up by username)."""
    User = get_user_model()
    people = (
        User.objects.filter(
            Q(technology_owned_initiatives__isnull=False) | Q(operations_owned_initiatives__isnull=False)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return [(person.username, person.get_full_name() or person.username) for person in people]


def initiative_list(
    *, stage: str = "", owner: str = "", business_unit: str = "", sort: str = "name"
) -> QuerySet[Initiative]:
    """Initiatives with their owners, ops leads and priority score (``priority``, an integer
    of PrioritisationInput.priority; None without prioritisation). ``sort="priority"`` puts
    the highest score first and the unprioritised last."""
    initiatives = (
        Initiative.objects.select_related("technology_owner", "operations_owner")
        .prefetch_related("ops_leads")
        .annotate(priority=priority_score("prioritisation__"))
    )
    if stage:
        initiatives = initiatives.filter(stage=stage)
    if owner:
        initiatives = initiatives.filter(Q(technology_owner__username=owner) | Q(operations_owner__username=owner))
    if business_unit:
        initiatives = initiatives.filter(business_unit=business_unit)
    if sort == "priority":
        return initiatives.order_by(F("priority").desc(nulls_last=True), "name", "pk")
    return initiatives.order_by("name", "pk")


def priority_score_of(priority: int | None) -> Decimal | None:
    """The score as people read it (e.g. 18.42) from the integer the list is sorted by."""
    return None if priority is None else (Decimal(priority) / SCORE_SCALE).quantize(Decimal("0.01"))


# --- The detail page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageChange:
    stage: str
    label: str
    at: object  # datetime
    by: object  # a user, or None when nobody was signed in (e.g. the demo generator)


def initiative_for_page(code: str) -> Initiative:
    """The initiative with everything its page shows, or Initiative.DoesNotExist.

    Attaches: ``workflow`` (or None), ``before_steps``/``after_steps`` (ordered), ``brief``
    (or None), ``brief_status`` (words), ``gate_rows`` (one per gate kind), ``stage_history``,
    ``kpi_rows`` (each KPI with its latest snapshot and chart id) and ``charts`` (plain data
    for the trend charts), ``open_stage_moves`` (the move waiting for its sponsor, if any)."""
    initiative = (
        Initiative.objects.select_related(
            "technology_owner",
            "operations_owner",
            "sponsor",
            "workflow_change__adoption_kpi",
            "deployment_brief__sponsor_signed_by",
            "deployment_brief__coo_signed_by",
        )
        .prefetch_related(
            "ops_leads",
            Prefetch("kpis", queryset=KPI.objects.order_by("display_order", "name")),
            "milestones",
            "backlog_items",
            "workflow_change__steps",
            "workflow_change__affected_roles",
            Prefetch("gates", queryset=GovernanceGate.objects.select_related("done_by")),
            # A move into a late stage waiting for the sponsor (at most one: a database constraint).
            Prefetch(
                "decision_requests",
                queryset=DecisionRequest.objects.filter(answered_at__isnull=True)
                .exclude(stage="")
                .select_related("executive", "requested_by"),
                to_attr="open_stage_moves",
            ),
        )
        .get(code=code)
    )
    workflow = _one_to_one(initiative, "workflow_change")
    initiative.workflow = workflow
    steps = list(workflow.steps.all()) if workflow else []
    initiative.before_steps = sorted((s for s in steps if s.phase == StepPhase.BEFORE), key=lambda s: s.order)
    initiative.after_steps = sorted((s for s in steps if s.phase == StepPhase.AFTER), key=lambda s: s.order)
    initiative.brief = _one_to_one(initiative, "deployment_brief")
    initiative.brief_status = brief_status(initiative.brief)
    initiative.gate_rows = _gate_rows(initiative.gates.all())
    _attach_stage_gates(initiative)
    initiative.stage_history = stage_history(initiative)
    overlap = initiative.description_overlap
    initiative.vocabulary_mismatch = overlap is not None and overlap < MISMATCH_BELOW
    initiative.shared_words_percent = None if overlap is None else round(overlap * 100)
    today = timezone.localdate()
    initiative.milestone_rows = [
        {"milestone": m, "done": m.completed_on is not None, "late": _late(m, today)}
        for m in initiative.milestones.all()
    ]
    initiative.kpi_rows, initiative.charts = _kpi_trends(initiative, list(initiative.kpis.all()), today)
    return initiative


def workflow_change_of(initiative: Initiative):
    """The initiative's workflow change, or None when it has none yet."""
    return _one_to_one(initiative, "workflow_change")


def _one_to_one(initiative: Initiative, name: str):
    # The reverse one-to-one raises when there is none; select_related has already read it.
    try:
        return getattr(initiative, name)
    except getattr(Initiative, name).RelatedObjectDoesNotExist:
        return None


def _late(milestone, today: date) -> bool:
    if milestone.completed_on is not None:
        return milestone.completed_on > milestone.due_on
    return milestone.due_on < today


def brief_status(brief) -> str:
    if brief is None:
        return "No deployment brief yet"
    if brief.sponsor_signed_at and brief.coo_signed_at:
        return "Signed by the sponsor and the COO"
    if brief.sponsor_signed_at:
        return "Signed by the sponsor only; the COO has not signed"
    if brief.coo_signed_at:
        return "Signed by the COO only; the sponsor has not signed"
    return "Draft: not signed"


def _attach_stage_gates(initiative: Initiative) -> None:
    """``next_stage`` and what it still needs (``next_stage_needs``), and ``skipped``: what the
    stage it is in should have had (gates skipped on the way, e.g. before the rules existed)."""
    facts = {
        "has_workflow": initiative.workflow is not None,
        "brief": initiative.brief,
        "gates": list(initiative.gates.all()),
    }
    following = next_stage(initiative.stage)
    initiative.next_stage = Stage(following).label if following else None
    initiative.next_stage_needs = (
        refusals_for(initiative, to_stage=following, from_stage=initiative.stage, **facts) if following else []
    )
    initiative.skipped = refusals_for(initiative, to_stage=initiative.stage, from_stage=Stage.IDEA, **facts)


def _gate_rows(gates) -> list[dict]:
    by_kind = {gate.kind: gate for gate in gates}
    return [{"kind": kind, "label": label, "gate": by_kind.get(kind)} for kind, label in GateKind.choices]


def stage_history(initiative: Initiative) -> list[StageChange]:
    """Each stage the initiative entered, oldest first, with when and who (one query)."""
    records = (
        Initiative.history.filter(id=initiative.pk)
        .select_related("history_user")
        .only("history_id", "history_date", "stage", "history_user")
        .order_by("history_date", "history_id")
    )
    changes: list[StageChange] = []
    for record in records:
        if not changes or changes[-1].stage != record.stage:
            label = Stage(record.stage).label if record.stage in Stage.values else record.stage
            changes.append(StageChange(record.stage, label, record.history_date, record.history_user))
    return changes


def _kpi_trends(initiative: Initiative, kpis: list[KPI], today: date) -> tuple[list[dict], dict]:
    """Each KPI's last twelve months for this initiative, value against target (one query)."""
    window = months_back(first_of_month(today), TREND_MONTHS)
    snapshots = {}
    if kpis:
        for s in MonthlySnapshot.objects.filter(
            initiative=initiative, kpi__in=[k.pk for k in kpis], month__gte=window[0], month__lte=window[-1]
        ).only("kpi_id", "month", "value", "target", "red_threshold", "status"):
            snapshots[(s.kpi_id, s.month)] = s
    rows, charts = [], {}
    for kpi in kpis:
        series = [snapshots.get((kpi.pk, m)) for m in window]
        latest = next((s for s in reversed(series) if s is not None and s.value is not None), None)
        chart_id = f"kpi-{kpi.pk}"
        charts[chart_id] = {
            "title": kpi.name,
            "x": [m.isoformat() for m in window],
            "y": [formatting.plotted(s.value, kpi) if s else None for s in series],
            "target": [formatting.plotted(s.target, kpi) if s else None for s in series],
            # Each month's stored status (metrics.services.status) marks its point: never judged here.
            "status": [s.status if s and s.value is not None else None for s in series],
            **formatting.chart_text(
                kpi, window, [s.value if s else None for s in series], [s.target if s else None for s in series]
            ),
        }
        rows.append(
            {
                "kpi": kpi,
                "latest": latest,
                "status": latest.status if latest else "missing",
                "chart_id": chart_id,
                "is_adoption": initiative.workflow is not None and initiative.workflow.adoption_kpi_id == kpi.pk,
            }
        )
    return rows, charts


def last_change(initiative: Initiative):
    """The newest history record of the initiative: who last changed it, and when."""
    return Initiative.history.filter(id=initiative.pk).select_related("history_user").order_by("-history_date").first()


# --- Its history ----------------------------------------------------------------------------------


def _step_subject(record) -> str:
    phase = StepPhase(record.phase).label if record.phase in StepPhase.values else record.phase
    return f"{phase} step {record.order}: “{record.name}”"


def history_sources(initiative: Initiative) -> list[history.Source]:
    """What the initiative's page shows, as the history reads it: the initiative, its workflow
    change with its steps and roles (also of a workflow change since deleted), its deployment
    brief, roadmap, backlog and governance gates."""
    mine = {"initiative_id": initiative.pk}
    # The steps and roles of every workflow change it has had: a subquery, not a query.
    of_workflow = {"workflow_change_id__in": WorkflowChange.history.filter(**mine).values("id")}
    money = {"investment": formatting.money, "expected_annual_benefit": formatting.money}
    return [
        history.Source(
            Initiative,
            {"id": initiative.pk},
            labels={"kpis": "KPIs it reports", "payback_months": "Payback (months)"},
            formats=money,
        ),
        history.Source(
            WorkflowChange,
            mine,
            labels={"process_name": "Process", "adoption_kpi": "Adoption KPI"},
            formats={"adoption_target_percent": formatting.percent},
        ),
        history.Source(WorkflowStep, of_workflow, subject=_step_subject, labels={"name": "Step"}),
        history.Source(AffectedRole, of_workflow, subject=lambda r: f"Affected role “{r.role}”"),
        history.Source(
            DeploymentBrief,
            mine,
            # When it was signed or revised is the entry's own moment: who signed is the change.
            skip=("revised_at", "sponsor_signed_at", "coo_signed_at"),
            labels={"sponsor_signed_by": "Sponsor's signature", "coo_signed_by": "COO's signature"},
            formats=money,
        ),
        history.Source(Milestone, mine, subject=lambda r: f"Milestone “{r.title}”"),
        history.Source(BacklogItem, mine, subject=lambda r: f"Backlog item “{r.title}”"),
        history.Source(
            GovernanceGate,
            mine,
            subject=lambda r: f"{GateKind(r.kind).label if r.kind in GateKind.values else r.kind} gate",
            skip=("done_at",),
        ),
    ]


def initiative_history(initiative: Initiative) -> history.Recent:
    """The latest changes to the initiative and what its page shows of it (a fixed number of queries)."""
    return history.recent(*history_sources(initiative))


def initiative_history_page(initiative: Initiative, *, page: int | str | None):
    """Every change to the initiative and what its page shows of it, one page at a time."""
    return history.page(*history_sources(initiative), number=page)


# --- The expansion pipeline ------------------------------------------------------------------------


def pipeline_candidates() -> QuerySet[Initiative]:
    """The expansion pipeline's candidates with their owners and prioritisation inputs, ranked
    as on the ExCo page and the initiative list: the highest priority score first
    (``priority``, PrioritisationInput.priority in SQL), then by name; those without inputs
    (``priority`` None) last, "not scored". One query, or two with a pager's count."""
    return (
        Initiative.objects.filter(stage__in=PIPELINE_STAGES)
        .select_related("technology_owner", "operations_owner", "prioritisation")
        .annotate(priority=priority_score("prioritisation__"))
        .order_by(F("priority").desc(nulls_last=True), "name", "pk")
    )
