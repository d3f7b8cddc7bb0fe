"""The monthly ExCo dashboard: everything the page shows for one month, read from the
precomputed monthly snapshots in a fixed number of queries whatever the size of the
company. Chart data is built as plain lists and dicts (the page's script hands them to
Plotly), never as plotly figure objects, which cost tens of milliseconds each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from heapq import nsmallest
from operator import and_

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.urls import reverse
from django.utils import timezone

from governance.models import DecisionRequest, GateKind, GovernanceGate
from governance.selectors import decisions_outside_bounds
from initiatives.models import LIVE_STAGES, PIPELINE_STAGES, Initiative, Stage, priority_score
from initiatives.vocabulary import MISMATCH_BELOW
from metrics.models import KPI, Annotation, Family, KPIRole, MonthlySnapshot
from metrics.selectors import kpi_freshness, source_freshness

from .. import formatting
from ..models import MonthlyReview
from ..months import (
    has_ended,
    last_day,
    latest_complete_month,
    month_in_progress,
    months_back,
    next_month,
    previous_month,
    start_of_month,
)
from .restatements import month_restatements

TREND_MONTHS = 12
# "Companies that redesigned workflows before selecting AI tools": the industry figure the
# programme's own redesign rate is read against.
INDUSTRY_REDESIGN_RATE = Decimal(21)
ROI_LINES = 8  # the largest business cases; more lines than this is unreadable
LISTED = 10  # initiatives named per warning sign, and pipeline candidates shown: what an ExCo can discuss
PORTFOLIO_ROWS = 20  # the furthest along and largest: one printed page; the stage chart counts them all
# Furthest along first: what is live matters most in the room.
_STAGE_RANK = {code: rank for rank, code in enumerate(reversed(Stage.values))}

SHARED_OUTCOMES_ORDER = ("time-to-value", "workflow-adoption", "core-ops-improvement", "production-reliability")


_PERSON = ("username", "first_name", "last_name", "executive_title")
_INITIATIVE_FIELDS = (
    "code",
    "name",
    "stage",
    "expected_annual_benefit",
    "started_on",
    "actual_go_live",
    "description_overlap",
    *(f"technology_owner__{f}" for f in _PERSON),
    *(f"operations_owner__{f}" for f in _PERSON),
    "workflow_change__adoption_kpi",
    "workflow_change__adoption_target_percent",
    "prioritisation__management_bandwidth",
    "prioritisation__process_structure",
    "prioritisation__data_availability",
    "prioritisation__risk_profile",
    "prioritisation__roi_clarity",
    "prioritisation__monthly_volume",
)


def latest_month() -> date:
    """The month the ExCo opens on: the latest that has ended, never the one under way (five
    days of figures beside whole months mislead), whatever the newest figure is."""
    return latest_complete_month()


@dataclass
class WarningSign:
    number: int
    title: str
    explanation: str
    items: list[dict] = field(default_factory=list)  # {"text", "url"}
    total: int | None = None  # set when only the first items were read from the database

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def shown(self) -> list[dict]:
        return self.items[:LISTED]

    @property
    def more(self) -> int:
        return self.count - len(self.shown)


def exco_dashboard(month: date, *, now=None) -> dict:
    """The page's context for `month` (first day). Nine queries."""
    now = now or timezone.now()
    window = months_back(month, TREND_MONTHS)
    last_month = previous_month(month)

    # 1. Every KPI, both executives, and when it was last measured.
    freshness = kpi_freshness(now=now)
    kpis = [f.kpi for f in freshness]
    # 2. Sources whose pulls failed or went quiet (all of them: when each turns stale dates the cache).
    every_source = source_freshness(now=now)
    sources = [f for f in every_source if f.stale or f.failed]
    # 3-4. The portfolio: counted per stage, the totals behind warning signs 1, 2 and 6,
    #    and the initiatives the page names (a bounded set, whatever the size).
    portfolio = _Portfolio.read(month)
    shown = portfolio.shown
    roi_kpi = next((k for k in kpis if k.role == KPIRole.ROI), None)
    roi_initiatives = _first(shown, ROI_LINES, where=lambda i: "in_roi" in i.lists, key=_by_benefit)
    # 5. Every company-wide figure (a few per KPI and month, at any size), and the ROI of the largest
    #    business cases over the trend window. The company-wide figures of every month also give the
    #    months the picker lists (those with a figure, so a stray old date does not fill it with
    #    empty months), which took a query of their own.
    wanted = Q(initiative__isnull=True)
    if roi_kpi and roi_initiatives:
        in_window = Q(month__gte=window[0], month__lte=month)
        wanted |= Q(in_window, kpi=roi_kpi, initiative__in=[i.pk for i in roi_initiatives])
    company, roi_values, months_with_figures = {}, {}, set()
    # Read as tuples: only the window's become snapshots (a model instance costs ten times a tuple).
    fields = [f.attname for f in MonthlySnapshot._meta.concrete_fields]
    kpi_at, initiative_at, month_at, value_at = (fields.index(n) for n in ("kpi_id", "initiative_id", "month", "value"))
    for row in MonthlySnapshot.objects.filter(wanted).order_by().values_list(*fields):
        if row[initiative_at] is not None:
            roi_values[(row[initiative_at], row[month_at])] = row[value_at]
            continue
        if row[value_at] is not None:
            months_with_figures.add(row[month_at])
        if window[0] <= row[month_at] <= month:
            company[(row[kpi_at], row[month_at])] = MonthlySnapshot.from_db(MonthlySnapshot.objects.db, fields, row)
    with_figures = sorted(months_with_figures, reverse=True)
    # 6. The notes explaining why a figure moved, over the same window.
    notes = defaultdict(list)
    for note in Annotation.objects.filter(month__gte=window[0], month__lte=month).select_related(
        "author", "initiative"
    ):
        notes[note.kpi_id].append(note)
    # 7. This month's revisions, and any other month left signed by one executive only.
    reviews = list(
        MonthlyReview.objects.select_related("cio_signed_by", "coo_signed_by")
        .filter(
            Q(month=month)
            | Q(frozen_at__isnull=True) & (Q(cio_signed_at__isnull=False) | Q(coo_signed_at__isnull=False))
        )
        .order_by("-month", "-revision")
    )
    # The latest revision is the one signatures go to; the page's figures are the latest signed one's.
    review = next((r for r in reviews if r.month == month), None)
    # 10-15, for a month that has been signed: its restatements (restatements.py).
    restated = month_restatements(month, reviews)
    # 8. Decisions waiting, and this month's 24-hour breaches.
    month_start = start_of_month(month)
    month_end = start_of_month(next_month(month))
    decisions = list(
        DecisionRequest.objects.select_related("executive", "initiative")
        .filter(
            Q(answered_at__isnull=True) | Q(answered_at__gt=F("due_at"), due_at__gte=month_start, due_at__lt=month_end)
        )
        .order_by("due_at")
    )
    # 9. Matrix decisions outside their bounds: the version in force at the month's end (or
    #     today, for the month under way), against figures up to the month shown.
    month_last_day = last_day(month)
    outside_bounds = decisions_outside_bounds(month=month, on=min(month_last_day, timezone.localdate(now)))

    # The month under way is compared with nothing: part of a month beside a whole one misleads.
    ended = has_ended(month, timezone.localdate(now))
    compared_with = last_month if ended else None
    tiles = {k.pk: _tile(k, month, compared_with, window, company, notes.get(k.pk, [])) for k in kpis}
    awaiting = restated.awaiting_values()
    for kpi_pk, value in awaiting.items():
        tile = tiles[kpi_pk]
        tile["awaiting"] = value
        if tile["restated"] == value:  # said once, by the awaiting note
            tile["restated"] = None
    live = sum(portfolio.per_stage.get(stage, {}).get("total", 0) for stage in LIVE_STAGES)
    redesigned = sum(portfolio.per_stage.get(stage, {}).get("redesigned", 0) for stage in LIVE_STAGES)
    stage_counts = _stage_counts(portfolio.per_stage)
    waiting = [d for d in decisions if d.answered_at is None]
    breaches = [d for d in decisions if (d.answered_at or now) > d.due_at]
    stale_kpis = [f for f in freshness if f.stale]

    headline = _headline(kpis, tiles)
    primary = next((k for k in kpis if k.is_primary), None)
    shared = [t for t in [tiles[primary.pk] if primary else None, *headline] if t]
    overdue = [d for d in waiting if d.due_at < now]
    warnings = _warning_signs(
        month=month,
        totals=portfolio.totals,
        shown=shown,
        kpis=kpis,
        primary=primary,
        tiles=tiles,
        freshness={f.kpi.pk: f for f in freshness},
        breaches=overdue,
        reviews=reviews,
    )
    charts = {f"trend-{t['kpi'].pk}": t["chart"] for t in tiles.values()}
    charts["stages"] = _stage_chart(stage_counts)
    charts["roi"] = _roi_chart(roi_kpi, roi_initiatives, window, roi_values, company)
    return {
        "month": month,
        # "in progress, to 5 December": the month under way, and the last day it has figures for.
        "in_progress_to": None if ended else timezone.localdate(now),
        "month_in_progress": month_in_progress(timezone.localdate(now)),
        # The nearest months with figures on either side, and every month with figures.
        "previous": next((m for m in with_figures if m < month), None),
        "next": next((m for m in reversed(with_figures) if m > month), None),
        "picker": with_figures if month in with_figures else sorted([*with_figures, month], reverse=True),
        "review": review,
        "restatements": restated,
        "half_signed": [r for r in reviews if r.signed_by_one_only],
        "primary": tiles[primary.pk] if primary else None,
        "headline": headline,
        "layers": _layers(kpis, tiles, shared),
        "portfolio": [
            _portfolio_row(i)
            for i in _first(shown, PORTFOLIO_ROWS, where=lambda i: "in_portfolio" in i.lists, key=_by_stage)
        ],
        "portfolio_total": sum(c["count"] for c in stage_counts),
        "stage_counts": stage_counts,
        "redesign": {
            "live": live,
            "redesigned": redesigned,
            "rate": _share(redesigned, live),
            "benchmark": INDUSTRY_REDESIGN_RATE,
        },
        "roi_kpi": roi_kpi,
        "warnings": warnings,
        "attention": _attention(
            shared=shared,
            warnings=warnings,
            overdue=overdue,
            review=review,
            ended=ended,
        ),
        "waiting": waiting,
        "breaches": breaches,
        "outside_bounds": outside_bounds,
        "stale_kpis": stale_kpis,
        "troubled_sources": sources,
        "pipeline": _pipeline(shown),
        "pipeline_total": portfolio.totals["candidates"],
        "charts": charts,
        "mismatch_below": MISMATCH_BELOW,
        "now": now,
        "valid_until": valid_until(now=now, waiting=waiting, freshness=freshness, sources=every_source),
    }


def valid_until(*, now: datetime, waiting: list, freshness: list, sources: list) -> datetime:
    """The next moment the clock alone changes what the page says, read from what it already
    holds: midnight in the company's time zone (the month under way, its "to 5 December", the
    matrix version in force), a waiting decision's due time (it turns overdue), a KPI's or a
    source's next freshness threshold (it turns stale). The cache serves the page until then."""
    moments = [timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time()))]
    moments += [d.due_at for d in waiting if d.due_at >= now]
    for f in freshness:
        if not f.stale:
            moments.append(f.last_observed_at + timedelta(days=f.kpi.expected_interval_days))
    for f in sources:
        if not f.stale and f.source.last_success_at is not None:
            moments.append(f.source.last_success_at + timedelta(hours=f.source.expected_interval_hours))
    return min(moments)


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None


def _workflow(initiative: Initiative):
    # The reverse one-to-one raises when there is none; select_related has already read it.
    try:
        return initiative.workflow_change
    except Initiative.workflow_change.RelatedObjectDoesNotExist:
        return None


def _tile(kpi: KPI, month: date, last_month: date | None, window: list[date], company: dict, notes: list) -> dict:
    """One KPI's tile; ``last_month`` None: no change shown (the month under way)."""
    snapshot = company.get((kpi.pk, month))
    before = company.get((kpi.pk, last_month)) if last_month else None
    change = None
    if snapshot and before and snapshot.value is not None and before.value is not None:
        change = snapshot.value - before.value
    improving = None
    if change is not None and not formatting.shows_as_no_change(change, kpi):  # "±0.0 %" is neither
        improving = (change > 0) == (kpi.direction == "higher")
    series = [company.get((kpi.pk, m)) for m in window]
    # Not reported yet this month: the latest earlier figure, so the tile still says something.
    earlier = None
    if snapshot is None or snapshot.value is None:
        earlier = next((s for s in reversed(series[:-1]) if s and s.value is not None), None)
    month_notes = [n for n in notes if n.month == month]
    chart = {
        "title": kpi.name,
        "x": [m.isoformat() for m in window],
        "y": [formatting.plotted(s.value, kpi) if s else None for s in series],
        "target": [formatting.plotted(s.target, kpi) if s else None for s in series],
        # Each month's stored status (metrics.services.status) marks its point: never judged here.
        "status": [s.status if s and s.value is not None else None for s in series],
        "notes": [
            {
                "x": n.month.isoformat(),
                "text": f"{n.text} ({n.author}{f', {n.initiative.name}' if n.initiative else ''})",
            }
            for n in notes
        ],
        **formatting.chart_text(
            kpi, window, [s.value if s else None for s in series], [s.target if s else None for s in series]
        ),
    }
    return {
        "kpi": kpi,
        "snapshot": snapshot,
        "status": snapshot.status if snapshot and snapshot.value is not None else "missing",
        "earlier": earlier,
        "change": change,
        "improving": improving,
        "notes": month_notes,
        "chart_id": f"trend-{kpi.pk}",
        "chart": chart,
        "restated": snapshot.pending_restatement_value if snapshot else None,
        "awaiting": None,  # the figure a restatement awaiting both signatures would give
    }


def _headline(kpis: list[KPI], tiles: dict) -> list[dict]:
    """The shared outcomes, in the order the ExCo reads them, then AI health."""
    shared = [k for k in kpis if k.family == Family.SHARED_OUTCOME and not k.is_primary]
    order = {code: i for i, code in enumerate(SHARED_OUTCOMES_ORDER)}
    shared.sort(key=lambda k: (order.get(k.code, len(order)), k.display_order, k.name))
    return [tiles[k.pk] for k in shared]


def _layers(kpis: list[KPI], tiles: dict, shown_above: list[dict]) -> list[dict]:
    """AI health, then the COO's operations metrics, then the CEO's business outcomes.

    Each figure is drawn once on the page: a KPI already shown above (the primary, the shared
    outcomes) is named in its layer as a link up to its tile, not drawn a second time.
    """
    above = {t["kpi"].pk for t in shown_above}
    health = [k for k in kpis if k.family == Family.BRIDGING_HEALTH or k.code == "ai-health-score"]
    operations = [k for k in kpis if k.family == Family.COO_OPERATIONS]
    outcomes = [k for k in kpis if k.family == Family.CEO_OUTCOME]
    layers = (
        ("AI health", "Is the technology working as designed?", health),
        ("Operations (COO)", "Is the work running better because of it?", operations),
        ("Business outcomes (CEO)", "Is it paying off for the business?", outcomes),
    )
    return [
        {
            "name": name,
            "explanation": explanation,
            "tiles": [tiles[k.pk] for k in members if k.pk not in above],
            "above": [tiles[k.pk] for k in members if k.pk in above],
        }
        for name, explanation, members in layers
    ]


# The orders of the page's lists; each reads an Initiative or a row of _Portfolio.read alike.
def _by_name(initiative):
    return (initiative.name, initiative.pk)


def _by_stage(initiative):
    """Furthest along first, then the largest business case."""
    return (_STAGE_RANK[initiative.stage], -initiative.expected_annual_benefit, *_by_name(initiative))


def _by_benefit(initiative):
    return (-initiative.expected_annual_benefit, *_by_name(initiative))


def _by_priority(row):
    return (-row.priority, *_by_name(row))


def _first(initiatives: list[Initiative], count: int, *, where, key) -> list[Initiative]:
    return sorted((i for i in initiatives if where(i)), key=key)[:count]


@dataclass
class _Portfolio:
    """The month's portfolio (every initiative not retired): counted per stage, the
    initiatives raising warning signs 1, 2 and 6 totalled, and as full objects only those
    the page names, the top of each list it shows."""

    per_stage: dict[str, dict]  # stage -> {"total", "redesigned"}
    totals: dict[str, int]  # warning sign (or "candidates" for the pipeline) -> how many
    shown: list[Initiative]  # each with .lists, the names of the lists it tops

    @classmethod
    def read(cls, month: date) -> _Portfolio:
        """Two queries: a narrow row per initiative (a few columns and flags, so cheap at any
        size), then the named initiatives with everything their rows show."""
        current = Initiative.objects.exclude(stage=Stage.RETIRED).order_by()
        done = GovernanceGate.objects.filter(initiative=OuterRef("pk"), done_at__isnull=False)
        gates = {f"gate_{kind}": Exists(done.filter(kind=kind)) for kind in GateKind.values}
        adoption = MonthlySnapshot.objects.filter(
            kpi=OuterRef("workflow_change__adoption_kpi"), initiative=OuterRef("pk"), month=month
        ).order_by()  # one row at most (unique per KPI, initiative and month): no sort, no joins
        rows = list(
            current.annotate(
                # Its work measurably changed: the workflow change's adoption is above zero this month.
                redesigned=Exists(adoption.filter(value__gt=0)),
                gated=ExpressionWrapper(
                    reduce(and_, (Q(gate) for gate in gates.values())), output_field=BooleanField()
                ),
                priority=priority_score("prioritisation__"),
            ).values_list(
                "pk",
                "stage",
                "name",
                "expected_annual_benefit",
                "description_overlap",
                "redesigned",
                "gated",
                "priority",
                named=True,
            )
        )
        live = [r for r in rows if r.stage in LIVE_STAGES]
        signs = {
            "mismatched": [
                r for r in rows if r.description_overlap is not None and r.description_overlap < MISMATCH_BELOW
            ],
            "unchanged": [r for r in live if not r.redesigned],
            "ungated": [r for r in live if not r.gated],
        }
        candidates = [r for r in rows if r.stage in PIPELINE_STAGES and r.priority is not None]
        lists = {
            "in_portfolio": nsmallest(PORTFOLIO_ROWS, rows, key=_by_stage),
            "in_roi": nsmallest(ROI_LINES, live, key=_by_benefit),
            "in_pipeline": nsmallest(LISTED, candidates, key=_by_priority),
            **{sign: nsmallest(LISTED, flagged, key=_by_name) for sign, flagged in signs.items()},
        }
        membership = defaultdict(set)
        for name, first in lists.items():
            for row in first:
                membership[row.pk].add(name)
        shown = (
            list(
                current.filter(pk__in=list(membership))
                .annotate(
                    **gates,
                    adoption=Subquery(adoption.values("value")[:1]),
                    priority=priority_score("prioritisation__"),
                )
                .select_related("technology_owner", "operations_owner", "workflow_change", "prioritisation")
                .only(*_INITIATIVE_FIELDS)
            )
            if membership
            else []
        )
        for initiative in shown:
            initiative.lists = membership[initiative.pk]
        redesigned = Counter(r.stage for r in rows if r.redesigned)
        return cls(
            per_stage={
                stage: {"total": total, "redesigned": redesigned[stage]}
                for stage, total in Counter(r.stage for r in rows).items()
            },
            totals={"candidates": len(candidates), **{sign: len(flagged) for sign, flagged in signs.items()}},
            shown=shown,
        )


def _portfolio_row(initiative: Initiative) -> dict:
    workflow = _workflow(initiative)
    gates = {kind: getattr(initiative, f"gate_{kind}") for kind in GateKind.values}
    return {
        "initiative": initiative,
        "workflow": workflow,
        "adoption": initiative.adoption,
        "adoption_target": workflow.adoption_target_percent if workflow else None,
        "gates_done": sum(gates.values()),
        "gates_missing": [GateKind(kind).label for kind, ok in gates.items() if not ok],
        "time_to_value": initiative.time_to_value_days,
    }


def _stage_counts(per_stage: dict[str, dict]) -> list[dict]:
    return [
        {"code": code, "label": label, "count": per_stage.get(code, {}).get("total", 0)}
        for code, label in Stage.choices
        if code != Stage.RETIRED
    ]


def _stage_chart(stage_counts: list[dict]) -> dict:
    return {
        "kind": "bar",
        "x": [c["label"] for c in stage_counts],
        "y": [c["count"] for c in stage_counts],
        "title": "Initiatives by stage",
    }


def _roi_chart(roi_kpi, initiatives, window, roi_values, company) -> dict:
    if roi_kpi is None:
        return {"kind": "lines", "series": [], "x": [], "reference": 100}
    values = [(i.name, [roi_values.get((i.pk, m)) for m in window], False) for i in initiatives]
    overall = [company.get((roi_kpi.pk, m)) for m in window]
    values.append(("Programme", [s.value if s else None for s in overall], True))
    series = [
        {
            "name": name,
            "y": [formatting.plotted(v, roi_kpi) for v in ys],
            "y_text": [formatting.number(v, roi_kpi) for v in ys],
        }
        | ({"bold": True} if bold else {})
        for name, ys, bold in values
    ]
    return {
        "kind": "lines",
        "x": [m.isoformat() for m in window],
        "x_text": [formatting.month(m) for m in window],
        "series": series,
        "reference": 100,
        "title": roi_kpi.name,
        "axis": formatting.chart_axis(roi_kpi),
    }


def _pipeline(shown: list[Initiative]) -> list[dict]:
    """Candidates ranked by their prioritisation score, inputs shown."""
    return [
        {"initiative": i, "inputs": i.prioritisation}
        for i in _first(shown, LISTED, where=lambda i: "in_pipeline" in i.lists, key=_by_priority)
    ]


def _kpi_url(kpi: KPI) -> str:
    # The KPI's page in the catalogue, which everyone can read and admins edit (the admin refuses executives).
    return reverse("kpis:detail", args=[kpi.code])


def _initiative_url(initiative: Initiative, section: str = "") -> str:
    # The initiative's page, which every executive can open (the admin is for admins).
    return reverse("initiatives:detail", args=[initiative.code]) + (f"#{section}" if section else "")


def _attention(*, shared: list[dict], warnings: list[WarningSign], overdue: list, review, ended: bool) -> dict:
    """What the ExCo must look at first, from what the page already holds: the primary KPI and
    shared outcomes off target, the warning signs raised, the decisions overdue, and, for a month
    that has ended, the signatures it still lacks."""
    slots = (("cio", "CIO"), ("coo", "COO"))
    signed = [title for slot, title in slots if review is not None and getattr(review, f"{slot}_signed_at")]
    found = {
        "off_target": [t for t in shared if t["status"] in ("red", "amber")],
        "warnings": [w for w in warnings if w.count],
        "overdue": overdue,
        "unsigned": [title for _, title in slots if ended and title not in signed],
    }
    # The totals each count is read against: "4 of 5 headline figures", "1 of 2 signatures".
    totals = {"shared": len(shared), "signs": len(warnings), "signed": len(signed), "slots": len(slots)}
    return {**found, **totals, "ended": ended, "clear": not any(found.values())}


def _warning_signs(*, month, totals, shown, kpis, primary, tiles, freshness, breaches, reviews) -> list[WarningSign]:
    signs = [
        WarningSign(
            1,
            "The two owners describe it in different words",
            "Share of meaningful words the technology owner's and the operations owner's descriptions have in "
            f"common (common words dropped, endings trimmed); below {MISMATCH_BELOW:.0%} is flagged.",
        ),
        WarningSign(
            2,
            "AI in production, work unchanged",
            "In production, but either no workflow change is defined or its adoption this month is zero.",
        ),
        WarningSign(
            3,
            "Nobody can name the primary operational KPI",
            "The primary operational KPI must have this month's value, be fresh and have a target.",
        ),
        WarningSign(4, "Decisions waiting beyond 24 hours", "Decision requests past their due time."),
        WarningSign(
            5,
            "Accountability held by one executive",
            "A KPI with one accountable executive, or a month signed off by only one of the CIO and the COO.",
        ),
        WarningSign(
            6, "Governance gates skipped", "In production without testing, monitoring and fallback recorded as done."
        ),
    ]
    mismatch, unchanged, primary_sign, waiting, single, gates = signs

    mismatch.total = totals["mismatched"]
    for initiative in _first(shown, LISTED, where=lambda i: "mismatched" in i.lists, key=_by_name):
        mismatch.items.append(
            {
                "text": f"{initiative.name}: {initiative.description_overlap:.0%} of words shared",
                "url": _initiative_url(initiative, "owners"),
            }
        )
    unchanged.total = totals["unchanged"]
    for initiative in _first(shown, LISTED, where=lambda i: "unchanged" in i.lists, key=_by_name):
        workflow = _workflow(initiative)
        if workflow is None:
            unchanged.items.append(
                {
                    "text": f"{initiative.name}: no workflow change defined",
                    "url": _initiative_url(initiative, "workflow"),
                }
            )
        else:
            unchanged.items.append(
                {
                    "text": f"{initiative.name}: no adoption measured in {month:%B}",
                    "url": _initiative_url(initiative, "workflow"),
                }
            )
    gates.total = totals["ungated"]
    for initiative in _first(shown, LISTED, where=lambda i: "ungated" in i.lists, key=_by_name):
        missing = _portfolio_row(initiative)["gates_missing"]
        gates.items.append(
            {
                "text": f"{initiative.name}: {', '.join(missing).lower()} not done",
                "url": _initiative_url(initiative, "gates"),
            }
        )
    if primary is None:
        primary_sign.items.append(
            {"text": "No KPI is marked as the primary operational KPI", "url": reverse("kpis:list")}
        )
    else:
        tile = tiles[primary.pk]
        snapshot = tile["snapshot"]
        if snapshot is None or snapshot.value is None:
            primary_sign.items.append(
                {"text": f"{primary.name} has no value for {month:%B %Y}", "url": _kpi_url(primary)}
            )
        elif snapshot.target is None:
            primary_sign.items.append(
                {"text": f"{primary.name} has no target for {month:%B %Y}", "url": _kpi_url(primary)}
            )
        if freshness[primary.pk].stale:
            primary_sign.items.append({"text": f"{primary.name} is stale", "url": _kpi_url(primary)})
    for request in breaches:
        waiting.items.append(
            {
                "text": f"{request.executive}, due {formatting.moment(request.due_at)}: {request.question[:90]}",
                "url": reverse("governance:decision", args=[request.pk]),
            }
        )
    for kpi in kpis:
        if not kpi.co_accountable_executive_id:
            single.items.append(
                {"text": f"{kpi.name}: only {kpi.accountable_executive} is accountable", "url": _kpi_url(kpi)}
            )
    for review in reviews:
        if review.signed_by_one_only:
            missing = "COO" if review.cio_signed_at else "CIO"
            single.items.append(
                {
                    "text": f"{review.month:%B %Y}{f' (revision {review.revision})' if review.revision > 1 else ''} "
                    f"signed off without the {missing}",
                    "url": reverse("exco-month", args=[review.month]),
                }
            )
    return signs


def figure_behind(kpi: KPI, month: date, initiative: Initiative | None) -> dict:
    """A figure and the measurements it was computed from: for a company-wide figure,
    every measurement of the month; for a ratio, those of its two parts."""
    from metrics.models import Measurement

    parts = [kpi.pk]
    if kpi.ratio_numerator_id:
        parts = [kpi.ratio_numerator_id, kpi.ratio_denominator_id]
    start = start_of_month(month)
    end = start_of_month(next_month(month))

    def of(kpi_ids: list[int]):
        measurements = Measurement.objects.filter(kpi__in=kpi_ids, observed_at__gte=start, observed_at__lt=end)
        if initiative is not None:
            measurements = measurements.filter(initiative=initiative)
        return measurements.select_related("kpi", "initiative", "source", "entered_by").order_by("observed_at", "pk")

    snapshot = MonthlySnapshot.objects.filter(kpi=kpi, month=month, initiative=initiative).first()
    return {
        "kpi": kpi,
        "initiative": initiative,
        "snapshot": snapshot,
        "measurements": of(parts) if len(parts) == 1 else InTimeOrder(of(parts), [of([part]) for part in parts]),
        "notes": Annotation.objects.filter(kpi=kpi, month=month)
        .select_related("author", "initiative")
        .order_by("created_at"),
    }


class InTimeOrder:
    """The measurements of a ratio's two parts in time order, for a Paginator. Sorting both parts'
    rows of the month in the database sorted every row (30 000 at XL, 70 ms) for a page of 100.
    Here each part gives its (time, id) keys in the (KPI, observed time) index's order, only up to
    the page's end, in one query (UNION ALL); they are merged here, and the page's rows are read
    by id in a second query, so a deep page reads keys, not whole rows with their joins."""

    def __init__(self, together, parts):
        self.together, self.parts = together, parts

    def count(self) -> int:
        return self.together.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        first, *others = (part.values_list("observed_at", "pk")[:stop] for part in self.parts)
        if connection.features.supports_slicing_ordering_in_compound:
            keys = sorted(first.union(*others, all=True))[start:stop]
        else:  # SQLite (make run): no LIMIT inside a UNION, so one query per part
            keys = sorted(key for part in (first, *others) for key in part)[start:stop]
        rows = {m.pk: m for m in self.together.filter(pk__in=[pk for _, pk in keys])}
        return [rows[pk] for _, pk in keys if pk in rows]
