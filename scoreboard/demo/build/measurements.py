"""Measurements: weekly operational figures for each initiative from its pilot on, monthly
money figures from go-live, and the company-wide figures, all from the seeded generator and
written in batches of MEASUREMENT_BATCH with bulk inserts (no history rows: this is the
large table). Then which KPIs each initiative reports, from what it measures."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

from tqdm import tqdm

from initiatives.models import Initiative, WorkflowChange
from metrics.models import KPI, Measurement, MetricSource, Target
from metrics.periods import period_start
from metrics.services.ingest import PEOPLE_KINDS
from scoreboard.months import last_day

from ..data.metrics import (
    ADOPTION_KPI,
    CATALOGUE,
    CSV,
    MANUAL,
    PRIMARY_KPI,
    PROMETHEUS,
    PUSH,
    STALE_KPI,
    STALE_MONTHS,
    WAREHOUSE,
)
from ..data.plans import Plan
from .context import Context, add_months, link_in_history, money

MEASUREMENT_BATCH = 5000


def _weekly_days(month: date) -> list[date]:
    return [d for k in range(5) if (d := month + timedelta(days=7 * k)).month == month.month]


def _ramp(months: float, pace: float) -> float:
    return 1 - math.exp(-max(months, 0) / pace)


def _towards(pair: tuple[float, float], progress: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * progress


class _Writer:
    """Buffers measurements and writes them in batches, ticking a progress bar. A value people
    entered (the form, a CSV file, the API) gets the period it stands for, as the intake gives it."""

    def __init__(self, bar, *, kpis: dict[str, KPI], sources: dict[str, MetricSource]):
        self.buffer: list[Measurement] = []
        self.written = 0
        self.bar = bar
        self.periods = {kpi.pk: kpi.period for kpi in kpis.values()}
        self.people = {source.pk for source in sources.values() if source.kind in PEOPLE_KINDS}

    def add(self, **fields) -> None:
        if fields["source_id"] in self.people:
            fields["period_start"] = period_start(self.periods[fields["kpi_id"]], fields["observed_at"])
        self.buffer.append(Measurement(**fields))
        if len(self.buffer) >= MEASUREMENT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            Measurement.objects.bulk_create(self.buffer, batch_size=MEASUREMENT_BATCH)
            self.written += len(self.buffer)
            self.bar.set_postfix(rows=self.written)
            self.buffer = []


def build_measurements(
    ctx: Context,
    kpis: dict[str, KPI],
    sources: dict[str, MetricSource],
    built: list[tuple[Plan, Initiative]],
    *,
    progress: bool,
) -> int:
    measured = [(plan, initiative) for plan, initiative in built if plan.is_measured]
    with tqdm(
        total=len(measured) + 1, desc="measurements", unit="initiative", leave=False, disable=not progress
    ) as bar:
        writer = _Writer(bar, kpis=kpis, sources=sources)
        _company_measurements(ctx, kpis, sources, writer, [plan for plan, _ in built])
        bar.update()
        for plan, initiative in measured:
            _initiative_measurements(ctx, kpis, sources, writer, plan, initiative)
            bar.update()
        writer.flush()
    return writer.written


def link_reported_kpis() -> None:
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
    link_in_history(Initiative, "kpis", sorted(pairs))


def _value(number: float, places: int = 2) -> Decimal:
    return Decimal(f"{number:.{places}f}")


def _initiative_measurements(ctx, kpis, sources, writer: _Writer, plan: Plan, initiative: Initiative) -> None:
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


def _company_measurements(ctx, kpis, sources, writer: _Writer, plans: list[Plan]) -> None:
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
            money((40_000 + 380_000 * s) * (1 + rng.gauss(0, 0.05))),
            **finance,
        )
        if month < stale_from:
            add(STALE_KPI, CSV, ctx.at(close, 17), _value(0.1 + 1.3 * s + rng.gauss(0, 0.04)), **finance)
        dip = 6 * math.exp(-(((close - first).days / span - 0.5) ** 2) / 0.02)
        retention = 91 - dip + rng.gauss(0, 0.6)
        add("talent-retention", MANUAL, ctx.at(close, 10), _value(retention, 1), by=admin, via="form")
