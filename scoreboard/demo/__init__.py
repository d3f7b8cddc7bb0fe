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

The hand-written company is in ``data/``, as plain constants; ``build/`` turns it into rows,
one module per part. This module runs the parts in order, in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from governance.models import (
    DecisionRequest,
    GovernanceGate,
    MatrixDecision,
    MatrixVersion,
    Risk,
    ShadowAITool,
    SharedZoneDecision,
)
from initiatives.models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    WorkflowChange,
    WorkflowStep,
)
from metrics.models import KPI, Annotation, Measurement, MetricSource, MonthlySnapshot, Target

# The demo imports the roll-up here and nowhere else.
from metrics.services.rollup import snapshot_roll_up
from scoreboard import versions
from scoreboard.models import (
    ChatDestination,
    ChatNotification,
    ExcoSchedule,
    MonthlyPack,
    MonthlyReview,
    PreRead,
    PreReadDelivery,
    RestatedFigure,
    Restatement,
    User,
)
from scoreboard.months import first_of_month

from .build.chat import build_chat_destination
from .build.context import Context, add_months
from .build.governance import build_governance
from .build.initiatives import (
    build_initiative_details,
    build_initiatives,
    handcrafted_plans,
    template_plans,
)
from .build.measurements import build_measurements, link_reported_kpis
from .build.metrics import build_annotations, build_kpis, build_source_mappings, build_sources, build_targets
from .build.people import build_people
from .build.reviews import build_late_data, build_reviews
from .data.initiatives import INITIATIVES
from .data.metrics import STALE_MONTHS
from .data.people import COMPANY, DEMO_PASSWORD, PEOPLE

__all__ = [
    "COMPANY",
    "DEMO_PASSWORD",
    "HANDCRAFTED_COUNT",
    "DemoDataExists",
    "DemoLogin",
    "DemoSummary",
    "build_demo_company",
    "delete_scoreboard_data",
    "demo_logins",
    "existing_scoreboard_data",
]

HANDCRAFTED_COUNT = len(INITIATIVES)
_BUILD_STEPS = 10  # the bar.update() calls in build_demo_company


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
    models += [RestatedFigure, Restatement, Restatement.history.model, MonthlyPack]
    models += [MonthlyReview, MonthlyReview.history.model]
    # The pre-read's months and deliveries, and its schedule; people keep their own subscription.
    models += [PreReadDelivery, PreRead, ExcoSchedule, ExcoSchedule.history.model]
    models += [ChatNotification, ChatDestination, ChatDestination.history.model]
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
    more_measurements: Callable[[Context, dict[str, KPI], dict[str, MetricSource], list], object] | None = None,
) -> DemoSummary:
    """Build the demo company in one transaction: people, KPIs and targets, sources,
    ``initiatives`` initiatives (the first twelve hand-written), ``months`` months of
    measurements ending with the current month, their snapshots, the monthly reviews and
    the governance records.

    Refuses with DemoDataExists when scoreboard data is present, unless ``replace``, which
    deletes it first. ``now`` pins the clock (the start of the current hour by default).
    Fewer than twelve initiatives keeps the first ones, which still cover every stage from
    eight on; the warning signs tied to the others then have nothing to show.

    ``more_measurements(ctx, kpis, sources, built)``, when given, adds measurements (and the KPIs
    they need) after the demo's own and before the snapshots are rolled up and the months signed
    off: the benchmarks' XL company adds its daily points there (bench/_sizes.py), so its
    snapshots are computed once, before any month is frozen.
    """
    if initiatives < 1:
        raise ValueError("The demo company needs at least one initiative.")
    if months < 1:
        raise ValueError("The demo company needs at least one month.")
    moment = timezone.localtime(now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    this_month = first_of_month(moment.date())
    ctx = Context(
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
        # Built straight in the tables, not through the services: every month's ExCo page is new.
        versions.bump()

        bar.set_description("people")
        ctx.people = build_people(ctx)
        bar.update()
        bar.set_description("KPIs")
        kpis = build_kpis(ctx)
        bar.update()
        bar.set_description("sources")
        sources = build_sources(ctx)
        build_source_mappings(sources, kpis)
        bar.update()
        bar.set_description("initiatives")
        plans = handcrafted_plans(ctx, initiatives)
        plans += template_plans(ctx, initiatives - len(plans), start=len(plans) + 1)
        built = build_initiatives(ctx, plans)
        bar.update()
        bar.set_description("workflows, briefs, gates")
        build_initiative_details(ctx, built, kpis)
        bar.update()
        bar.set_description("targets")
        build_targets(ctx, kpis, built)
        bar.update()
        bar.set_description("measurements")
        build_measurements(ctx, kpis, sources, built, progress=progress)
        if more_measurements is not None:
            more_measurements(ctx, kpis, sources, built)
        link_reported_kpis()
        bar.update()
        bar.set_description("monthly snapshots")
        build_chat_destination()
        snapshot_roll_up(months=None)
        bar.update()
        bar.set_description("monthly reviews")
        build_reviews(ctx)
        build_late_data(ctx)
        bar.update()
        bar.set_description("governance")
        by_code = {plan.code: initiative for plan, initiative in built}
        build_governance(ctx, kpis, by_code)
        build_annotations(ctx, kpis)
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


def build_preread(*, now: datetime | None = None) -> str:
    """The ExCo's schedule (the second Tuesday, the pre-read three working days before at 07:00) and
    the pre-read of the last complete month as the members got it: its pack printed and its summary
    read as the job would, each delivery recorded as sent on its day. Nothing is mailed. Kept out of
    ``build_demo_company`` (which tests call often) because printing the pack takes Chromium a few
    seconds. Returns a line to print."""
    from scoreboard.exco import preread  # the demo's one use of the pre-read service
    from scoreboard.exco.pdf import PdfRenderError
    from scoreboard.models import DeliveryStatus
    from scoreboard.months import latest_complete_month, next_month

    now = now or timezone.now()
    schedule, _ = ExcoSchedule.objects.update_or_create(
        pk=1, defaults={"week": 2, "weekday": 1, "preread_working_days": 3, "send_hour": 7, "updated_at": now}
    )
    month = latest_complete_month(timezone.localdate(now))
    meeting = preread.meeting_day(next_month(month), schedule)
    on = preread.preread_day(meeting, schedule.preread_working_days)
    due = datetime(on.year, on.month, on.day, schedule.send_hour, 5, tzinfo=timezone.get_current_timezone())
    sent_at = min(now, due)
    try:
        made = preread.preread_prepare(month=month, meeting=meeting, now=sent_at)
    except PdfRenderError as error:
        return f"No demo pre-read: its pack could not be printed ({error})."
    sent = {"status": DeliveryStatus.SENT, "attempts": 1, "last_attempt_at": sent_at, "sent_at": sent_at}
    deliveries = [
        PreReadDelivery(preread=made, recipient=m, address=m.email, format="html", created_at=sent_at, **sent)
        for m in preread.members()
        if m.email
    ]
    PreReadDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return f"The pre-read of {month:%B %Y} is recorded as sent to the ExCo on {sent_at:%-d %b %Y}."
