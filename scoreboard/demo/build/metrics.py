"""KPIs, metric sources and what the pulled ones read, targets, and the chart notes."""

from datetime import timedelta
from decimal import Decimal

from initiatives.models import Initiative
from metrics.models import (
    KPI,
    Aggregation,
    Annotation,
    KPIRole,
    MetricSource,
    RunStatus,
    SourceMapping,
    Target,
    threshold_order_problem,
)

from ..data.metrics import (
    ADOPTION_KPI,
    ANNOTATIONS,
    CATALOGUE,
    CATALOGUE_ERROR,
    KPI_SPECS,
    PRIMARY_KPI,
    ROI_KPI,
    SOURCE_MAPPINGS,
    SOURCES,
    STALE_MONTHS,
    TARGET_CHANGES,
)
from ..data.plans import Plan
from .context import Context, bulk


def build_kpis(ctx: Context) -> dict[str, KPI]:
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


def build_sources(ctx: Context) -> dict[str, MetricSource]:
    """Every source pulled an hour ago, except the data catalogue, failing for two days."""
    recent = ctx.now - timedelta(hours=1)
    sources = {}
    for spec in SOURCES:
        if spec["name"] == CATALOGUE:
            state = {
                "last_status": RunStatus.FAILED,
                "last_run_at": recent,
                "last_success_at": ctx.now - timedelta(days=2, hours=3),
                "last_error": CATALOGUE_ERROR,
            }
        else:
            state = {"last_status": RunStatus.OK, "last_run_at": recent, "last_success_at": recent}
        sources[spec["name"]] = MetricSource.objects.create(**spec, **state)
    return sources


def build_source_mappings(sources: dict[str, MetricSource], kpis: dict[str, KPI]) -> None:
    SourceMapping.objects.bulk_create(
        [
            SourceMapping(
                source=sources[m.source],
                kpi=kpis[m.kpi],
                expression=m.expression,
                initiative_label=m.initiative_label,
            )
            for m in SOURCE_MAPPINGS
        ]
    )


def _target(kpi: KPI, values: tuple[float, float], **fields) -> Target:
    target, red = (Decimal(f"{v:.4f}") for v in values)
    problem = threshold_order_problem(kpi.direction, target=target, red_threshold=red)
    if problem:
        raise ValueError(f"{kpi.code} {values}: {problem}")
    return Target(kpi=kpi, target=target, red_threshold=red, **fields)


def build_targets(ctx: Context, kpis: dict[str, KPI], built: list[tuple[Plan, Initiative]]) -> None:
    """Company-wide targets from the first month (the primary KPI's raised half-way), and
    for each measured initiative with a workflow change an adoption target from its pilot
    on; the hand-written ones also get a cycle-time target."""
    start = ctx.window[0]
    targets = [_target(kpis[s.code], s.target, effective_from=start) for s in KPI_SPECS if s.target]
    if len(ctx.window) >= 4:
        midway = ctx.window[len(ctx.window) // 2]
        targets += [_target(kpis[code], values, effective_from=midway) for code, values in TARGET_CHANGES.items()]
    for plan, initiative in built:
        if not (plan.is_measured and plan.workflow):
            continue
        effective = max(start, plan.timeline.pilot_on.replace(day=1))
        goal = plan.workflow.adoption_target
        targets.append(_target(kpis[ADOPTION_KPI], (goal, goal - 25), initiative=initiative, effective_from=effective))
        if plan.handcrafted:
            before, after = plan.profile.cycle_hours
            goal = after * 1.15
            targets.append(
                _target(
                    kpis["cycle-time"],
                    (goal, max(before * 0.75, goal * 2)),
                    initiative=initiative,
                    effective_from=effective,
                )
            )
    bulk(targets, Target)


def build_annotations(ctx: Context, kpis: dict[str, KPI]) -> None:
    """Why three numbers moved, written by one of each KPI's accountable executives."""
    window = ctx.window
    months = {
        "slide": window[int(len(window) * 0.6)],  # the data-quality score slides in the second half
        "target-raised": window[len(window) // 2],  # as build_targets raises the primary KPI's
        "last-stale": window[max(len(window) - STALE_MONTHS - 1, 0)],
    }
    bulk(
        [
            Annotation(kpi=kpis[code], month=months[when], text=text, author=ctx.people[author])
            for code, when, author, text in ANNOTATIONS
        ],
        Annotation,
    )
