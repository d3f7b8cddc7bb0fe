"""The demo company: Harbourline Mutual, a mid-size motor, home and commercial insurer two
years into its AI programme, kept on one scoreboard by its CIO and its COO.

Everything comes from one seeded random generator and one fixed "now" (the start of the
current hour), so the same seed on the same day builds the same company. The first twelve
initiatives are written by hand so that every alignment warning sign on the ExCo page has
something to show; any beyond twelve come from templates with numbered codes, for
benchmarks. Measurements and the other large tables go in with bulk inserts, so
``--initiatives 500 --months 36`` stays within minutes on SQLite.

The warning signs the hand-written data sets up, and where:

1. vocabulary mismatch: ``supplier-disputes`` (the two owners share no words);
2. AI in production, work unchanged: ``policy-doc-indexing`` (no adoption measured);
3. primary KPI: ``automated-processing-rate`` is fresh and has a target (no warning),
   while ``margin-impact`` is stale (nothing for its last three months);
4. decisions overdue: two open requests past their 24-hour due time;
5. one accountable executive: ``talent-retention``; the previous month signed by the CIO only;
6. gates skipped: ``fraud-signals`` is in production without its fallback gate done.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from governance.models import (
    AccountableExecutive,
    AuditTrail,
    AutonomyTier,
    BreachWhen,
    DecisionAnswer,
    DecisionRequest,
    GateKind,
    GovernanceGate,
    MatrixDecision,
    MatrixVersion,
    Risk,
    RiskCategory,
    RiskStatus,
    SharedZoneDecision,
    SharedZoneTopic,
    VersionStatus,
)
from initiatives.models import (
    AffectedRole,
    BacklogItem,
    BacklogStatus,
    DataSensitivity,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    ShadowAIStatus,
    ShadowAITool,
    Sourcing,
    Stage,
    StepPhase,
    StepTreatment,
    WorkflowChange,
    WorkflowStep,
)
from metrics.models import (
    KPI,
    Aggregation,
    Annotation,
    Direction,
    Family,
    FrozenMonth,
    KPIRole,
    Measurement,
    MetricSource,
    MonthlySnapshot,
    RunStatus,
    Scope,
    SourceKind,
    SourceMapping,
    Target,
    Unit,
)
from metrics.services.rollup import snapshot_roll_up
from scoreboard.models import ExecutiveTitle, MonthlyReview, Role, User
from scoreboard.months import add_months, first_of_month, last_day

# Printed by the command: a demo, not a secret.
DEMO_PASSWORD = "scoreboard-demo"  # noqa: S105
COMPANY = "Harbourline Mutual"
EMAIL_DOMAIN = "harbourline.example"
HANDCRAFTED_COUNT = 12
MEASUREMENT_BATCH = 5000
CHANGE_REASON = "Demo company generator"
_BUILD_STEPS = 10  # the bar.update() calls in build_demo_company

# Short names for the workflow-step treatments, to keep the step tables readable.
R, A, U, N = StepTreatment.REPLACED, StepTreatment.AI_ASSISTED, StepTreatment.UNCHANGED, StepTreatment.NEW

_STAGE_ORDER = {stage: i for i, stage in enumerate(Stage.values)}


class DemoDataExists(Exception):
    """The database already holds scoreboard data; building over it would mix two companies."""

    def __init__(self, found: dict[str, int]):
        self.found = found
        listed = ", ".join(f"{n} {label}" for label, n in found.items())
        super().__init__(f"The database already holds scoreboard data ({listed}).")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    who: str


@dataclass
class DemoSummary:
    seed: int
    initiatives: int
    months: int
    first_month: date
    last_month: date
    counts: dict[str, int]
    logins: list[DemoLogin]
    password: str = DEMO_PASSWORD
    notes: list[str] = field(default_factory=list)


# --- People ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    username: str
    first_name: str
    last_name: str
    role: Role
    title: str
    job: str

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name.replace(' ', '')}@{EMAIL_DOMAIN}".lower()


PEOPLE = (
    _Person("ceo", "Helena", "Vos", Role.EXECUTIVE, ExecutiveTitle.CEO, "Chief executive"),
    _Person("cio", "Daniel", "Okafor", Role.EXECUTIVE, ExecutiveTitle.CIO, "Chief information officer"),
    _Person("coo", "Marta", "Lindqvist", Role.EXECUTIVE, ExecutiveTitle.COO, "Chief operating officer"),
    _Person("ops.claims", "Tomasz", "Nowak", Role.OPS_LEAD, "", "Claims operations lead"),
    _Person("ops.service", "Aisha", "Rahman", Role.OPS_LEAD, "", "Customer service operations lead"),
    _Person("admin", "Pieter", "de Groot", Role.ADMIN, "", "Scoreboard administrator"),
)

# The ops lead for an initiative from its business unit; other units have none.
_OPS_LEAD_BY_UNIT = {"Claims": "ops.claims", "Customer Service": "ops.service"}


# --- KPIs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KpiSpec:
    code: str
    name: str
    description: str
    family: str
    unit: str
    direction: str
    aggregation: str
    scope: str
    accountable: str
    co_accountable: str | None
    interval_days: int
    target: tuple[float, float, float] | None  # target, amber threshold, red threshold


H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
PRIMARY_KPI = "automated-processing-rate"
ADOPTION_KPI = "workflow-adoption"
STALE_KPI = "margin-impact"
ROI_KPI = "roi-vs-business-case"
STALE_MONTHS = 3

# In display order; the primary KPI first.
KPI_SPECS = (
    _KpiSpec(
        PRIMARY_KPI,
        "Automated processing rate",
        "Share of cases, documents and payments processed end to end without anyone touching them, "
        "counted in the operations warehouse.",
        Family.COO_OPERATIONS,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.COMPANY,
        "coo",
        "cio",
        7,
        (55, 48, 40),
    ),
    _KpiSpec(
        "time-to-value",
        "Time to value",
        "Days from the start of work to go-live, averaged over initiatives that went live in the last twelve months.",
        Family.SHARED_OUTCOME,
        Unit.DAYS,
        L,
        Aggregation.LAST,
        Scope.COMPANY,
        "cio",
        "coo",
        31,
        (180, 240, 300),
    ),
    _KpiSpec(
        ADOPTION_KPI,
        "Workflow adoption",
        "Share of the initiative's work that runs the new way, as its workflow change defines it.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (75, 60, 40),
    ),
    _KpiSpec(
        "core-ops-improvement",
        "Core operational improvement",
        "Improvement in the operating cost of the processes AI has changed, against their baseline year.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "coo",
        "ceo",
        31,
        (15, 10, 5),
    ),
    _KpiSpec(
        "production-reliability",
        "Reliability in production",
        "Uptime of the initiative's AI service as the users see it, from synthetic probes.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "cio",
        "coo",
        7,
        (99.5, 99.0, 98.0),
    ),
    _KpiSpec(
        "ai-health-score",
        "AI system health",
        "One score from drift, confidence, latency and override rate: 100 is a model working as designed.",
        Family.SHARED_OUTCOME,
        Unit.SCORE,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "cio",
        "coo",
        7,
        (80, 70, 60),
    ),
    _KpiSpec(
        "cases-processed",
        "Cases processed",
        "Cases, documents or payments the initiative handled in the week; the exception rate's denominator.",
        Family.COO_OPERATIONS,
        Unit.COUNT,
        H,
        Aggregation.SUM,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        None,
    ),
    _KpiSpec(
        "exceptions-raised",
        "Exceptions raised",
        "Cases the AI handed back to a person because it could not finish them; the exception rate's numerator.",
        Family.COO_OPERATIONS,
        Unit.COUNT,
        L,
        Aggregation.SUM,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        None,
    ),
    _KpiSpec(
        "exception-rate",
        "Exception rate",
        "Exceptions raised divided by cases processed in the month.",
        Family.COO_OPERATIONS,
        Unit.RATIO,
        L,
        Aggregation.RATIO,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (0.08, 0.10, 0.14),
    ),
    _KpiSpec(
        "cycle-time",
        "Cycle time",
        "Hours from a case arriving to the decision the initiative supports.",
        Family.COO_OPERATIONS,
        Unit.HOURS,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (24, 36, 48),
    ),
    _KpiSpec(
        "cost-per-transaction",
        "Cost per transaction",
        "Fully loaded operating cost of one case, including people, licences and hosting.",
        Family.COO_OPERATIONS,
        Unit.CURRENCY,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "ceo",
        31,
        (6, 8, 10),
    ),
    _KpiSpec(
        "error-rate",
        "Error rate",
        "Share of processed cases later found wrong by quality sampling or a customer.",
        Family.COO_OPERATIONS,
        Unit.PERCENT,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (2.0, 3.0, 4.5),
    ),
    _KpiSpec(
        "revenue-impact",
        "Revenue impact",
        "Premium retained or won in the month that finance attributes to AI initiatives.",
        Family.CEO_OUTCOME,
        Unit.CURRENCY,
        H,
        Aggregation.SUM,
        Scope.COMPANY,
        "ceo",
        "coo",
        31,
        (300000, 200000, 100000),
    ),
    _KpiSpec(
        STALE_KPI,
        "Margin impact",
        "Percentage points of operating margin finance attributes to AI initiatives, year to date.",
        Family.CEO_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "ceo",
        "coo",
        31,
        (1.0, 0.6, 0.3),
    ),
    _KpiSpec(
        "roi-vs-business-case",
        "ROI against the business case",
        "Benefit realised so far as a share of the benefit the business case promised by now.",
        Family.CEO_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.INITIATIVE,
        "ceo",
        "cio",
        31,
        (100, 80, 60),
    ),
    _KpiSpec(
        "deployment-frequency",
        "Model deployment frequency",
        "Model and prompt releases that reached production, counted by the release pipeline.",
        Family.BRIDGING_HEALTH,
        Unit.COUNT,
        H,
        Aggregation.SUM,
        Scope.COMPANY,
        "cio",
        "coo",
        14,
        (6, 4, 2),
    ),
    _KpiSpec(
        "data-quality-score",
        "Data-quality score",
        "Completeness, validity and freshness of the data the AI systems read, from the data catalogue.",
        Family.BRIDGING_HEALTH,
        Unit.SCORE,
        H,
        Aggregation.MEAN,
        Scope.COMPANY,
        "cio",
        "coo",
        7,
        (85, 80, 75),
    ),
    _KpiSpec(
        "talent-retention",
        "Talent retention",
        "Share of data, AI and automation staff still with us twelve months later.",
        Family.BRIDGING_HEALTH,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "cio",
        None,  # Left with one accountable executive on purpose: a warning sign to show.
        31,
        (90, 85, 80),
    ),
)

# The primary KPI's target is raised part-way through the period: the story of the programme.
TARGET_CHANGES = {PRIMARY_KPI: (70, 64, 55)}


# --- Initiatives -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Workflow:
    process_name: str
    summary: str
    adoption_target: int
    before: tuple[tuple[str, str, str], ...]  # name, treatment, performed by
    after: tuple[tuple[str, str, str], ...]
    roles: tuple[tuple[str, int, str], ...]  # role, headcount, reskilling


@dataclass(frozen=True)
class _Profile:
    """How an initiative's numbers move from its pilot on: each pair runs from the first
    value towards the second as the new way of working takes hold."""

    weekly_cases: int
    adoption: tuple[float, float]
    cycle_hours: tuple[float, float]
    cost: tuple[float, float]
    error_pct: tuple[float, float]
    exception_share: tuple[float, float]
    uptime: float
    health: tuple[float, float]
    roi_at_maturity: float
    health_drifts: bool = False


@dataclass(frozen=True)
class _Timeline:
    assessed_on: date | None = None
    brief_on: date | None = None
    started_on: date | None = None
    pilot_on: date | None = None
    planned_go_live: date | None = None
    live_on: date | None = None
    scaled_on: date | None = None
    retired_on: date | None = None


@dataclass(frozen=True)
class _Plan:
    code: str
    name: str
    business_unit: str
    process: str
    stage: str
    sourcing: str
    sponsor: str
    ops_lead: str | None
    tech: str
    ops: str
    investment: int
    benefit: int
    timeline: _Timeline
    scope: str
    priorities: tuple[int, int, int, int, int, int]  # bandwidth, structure, data, risk, ROI clarity, volume
    backlog: tuple[tuple[str, str, int], ...]
    workflow: _Workflow | None = None
    profile: _Profile | None = None
    handcrafted: bool = False
    measure_adoption: bool = True
    fallback_done: bool = True

    @property
    def order(self) -> int:
        return _STAGE_ORDER[self.stage]

    def reached(self, stage: str) -> bool:
        """Whether the initiative got to ``stage``; a retired one went through production."""
        if self.stage == Stage.RETIRED:
            return _STAGE_ORDER[stage] <= _STAGE_ORDER[Stage.PRODUCTION] or stage == Stage.RETIRED
        return self.order >= _STAGE_ORDER[stage]

    @property
    def is_measured(self) -> bool:
        return self.profile is not None and self.timeline.pilot_on is not None


# --- The build ---------------------------------------------------------------------------


@dataclass
class _Ctx:
    rng: random.Random
    now: datetime
    tz: tzinfo
    window: list[date]
    people: dict[str, User] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def this_month(self) -> date:
        return self.window[-1]

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def months_ago(self, n: int, day: int = 1) -> date:
        return add_months(self.this_month, -n).replace(day=day)

    def days_ago(self, n: int) -> date:
        return self.today - timedelta(days=n)

    def pk(self, username: str | None) -> int | None:
        return self.people[username].pk if username else None


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _payback_months(investment: int, benefit: int) -> int | None:
    return math.ceil(investment / (benefit / 12)) if benefit else None


def existing_scoreboard_data() -> dict[str, int]:
    """What scoreboard data the database holds already, by kind; empty when there is none."""
    checks = {
        "initiatives": Initiative,
        "KPIs": KPI,
        "metric sources": MetricSource,
        "measurements": Measurement,
        "matrix versions": MatrixVersion,
        "monthly reviews": MonthlyReview,
    }
    return {label: n for label, model in checks.items() if (n := model.objects.count())}


def delete_scoreboard_data() -> None:
    """Delete every initiative, KPI, measurement, snapshot, governance record and monthly
    review, with their history. People are kept (the demo users are updated in place).

    Raw table deletes rather than ``QuerySet.delete()``: the ORM would load every row to
    run history signals and cascades, which takes minutes for a benchmark-sized company.
    Foreign keys are deferred to the end of the transaction, so the order does not matter.
    """
    models = [
        model
        for label in ("initiatives", "metrics", "governance")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    models += [MonthlyReview, MonthlyReview.history.model]
    with transaction.atomic():
        for model in models:
            queryset = model._base_manager.all()
            queryset._raw_delete(queryset.db)


def build_demo_company(
    *,
    seed: int = 7,
    initiatives: int = HANDCRAFTED_COUNT,
    months: int = 24,
    progress: bool = False,
    replace: bool = False,
    now: datetime | None = None,
) -> DemoSummary:
    """Build the demo company in one transaction: people, KPIs and targets, sources,
    ``initiatives`` initiatives (the first twelve hand-written), ``months`` months of
    measurements ending with the current month, their snapshots, the monthly reviews and
    the governance records.

    Refuses with DemoDataExists when scoreboard data is present, unless ``replace``, which
    deletes it first. ``now`` pins the clock (the start of the current hour by default).
    Fewer than twelve initiatives keeps the first ones, which still cover every stage from
    eight on; the warning signs tied to the others then have nothing to show.
    """
    if initiatives < 1:
        raise ValueError("The demo company needs at least one initiative.")
    if months < 1:
        raise ValueError("The demo company needs at least one month.")
    moment = timezone.localtime(now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    this_month = first_of_month(moment.date())
    ctx = _Ctx(
        rng=random.Random(seed),  # noqa: S311 (demo data, not security)
        now=moment,
        tz=moment.tzinfo,
        window=[add_months(this_month, -n) for n in range(months - 1, -1, -1)],
    )
    with (
        transaction.atomic(),
        tqdm(total=_BUILD_STEPS, desc="demo company", unit="step", disable=not progress) as bar,
    ):
        found = existing_scoreboard_data()
        if found and not replace:
            raise DemoDataExists(found)
        if found:
            bar.set_description("deleting old data")
            delete_scoreboard_data()

        bar.set_description("people")
        ctx.people = _build_people(ctx)
        bar.update()
        bar.set_description("KPIs")
        kpis = _build_kpis(ctx)
        bar.update()
        bar.set_description("sources")
        sources = _build_sources(ctx)
        _build_source_mappings(sources, kpis)
        bar.update()
        bar.set_description("initiatives")
        plans = _handcrafted_plans(ctx)[:initiatives]
        plans += _template_plans(ctx, initiatives - len(plans), start=len(plans) + 1)
        built = _build_initiatives(ctx, plans)
        bar.update()
        bar.set_description("workflows, briefs, gates")
        _build_initiative_details(ctx, built, kpis)
        bar.update()
        bar.set_description("targets")
        _build_targets(ctx, kpis, built)
        bar.update()
        bar.set_description("measurements")
        _build_measurements(ctx, kpis, sources, built, progress=progress)
        _link_reported_kpis()
        bar.update()
        bar.set_description("monthly snapshots")
        snapshot_roll_up(months=None)
        bar.update()
        bar.set_description("monthly reviews")
        _build_reviews(ctx)
        bar.update()
        bar.set_description("governance")
        by_code = {plan.code: initiative for plan, initiative in built}
        _build_governance(ctx, kpis, by_code)
        _build_annotations(ctx, kpis)
        bar.update()
        bar.set_description("done")

    notes = []
    if initiatives < HANDCRAFTED_COUNT:
        notes.append(
            f"Only the first {initiatives} hand-written initiatives: the warning signs set up by the others "
            "(gates skipped, vocabulary mismatch) may have nothing to show."
        )
    if months < STALE_MONTHS + 1:
        notes.append(f"Only {months} months: no target change part-way, and no KPI can look stale.")
    return DemoSummary(
        notes=notes,
        seed=seed,
        initiatives=len(built),
        months=months,
        first_month=ctx.window[0],
        last_month=ctx.window[-1],
        counts=_counts(),
        logins=demo_logins(),
    )


def demo_logins(*, present_only: bool = False) -> list[DemoLogin]:
    """The demo people's logins; with present_only, those whose user still exists."""
    people = PEOPLE
    if present_only:
        existing = set(
            User.objects.filter(username__in=[p.username for p in PEOPLE]).values_list("username", flat=True)
        )
        people = [p for p in PEOPLE if p.username in existing]
    return [DemoLogin(p.username, p.role.label, f"{p.first_name} {p.last_name}, {p.job}") for p in people]


def _counts() -> dict[str, int]:
    models = {
        "demo users": User.objects.filter(username__in=[p.username for p in PEOPLE]),
        "initiatives": Initiative.objects.all(),
        "workflow changes": WorkflowChange.objects.all(),
        "workflow steps": WorkflowStep.objects.all(),
        "affected roles": AffectedRole.objects.all(),
        "milestones": Milestone.objects.all(),
        "backlog items": BacklogItem.objects.all(),
        "deployment briefs": DeploymentBrief.objects.all(),
        "prioritisation inputs": PrioritisationInput.objects.all(),
        "KPIs": KPI.objects.all(),
        "targets": Target.objects.all(),
        "metric sources": MetricSource.objects.all(),
        "measurements": Measurement.objects.all(),
        "monthly snapshots": MonthlySnapshot.objects.all(),
        "annotations": Annotation.objects.all(),
        "monthly reviews": MonthlyReview.objects.all(),
        "matrix versions": MatrixVersion.objects.all(),
        "matrix decisions": MatrixDecision.objects.all(),
        "shared-zone decisions": SharedZoneDecision.objects.all(),
        "governance gates": GovernanceGate.objects.all(),
        "decision requests": DecisionRequest.objects.all(),
        "shadow-AI tools": ShadowAITool.objects.all(),
        "risks": Risk.objects.all(),
    }
    return {label: queryset.count() for label, queryset in models.items()}


def _bulk(objects: list, model) -> list:
    """Insert with one history row each, as if created through the admin, dated "now"."""
    if not objects:
        return []
    return bulk_create_with_history(
        objects, model, batch_size=1000, default_change_reason=CHANGE_REASON, default_date=timezone.now()
    )


# --- People ------------------------------------------------------------------------------


def _build_people(ctx: _Ctx) -> dict[str, User]:
    # One hash for all six: they share a published password, and hashing is the slow part.
    password = make_password(DEMO_PASSWORD)
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    people = {}
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "executive_title": person.title,
                "is_staff": person.role == Role.ADMIN,
                "is_superuser": False,
                "is_active": True,
                "password": password,
            },
        )
        user.groups.set([groups[person.role]])
        people[person.username] = user
    return people


# --- KPIs and sources --------------------------------------------------------------------


def _build_kpis(ctx: _Ctx) -> dict[str, KPI]:
    kpis: dict[str, KPI] = {}
    for order, spec in enumerate(KPI_SPECS, start=1):
        ratio = {}
        if spec.aggregation == Aggregation.RATIO:
            ratio = {"ratio_numerator": kpis["exceptions-raised"], "ratio_denominator": kpis["cases-processed"]}
        kpis[spec.code] = KPI.objects.create(
            code=spec.code,
            name=spec.name,
            description=spec.description,
            family=spec.family,
            unit=spec.unit,
            direction=spec.direction,
            aggregation=spec.aggregation,
            scope=spec.scope,
            accountable_executive=ctx.people[spec.accountable],
            co_accountable_executive=ctx.people[spec.co_accountable] if spec.co_accountable else None,
            is_primary=spec.code == PRIMARY_KPI,
            role=KPIRole.ROI if spec.code == ROI_KPI else KPIRole.NONE,
            expected_interval_days=spec.interval_days,
            display_order=order * 10,
            **ratio,
        )
    return kpis


# Source keys used below; the pulled ones are named the way their pulls sign entries.
MANUAL, CSV, PUSH, PROMETHEUS, WAREHOUSE, CATALOGUE = (
    "manual-entry",
    "csv-upload",
    "platform-push",
    "prometheus-prod",
    "warehouse-ops",
    "catalogue-quality",
)


def _build_sources(ctx: _Ctx) -> dict[str, MetricSource]:
    recent = ctx.now - timedelta(hours=1)
    specs = [
        {"name": MANUAL, "kind": SourceKind.MANUAL, "expected_interval_hours": 24 * 31},
        {"name": CSV, "kind": SourceKind.CSV, "expected_interval_hours": 24 * 31},
        {"name": PUSH, "kind": SourceKind.API_PUSH, "expected_interval_hours": 24 * 7},
        {
            "name": PROMETHEUS,
            "kind": SourceKind.PROMETHEUS,
            "url": "https://prometheus.prod.harbourline.example",
            "headers": {"Authorization": {"env": "PROMETHEUS_TOKEN"}},
            "schedule": "5 * * * *",
            "expected_interval_hours": 2,
        },
        {
            "name": WAREHOUSE,
            "kind": SourceKind.SQL,
            "connection_env": "WAREHOUSE_DATABASE_URL",
            "query": (
                "select kpi_code, initiative_code, observed_at, value\n"
                "from scoreboard_feed.daily_kpis\n"
                "where observed_at >= current_date - 7"
            ),
            "timeout_seconds": 30,
            "schedule": "15 6 * * *",
            "expected_interval_hours": 26,
        },
        {
            "name": CATALOGUE,
            "kind": SourceKind.HTTP_JSON,
            "url": "https://catalogue.harbourline.example/api/v2/quality/summary",
            "headers": {"Authorization": {"env": "CATALOGUE_TOKEN"}, "Accept": "application/json"},
            "timestamp_path": "$.summary.measured_at",
            "schedule": "0 */4 * * *",
            "expected_interval_hours": 24,
        },
    ]
    sources = {}
    for spec in specs:
        if spec["name"] == CATALOGUE:
            state = {
                "last_status": RunStatus.FAILED,
                "last_run_at": recent,
                "last_success_at": ctx.now - timedelta(days=2, hours=3),
                "last_error": "The data catalogue answered 503 Service Unavailable on the last three tries; "
                "its maintenance window overran. The previous figures still stand.",
            }
        else:
            state = {"last_status": RunStatus.OK, "last_run_at": recent, "last_success_at": recent}
        sources[spec["name"]] = MetricSource.objects.create(**spec, **state)
    return sources


def _build_source_mappings(sources: dict[str, MetricSource], kpis: dict[str, KPI]) -> None:
    """What the pulled sources read: a JSONPath for the catalogue, PromQL for Prometheus."""
    SourceMapping.objects.bulk_create(
        [
            SourceMapping(
                source=sources[CATALOGUE], kpi=kpis["data-quality-score"], expression="$.summary.overall_score"
            ),
            SourceMapping(
                source=sources[PROMETHEUS],
                kpi=kpis["production-reliability"],
                expression='100 * avg by (initiative) (avg_over_time(probe_success{service=~"ai-.+"}[1h]))',
                initiative_label="initiative",
            ),
            SourceMapping(
                source=sources[PROMETHEUS],
                kpi=kpis["ai-health-score"],
                expression='avg by (initiative) (ai_system_health_score{env="prod"})',
                initiative_label="initiative",
            ),
        ]
    )


# --- Initiatives: the twelve written by hand ---------------------------------------------


def _timeline(
    ctx: _Ctx,
    stage: str,
    *,
    started: date | None = None,
    live: date | None = None,
    planned: date | None = None,
    brief: date | None = None,
    pilot: date | None = None,
    retired: date | None = None,
) -> _Timeline:
    """The dates an initiative passed, consistent with its stage; the rest are derived."""
    order = _STAGE_ORDER[stage]
    past_production = stage in (Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED)
    if order >= _STAGE_ORDER[Stage.BRIEF_SIGNED] and brief is None:
        brief = started - timedelta(days=18)
    assessed = None
    if order >= _STAGE_ORDER[Stage.ASSESSED]:
        assessed = (brief or ctx.days_ago(5)) - timedelta(days=38)
    if past_production and pilot is None:
        pilot = live - timedelta(days=61)
    if past_production and planned is None:
        planned = live - timedelta(days=21)
    scaled = min(live + timedelta(days=183), ctx.days_ago(7)) if stage == Stage.SCALED else None
    return _Timeline(
        assessed_on=assessed,
        brief_on=brief,
        started_on=started,
        pilot_on=pilot,
        planned_go_live=planned,
        live_on=live if past_production else None,
        scaled_on=scaled,
        retired_on=retired,
    )


def _handcrafted_plans(ctx: _Ctx) -> list[_Plan]:
    """The twelve initiatives of the demo company, the first eight covering every stage."""
    ago = ctx.months_ago
    return [
        _Plan(
            code="claims-triage",
            name="Claims intake triage",
            business_unit="Claims",
            process="Motor and home claims: first notification of loss to handler assignment",
            stage=Stage.SCALED,
            sourcing=Sourcing.BUILD,
            sponsor="ceo",
            ops_lead="ops.claims",
            tech="Classifies each new motor and home claim at first notification by severity and complexity, "
            "with a gradient-boosted model on the claim form and a language model on the customer's own "
            "description, and routes the claim to the right claims handler queue.",
            ops="Every new motor and home claim is triaged by severity and complexity the moment it is "
            "notified, so simple claims go straight to the fast-track queue and complex ones reach an "
            "experienced claims handler on the first day.",
            investment=420_000,
            benefit=1_100_000,
            timeline=_timeline(ctx, Stage.SCALED, started=ago(29, 6), live=ago(20, 14), planned=ago(22, 1)),
            scope="Triage of every new motor and home claim at first notification; commercial claims stay "
            "with the existing team until the second year.",
            priorities=(5, 4, 4, 3, 5, 9500),
            backlog=(
                ("Show why the model chose a severity in the handler screen", BacklogStatus.OPEN, 1),
                ("Add windscreen-only claims to the fast track", BacklogStatus.IN_PROGRESS, 2),
                ("Retrain on last winter's storm claims", BacklogStatus.DONE, 3),
                ("Claim forms in Welsh", BacklogStatus.OPEN, 4),
            ),
            workflow=_Workflow(
                "Claims first notification to handler assignment",
                "Team leaders no longer read and sort every new claim. The model sorts; team leaders check the "
                "claims it is unsure about, and intake clerks move to fast-track settlement.",
                85,
                before=(
                    ("Customer reports the claim by phone or web form", U, "Customer / contact centre"),
                    ("Intake clerk re-keys the claim into the claims system", R, "Intake clerk"),
                    ("Team leader reads each claim and judges its severity", R, "Claims team leader"),
                    ("Team leader assigns the claim to a handler's queue", A, "Claims team leader"),
                    ("Handler calls the customer for missing details", U, "Claims handler"),
                ),
                after=(
                    ("Customer reports the claim by phone or web form", U, "Customer / contact centre"),
                    ("Model scores severity and complexity and picks the queue", N, "Triage model"),
                    ("Simple claims go to fast-track settlement", N, "Triage model"),
                    ("Team leader reviews the claims the model was unsure about", A, "Claims team leader"),
                    ("Handler calls the customer with the gaps already listed", A, "Claims handler"),
                ),
                roles=(
                    ("Intake clerk", 14, "Moved to fast-track settlement; two-week course on settlement limits."),
                    ("Claims team leader", 9, "Reading model confidence and overriding a route; monthly calibration."),
                    ("Claims handler", 120, "Working from the gap list the model prepares before the first call."),
                ),
            ),
            profile=_Profile(
                weekly_cases=2200,
                adoption=(22, 88),
                cycle_hours=(52, 9),
                cost=(18.5, 7.2),
                error_pct=(3.8, 1.6),
                exception_share=(0.16, 0.06),
                uptime=99.7,
                health=(82, 88),
                roi_at_maturity=135,
            ),
            handcrafted=True,
        ),
        _Plan(
            code="policy-doc-indexing",
            name="Policy document indexing",
            business_unit="Commercial Underwriting",
            process="Commercial policies: filing incoming documents for underwriters",
            stage=Stage.PRODUCTION,
            sourcing=Sourcing.BUY,
            sponsor="cio",
            ops_lead=None,
            tech="Reads incoming commercial policy documents, extracts the insured, the policy number and the "
            "document type, and files each document to the right policy record.",
            ops="Incoming commercial policy documents are filed to the right policy record with the insured "
            "and the document type, so underwriters find a document without asking the filing team.",
            investment=160_000,
            benefit=240_000,
            timeline=_timeline(ctx, Stage.PRODUCTION, started=ago(9, 3), live=ago(4, 10), planned=ago(5, 1)),
            scope="Indexing of documents for the commercial property and liability books; motor fleet later.",
            priorities=(3, 5, 4, 4, 3, 12000),
            backlog=(
                ("Recognise broker schedules as their own document type", BacklogStatus.OPEN, 2),
                ("Bulk re-index of the 2019–2022 archive", BacklogStatus.IN_PROGRESS, 3),
                ("Search by insured's trading name", BacklogStatus.OPEN, 3),
            ),
            workflow=_Workflow(
                "Filing incoming commercial policy documents",
                "The filing team checks the model's match instead of filing by hand; underwriters search the "
                "policy record themselves.",
                70,
                before=(
                    ("Post room scans the documents", U, "Post room"),
                    ("Filing clerk reads each document and finds the policy", R, "Filing clerk"),
                    ("Underwriter emails the filing team to find a document", R, "Commercial underwriter"),
                ),
                after=(
                    ("Post room scans the documents", U, "Post room"),
                    ("Model indexes and files the document", N, "Indexing service"),
                    ("Filing clerk checks low-confidence matches", A, "Filing clerk"),
                    ("Underwriter searches the policy record", N, "Commercial underwriter"),
                ),
                roles=(
                    ("Filing clerk", 11, "Working the review queue of low-confidence matches."),
                    ("Commercial underwriter", 34, "Searching the indexed record instead of asking for documents."),
                ),
            ),
            profile=_Profile(
                weekly_cases=3100,
                adoption=(0, 0),
                cycle_hours=(30, 4),
                cost=(2.1, 0.9),
                error_pct=(2.5, 1.2),
                exception_share=(0.12, 0.07),
                uptime=99.4,
                health=(80, 82),
                roi_at_maturity=60,
            ),
            handcrafted=True,
            # In production with a workflow change, but nobody measures whether the work changed.
            measure_adoption=False,
        ),
        _Plan(
            code="subrogation-recovery",
            name="Subrogation recovery finder",
            business_unit="Claims",
            process="Motor claims: recovering costs from at-fault third parties",
            stage=Stage.PILOT,
            sourcing=Sourcing.PARTNER,
            sponsor="ceo",
            ops_lead="ops.claims",
            tech="Scans settled motor claims for signs that a third party was at fault and ranks the recovery "
            "opportunities for the recoveries team, using the partner's liability model.",
            ops="Finds settled motor claims where a third party was at fault and gives the recoveries team a "
            "ranked list, so fewer recovery opportunities expire unclaimed.",
            investment=190_000,
            benefit=520_000,
            timeline=_timeline(
                ctx, Stage.PILOT, started=ago(8, 4), pilot=ago(3, 2), planned=add_months(ctx.this_month, 2)
            ),
            scope="Pilot on settled private motor claims from the last three years; fleet claims excluded.",
            priorities=(4, 3, 3, 4, 4, 1800),
            backlog=(
                ("Read police report references from the claim notes", BacklogStatus.IN_PROGRESS, 1),
                ("Letter templates for the three largest insurers", BacklogStatus.OPEN, 2),
                ("Track recovered amounts against the ranking", BacklogStatus.OPEN, 2),
            ),
            workflow=_Workflow(
                "Finding and pursuing recoveries",
                "Recovery handlers work a ranked list instead of sampling settled claims by hand.",
                60,
                before=(
                    ("Recoveries team samples settled claims by hand", R, "Recovery handler"),
                    ("Handler judges whether a third party was at fault", A, "Recovery handler"),
                    ("Recovery letter drafted and sent", U, "Recovery handler"),
                ),
                after=(
                    ("Model ranks settled claims by chance of recovery", N, "Liability model"),
                    ("Handler confirms fault from the ranked list", A, "Recovery handler"),
                    ("Recovery letter drafted and sent", U, "Recovery handler"),
                ),
                roles=(("Recovery handler", 8, "Working a ranked list; reading the fault indicators."),),
            ),
            profile=_Profile(
                weekly_cases=400,
                adoption=(10, 55),
                cycle_hours=(96, 40),
                cost=(35, 22),
                error_pct=(4.0, 3.0),
                exception_share=(0.20, 0.14),
                uptime=98.9,
                health=(72, 76),
                roi_at_maturity=0,
            ),
            handcrafted=True,
        ),
        _Plan(
            code="complaint-classification",
            name="Complaint classification",
            business_unit="Customer Service",
            process="Customer service: recognising and routing formal complaints",
            stage=Stage.BUILDING,
            sourcing=Sourcing.BUILD,
            sponsor="ceo",
            ops_lead="ops.service",
            tech="Classifies inbound customer emails and web messages as formal complaints or routine queries and "
            "routes each complaint to the complaints team with its regulatory deadline attached.",
            ops="Every inbound customer email or web message that is a formal complaint is recognised and routed "
            "to the complaints team on the day it arrives, with its regulatory deadline attached.",
            investment=140_000,
            benefit=210_000,
            timeline=_timeline(ctx, Stage.BUILDING, started=ago(4, 7), planned=add_months(ctx.this_month, 3)),
            scope="Emails and web messages to customer service; phone complaints stay with the agents.",
            priorities=(4, 4, 4, 3, 3, 2600),
            backlog=(
                ("Labelled set of 5,000 past messages", BacklogStatus.DONE, 1),
                ("Deadline calculation for each complaint type", BacklogStatus.IN_PROGRESS, 1),
                ("Route complaints about the chatbot's successor separately", BacklogStatus.OPEN, 3),
            ),
            workflow=_Workflow(
                "Recognising formal complaints",
                "Agents stop deciding message by message whether something is a complaint; complaints handlers "
                "confirm the model's call.",
                80,
                before=(
                    ("Agent reads the message and decides if it is a complaint", R, "Customer service agent"),
                    ("Agent forwards complaints to the complaints inbox", R, "Customer service agent"),
                    ("Complaints team logs the deadline", U, "Complaints handler"),
                ),
                after=(
                    ("Model classifies the message and routes complaints", N, "Complaint classifier"),
                    ("Complaints handler confirms the classification", A, "Complaints handler"),
                    ("Deadline set automatically in the case system", N, "Case system"),
                ),
                roles=(
                    ("Customer service agent", 65, "Spotting the messages the model marks as uncertain."),
                    ("Complaints handler", 12, "Confirming or correcting classifications."),
                ),
            ),
            handcrafted=True,
        ),
        _Plan(
            code="broker-submission-intake",
            name="Broker submission intake",
            business_unit="Commercial Underwriting",
            process="Commercial lines: broker submissions to underwriter quote",
            stage=Stage.BRIEF_SIGNED,
            sourcing=Sourcing.PARTNER,
            sponsor="ceo",
            ops_lead=None,
            tech="Extracts risk details, schedules and loss history from broker submission packs into the "
            "underwriting workbench and marks missing information for the underwriter.",
            ops="Broker submission packs arrive in the underwriting workbench with risk details, schedules and "
            "loss history extracted, and underwriters see missing information before they start a quote.",
            investment=380_000,
            benefit=650_000,
            timeline=_timeline(ctx, Stage.BRIEF_SIGNED, brief=ctx.days_ago(12), planned=add_months(ctx.this_month, 7)),
            scope="Property and liability submissions from the twenty largest brokers.",
            priorities=(5, 3, 3, 3, 4, 1400),
            backlog=(
                ("Agree the extraction fields with the underwriting leads", BacklogStatus.IN_PROGRESS, 1),
                ("Sample of 300 submission packs for testing", BacklogStatus.OPEN, 1),
                ("Data-sharing terms with the partner", BacklogStatus.OPEN, 2),
            ),
            workflow=_Workflow(
                "Broker submission to quote",
                "Underwriting assistants check extracted fields instead of re-keying whole packs.",
                65,
                before=(
                    ("Underwriting assistant re-keys the submission", R, "Underwriting assistant"),
                    ("Underwriter chases missing loss history", A, "Commercial underwriter"),
                    ("Underwriter prices and quotes", U, "Commercial underwriter"),
                ),
                after=(
                    ("Model extracts the submission into the workbench", N, "Extraction service"),
                    ("Assistant checks the extracted fields", A, "Underwriting assistant"),
                    ("Broker gets an automatic request for missing information", N, "Extraction service"),
                    ("Underwriter prices and quotes", U, "Commercial underwriter"),
                ),
                roles=(
                    ("Underwriting assistant", 18, "Checking extracted fields instead of re-keying."),
                    ("Commercial underwriter", 34, "Reading the extraction's confidence marks."),
                ),
            ),
            handcrafted=True,
        ),
        _Plan(
            code="premium-payment-matching",
            name="Premium payment matching",
            business_unit="Finance",
            process="Finance: matching incoming premium payments to policies",
            stage=Stage.ASSESSED,
            sourcing=Sourcing.BUY,
            sponsor="cio",
            ops_lead=None,
            tech="Matches incoming bank transfers to policies and instalments from payer names, references and "
            "amounts, and proposes a match for the unmatched payments the rules engine leaves behind.",
            ops="Incoming premium payments the rules engine leaves unmatched get a proposed policy match, so the "
            "cash allocation team clears unmatched payments in days instead of weeks.",
            investment=90_000,
            benefit=180_000,
            timeline=_timeline(ctx, Stage.ASSESSED, planned=add_months(ctx.this_month, 11)),
            scope="Bank transfers the rules engine cannot match; card and direct debit payments excluded.",
            priorities=(3, 4, 5, 4, 5, 6500),
            backlog=(
                ("Shortlist two vendors", BacklogStatus.IN_PROGRESS, 1),
                ("Measure today's unmatched backlog", BacklogStatus.DONE, 2),
            ),
            workflow=_Workflow(
                "Allocating unmatched premium payments",
                "Clerks confirm proposed matches instead of investigating each payment from scratch.",
                70,
                before=(
                    ("Rules engine matches payments with exact references", U, "Rules engine"),
                    ("Clerk investigates each unmatched payment", A, "Cash allocation clerk"),
                    ("Clerk writes to the payer", U, "Cash allocation clerk"),
                ),
                after=(
                    ("Rules engine matches payments with exact references", U, "Rules engine"),
                    ("Model proposes a match for the rest", N, "Matching service"),
                    ("Clerk confirms or rejects the proposal", A, "Cash allocation clerk"),
                ),
                roles=(("Cash allocation clerk", 7, "Judging proposed matches; spotting duplicate payers."),),
            ),
            handcrafted=True,
        ),
        _Plan(
            code="vulnerable-customer-signals",
            name="Vulnerable customer signals",
            business_unit="Customer Service",
            process="Customer service: recognising customers who need extra care",
            stage=Stage.IDEA,
            sourcing=Sourcing.BUILD,
            sponsor="ceo",
            ops_lead="ops.service",
            tech="Spots signs in call transcripts and messages that a customer may need extra care, such as "
            "bereavement or financial difficulty, and prompts the agent with the extra-care options.",
            ops="Agents are prompted when a customer on a call or in a message shows signs of needing extra "
            "care, such as bereavement or financial difficulty, and see the extra-care options at once.",
            investment=120_000,
            benefit=60_000,
            timeline=_timeline(ctx, Stage.IDEA),
            scope="Calls and messages to customer service.",
            priorities=(4, 2, 2, 2, 2, 30000),
            backlog=(("Ask the conduct team which signs matter most", BacklogStatus.OPEN, 1),),
            handcrafted=True,
        ),
        _Plan(
            code="web-faq-bot",
            name="Website FAQ chatbot",
            business_unit="Customer Service",
            process="Self-service: answering policy questions on the website",
            stage=Stage.RETIRED,
            sourcing=Sourcing.BUY,
            sponsor="cio",
            ops_lead="ops.service",
            tech="A scripted chatbot on the website that answered common policy questions from a fixed FAQ set "
            "and handed the customer to a live agent when it could not answer.",
            ops="The website chatbot answered common policy questions from the FAQ set and handed customers to a "
            "live agent when it could not answer; switched off because most chats ended with a handover.",
            investment=60_000,
            benefit=90_000,
            timeline=_timeline(
                ctx, Stage.RETIRED, started=ago(40, 3), live=ago(34, 12), planned=ago(35, 1), retired=ago(8, 27)
            ),
            scope="Website questions about cover, documents and payments.",
            priorities=(3, 4, 4, 5, 2, 20000),
            backlog=(
                ("Archive chat transcripts under the retention policy", BacklogStatus.DONE, 1),
                ("Hand the FAQ set to the email drafting team", BacklogStatus.DONE, 2),
                ("Add claims status questions", BacklogStatus.DROPPED, 3),
            ),
            workflow=_Workflow(
                "Answering policy questions from the website",
                "Simple questions answered by the bot; agents pick up handovers with the chat history.",
                40,
                before=(
                    ("Customer phones with a policy question", A, "Customer"),
                    ("Agent looks up the answer and replies", U, "Contact centre agent"),
                ),
                after=(
                    ("Chatbot answers from the FAQ set", N, "FAQ chatbot"),
                    ("Handover to a live agent with the chat history", N, "Contact centre agent"),
                ),
                roles=(("Contact centre agent", 40, "Picking up chat handovers."),),
            ),
            profile=_Profile(
                weekly_cases=5000,
                adoption=(15, 32),
                cycle_hours=(2.0, 1.5),
                cost=(4.2, 3.9),
                error_pct=(6.0, 5.5),
                exception_share=(0.45, 0.40),
                uptime=99.0,
                health=(66, 61),
                roi_at_maturity=35,
            ),
            handcrafted=True,
        ),
        _Plan(
            code="fraud-signals",
            name="Fraud signal scoring",
            business_unit="Claims",
            process="Claims: spotting potentially fraudulent claims for investigation",
            stage=Stage.PRODUCTION,
            sourcing=Sourcing.PARTNER,
            sponsor="ceo",
            ops_lead="ops.claims",
            tech="Scores every claim for fraud indicators with the partner's network-analysis model and our own "
            "claim-history features, and sends high-scoring claims to the fraud analysts' review queue.",
            ops="Every claim gets a fraud score, and only high-scoring claims reach the fraud analysts' review "
            "queue, so analysts review fewer, better claims and honest customers are paid sooner.",
            investment=350_000,
            benefit=900_000,
            timeline=_timeline(ctx, Stage.PRODUCTION, started=ago(17, 8), live=ago(10, 18), planned=ago(11, 1)),
            scope="All motor and home claims; commercial claims referred by handlers as today.",
            priorities=(4, 3, 3, 2, 4, 9500),
            backlog=(
                ("Write the fallback procedure for a model outage", BacklogStatus.IN_PROGRESS, 1),
                ("Retrain on the last two quarters", BacklogStatus.OPEN, 1),
                ("Show the top three reasons with each score", BacklogStatus.DONE, 2),
            ),
            workflow=_Workflow(
                "Fraud referral",
                "Referrals come from scores instead of handlers' hunches; analysts see the reasons with each score.",
                75,
                before=(
                    ("Handler spots a suspicious claim from experience", R, "Claims handler"),
                    ("Handler emails the fraud team", R, "Claims handler"),
                    ("Fraud analyst investigates the referral", U, "Fraud analyst"),
                ),
                after=(
                    ("Model scores each claim", N, "Fraud model"),
                    ("High scores land in the analysts' review queue", N, "Fraud model"),
                    ("Analyst reviews the score's reasons and decides", A, "Fraud analyst"),
                    ("Analyst investigates referred claims", U, "Fraud analyst"),
                ),
                roles=(
                    ("Fraud analyst", 10, "Reading network evidence; recording why a score was dismissed."),
                    ("Claims handler", 120, "What to tell a customer whose claim is held for review."),
                ),
            ),
            profile=_Profile(
                weekly_cases=2200,
                adoption=(25, 80),
                cycle_hours=(120, 60),
                cost=(6.0, 4.1),
                error_pct=(5.5, 3.0),
                exception_share=(0.09, 0.05),
                uptime=99.5,
                health=(83, 86),
                roi_at_maturity=95,
                health_drifts=True,
            ),
            handcrafted=True,
            # Went live without its fallback procedure signed off: "gates skipped".
            fallback_done=False,
        ),
        _Plan(
            code="supplier-disputes",
            name="Repair invoice dispute assistant",
            business_unit="Finance",
            process="Accounts payable: disputed garage and repairer invoices",
            stage=Stage.PRODUCTION,
            sourcing=Sourcing.BUILD,
            sponsor="cio",
            ops_lead="ops.claims",
            # The two owners describe it in words that share nothing: a warning sign.
            tech="Retrieval-augmented generation service: contract clauses and rate cards embedded into a vector "
            "index, a fine-tuned re-ranker and a hosted large language model behind the internal API gateway, "
            "with token-level tracing in the observability stack.",
            ops="Clears the pile of garage bills our payables clerks query over the phone, so repairers get paid "
            "within agreed terms and clerks stop chasing the same workshops every week.",
            investment=260_000,
            benefit=420_000,
            timeline=_timeline(ctx, Stage.PRODUCTION, started=ago(12, 5), live=ago(5, 20), planned=ago(6, 1)),
            scope="Disputed invoices from approved repairers; glass and towing suppliers later.",
            priorities=(4, 3, 4, 4, 4, 2800),
            backlog=(
                ("Cite the rate card line in every proposal", BacklogStatus.DONE, 1),
                ("Weekly report of garages with repeated disputes", BacklogStatus.OPEN, 2),
                ("Handle VAT-only disputes", BacklogStatus.OPEN, 3),
            ),
            workflow=_Workflow(
                "Settling disputed repair invoices",
                "Clerks review a proposed settlement with the contract and rate card cited, instead of phoning "
                "the garage about every difference.",
                70,
                before=(
                    ("Clerk reads the invoice against the repair estimate", A, "Accounts payable clerk"),
                    ("Clerk phones the garage about each difference", R, "Accounts payable clerk"),
                    ("Supervisor approves the settled amount", U, "AP supervisor"),
                ),
                after=(
                    ("Assistant compares invoice, estimate and rate card", N, "Dispute assistant"),
                    ("Clerk reviews the proposed settlement", A, "Accounts payable clerk"),
                    ("Garage receives a written explanation of differences", N, "Dispute assistant"),
                    ("Supervisor approves the settled amount", U, "AP supervisor"),
                ),
                roles=(
                    ("Accounts payable clerk", 16, "Reviewing proposed settlements and the cited rate card lines."),
                    ("AP supervisor", 3, "Sampling settled disputes each week."),
                ),
            ),
            profile=_Profile(
                weekly_cases=650,
                adoption=(20, 70),
                cycle_hours=(240, 72),
                cost=(38, 16),
                error_pct=(4.0, 2.2),
                exception_share=(0.25, 0.12),
                uptime=99.2,
                health=(78, 81),
                roi_at_maturity=70,
            ),
            handcrafted=True,
        ),
        _Plan(
            code="call-summaries",
            name="Contact centre call summaries",
            business_unit="Customer Service",
            process="Contact centre: after-call work",
            stage=Stage.SCALED,
            sourcing=Sourcing.BUY,
            sponsor="cio",
            ops_lead="ops.service",
            tech="Transcribes contact centre calls and writes a short call summary with the customer's request and "
            "the agreed next steps into the policy record when the agent ends the call.",
            ops="When an agent ends a call, a short summary with the customer's request and the agreed next steps "
            "is already in the policy record, so after-call work shrinks and the next agent knows the history.",
            investment=300_000,
            benefit=950_000,
            timeline=_timeline(ctx, Stage.SCALED, started=ago(22, 9), live=ago(16, 7), planned=ago(17, 1)),
            scope="All inbound service and claims calls; outbound sales calls excluded.",
            priorities=(5, 5, 4, 4, 4, 60000),
            backlog=(
                ("Summaries for transferred calls", BacklogStatus.IN_PROGRESS, 2),
                ("Redact card numbers from transcripts", BacklogStatus.DONE, 1),
                ("Propose the follow-up task from the summary", BacklogStatus.DONE, 2),
            ),
            workflow=_Workflow(
                "After-call work in the contact centre",
                "Agents check and correct a summary instead of typing notes; team leaders sample summaries.",
                90,
                before=(
                    ("Agent types notes after the call", R, "Contact centre agent"),
                    ("Agent sets a follow-up task", A, "Contact centre agent"),
                    ("Team leader samples notes for quality", U, "Contact centre team leader"),
                ),
                after=(
                    ("Summary written into the policy record", N, "Summary service"),
                    ("Agent checks and corrects the summary", A, "Contact centre agent"),
                    ("Follow-up task proposed from the summary", N, "Summary service"),
                    ("Team leader samples summaries for quality", U, "Contact centre team leader"),
                ),
                roles=(
                    ("Contact centre agent", 140, "Checking a summary in seconds; correcting next steps."),
                    ("Contact centre team leader", 14, "Sampling summaries instead of notes."),
                ),
            ),
            profile=_Profile(
                weekly_cases=14000,
                adoption=(30, 93),
                cycle_hours=(0.12, 0.04),
                cost=(3.4, 2.1),
                error_pct=(3.0, 1.4),
                exception_share=(0.07, 0.03),
                uptime=99.8,
                health=(86, 90),
                roi_at_maturity=150,
            ),
            handcrafted=True,
        ),
        _Plan(
            code="email-reply-drafts",
            name="Customer email reply drafting",
            business_unit="Customer Service",
            process="Customer service: answering customer emails",
            stage=Stage.PRODUCTION,
            sourcing=Sourcing.BUY,
            sponsor="ceo",
            ops_lead="ops.service",
            tech="Drafts a reply to each customer email from the policy record, the claim status and approved "
            "wording, for the customer service agent to check, edit and send.",
            ops="Customer service agents start every customer email from a drafted reply built on the policy "
            "record, the claim status and approved wording, and check, edit and send it.",
            investment=210_000,
            benefit=480_000,
            timeline=_timeline(ctx, Stage.PRODUCTION, started=ago(11, 2), live=ago(7, 15), planned=ago(8, 1)),
            scope="Emails to the customer service desk; complaints go to the complaints team unchanged.",
            priorities=(5, 4, 4, 3, 4, 17000),
            backlog=(
                ("Auto-send claim status updates", BacklogStatus.DONE, 1),
                ("Draft replies in Welsh", BacklogStatus.OPEN, 3),
                ("Measure how much agents edit each draft", BacklogStatus.IN_PROGRESS, 2),
            ),
            workflow=_Workflow(
                "Answering customer emails",
                "Agents edit and send drafted replies; routine claim status emails go out without review.",
                75,
                before=(
                    ("Agent reads the email and looks up the policy", A, "Email desk agent"),
                    ("Agent writes the reply", R, "Email desk agent"),
                    ("Team leader checks a sample", U, "Customer service team leader"),
                ),
                after=(
                    ("Draft reply prepared with policy and claim status", N, "Reply service"),
                    ("Agent checks, edits and sends", A, "Email desk agent"),
                    ("Routine claim status emails sent without review", N, "Reply service"),
                    ("Team leader checks a sample", U, "Customer service team leader"),
                ),
                roles=(
                    ("Email desk agent", 45, "Editing drafts; recognising when to discard one."),
                    ("Customer service team leader", 6, "Reviewing automatically sent status emails weekly."),
                ),
            ),
            profile=_Profile(
                weekly_cases=4200,
                adoption=(20, 78),
                cycle_hours=(26, 7),
                cost=(5.8, 3.1),
                error_pct=(2.5, 1.8),
                exception_share=(0.10, 0.06),
                uptime=99.6,
                health=(83, 85),
                roi_at_maturity=90,
            ),
            handcrafted=True,
        ),
    ]


# --- Initiatives from templates (beyond twelve) -------------------------------------------


@dataclass(frozen=True)
class _Template:
    slug: str
    name: str
    business_unit: str
    process: str
    tech: str
    ops: str
    workflow: _Workflow
    backlog: tuple[str, ...]


TEMPLATES = (
    _Template(
        "claims-mail-sorting",
        "Claims correspondence sorting",
        "Claims",
        "Claims: sorting inbound claim correspondence",
        "Sorts inbound claim correspondence by claim number and document type and attaches each letter, "
        "invoice or report to the right claim file.",
        "Inbound claim correspondence is sorted by claim number and document type, and each letter, invoice or "
        "report is on the right claim file before handlers open it.",
        _Workflow(
            "Sorting inbound claim correspondence",
            "The model attaches post to claim files; the post team handles only what it cannot place.",
            80,
            before=(
                ("Post team opens and scans the correspondence", U, "Post team"),
                ("Post team finds the claim and attaches the item", R, "Post team"),
                ("Handler reads the item and decides what to do", U, "Claims handler"),
            ),
            after=(
                ("Post team scans the correspondence", U, "Post team"),
                ("Model reads the item and attaches it to the claim", N, "Sorting model"),
                ("Post team places the items the model could not", A, "Post team"),
                ("Handler reads the item and decides what to do", U, "Claims handler"),
            ),
            roles=(("Post team member", 12, "Working the queue of items the model could not place."),),
        ),
        (
            "Recognise medical reports from the new provider",
            "Split envelopes that hold several claims",
            "Show sorting confidence on the claim file",
        ),
    ),
    _Template(
        "broker-email-routing",
        "Broker email routing",
        "Commercial Underwriting",
        "Commercial lines: routing broker emails to underwriting teams",
        "Reads broker emails and attachments, recognises the product line and the request type, and routes each "
        "email to the right underwriting team's queue.",
        "Broker emails reach the right underwriting team's queue by product line and request type, so "
        "underwriters stop forwarding emails between teams.",
        _Workflow(
            "Routing broker emails",
            "Assistants handle only the emails the model cannot route.",
            75,
            before=(
                ("Assistant watches the shared mailbox", R, "Underwriting assistant"),
                ("Assistant forwards each email to a team", R, "Underwriting assistant"),
                ("Underwriter answers the broker", U, "Commercial underwriter"),
            ),
            after=(
                ("Model routes each email to a team queue", N, "Routing model"),
                ("Assistant checks the emails the model could not route", A, "Underwriting assistant"),
                ("Underwriter answers the broker", U, "Commercial underwriter"),
            ),
            roles=(("Underwriting assistant", 9, "Handling unrouted emails and correcting routes."),),
        ),
        ("Recognise mid-term adjustment requests", "Route by broker tier", "Weekly misroute report"),
    ),
    _Template(
        "home-photo-triage",
        "Home claims photo triage",
        "Claims",
        "Home claims: assessing damage photos",
        "Assesses photos of home damage sent with a claim, estimates the repair category and decides whether a "
        "loss adjuster visit is needed.",
        "Photos of home damage sent with a claim are assessed for the repair category, and a loss adjuster visit "
        "is booked only when the damage needs one.",
        _Workflow(
            "Assessing home damage",
            "Loss adjusters visit only complex damage; handlers confirm the photo assessment for the rest.",
            70,
            before=(
                ("Loss adjuster visits every claim above the limit", R, "Loss adjuster"),
                ("Adjuster writes the damage report", A, "Loss adjuster"),
                ("Handler books the repairer", U, "Claims handler"),
            ),
            after=(
                ("Model assesses the damage photos", N, "Photo model"),
                ("Handler confirms the repair category", A, "Claims handler"),
                ("Adjuster visits only complex damage", U, "Loss adjuster"),
                ("Handler books the repairer", U, "Claims handler"),
            ),
            roles=(("Loss adjuster", 22, "Reviewing photo assessments remotely."),),
        ),
        ("Ask customers for a second photo angle", "Detect reused photos", "Storm surge mode"),
    ),
    _Template(
        "renewal-letter-checks",
        "Renewal letter checks",
        "Customer Service",
        "Personal lines: checking renewal letters before they are sent",
        "Checks each renewal letter against the policy record for wrong premiums, missing cover and unclear "
        "wording before the letter is sent.",
        "Each renewal letter is checked against the policy record for wrong premiums, missing cover and unclear "
        "wording before it is sent, instead of a team sampling letters by hand.",
        _Workflow(
            "Checking renewal letters",
            "Every letter is checked; checkers correct the flagged ones before sending.",
            85,
            before=(
                ("Team samples renewal letters by hand", R, "Renewals checker"),
                ("Wrong letters corrected and sent again", U, "Renewals checker"),
            ),
            after=(
                ("Model checks every renewal letter", N, "Letter checker"),
                ("Checker corrects flagged letters before sending", A, "Renewals checker"),
                ("Monthly sample of passed letters", U, "Quality team"),
            ),
            roles=(("Renewals checker", 6, "Correcting flagged letters; tuning the wording rules."),),
        ),
        ("Flag price rises above the fair-value limit", "Check Welsh-language letters", "Plain-language score"),
    ),
    _Template(
        "arrears-outreach",
        "Premium arrears outreach",
        "Finance",
        "Finance: contacting customers who missed a premium payment",
        "Picks the best time and channel to contact each customer who missed a premium payment and drafts the "
        "reminder from approved wording.",
        "Customers who missed a premium payment are contacted at the best time and channel with a reminder "
        "drafted from approved wording, so fewer policies lapse.",
        _Workflow(
            "Chasing missed premium payments",
            "Reminders go out daily by the best channel; clerks phone only the customers the model flags.",
            75,
            before=(
                ("Arrears list exported every Monday", R, "Credit control clerk"),
                ("Clerk phones customers in list order", A, "Credit control clerk"),
                ("Lapse letter sent after 30 days", U, "Policy system"),
            ),
            after=(
                ("Model ranks the arrears list daily", N, "Outreach model"),
                ("Reminder sent by the chosen channel", N, "Outreach model"),
                ("Clerk phones the customers the model flags", A, "Credit control clerk"),
                ("Lapse letter sent after 30 days", U, "Policy system"),
            ),
            roles=(("Credit control clerk", 8, "Handling flagged customers, including those in difficulty."),),
        ),
        ("Respect contact preferences from the portal", "Pause outreach after a bereavement", "Report lapses avoided"),
    ),
    _Template(
        "invoice-coding",
        "Supplier invoice coding",
        "Finance",
        "Accounts payable: coding supplier invoices",
        "Reads supplier invoices and proposes the cost centre, general ledger code and VAT treatment for each "
        "invoice line.",
        "Supplier invoices arrive in accounts payable with a proposed cost centre, general ledger code and VAT "
        "treatment on each line, so clerks check the coding instead of keying it.",
        _Workflow(
            "Coding supplier invoices",
            "Clerks check proposed coding instead of keying every line.",
            80,
            before=(
                ("Clerk keys every invoice line", R, "Accounts payable clerk"),
                ("Budget holder approves", U, "Budget holder"),
            ),
            after=(
                ("Model proposes the coding", N, "Coding model"),
                ("Clerk checks the proposed coding", A, "Accounts payable clerk"),
                ("Budget holder approves", U, "Budget holder"),
            ),
            roles=(("Accounts payable clerk", 10, "Checking proposed coding; spotting VAT exceptions."),),
        ),
        ("Learn the new cost centre structure", "Handle credit notes", "Warn about duplicate invoices"),
    ),
    _Template(
        "address-change",
        "Address change handling",
        "Customer Service",
        "Customer service: address change requests",
        "Reads address change requests from email and the portal, updates the policy record and works out "
        "whether the new address changes the premium.",
        "Address change requests from email and the portal update the policy record straight away, and the agent "
        "calls only when the new address changes the premium.",
        _Workflow(
            "Handling address changes",
            "Records update themselves; agents call only about premium changes.",
            85,
            before=(
                ("Agent reads the request", R, "Customer service agent"),
                ("Agent re-keys the address", R, "Customer service agent"),
                ("Agent requotes the premium", A, "Customer service agent"),
            ),
            after=(
                ("Model reads the request and updates the record", N, "Change service"),
                ("Premium change calculated", N, "Rating engine"),
                ("Agent calls when the premium changes", A, "Customer service agent"),
            ),
            roles=(("Customer service agent", 30, "Explaining premium changes caused by a move."),),
        ),
        ("Check addresses against the postal file", "Handle moves abroad", "Confirm changes by text message"),
    ),
    _Template(
        "referral-summaries",
        "Underwriting referral summaries",
        "Commercial Underwriting",
        "Commercial lines: referring risks above authority",
        "Writes a one-page summary of each risk an underwriter refers above their authority, with the exposures, "
        "the loss history and the question to decide.",
        "Each risk an underwriter refers above their authority comes with a one-page summary of the exposures, "
        "the loss history and the question to decide, so senior underwriters decide the same day.",
        _Workflow(
            "Referring risks above authority",
            "Senior underwriters decide from a summary; underwriters check it before sending.",
            70,
            before=(
                ("Underwriter writes a referral email", R, "Commercial underwriter"),
                ("Senior underwriter reads the full file", A, "Senior underwriter"),
                ("Decision recorded", U, "Senior underwriter"),
            ),
            after=(
                ("Model writes the referral summary", N, "Summary model"),
                ("Underwriter checks and sends the summary", A, "Commercial underwriter"),
                ("Senior underwriter decides from the summary", A, "Senior underwriter"),
                ("Decision recorded", U, "Senior underwriter"),
            ),
            roles=(
                ("Senior underwriter", 7, "Deciding from summaries; knowing when to open the full file."),
                ("Commercial underwriter", 34, "Checking summaries before sending them."),
            ),
        ),
        ("Include reinsurance limits", "Track referral decision times", "Summaries for renewals"),
    ),
)

VARIANTS = ("North region", "South region", "Benelux", "Nordics", "Fleet", "SME book", "High-net-worth", "Partners")
_EXTRA_STAGE_WEIGHTS = {
    Stage.IDEA: 14,
    Stage.ASSESSED: 14,
    Stage.BRIEF_SIGNED: 9,
    Stage.BUILDING: 14,
    Stage.PILOT: 10,
    Stage.PRODUCTION: 22,
    Stage.SCALED: 12,
    Stage.RETIRED: 5,
}


def _template_plans(ctx: _Ctx, count: int, *, start: int) -> list[_Plan]:
    """``count`` more initiatives from the templates, numbered from ``start``."""
    rng = ctx.rng
    stages, weights = list(_EXTRA_STAGE_WEIGHTS), list(_EXTRA_STAGE_WEIGHTS.values())
    span = len(ctx.window)
    plans = []
    for number in range(start, start + count):
        template = TEMPLATES[number % len(TEMPLATES)]
        variant = VARIANTS[(number // len(TEMPLATES)) % len(VARIANTS)]
        stage = rng.choices(stages, weights)[0]
        timeline = _random_timeline(ctx, stage, span)
        investment = rng.randrange(40, 600) * 1000
        benefit = int(investment * rng.uniform(0.8, 3.2)) // 1000 * 1000
        measured = stage in (Stage.PILOT, Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED)
        cycle0, cost0, error0, share0 = (
            rng.uniform(8, 120),
            rng.uniform(2, 30),
            rng.uniform(2.5, 6),
            rng.uniform(0.08, 0.25),
        )
        health0 = rng.uniform(70, 85)
        profile = _Profile(
            weekly_cases=rng.randrange(150, 4000),
            adoption=(rng.uniform(5, 25), rng.uniform(55, 92)),
            cycle_hours=(cycle0, cycle0 * rng.uniform(0.2, 0.6)),
            cost=(cost0, cost0 * rng.uniform(0.4, 0.8)),
            error_pct=(error0, error0 * rng.uniform(0.4, 0.8)),
            exception_share=(share0, share0 * rng.uniform(0.4, 0.75)),
            uptime=rng.uniform(98.8, 99.9),
            health=(health0, health0 + rng.uniform(-3, 8)),
            roi_at_maturity=rng.uniform(40, 160),
        )
        plans.append(
            _Plan(
                code=f"{template.slug}-{number:04d}",
                name=f"{template.name} ({variant})",
                business_unit=template.business_unit,
                process=template.process,
                stage=stage,
                sourcing=rng.choice(Sourcing.values),
                sponsor=rng.choice(("ceo", "cio")),
                ops_lead=_OPS_LEAD_BY_UNIT.get(template.business_unit),
                tech=template.tech,
                ops=template.ops,
                investment=investment,
                benefit=benefit,
                timeline=timeline,
                scope=f"{template.process}, {variant} first.",
                priorities=(*(rng.randint(1, 5) for _ in range(5)), rng.randrange(200, 25000)),
                backlog=tuple(
                    (title, rng.choice(BacklogStatus.values), priority)
                    for priority, title in enumerate(template.backlog, start=1)
                ),
                workflow=template.workflow if stage != Stage.IDEA else None,
                profile=profile if measured else None,
            )
        )
    return plans


def _random_timeline(ctx: _Ctx, stage: str, span: int) -> _Timeline:
    rng, days = ctx.rng, ctx.days_ago

    def future(lo: int, hi: int) -> date:
        return ctx.today + timedelta(days=rng.randint(lo, hi))

    if stage == Stage.IDEA:
        return _timeline(ctx, stage)
    if stage == Stage.ASSESSED:
        return _timeline(ctx, stage, planned=future(200, 420))
    if stage == Stage.BRIEF_SIGNED:
        return _timeline(ctx, stage, brief=days(rng.randint(3, 45)), planned=future(120, 270))
    if stage == Stage.BUILDING:
        return _timeline(ctx, stage, started=days(rng.randint(20, 240)), planned=future(30, 200))
    if stage == Stage.PILOT:
        return _timeline(
            ctx, stage, started=days(rng.randint(150, 360)), pilot=days(rng.randint(10, 90)), planned=future(10, 100)
        )
    if stage == Stage.PRODUCTION:
        live = days(rng.randint(20, max(60, span * 30 - 30)))
    elif stage == Stage.SCALED:
        live = days(rng.randint(200, max(260, span * 30 + 180)))
    else:
        live = days(rng.randint(420, max(480, span * 30 + 360)))
    started = live - timedelta(days=rng.randint(90, 330))
    retired = None
    if stage == Stage.RETIRED:
        retired = min(live + timedelta(days=rng.randint(180, 540)), days(20))
    return _timeline(ctx, stage, started=started, live=live, retired=retired)


# --- Writing the initiatives --------------------------------------------------------------


def _build_initiatives(ctx: _Ctx, plans: list[_Plan]) -> list[tuple[_Plan, Initiative]]:
    cio, coo = ctx.people["cio"], ctx.people["coo"]
    initiatives = [
        Initiative(
            code=plan.code,
            name=plan.name,
            business_unit=plan.business_unit,
            process=plan.process,
            stage=plan.stage,
            sourcing=plan.sourcing,
            technology_owner=cio,
            operations_owner=coo,
            technology_owner_description=plan.tech,
            operations_owner_description=plan.ops,
            sponsor=ctx.people[plan.sponsor],
            investment=_money(plan.investment),
            expected_annual_benefit=_money(plan.benefit),
            payback_months=_payback_months(plan.investment, plan.benefit),
            started_on=plan.timeline.started_on,
            planned_go_live=plan.timeline.planned_go_live,
            actual_go_live=plan.timeline.live_on,
        )
        for plan in plans
    ]
    for initiative in initiatives:
        initiative.measure_description_overlap()  # bulk_create skips save()
    initiatives = _bulk(initiatives, Initiative)
    Through = Initiative.ops_leads.through
    Through.objects.bulk_create(
        [
            Through(initiative_id=initiative.pk, user_id=ctx.pk(plan.ops_lead))
            for plan, initiative in zip(plans, initiatives, strict=True)
            if plan.ops_lead
        ],
        batch_size=1000,
    )
    return list(zip(plans, initiatives, strict=True))


def _build_initiative_details(ctx: _Ctx, built: list[tuple[_Plan, Initiative]], kpis: dict[str, KPI]) -> None:
    adoption_kpi = kpis[ADOPTION_KPI]
    changes = _bulk(
        [
            WorkflowChange(
                initiative=initiative,
                process_name=plan.workflow.process_name,
                summary=plan.workflow.summary,
                adoption_target_percent=Decimal(plan.workflow.adoption_target),
                adoption_kpi=adoption_kpi,
            )
            for plan, initiative in built
            if plan.workflow
        ],
        WorkflowChange,
    )
    plans_with_workflow = [plan for plan, _ in built if plan.workflow]
    steps, roles = [], []
    for plan, change in zip(plans_with_workflow, changes, strict=True):
        for phase, rows in ((StepPhase.BEFORE, plan.workflow.before), (StepPhase.AFTER, plan.workflow.after)):
            steps += [
                WorkflowStep(
                    workflow_change=change, phase=phase, order=order, name=name, treatment=treatment, performed_by=by
                )
                for order, (name, treatment, by) in enumerate(rows, start=1)
            ]
        roles += [
            AffectedRole(workflow_change=change, role=role, headcount=headcount, reskilling=reskilling)
            for role, headcount, reskilling in plan.workflow.roles
        ]
    _bulk(steps, WorkflowStep)
    _bulk(roles, AffectedRole)

    _bulk([m for plan, initiative in built for m in _milestones(ctx, plan, initiative)], Milestone)
    _bulk(
        [
            BacklogItem(initiative=initiative, title=title, status=status, priority=priority)
            for plan, initiative in built
            for title, status, priority in plan.backlog
        ],
        BacklogItem,
    )
    _bulk([b for plan, initiative in built if (b := _brief(ctx, plan, initiative))], DeploymentBrief)
    _bulk(
        [
            PrioritisationInput(
                initiative=initiative,
                management_bandwidth=plan.priorities[0],
                process_structure=plan.priorities[1],
                data_availability=plan.priorities[2],
                risk_profile=plan.priorities[3],
                roi_clarity=plan.priorities[4],
                monthly_volume=plan.priorities[5],
            )
            for plan, initiative in built
        ],
        PrioritisationInput,
    )
    _bulk([gate for plan, initiative in built for gate in _gates(ctx, plan, initiative)], GovernanceGate)


def _milestones(ctx: _Ctx, plan: _Plan, initiative: Initiative) -> Iterator[Milestone]:
    """The roadmap: the same path for every initiative, due on its planned dates and
    completed on the dates it really passed them."""
    tl, today = plan.timeline, ctx.today
    gates_done = tl.live_on - timedelta(days=5) if tl.live_on and plan.fallback_done else None
    pilot_due = tl.pilot_on
    if pilot_due is None and tl.planned_go_live and plan.stage in (Stage.BRIEF_SIGNED, Stage.BUILDING):
        pilot_due = tl.planned_go_live - timedelta(days=60)
    rows = [
        ("Workflow change defined with operations", tl.assessed_on or today + timedelta(days=30), tl.assessed_on),
        ("Deployment brief signed", tl.brief_on, tl.brief_on),
        ("Pilot with the first team", pilot_due, tl.pilot_on),
        (
            "Testing, monitoring and fallback gates checked",
            (tl.planned_go_live or tl.live_on) and (tl.planned_go_live or tl.live_on) - timedelta(days=10),
            gates_done,
        ),
        ("Go-live", tl.planned_go_live or tl.live_on, tl.live_on),
    ]
    if plan.stage == Stage.SCALED:
        rows.append(("Rolled out to every team", tl.scaled_on - timedelta(days=30), tl.scaled_on))
    elif plan.stage == Stage.PRODUCTION:
        rows.append(("Rolled out to every team", today + timedelta(days=120), None))
    elif plan.stage == Stage.RETIRED:
        rows.append(("Switched off and archived", tl.retired_on, tl.retired_on))
    for title, due, completed in rows:
        if due is not None:
            yield Milestone(initiative=initiative, title=title, due_on=due, completed_on=completed)


def _brief(ctx: _Ctx, plan: _Plan, initiative: Initiative) -> DeploymentBrief | None:
    """Assessed initiatives have a draft brief; from brief signed on it carries both signatures."""
    if not plan.reached(Stage.ASSESSED):
        return None
    tl = plan.timeline
    timeline = f"Start of work {tl.started_on:%B %Y}; " if tl.started_on else "Start of work once signed; "
    timeline += f"go-live planned for {tl.planned_go_live:%B %Y}." if tl.planned_go_live else "go-live to be planned."
    brief = DeploymentBrief(
        initiative=initiative,
        scope=plan.scope,
        investment=_money(plan.investment),
        governance="Decisions follow the published decision-authority matrix; testing, monitoring and fallback "
        "gates checked before production; monthly review at the ExCo on the shared scoreboard.",
        timeline=timeline,
    )
    if plan.reached(Stage.BRIEF_SIGNED):
        brief.revised_at = ctx.at(tl.brief_on, 9)
        brief.sponsor_signed_by = ctx.people[plan.sponsor]
        brief.sponsor_signed_at = ctx.at(tl.brief_on, 11)
        brief.coo_signed_by = ctx.people["coo"]
        brief.coo_signed_at = ctx.at(tl.brief_on, 16, 30)
    return brief


GATE_TEXT = {
    GateKind.TESTING: "Offline test on a held-out set of recent cases, then a two-week shadow run against the "
    "decisions people made.",
    GateKind.MONITORING: "Alerts on confidence, volume, error rate and latency, wired to the on-call rota and the "
    "operations team leaders.",
    GateKind.FALLBACK: "A tested switch sends the work back to the manual queue; team leaders hold the staffing "
    "plan for a day without the model.",
}


def _gates(ctx: _Ctx, plan: _Plan, initiative: Initiative) -> Iterator[GovernanceGate]:
    """Defined from building on; checked before the pilot (testing, monitoring) and before
    go-live (fallback), except where the plan says a gate was skipped."""
    if not plan.reached(Stage.BUILDING):
        return
    tl = plan.timeline
    for kind, who in ((GateKind.TESTING, "cio"), (GateKind.MONITORING, "cio"), (GateKind.FALLBACK, "coo")):
        done_on = None
        if kind == GateKind.FALLBACK:
            if plan.reached(Stage.PRODUCTION) and plan.fallback_done:
                done_on = tl.live_on - timedelta(days=5)
        elif plan.reached(Stage.PILOT):
            done_on = tl.pilot_on - timedelta(days=12 if kind == GateKind.TESTING else 4)
        gate = GovernanceGate(initiative=initiative, kind=kind, description=GATE_TEXT[kind])
        if done_on:
            gate.done_by, gate.done_at = ctx.people[who], ctx.at(done_on, 15)
        yield gate


# --- Targets -----------------------------------------------------------------------------


def _target(kpi: KPI, values: tuple[float, float, float], **fields) -> Target:
    target, amber, red = (Decimal(f"{v:.4f}") for v in values)
    ordered = red <= amber <= target if kpi.direction == Direction.HIGHER_IS_BETTER else red >= amber >= target
    if not ordered:
        raise ValueError(f"Thresholds out of order for {kpi.code}: {values}")
    return Target(kpi=kpi, target=target, amber_threshold=amber, red_threshold=red, **fields)


def _build_targets(ctx: _Ctx, kpis: dict[str, KPI], built: list[tuple[_Plan, Initiative]]) -> None:
    start = ctx.window[0]
    targets = [_target(kpis[s.code], s.target, effective_from=start) for s in KPI_SPECS if s.target]
    if len(ctx.window) >= 4:
        midway = ctx.window[len(ctx.window) // 2]
        targets += [_target(kpis[code], values, effective_from=midway) for code, values in TARGET_CHANGES.items()]
    for plan, initiative in built:
        if not (plan.is_measured and plan.workflow):
            continue
        effective = max(start, first_of_month(plan.timeline.pilot_on))
        goal = plan.workflow.adoption_target
        targets.append(
            _target(kpis[ADOPTION_KPI], (goal, goal - 10, goal - 25), initiative=initiative, effective_from=effective)
        )
        if plan.handcrafted:
            before, after = plan.profile.cycle_hours
            goal = after * 1.15
            targets.append(
                _target(
                    kpis["cycle-time"],
                    (goal, goal * 1.5, max(before * 0.75, goal * 2)),
                    initiative=initiative,
                    effective_from=effective,
                )
            )
    _bulk(targets, Target)


# --- Measurements ------------------------------------------------------------------------


def _weekly_days(month: date) -> list[date]:
    return [d for k in range(5) if (d := month + timedelta(days=7 * k)).month == month.month]


def _ramp(months: float, pace: float) -> float:
    return 1 - math.exp(-max(months, 0) / pace)


def _towards(pair: tuple[float, float], progress: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * progress


class _Writer:
    """Buffers measurements and writes them in batches, ticking a progress bar."""

    def __init__(self, bar):
        self.buffer: list[Measurement] = []
        self.written = 0
        self.bar = bar

    def add(self, **fields) -> None:
        self.buffer.append(Measurement(**fields))
        if len(self.buffer) >= MEASUREMENT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            Measurement.objects.bulk_create(self.buffer, batch_size=MEASUREMENT_BATCH)
            self.written += len(self.buffer)
            self.bar.set_postfix(rows=self.written)
            self.buffer = []


def _build_measurements(
    ctx: _Ctx,
    kpis: dict[str, KPI],
    sources: dict[str, MetricSource],
    built: list[tuple[_Plan, Initiative]],
    *,
    progress: bool,
) -> int:
    measured = [(plan, initiative) for plan, initiative in built if plan.is_measured]
    with tqdm(
        total=len(measured) + 1, desc="measurements", unit="initiative", leave=False, disable=not progress
    ) as bar:
        writer = _Writer(bar)
        _company_measurements(ctx, kpis, sources, writer, [plan for plan, _ in built])
        bar.update()
        for plan, initiative in measured:
            _initiative_measurements(ctx, kpis, sources, writer, plan, initiative)
            bar.update()
        writer.flush()
    return writer.written


def _link_reported_kpis() -> None:
    """Each initiative reports the per-initiative KPIs it has measurements or targets for,
    and its workflow change's adoption KPI: what its ops leads keep logging."""
    pairs = set(
        Measurement.objects.filter(initiative__isnull=False, kpi__scope="initiative")
        .values_list("initiative_id", "kpi_id")
        .distinct()
    )
    pairs |= set(
        Target.objects.filter(initiative__isnull=False, kpi__scope="initiative").values_list("initiative_id", "kpi_id")
    )
    pairs |= set(
        WorkflowChange.objects.filter(adoption_kpi__scope="initiative").values_list("initiative_id", "adoption_kpi_id")
    )
    Through = Initiative.kpis.through
    Through.objects.bulk_create([Through(initiative_id=i, kpi_id=k) for i, k in sorted(pairs)], batch_size=1000)


def _value(number: float, places: int = 2) -> Decimal:
    return Decimal(f"{number:.{places}f}")


def _initiative_measurements(ctx, kpis, sources, writer: _Writer, plan: _Plan, initiative: Initiative) -> None:
    """Weekly operational figures from the pilot on, monthly money figures from go-live."""
    rng, p, tl = ctx.rng, plan.profile, plan.timeline
    start, end = tl.pilot_on, min(tl.retired_on or ctx.today, ctx.today)
    lead_id = ctx.pk(plan.ops_lead) or ctx.pk("admin")
    unit = plan.business_unit.lower().replace(" ", "-")
    drift_from = ctx.today - timedelta(days=183)
    ids = {code: kpis[code].pk for code in kpis}
    common = {"initiative_id": initiative.pk}
    by_form = plan.handcrafted and plan.ops_lead is not None

    for month in ctx.window:
        if month > end or last_day(month) < start:
            continue
        csv_file = f"csv:{unit}-{month:%Y-%m}.csv"
        for day in _weekly_days(month):
            if not start <= day <= end:
                continue
            age = (day - start).days / 30.4
            live = tl.live_on is not None and day >= tl.live_on
            pushed = ctx.at(day, 7)
            if pushed > ctx.now:
                continue
            if plan.measure_adoption and plan.workflow:
                adoption = min(max(_towards(p.adoption, _ramp(age, 4)) + rng.gauss(0, 1.5), 0), 100)
                if by_form:
                    via = {"source_id": sources[MANUAL].pk, "entered_via": "form", "entered_by_id": lead_id}
                else:
                    via = {"source_id": sources[CSV].pk, "entered_via": f"csv:adoption-{unit}-{month:%Y-%m}.csv"}
                    via["entered_by_id"] = lead_id
                writer.add(
                    kpi_id=ids[ADOPTION_KPI], observed_at=ctx.at(day, 6), value=_value(adoption), **via, **common
                )
            cases = max(int(p.weekly_cases * (0.2 + 0.8 * _ramp(age, 3)) * (1 + rng.gauss(0, 0.06))), 1)
            share = _towards(p.exception_share, _ramp(age, 5)) * (1 + rng.gauss(0, 0.08))
            cycle = _towards(p.cycle_hours, _ramp(age, 4)) * (1 + rng.gauss(0, 0.04))
            error = _towards(p.error_pct, _ramp(age, 5)) * (1 + rng.gauss(0, 0.06))
            push = {"source_id": sources[PUSH].pk, "entered_via": "api", "observed_at": pushed, **common}
            writer.add(kpi_id=ids["cases-processed"], value=_value(cases, 0), **push)
            writer.add(kpi_id=ids["exceptions-raised"], value=_value(max(round(cases * share), 0), 0), **push)
            writer.add(kpi_id=ids["cycle-time"], value=_value(max(cycle, 0.01), 3), **push)
            writer.add(kpi_id=ids["error-rate"], value=_value(max(error, 0)), **push)

            uptime = p.uptime - (0 if live else 0.5) + rng.gauss(0, 0.12)
            if rng.random() < 0.03:  # the odd incident
                uptime -= rng.uniform(0.8, 2.5)
            health = _towards(p.health, _ramp(age, 6)) + rng.gauss(0, 1.0)
            if p.health_drifts and day > drift_from:
                health -= 16 * (day - drift_from).days / 183
            pulled = {"source_id": sources[PROMETHEUS].pk, "entered_via": f"pull:{PROMETHEUS}", **common}
            writer.add(
                kpi_id=ids["production-reliability"],
                observed_at=ctx.at(day, 3),
                value=_value(min(uptime, 100), 3),
                **pulled,
            )
            writer.add(
                kpi_id=ids["ai-health-score"],
                observed_at=ctx.at(day, 3),
                value=_value(min(max(health, 0), 100), 1),
                **pulled,
            )

        # Money figures: once a month, uploaded by the ops lead (or the admin) as a CSV.
        close = month.replace(day=28)
        if tl.live_on and tl.live_on <= close <= end and ctx.at(close, 17) <= ctx.now:
            since_live = (close - tl.live_on).days / 30.4
            age = (close - start).days / 30.4
            cost = _towards(p.cost, _ramp(age, 5)) * (1 + rng.gauss(0, 0.03))
            roi = p.roi_at_maturity * (0.3 + 0.7 * _ramp(since_live, 8)) + rng.gauss(0, 2)
            upload = {
                "source_id": sources[CSV].pk,
                "entered_via": csv_file,
                "entered_by_id": lead_id,
                "observed_at": ctx.at(close, 17),
                **common,
            }
            writer.add(kpi_id=ids["cost-per-transaction"], value=_value(max(cost, 0.01)), **upload)
            writer.add(kpi_id=ids["roi-vs-business-case"], value=_value(max(roi, 0), 1), **upload)


def _company_measurements(ctx, kpis, sources, writer: _Writer, plans: list[_Plan]) -> None:
    """Company-wide figures across the whole period: most improve, the data-quality score
    slides in the second half, and margin impact stops arriving three months before the end."""
    rng = ctx.rng
    first, last = ctx.window[0], ctx.today
    span = max((last - first).days, 1)
    ids = {code: kpis[code].pk for code in kpis}
    admin = ctx.pk("admin")
    catalogue_until = ctx.now - timedelta(days=2, hours=3)  # its pulls have failed since

    def share_of_period(day: date) -> float:
        progress = (day - first).days / span
        return progress * progress * (3 - 2 * progress)  # smoothstep: slow start, slow finish

    def add(code: str, source: str, when: datetime, value: Decimal, *, by: int | None = None, via: str = "") -> None:
        writer.add(
            kpi_id=ids[code],
            initiative_id=None,
            source_id=sources[source].pk,
            observed_at=when,
            value=value,
            entered_by_id=by,
            entered_via=via or ("api" if source == PUSH else f"pull:{source}"),
        )

    stale_from = add_months(ctx.this_month, -(STALE_MONTHS - 1))
    live_dates = sorted(
        (plan.timeline.live_on, (plan.timeline.live_on - plan.timeline.started_on).days)
        for plan in plans
        if plan.timeline.live_on and plan.timeline.started_on
    )
    for month in ctx.window:
        weekly = [d for d in _weekly_days(month) if ctx.at(d, 6) <= ctx.now]
        if month == ctx.this_month and not weekly:
            # The primary KPI is measured this month even on its first morning.
            add(PRIMARY_KPI, WAREHOUSE, ctx.now, _value(38 + 27 * share_of_period(last) + rng.gauss(0, 1)))
        for day in weekly:
            s = share_of_period(day)
            add(PRIMARY_KPI, WAREHOUSE, ctx.at(day, 6), _value(38 + 27 * s + rng.gauss(0, 1.2)))
            releases = max(round(rng.gauss(0.4 + 1.9 * s, 0.7)), 0)
            add("deployment-frequency", PUSH, ctx.at(day, 7), _value(releases, 0))
            if ctx.at(day, 5) <= catalogue_until:
                slide = max(0.0, ((day - first).days / span - 0.5) / 0.5)
                add("data-quality-score", CATALOGUE, ctx.at(day, 5), _value(88 - 17 * slide + rng.gauss(0, 0.8), 1))

        close = month.replace(day=28)
        if ctx.at(close, 17) > ctx.now:
            continue
        s = share_of_period(close)
        add("core-ops-improvement", WAREHOUSE, ctx.at(close, 6), _value(1.5 + 17 * s + rng.gauss(0, 0.5)))
        recent = [ttv for live, ttv in live_dates if close - timedelta(days=365) < live <= close]
        so_far = recent or [ttv for live, ttv in live_dates if live <= close]
        if so_far:
            add("time-to-value", WAREHOUSE, ctx.at(close, 6), _value(sum(so_far) / len(so_far), 1))
        finance = {"by": admin, "via": f"csv:finance-benefits-{month:%Y-%m}.csv"}
        add(
            "revenue-impact",
            CSV,
            ctx.at(close, 17),
            _money((40_000 + 380_000 * s) * (1 + rng.gauss(0, 0.05))),
            **finance,
        )
        if month < stale_from:
            add(STALE_KPI, CSV, ctx.at(close, 17), _value(0.1 + 1.3 * s + rng.gauss(0, 0.04)), **finance)
        dip = 6 * math.exp(-(((close - first).days / span - 0.5) ** 2) / 0.02)
        retention = 91 - dip + rng.gauss(0, 0.6)
        add("talent-retention", MANUAL, ctx.at(close, 10), _value(retention, 1), by=admin, via="form")


# --- Monthly reviews ---------------------------------------------------------------------

CIO_COMMENTS = (
    "The platform held its reliability target and two model releases went out without incident.",
    "Uptime is fine. The policy data clean-up is behind plan and it shows in the data-quality score.",
    "Release pace is where we wanted it. Fraud model retraining is booked for next month.",
    "No production incidents; monitoring now covers every live initiative.",
    "Health scores are steady. The summary service moved hosting region without downtime.",
    "Cost per case falls where adoption is high; I want the adoption gaps closed before we start new builds.",
    "One short outage on the triage service, handled by the fallback procedure as designed.",
    "Data quality is still slipping. The fix is funded and starts this month.",
)
COO_COMMENTS = (
    "Adoption is real in claims intake; the service desk still has teams working the old way.",
    "Cycle times are down wherever the workflow changed. Same discipline for the next two launches, please.",
    "Exceptions fell again and two intake clerks moved to fast-track settlement.",
    "I agree with the numbers. Reskilling for the email desk finishes this month.",
    "Processing rate is under the new target. We know why and each team has a plan.",
    "Good month. The fraud analysts want clearer score reasons before the next release.",
    "Signed. The invoice dispute assistant is live but the clerks need another month before its numbers mean much.",
    "Handover rates after the chatbot's switch-off are what we hoped for.",
)


def _build_reviews(ctx: _Ctx) -> None:
    """Every month signed by both and frozen, except the previous month (CIO only) and
    the current one (not signed yet)."""
    rng, cio, coo = ctx.rng, ctx.people["cio"], ctx.people["coo"]
    previous = add_months(ctx.this_month, -1)
    reviews = []
    for month in ctx.window:
        review = MonthlyReview(month=month)
        meeting = add_months(month, 1).replace(day=rng.randint(6, 12))
        if month < previous:
            review.cio_signed_by, review.cio_comment = cio, rng.choice(CIO_COMMENTS)
            review.cio_signed_at = ctx.at(meeting, 10, rng.choice((5, 20, 40)))
            review.coo_signed_by, review.coo_comment = coo, rng.choice(COO_COMMENTS)
            review.coo_signed_at = ctx.at(meeting, rng.choice((9, 11, 14)), 15)
            review.frozen_at = max(review.cio_signed_at, review.coo_signed_at)
        elif month == previous:
            signed = min(ctx.at(ctx.this_month.replace(day=6), 10), ctx.now)
            review.cio_signed_by, review.cio_signed_at = cio, signed
            review.cio_comment = rng.choice(CIO_COMMENTS)
        reviews.append(review)
    _bulk(reviews, MonthlyReview)
    # The roll-up leaves signed-off months alone from now on.
    FrozenMonth.objects.bulk_create(
        [FrozenMonth(month=r.month, frozen_at=r.frozen_at) for r in reviews if r.frozen_at is not None]
    )


# --- Governance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    key: str
    process: str
    initiative: str | None
    decision: str
    tier: str
    confidence: float | None
    escalation: str
    accountable: str
    override: str
    audit: str
    monitoring: tuple[str, float, str] | None  # KPI code, breach threshold, above/below


T_AUTO, T_NOTIFY, T_APPROVE, T_HUMAN = (
    AutonomyTier.AI_AUTONOMOUS,
    AutonomyTier.AI_NOTIFIES,
    AutonomyTier.HUMAN_APPROVES,
    AutonomyTier.HUMAN_ONLY,
)
ABOVE, BELOW = BreachWhen.ABOVE, BreachWhen.BELOW
MATRIX = (
    _Rule(
        "claims-fast-track",
        "Claims intake",
        "claims-triage",
        "Send a simple glass or minor-damage claim straight to fast-track settlement",
        T_AUTO,
        0.92,
        "Claims team leader",
        AccountableExecutive.COO,
        "A team leader pulls the claim back from fast track and assigns a handler; the model's choice stays logged.",
        AuditTrail.SUMMARY,
        ("error-rate", 3.0, ABOVE),
    ),
    _Rule(
        "claims-complexity-flag",
        "Claims intake",
        "claims-triage",
        "Mark a claim as complex or involving injury",
        T_NOTIFY,
        0.80,
        "Senior claims handler",
        AccountableExecutive.COO,
        "The senior handler removes the mark and records why; the claim returns to the normal queue.",
        AuditTrail.FULL,
        ("exception-rate", 0.12, ABOVE),
    ),
    _Rule(
        "claims-initial-reserve",
        "Claims intake",
        "claims-triage",
        "Set the initial reserve on a new claim",
        T_APPROVE,
        0.70,
        "Claims reserving analyst",
        AccountableExecutive.JOINT,
        "The analyst changes the proposed reserve before it is booked; proposals outside the band go to the "
        "reserving committee.",
        AuditTrail.FULL_WITH_REVIEW,
        ("cycle-time", 24, ABOVE),
    ),
    _Rule(
        "claims-decline-cover",
        "Claims intake",
        None,
        "Decline cover on a claim",
        T_HUMAN,
        None,
        "Claims technical manager",
        AccountableExecutive.COO,
        "Not delegated to AI: the technical manager decides and a second manager reviews every decline.",
        AuditTrail.FULL_WITH_REVIEW,
        None,
    ),
    _Rule(
        "fraud-score-claim",
        "Fraud referral",
        "fraud-signals",
        "Score a claim for fraud indicators",
        T_AUTO,
        0.50,
        "Fraud analyst",
        AccountableExecutive.CIO,
        "An analyst can mark a score as wrong; marked scores feed the next retraining.",
        AuditTrail.FULL,
        ("ai-health-score", 70, BELOW),
    ),
    _Rule(
        "fraud-refer-investigation",
        "Fraud referral",
        "fraud-signals",
        "Refer a claim to the special investigations unit",
        T_APPROVE,
        0.85,
        "Special investigations manager",
        AccountableExecutive.COO,
        "The manager rejects the referral and the claim goes back to its handler the same day.",
        AuditTrail.FULL_WITH_REVIEW,
        ("error-rate", 4.0, ABOVE),
    ),
    _Rule(
        "fraud-hold-payment",
        "Fraud referral",
        None,
        "Hold a claim payment while fraud is investigated",
        T_HUMAN,
        None,
        "Head of claims",
        AccountableExecutive.CEO,
        "Only the head of claims holds a payment; holds longer than ten days are reported to the CEO.",
        AuditTrail.FULL_WITH_REVIEW,
        None,
    ),
    _Rule(
        "email-draft-reply",
        "Customer correspondence",
        "email-reply-drafts",
        "Draft a reply to a customer email",
        T_APPROVE,
        0.60,
        "Customer service team leader",
        AccountableExecutive.COO,
        "The agent edits or discards the draft; nothing is sent without the agent pressing send.",
        AuditTrail.SUMMARY,
        (ADOPTION_KPI, 50, BELOW),
    ),
    _Rule(
        "email-auto-status",
        "Customer correspondence",
        "email-reply-drafts",
        "Send a claim status update without review",
        T_AUTO,
        0.95,
        "Customer service team leader",
        AccountableExecutive.COO,
        "A team leader can stop automatic sending from the operations console in one click; replies then wait "
        "for an agent.",
        AuditTrail.FULL,
        ("error-rate", 1.5, ABOVE),
    ),
    _Rule(
        "call-summary-file",
        "Customer correspondence",
        "call-summaries",
        "File the call summary to the policy record",
        T_NOTIFY,
        0.75,
        "Contact centre team leader",
        AccountableExecutive.CIO,
        "The agent corrects the summary within the day; corrections are sampled weekly.",
        AuditTrail.SUMMARY,
        ("production-reliability", 99.0, BELOW),
    ),
    _Rule(
        "complaint-tag",
        "Customer correspondence",
        "complaint-classification",
        "Mark a message as a formal complaint",
        T_NOTIFY,
        0.70,
        "Complaints manager",
        AccountableExecutive.COO,
        "The complaints handler removes the mark with a reason; the deadline clock stops only then.",
        AuditTrail.FULL,
        ("error-rate", 2.0, ABOVE),
    ),
    _Rule(
        "invoice-match-estimate",
        "Supplier invoices",
        "supplier-disputes",
        "Match a repair invoice to the approved estimate",
        T_AUTO,
        0.90,
        "AP supervisor",
        AccountableExecutive.CIO,
        "The supervisor unmatches the invoice and it joins the manual dispute queue.",
        AuditTrail.SUMMARY,
        (PRIMARY_KPI, 50, BELOW),
    ),
    _Rule(
        "invoice-propose-settlement",
        "Supplier invoices",
        "supplier-disputes",
        "Propose a settlement for a disputed invoice",
        T_NOTIFY,
        0.65,
        "AP supervisor",
        AccountableExecutive.JOINT,
        "The clerk rejects the proposal and settles by hand; rejected proposals are reviewed monthly.",
        AuditTrail.SUMMARY,
        ("data-quality-score", 75, BELOW),
    ),
    _Rule(
        "invoice-agree-settlement",
        "Supplier invoices",
        None,
        "Agree a final settlement with a garage",
        T_HUMAN,
        None,
        "Head of finance operations",
        AccountableExecutive.COO,
        "Not delegated to AI: settlements above the clerk's limit need the supervisor's approval.",
        AuditTrail.FULL,
        None,
    ),
)
# Matrix version 2 (a draft): what the COO's office is changing, for the compare page to show.
V2_CHANGE = {
    "key": "email-auto-status",
    "confidence": 0.97,
    "monitoring": ("error-rate", 1.0, ABOVE),
    "reason": "Two wrong status emails last quarter: raise the confidence bar and tighten the error-rate alarm "
    "until the claim-status feed is reconciled daily. Complaint tags go back to a human's approval while the "
    "error rate is above its bound.",
}
# Complaint tagging's error rate runs at or above its 2 % bound: the draft moves it one tier toward human
# control, as the matrix suggests for a decision outside its bounds.
V2_TIER_CHANGES = {"complaint-tag": T_APPROVE}


def _matrix_decisions(version: MatrixVersion, kpis, by_code, changed: dict | None = None) -> list[MatrixDecision]:
    decisions = []
    for rule in MATRIX:
        confidence, monitoring, tier = rule.confidence, rule.monitoring, rule.tier
        if changed and rule.key == changed["key"]:
            confidence, monitoring = changed["confidence"], changed["monitoring"]
        if changed:
            tier = V2_TIER_CHANGES.get(rule.key, tier)
        decisions.append(
            MatrixDecision(
                version=version,
                key=rule.key,
                process=rule.process,
                initiative=by_code.get(rule.initiative) if rule.initiative else None,
                decision=rule.decision,
                autonomy_tier=tier,
                confidence_threshold=Decimal(f"{confidence:.3f}") if confidence is not None else None,
                escalation_owner=rule.escalation,
                accountable_executive=rule.accountable,
                override_protocol=rule.override,
                audit_trail=rule.audit,
                monitoring_kpi=kpis[monitoring[0]] if monitoring else None,
                breach_threshold=Decimal(f"{monitoring[1]:.4f}") if monitoring else None,
                breach_when=monitoring[2] if monitoring else "",
            )
        )
    return decisions


def _build_governance(ctx: _Ctx, kpis: dict[str, KPI], by_code: dict[str, Initiative]) -> None:
    people = ctx.people
    admin, ceo, cio, coo = people["admin"], people["ceo"], people["cio"], people["coo"]
    ops_claims, ops_service = people["ops.claims"], people["ops.service"]

    effective = ctx.months_ago(13)
    v1 = MatrixVersion.objects.create(
        number=1,
        status=VersionStatus.PUBLISHED,
        effective_from=effective,
        reason="First matrix kept in the scoreboard, carried over from the spreadsheet the COO's office has kept "
        "since claims triage went live, with monitoring signals added for every delegated decision.",
        created_by=admin,
        published_by=admin,
        approved_by=coo,
        published_at=ctx.at(effective - timedelta(days=4), 15),
    )
    _bulk(_matrix_decisions(v1, kpis, by_code), MatrixDecision)
    v2 = MatrixVersion.objects.create(
        number=2, status=VersionStatus.DRAFT, reason=V2_CHANGE["reason"], created_by=admin
    )
    _bulk(_matrix_decisions(v2, kpis, by_code, changed=V2_CHANGE), MatrixDecision)

    shared = [
        (
            SharedZoneTopic.INVESTMENT_LEVEL,
            "AI programme budget for the next financial year",
            None,
            "Keep total spend flat and fund only initiatives whose workflow change is signed.",
            "Keep a reserve for reskilling: the claims teams moved faster than we budgeted for.",
            "€4.2m in total, of which €0.6m is ring-fenced for reskilling and change support.",
            ctx.months_ago(3, 18),
        ),
        (
            SharedZoneTopic.TIMELINE,
            "Go-live window for broker submission intake",
            "broker-submission-intake",
            "Live before the January renewal season.",
            "Not during the renewal season: underwriters cannot learn a new workbench then.",
            "Pilot with two teams in the quieter spring quarter; full go-live after the renewals.",
            ctx.days_ago(12),
        ),
        (
            SharedZoneTopic.SUCCESS_METRICS,
            "Automated processing rate as the programme's heartbeat",
            None,
            "One number the board can follow every month.",
            "It must count work that really left the manual queue, not calls to a model.",
            "Primary KPI: share of cases processed end to end without anyone touching them, counted in the "
            "operations warehouse; the target rises half-way through the programme.",
            ctx.months_ago(11, 20),
        ),
        (
            SharedZoneTopic.WORKFORCE_COMMITMENT,
            "Redeployment commitment for intake and filing roles",
            "policy-doc-indexing",
            "Say publicly that nobody loses their job to AI through next year.",
            "I can commit to redeployment, but the filing team needs a training budget before I promise dates.",
            "",
            None,
        ),
        (
            SharedZoneTopic.INVESTMENT_LEVEL,
            "Second year of the fraud model partnership",
            "fraud-signals",
            "Renew only if referral quality improves.",
            "The analysts rely on it; a gap would send us back to gut feel.",
            "Renew for one year with a break clause tied to the AI health score staying above 70.",
            ctx.months_ago(5, 9),
        ),
    ]
    for topic, title, code, ceo_input, coo_input, joint, decided in shared:
        SharedZoneDecision.objects.create(
            topic=topic,
            title=title,
            initiative=by_code.get(code) if code else None,
            ceo_input=ceo_input,
            coo_input=coo_input,
            joint_decision=joint,
            decided_on=decided,
        )

    def hours(n: float) -> datetime:
        return ctx.now - timedelta(hours=n)

    requests = [
        # Open and overdue: waiting beyond the 24-hour target.
        (
            "Approve the fallback procedure for fraud signal scoring so the monitoring release can go ahead.",
            "fraud-signals",
            ops_claims,
            coo,
            hours(74),
            None,
            "",
            "",
        ),
        (
            "Confirm that claim photos may go to the photo-assessment vendor under the existing data processing "
            "agreement.",
            None,
            ops_claims,
            cio,
            hours(39),
            None,
            "",
            "",
        ),
        # Open, still within the target.
        (
            "Approve the draft matrix change that raises the confidence bar for automatic claim status emails.",
            "email-reply-drafts",
            admin,
            coo,
            hours(5),
            None,
            "",
            "",
        ),
        (
            "Release the second tranche of the complaint classification budget.",
            "complaint-classification",
            ops_service,
            ceo,
            hours(3),
            None,
            "",
            "",
        ),
        # Answered.
        (
            "Sign the deployment brief for broker submission intake.",
            "broker-submission-intake",
            cio,
            ceo,
            hours(13 * 24 + 4),
            6,
            DecisionAnswer.APPROVED,
            "",
        ),
        (
            "Extend the subrogation pilot to the fleet book.",
            "subrogation-recovery",
            ops_claims,
            coo,
            hours(20 * 24),
            20,
            DecisionAnswer.DEFERRED,
            "Wait for three months of pilot results first.",
        ),
        (
            "Switch off the website FAQ chatbot at the end of the quarter.",
            "web-faq-bot",
            ops_service,
            cio,
            hours(262 * 24),
            30,
            DecisionAnswer.APPROVED,
            "Answered late: the request reached me during the board offsite.",
        ),
        (
            "Let the email desk send claim status updates without review.",
            "email-reply-drafts",
            ops_service,
            coo,
            hours(180 * 24),
            10,
            DecisionAnswer.APPROVED,
            "Status updates only, and only above the matrix's confidence threshold.",
        ),
        (
            "Buy an enterprise licence for the writing assistant the complaints team already uses.",
            None,
            ops_service,
            cio,
            hours(61 * 24),
            22,
            DecisionAnswer.REJECTED,
            "Covered by the email drafting product; we will not run a second tool for the same work.",
        ),
    ]
    for question, code, asker, executive, asked, answer_hours, answer, note in requests:
        DecisionRequest.objects.create(
            initiative=by_code.get(code) if code else None,
            question=question,
            requested_by=asker,
            executive=executive,
            requested_at=asked,
            due_at=asked + timedelta(hours=24),
            answered_at=asked + timedelta(hours=answer_hours) if answer_hours else None,
            answer=answer,
            note=note,
        )

    shadow = [
        (
            "ChatGPT (personal accounts)",
            "Customer service email desk",
            "Drafting replies to long customer emails.",
            "Agents wrote replies faster and in plainer language.",
            DataSensitivity.CONFIDENTIAL,
            ShadowAIStatus.ADOPTED,
            "email-reply-drafts",
            430,
        ),
        (
            "Meeting transcription app",
            "Commercial underwriting",
            "Notes of broker calls and risk meetings.",
            "Underwriters stopped typing notes during calls.",
            DataSensitivity.CONFIDENTIAL,
            ShadowAIStatus.REPLACED,
            "call-summaries",
            520,
        ),
        (
            "Free online translator",
            "Claims cross-border desk",
            "Translating foreign police and repair reports.",
            "Claims abroad no longer waited a week for a translator.",
            DataSensitivity.RESTRICTED,
            ShadowAIStatus.BLOCKED,
            None,
            300,
        ),
        (
            "Spreadsheet add-in with a language model",
            "Finance accounts payable",
            "Suggesting ledger codes for supplier invoices.",
            "Month-end coding took a day less.",
            DataSensitivity.INTERNAL,
            ShadowAIStatus.UNDER_REVIEW,
            None,
            45,
        ),
        (
            "Writing assistant browser extension",
            "Complaints team",
            "Checking the tone of final response letters.",
            "Fewer letters sent back by the quality check.",
            DataSensitivity.CONFIDENTIAL,
            ShadowAIStatus.REPLACED,
            "email-reply-drafts",
            210,
        ),
        (
            "AI search engine",
            "Pricing analysts",
            "Researching competitors' published rates and market news.",
            "Research for pricing reviews takes hours instead of days.",
            DataSensitivity.PUBLIC,
            ShadowAIStatus.UNDER_REVIEW,
            None,
            20,
        ),
        (
            "Damage estimate phone app",
            "Home claims field adjusters",
            "Estimating repair costs from photos on site.",
            "Adjusters gave customers a figure during the visit.",
            DataSensitivity.RESTRICTED,
            ShadowAIStatus.BLOCKED,
            None,
            150,
        ),
    ]
    _bulk(
        [
            ShadowAITool(
                tool=tool,
                team=team,
                use=use,
                why_it_helps=why,
                data_sensitivity=sensitivity,
                status=status,
                promoted_to=by_code.get(code) if code and status == ShadowAIStatus.ADOPTED else None,
                discovered_on=ctx.days_ago(age),
            )
            for tool, team, use, why, sensitivity, status, code, age in shadow
        ],
        ShadowAITool,
    )

    risks = [
        (
            "Prompt injection through inbound customer emails",
            RiskCategory.CYBER,
            "A crafted email could steer reply drafting into revealing policy details or promising what we do "
            "not offer.",
            "Instructions in quoted text are stripped; the model sees only the sender's own policy; automatic "
            "sending is limited to claim status updates.",
            "Switch drafting to manual from the operations console and review every reply sent in the window.",
            3,
            4,
            RiskStatus.OPEN,
            ("email-reply-drafts", "complaint-classification"),
        ),
        (
            "Injury details in claims sent to an outside model",
            RiskCategory.PRIVACY,
            "Customers' own descriptions of a claim can hold health details about them or third parties.",
            "Health terms are masked before text leaves our network; the vendor contract forbids training on our data.",
            "Tell the data protection officer within 24 hours and have the vendor purge its logs under the contract.",
            2,
            5,
            RiskStatus.MITIGATED,
            ("claims-triage", "fraud-signals"),
        ),
        (
            "A challenged fraud referral cannot be explained",
            RiskCategory.COMPLIANCE,
            "A customer or the ombudsman asks why a claim was investigated and the score alone cannot say.",
            "Every score keeps its top reasons; analysts record why they referred or dismissed a claim.",
            "The claims technical manager re-decides the case by hand without the score.",
            3,
            4,
            RiskStatus.OPEN,
            ("fraud-signals",),
        ),
        (
            "Model service outage stalls claims intake",
            RiskCategory.OPERATIONAL_DISRUPTION,
            "New claims pile up unsorted if the triage or summary service is down.",
            "Two hosting regions; load tests before each release.",
            "The manual triage queue takes over within fifteen minutes; team leaders hold the switch.",
            2,
            4,
            RiskStatus.MITIGATED,
            ("claims-triage", "call-summaries"),
        ),
        (
            "Automatic status emails break complaint-handling rules",
            RiskCategory.COMPLIANCE,
            "A status email sent automatically in reply to what is really a complaint.",
            "Messages that look like complaints never get an automatic reply; team leaders sample weekly.",
            "Stop automatic sending, contact the customers affected and log each case as a complaint.",
            2,
            3,
            RiskStatus.OPEN,
            ("email-reply-drafts",),
        ),
        (
            "Broker data pasted into unsanctioned tools abroad",
            RiskCategory.PRIVACY,
            "Underwriters paste submission details into tools that store data outside the EU.",
            "The shadow-AI register is reviewed every quarter and sanctioned alternatives are offered.",
            "Block the tool at the proxy and ask the vendor to delete the data.",
            4,
            3,
            RiskStatus.OPEN,
            ("broker-submission-intake",),
        ),
        (
            "Garage payments late when disputes are misrouted",
            RiskCategory.OPERATIONAL_DISRUPTION,
            "A dispute routed to the wrong queue misses the payment run.",
            "The dispute queue is reconciled daily against the payment run.",
            "Clerks work the queue by hand and the supervisor authorises interim payments.",
            2,
            2,
            RiskStatus.CLOSED,
            ("supplier-disputes",),
        ),
    ]
    for title, category, description, preventive, responsive, likelihood, impact, status, codes in risks:
        risk = Risk.objects.create(
            title=title,
            category=category,
            description=description,
            preventive_measures=preventive,
            responsive_measures=responsive,
            technology_owner=cio,
            operations_owner=coo,
            likelihood=likelihood,
            impact=impact,
            status=status,
        )
        linked = [by_code[code] for code in codes if code in by_code]
        if linked:
            risk.initiatives.set(linked)


def _build_annotations(ctx: _Ctx, kpis: dict[str, KPI]) -> None:
    """Why three numbers moved, written by one of each KPI's accountable executives."""
    window = ctx.window
    notes = [
        (
            "data-quality-score",
            window[int(len(window) * 0.6)],
            "cio",
            "The policy administration migration left "
            "duplicate customer records; the clean-up is funded but not started.",
        ),
        (
            PRIMARY_KPI,
            window[len(window) // 2],
            "coo",
            "Target raised to 70% now that claims triage and call summaries run in every team.",
        ),
        (
            STALE_KPI,
            window[max(len(window) - STALE_MONTHS - 1, 0)],
            "ceo",
            "Last figure before the finance feed paused for the ERP cut-over.",
        ),
    ]
    _bulk(
        [
            Annotation(kpi=kpis[code], month=month, text=text, author=ctx.people[author])
            for code, month, author, text in notes
        ],
        Annotation,
    )
