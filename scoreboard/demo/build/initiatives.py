"""The initiatives: the hand-written ones with their dates resolved, more from templates
(drawn with the seeded generator), and everything each carries: owners, workflow change with
its steps and roles, roadmap, backlog, deployment brief, prioritisation inputs and gates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import date, timedelta
from decimal import Decimal

from governance.models import GateKind, GovernanceGate
from initiatives.models import (
    AffectedRole,
    BacklogItem,
    BacklogStatus,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    Sourcing,
    Stage,
    StepPhase,
    WorkflowChange,
    WorkflowStep,
)
from metrics.models import KPI

from ..data.governance import GATE_TEXT
from ..data.initiatives import BRIEF_GOVERNANCE, INITIATIVES
from ..data.metrics import ADOPTION_KPI
from ..data.people import OPS_LEAD_BY_UNIT
from ..data.plans import STAGE_ORDER, Dates, Plan, Profile, Timeline
from ..data.templates import EXTRA_STAGE_WEIGHTS, TEMPLATES, VARIANTS
from .context import Context, bulk, link_in_history, money, payback_months


def handcrafted_plans(ctx: Context, count: int) -> list[Plan]:
    """The first ``count`` hand-written initiatives, their dates resolved against the clock."""
    plans = []
    for plan in INITIATIVES[:count]:
        dates = {f.name: ctx.resolve(getattr(plan.dates, f.name)) for f in fields(plan.dates)}
        plans.append(replace(plan, timeline=timeline_for(ctx, plan.stage, **dates)))
    return plans


def timeline_for(
    ctx: Context,
    stage: str,
    *,
    started: date | None = None,
    live: date | None = None,
    planned: date | None = None,
    brief: date | None = None,
    pilot: date | None = None,
    retired: date | None = None,
) -> Timeline:
    """The dates an initiative passed, consistent with its stage; the rest are derived."""
    order = STAGE_ORDER[stage]
    past_production = stage in (Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED)
    if order >= STAGE_ORDER[Stage.BRIEF_SIGNED] and brief is None:
        brief = started - timedelta(days=18)
    assessed = None
    if order >= STAGE_ORDER[Stage.ASSESSED]:
        assessed = (brief or ctx.days_ago(5)) - timedelta(days=38)
    if past_production and pilot is None:
        pilot = live - timedelta(days=61)
    if past_production and planned is None:
        planned = live - timedelta(days=21)
    scaled = min(live + timedelta(days=183), ctx.days_ago(7)) if stage == Stage.SCALED else None
    return Timeline(
        assessed_on=assessed,
        brief_on=brief,
        started_on=started,
        pilot_on=pilot,
        planned_go_live=planned,
        live_on=live if past_production else None,
        scaled_on=scaled,
        retired_on=retired,
    )


def template_plans(ctx: Context, count: int, *, start: int) -> list[Plan]:
    """``count`` more initiatives from the templates, numbered from ``start``."""
    rng = ctx.rng
    stages, weights = list(EXTRA_STAGE_WEIGHTS), list(EXTRA_STAGE_WEIGHTS.values())
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
        profile = Profile(
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
            Plan(
                code=f"{template.slug}-{number:04d}",
                name=f"{template.name} ({variant})",
                business_unit=template.business_unit,
                process=template.process,
                stage=stage,
                sourcing=rng.choice(Sourcing.values),
                sponsor=rng.choice(("ceo", "cio")),
                ops_lead=OPS_LEAD_BY_UNIT.get(template.business_unit),
                tech=template.tech,
                ops=template.ops,
                investment=investment,
                benefit=benefit,
                dates=Dates(),
                scope=f"{template.process}, {variant} first.",
                priorities=(*(rng.randint(1, 5) for _ in range(5)), rng.randrange(200, 25000)),
                backlog=tuple(
                    (title, rng.choice(BacklogStatus.values), priority)
                    for priority, title in enumerate(template.backlog, start=1)
                ),
                workflow=template.workflow if stage != Stage.IDEA else None,
                profile=profile if measured else None,
                timeline=timeline,
            )
        )
    return plans


def _random_timeline(ctx: Context, stage: str, span: int) -> Timeline:
    rng, days = ctx.rng, ctx.days_ago

    def future(lo: int, hi: int) -> date:
        return ctx.today + timedelta(days=rng.randint(lo, hi))

    if stage == Stage.IDEA:
        return timeline_for(ctx, stage)
    if stage == Stage.ASSESSED:
        return timeline_for(ctx, stage, planned=future(200, 420))
    if stage == Stage.BRIEF_SIGNED:
        return timeline_for(ctx, stage, brief=days(rng.randint(3, 45)), planned=future(120, 270))
    if stage == Stage.BUILDING:
        return timeline_for(ctx, stage, started=days(rng.randint(20, 240)), planned=future(30, 200))
    if stage == Stage.PILOT:
        return timeline_for(
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
    return timeline_for(ctx, stage, started=started, live=live, retired=retired)


def build_initiatives(ctx: Context, plans: list[Plan]) -> list[tuple[Plan, Initiative]]:
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
            investment=money(plan.investment),
            expected_annual_benefit=money(plan.benefit),
            payback_months=payback_months(plan.investment, plan.benefit),
            started_on=plan.timeline.started_on,
            planned_go_live=plan.timeline.planned_go_live,
            actual_go_live=plan.timeline.live_on,
        )
        for plan in plans
    ]
    for initiative in initiatives:
        initiative.measure_description_overlap()  # bulk_create skips save()
    initiatives = bulk(initiatives, Initiative)
    link_in_history(
        Initiative,
        "ops_leads",
        [
            (initiative.pk, ctx.pk(plan.ops_lead))
            for plan, initiative in zip(plans, initiatives, strict=True)
            if plan.ops_lead
        ],
    )
    return list(zip(plans, initiatives, strict=True))


def build_initiative_details(ctx: Context, built: list[tuple[Plan, Initiative]], kpis: dict[str, KPI]) -> None:
    adoption_kpi = kpis[ADOPTION_KPI]
    changes = bulk(
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
    bulk(steps, WorkflowStep)
    bulk(roles, AffectedRole)

    bulk([m for plan, initiative in built for m in _milestones(ctx, plan, initiative)], Milestone)
    bulk(
        [
            BacklogItem(initiative=initiative, title=title, status=status, priority=priority)
            for plan, initiative in built
            for title, status, priority in plan.backlog
        ],
        BacklogItem,
    )
    bulk([b for plan, initiative in built if (b := _brief(ctx, plan, initiative))], DeploymentBrief)
    bulk(
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
    bulk([gate for plan, initiative in built for gate in _gates(ctx, plan, initiative)], GovernanceGate)


def _milestones(ctx: Context, plan: Plan, initiative: Initiative) -> Iterator[Milestone]:
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


def _brief(ctx: Context, plan: Plan, initiative: Initiative) -> DeploymentBrief | None:
    """Assessed initiatives have a draft brief; from brief signed on it carries both signatures."""
    if not plan.reached(Stage.ASSESSED):
        return None
    tl = plan.timeline
    timeline = f"Start of work {tl.started_on:%B %Y}; " if tl.started_on else "Start of work once signed; "
    timeline += f"go-live planned for {tl.planned_go_live:%B %Y}." if tl.planned_go_live else "go-live to be planned."
    brief = DeploymentBrief(
        initiative=initiative,
        scope=plan.scope,
        investment=money(plan.investment),
        governance=BRIEF_GOVERNANCE,
        timeline=timeline,
    )
    if plan.reached(Stage.BRIEF_SIGNED):
        brief.revised_at = ctx.at(tl.brief_on, 9)
        brief.sponsor_signed_by = ctx.people[plan.sponsor]
        brief.sponsor_signed_at = ctx.at(tl.brief_on, 11)
        brief.coo_signed_by = ctx.people["coo"]
        brief.coo_signed_at = ctx.at(tl.brief_on, 16, 30)
    return brief


def _gates(ctx: Context, plan: Plan, initiative: Initiative) -> Iterator[GovernanceGate]:
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
