"""What the matrix pages, the API and the ExCo page read about the decision-authority matrix,
each in a fixed number of queries whatever the number of versions, decisions or snapshots.

- the effective version: the published version whose effective date is the latest one not
  after the day asked (a version published with a later date "takes effect on" that date);
- a version's decisions grouped by process, then initiative;
- **live bounds**: a decision whose monitoring KPI's latest monthly figure breaches its
  threshold is outside its bounds, with the suggestion to move it one tier toward human control;
- the matrix history: every change to a version or a decision, who made it, when, why and what.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone

from initiatives.services import stages
from metrics.models import KPI, MonthlySnapshot
from scoreboard import history
from scoreboard.months import first_of_month

from .models import (
    AutonomyTier,
    BreachWhen,
    DecisionRequest,
    MatrixDecision,
    MatrixVersion,
    Risk,
    ShadowAITool,
    SharedZoneDecision,
    VersionStatus,
)
from .services.bounds import replaced_on
from .services.matrix import COMPARED_FIELDS, TIERS_TOWARD_HUMAN, label_of, matrix_compare

_PEOPLE = ("created_by", "published_by", "approved_by")


# --- Versions ---------------------------------------------------------------------------------------------


def _in_force_on(on: date) -> QuerySet[MatrixVersion]:
    return MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED, effective_from__lte=on).order_by(
        "-effective_from", "-number"
    )


def effective_version(*, on: date | None = None) -> MatrixVersion | None:
    """The version in force on ``on`` (today by default), with its people; None before any."""
    return _in_force_on(on or timezone.localdate()).select_related(*_PEOPLE).first()


def in_force_version_pk(*, on: date | None = None) -> QuerySet[MatrixVersion]:
    """The in-force version's pk as a subquery (empty before any), for a read that filters
    decisions by it within its own query rather than in a query of its own."""
    return _in_force_on(on or timezone.localdate()).values("pk")[:1]


def version_by_number(number: int) -> MatrixVersion | None:
    return MatrixVersion.objects.select_related(*_PEOPLE).filter(number=number).first()


def approval_rounds(version: MatrixVersion) -> list[DecisionRequest]:
    """Each time the version's publication was asked for: who asked, whom, when, and the answer
    in the approver's words (oldest first; a refusal sent it back to draft). One query."""
    return list(
        DecisionRequest.objects.filter(matrix_version=version)
        .select_related("requested_by", "executive")
        .order_by("requested_at", "pk")
    )


@dataclass(frozen=True)
class Approves:
    """What an approval request acts on, for the page where the executive answers it."""

    kind: str  # "matrix" or "stage"
    comparison: object | None = None  # the version against the latest published one
    compared_with: MatrixVersion | None = None
    from_stage: str = ""
    to_stage: str = ""
    refusals: tuple[str, ...] = ()  # what the gates would refuse now


def what_it_approves(request: DecisionRequest) -> Approves | None:
    """For a matrix version: its difference from the latest published version (what approving it
    changes). For a stage move: the move, and what the gates would refuse now. None for a question."""
    if request.matrix_version_id is not None:
        version = request.matrix_version
        latest = (
            MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED, number__lt=version.number)
            .order_by("-effective_from", "-number")
            .first()
        )
        comparison = matrix_compare(old=latest, new=version) if latest is not None else None
        return Approves("matrix", comparison=comparison, compared_with=latest)
    if request.stage:
        initiative = request.initiative
        refusals = (
            ()
            if request.answered_at
            else tuple(stages.stage_change_refusals(initiative=initiative, to_stage=request.stage))
        )
        return Approves(
            "stage",
            from_stage=stages.label(initiative.stage),
            to_stage=stages.label(request.stage),
            refusals=refusals,
        )
    return None


def version_list() -> list[MatrixVersion]:
    """Every version, newest first, with its number of decisions (``decision_count``), for the
    version picker, the compare form and the grid's paging (one query)."""
    return list(
        MatrixVersion.objects.only("number", "status", "effective_from")
        .annotate(decision_count=Count("decisions"))
        .order_by("-number")
    )


# --- Live bounds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A decision's monitoring signal against the latest monthly figure of its KPI."""

    decision: MatrixDecision
    kpi: KPI
    threshold: Decimal
    when: str  # BreachWhen
    value: Decimal | None
    month: date | None
    scope: str  # "initiative" when the decision's initiative has its own figure, else "company-wide"
    # The figure's own status, as the roll-up stored it (metrics.services.status): shown beside the
    # bound, never judged again here. Outside its bounds, it is never green (services/bounds.py).
    status: str | None = None

    @property
    def outside(self) -> bool:
        if self.value is None:
            return False
        return self.value > self.threshold if self.when == BreachWhen.ABOVE else self.value < self.threshold

    @property
    def suggested_tier(self) -> AutonomyTier | None:
        """One tier toward human control; None from "human only", which has no further tier."""
        order = list(TIERS_TOWARD_HUMAN)
        position = order.index(self.decision.autonomy_tier)
        return order[position + 1] if position + 1 < len(order) else None

    @property
    def suggestion(self) -> str:
        tier = self.suggested_tier
        if tier is None:
            return (
                "It is already human only: there is no further tier toward human control. Review the process and "
                "its override protocol."
            )
        current = AutonomyTier(self.decision.autonomy_tier).label
        return f"Move it one tier toward human control: from “{current}” to “{tier.label}”."


def _latest(month: date | None, **where) -> QuerySet[MonthlySnapshot]:
    snapshots = MonthlySnapshot.objects.filter(kpi=OuterRef("monitoring_kpi"), value__isnull=False, **where)
    if month is not None:
        snapshots = snapshots.filter(month__lte=month)
    return snapshots.order_by("-month")


def with_live_bounds(decisions: QuerySet[MatrixDecision], *, month: date | None = None) -> QuerySet[MatrixDecision]:
    """The decisions with the latest figure of their monitoring KPI up to ``month`` (any month
    when None): their initiative's own, and the company-wide one. In the same query."""
    own = _latest(month, initiative=OuterRef("initiative"))
    company = _latest(month, initiative__isnull=True)
    return decisions.annotate(
        own_value=Subquery(own.values("value")[:1]),
        own_month=Subquery(own.values("month")[:1]),
        own_status=Subquery(own.values("status")[:1]),
        company_value=Subquery(company.values("value")[:1]),
        company_month=Subquery(company.values("month")[:1]),
        company_status=Subquery(company.values("status")[:1]),
    )


def bound_of(decision: MatrixDecision) -> Bound | None:
    """The decision's live bound, from the figures with_live_bounds read; None without a
    monitoring signal. The initiative's own figure when it has one, else the company-wide one."""
    if decision.monitoring_kpi_id is None:
        return None
    own = decision.initiative_id is not None and decision.own_month is not None
    return Bound(
        decision=decision,
        kpi=decision.monitoring_kpi,
        threshold=decision.breach_threshold,
        when=decision.breach_when,
        value=_decimal(decision.own_value if own else decision.company_value),
        month=_date(decision.own_month if own else decision.company_month),
        scope="initiative" if own else "company-wide",
        status=decision.own_status if own else decision.company_status,
    )


def _decimal(value) -> Decimal | None:
    # SQLite hands a subquery's decimal back as a float or a string; PostgreSQL as a Decimal.
    return None if value is None else Decimal(str(value))


def _date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def decisions_outside_bounds(
    *, month: date | None = None, on: date | None = None, version: MatrixVersion | None = None
) -> list[Bound]:
    """The decisions of ``version`` (by default the version in force on ``on``, today by
    default) whose monitoring KPI's latest figure up to ``month`` breaches the threshold,
    with the suggested tier. One query."""
    if version is not None:
        in_version = Q(version=version)
    else:
        in_force = _in_force_on(on or timezone.localdate()).values("pk")[:1]
        in_version = Q(version=Subquery(in_force))
    decisions = with_live_bounds(
        MatrixDecision.objects.filter(in_version, monitoring_kpi__isnull=False)
        .select_related("version", "initiative", "monitoring_kpi")
        .order_by("process", "key"),
        month=month,
    )
    return [bound for bound in map(bound_of, decisions) if bound.outside]


# --- A version's grid ------------------------------------------------------------------------------------


@dataclass
class InitiativeRows:
    initiative: object  # Initiative or None (the process as a whole)
    decisions: list[MatrixDecision] = field(default_factory=list)


@dataclass
class ProcessRows:
    process: str
    groups: list[InitiativeRows] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.decisions) for group in self.groups)


def last_month_read(version: MatrixVersion, versions: list[MatrixVersion]) -> date | None:
    """The last month ``version`` reads figures of: the month before the day a later version took
    over from it; None while it reads the latest (a draft, or the latest version). ``versions``
    are every version, as version_list reads them: no query."""
    published = [v for v in versions if v.status == VersionStatus.PUBLISHED]
    until = replaced_on(version, published)
    return None if until is None else first_of_month(until - timedelta(days=1))


@dataclass(frozen=True)
class ProcessCount:
    process: str
    count: int
    outside: int  # decisions outside their bounds, against the figures up to the month asked


def version_processes(version: MatrixVersion, *, month: date | None = None) -> list[ProcessCount]:
    """The version's processes in the grid's order, each with its number of decisions and how many
    of them are outside their bounds (the rule of Bound.outside, counted in the database): the index
    of a grid shown one process at a time. One query, whatever the number of decisions."""
    decisions = with_live_bounds(MatrixDecision.objects.filter(version=version), month=month).annotate(
        figure=Case(
            When(initiative__isnull=False, own_month__isnull=False, then=F("own_value")), default=F("company_value")
        )
    )
    outside = Q(monitoring_kpi__isnull=False) & (
        Q(breach_when=BreachWhen.ABOVE, figure__gt=F("breach_threshold"))
        | Q(breach_when=BreachWhen.BELOW, figure__lt=F("breach_threshold"))
    )
    rows = decisions.values("process").annotate(n=Count("pk"), out=Count("pk", filter=outside)).order_by()
    return sorted(
        (ProcessCount(r["process"], r["n"], r["out"]) for r in rows), key=lambda p: (p.process.lower(), p.process)
    )


def version_grid(version: MatrixVersion, *, month: date | None = None, process: str | None = None) -> list[ProcessRows]:
    """The version's decisions (those of ``process`` only, when given) grouped by process, then
    initiative (the process as a whole first), each with ``bound`` (its live bound, or None),
    against the figures up to ``month`` (the latest when None). One query."""
    decisions = MatrixDecision.objects.filter(version=version).select_related("initiative", "monitoring_kpi")
    if process is not None:
        decisions = decisions.filter(process=process)
    decisions = with_live_bounds(decisions, month=month)
    processes: dict[str, dict[int | None, InitiativeRows]] = defaultdict(dict)
    ordered = sorted(
        decisions,
        key=lambda d: (d.process.lower(), d.initiative is not None, d.initiative and d.initiative.name, d.key),
    )
    for decision in ordered:
        decision.bound = bound_of(decision)
        groups = processes[decision.process]
        group = groups.setdefault(decision.initiative_id, InitiativeRows(decision.initiative))
        group.decisions.append(decision)
    return [ProcessRows(process, list(groups.values())) for process, groups in processes.items()]


def version_decisions(version: MatrixVersion) -> list[MatrixDecision]:
    """The version's decisions in the grid's order, for the CSV and the print view. One query."""
    return list(
        MatrixDecision.objects.filter(version=version)
        .select_related("initiative", "monitoring_kpi")
        .order_by("process", "initiative__name", "key")
    )


# --- History --------------------------------------------------------------------------------------------

_ACTIONS = {"+": "added", "~": "changed", "-": "removed"}
VERSION_FIELDS = ("status", "effective_from", "reason", "approved_by", "published_by")


def _version_label(name: str) -> str:
    return str(MatrixVersion._meta.get_field(name).verbose_name).capitalize()


def _matrix_sources(**where) -> tuple[history.Source, history.Source]:
    """The matrix's versions and decisions as the history reads them (``version``: one version's)."""
    version = where.get("version")
    return (
        history.Source(
            MatrixVersion,
            {"id": version.pk} if version else {},
            subject=lambda r: f"v{r.number}",
            fields=VERSION_FIELDS,
            label=_version_label,
            kind="version",
        ),
        history.Source(
            MatrixDecision,
            {"version_id": version.pk} if version else {},
            subject=lambda r: f"{r.decision} ({r.key})",
            fields=(*COMPARED_FIELDS, "key"),
            label=label_of,
            kind="decision",
        ),
    )


def version_history(version: MatrixVersion) -> history.Recent:
    """The latest changes to one version and its decisions, for its page (a fixed number of queries)."""
    recent = history.recent(*_matrix_sources(version=version))
    for entry in recent.entries:
        if entry.kind == "version":
            entry.subject = f"version {entry.subject}"
    return recent


def matrix_history(*, page: int | str | None, per_page: int = 50) -> Page:
    """Every change to the matrix's versions and decisions, newest first, one page of entries
    (scoreboard.history.Entry, with the version's number) at a time. Five queries (four when the
    page holds one kind) whatever the length of the history."""
    shown = history.page(*_matrix_sources(), number=page, per_page=per_page)
    numbers = dict(MatrixVersion.history.values_list("id", "number").distinct()) if shown.object_list else {}
    for entry in shown.object_list:
        entry.action = _ACTIONS[entry.record.history_type]
        entry.version_number = entry.record.number if entry.kind == "version" else numbers.get(entry.record.version_id)
    return shown


# --- The registers' histories -----------------------------------------------------------------------------


def _register_sources(register: str) -> list[history.Source]:
    if register == "risks":
        return [history.Source(Risk, subject=lambda r: f"Risk “{r.title}”")]
    if register == "shadow-ai":
        return [history.Source(ShadowAITool, subject=lambda r: f"“{r.tool}” ({r.team})")]
    if register == "shared-zone":
        return [
            history.Source(
                SharedZoneDecision,
                subject=lambda r: f"Decision “{r.title}”",
                labels={"ceo_input": "CEO's input", "coo_input": "COO's input"},
            )
        ]
    raise ValueError(f"No register is called {register}.")


REGISTERS = {
    "risks": "The risk register",
    "shadow-ai": "The shadow-AI register",
    "shared-zone": "Shared-zone decisions",
}


def register_history(register: str) -> history.Recent:
    """The latest changes to a register's rows, for its page (a fixed number of queries)."""
    return history.recent(*_register_sources(register))


def register_history_page(register: str, *, page: int | str | None) -> Page:
    """Every change to a register's rows, newest first, one page at a time."""
    return history.page(*_register_sources(register), number=page)
