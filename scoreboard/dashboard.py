"""The monthly ExCo dashboard: everything the page shows for one month, read from the
precomputed monthly snapshots in a fixed number of queries whatever the size of the
company. Chart data is built as plain lists and dicts (the page's script hands them to
Plotly), never as plotly figure objects, which cost tens of milliseconds each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, F, Max, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from governance.models import DecisionRequest, GateKind, GovernanceGate
from initiatives.models import LIVE_STAGES, Initiative, Stage
from metrics.models import KPI, Annotation, Family, KPIRole, MonthlySnapshot, Unit
from metrics.selectors import kpi_freshness, source_freshness
from metrics.services import first_of_month, next_month

from .models import MonthlyReview
from .similarity import MISMATCH_BELOW, shared_vocabulary

TREND_MONTHS = 12
# "Companies that redesigned workflows before selecting AI tools": the industry figure the
# programme's own redesign rate is read against.
INDUSTRY_REDESIGN_RATE = Decimal(21)
PIPELINE_STAGES = (Stage.IDEA, Stage.ASSESSED)
ROI_LINES = 8  # the largest business cases; more lines than this is unreadable
LISTED = 25  # rows shown per warning sign or list before "and N more"
PORTFOLIO_ROWS = 30  # the ExCo reads the furthest along and largest; the stage chart counts them all
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
    "technology_owner_description",
    "operations_owner_description",
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


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def months_back(month: date, count: int) -> list[date]:
    """The `count` months ending with `month`, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]


def latest_month() -> date:
    """The newest month with a company-wide figure; this month when there is none yet."""
    newest = MonthlySnapshot.objects.filter(initiative__isnull=True).aggregate(m=Max("month"))["m"]
    return newest or first_of_month(timezone.localdate())


@dataclass
class WarningSign:
    number: int
    title: str
    explanation: str
    items: list[dict] = field(default_factory=list)  # {"text", "url"}

    @property
    def shown(self) -> list[dict]:
        return self.items[:LISTED]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - LISTED)


def exco_dashboard(month: date, *, now=None) -> dict:
    """The page's context for `month` (first day). Nine queries."""
    now = now or timezone.now()
    window = months_back(month, TREND_MONTHS)
    last_month = previous_month(month)

    # 1. The months that have figures, for the month picker.
    bounds = MonthlySnapshot.objects.filter(initiative__isnull=True).aggregate(first=Min("month"), last=Max("month"))
    # 2. Every KPI, both executives, and when it was last measured.
    freshness = kpi_freshness(now=now)
    kpis = [f.kpi for f in freshness]
    # 3. Sources whose pulls failed or went quiet.
    sources = [f for f in source_freshness(now=now) if f.stale or f.failed]
    # 4. Company-wide figures over the trend window.
    company = {
        (s.kpi_id, s.month): s
        for s in MonthlySnapshot.objects.filter(initiative__isnull=True, month__gte=window[0], month__lte=month)
    }
    # 5. The notes explaining why a figure moved, over the same window.
    notes = defaultdict(list)
    for note in Annotation.objects.filter(month__gte=window[0], month__lte=month).select_related(
        "author", "initiative"
    ):
        notes[note.kpi_id].append(note)
    # 6. This month's review, and any other month left signed by one executive only.
    reviews = list(
        MonthlyReview.objects.select_related("cio_signed_by", "coo_signed_by").filter(
            Q(month=month)
            | Q(frozen_at__isnull=True) & (Q(cio_signed_at__isnull=False) | Q(coo_signed_at__isnull=False))
        )
    )
    review = next((r for r in reviews if r.month == month), None)
    # 7. The portfolio, with each initiative's owners, workflow change, prioritisation and gates.
    done = GovernanceGate.objects.filter(initiative=OuterRef("pk"), done_at__isnull=False)
    initiatives = list(
        Initiative.objects.exclude(stage=Stage.RETIRED)
        .select_related("technology_owner", "operations_owner", "workflow_change", "prioritisation")
        # Only what the page reads: every initiative is read, so each column costs at size.
        .only(*_INITIATIVE_FIELDS)
        .annotate(**{f"gate_{kind}": Exists(done.filter(kind=kind)) for kind in GateKind.values})
        .order_by("name")
    )
    # 8. Per-initiative figures: this month's adoption, and the ROI of the largest cases.
    roi_kpi = next((k for k in kpis if k.role == KPIRole.ROI), None)
    adoption_kpis = {
        i.workflow_change.adoption_kpi_id for i in initiatives if _workflow(i) and _workflow(i).adoption_kpi_id
    }
    roi_initiatives = sorted(
        (i for i in initiatives if i.stage in LIVE_STAGES), key=lambda i: (-i.expected_annual_benefit, i.name)
    )[:ROI_LINES]
    wanted = Q(kpi__in=adoption_kpis, month=month, initiative__isnull=False)
    if roi_kpi:
        wanted |= Q(kpi=roi_kpi, initiative__in=roi_initiatives, month__gte=window[0], month__lte=month)
    per_initiative = {
        (kpi_id, initiative_id, m): value
        for kpi_id, initiative_id, m, value in MonthlySnapshot.objects.filter(wanted).values_list(
            "kpi_id", "initiative_id", "month", "value"
        )
    }
    # 9. Decisions waiting, and this month's 24-hour breaches.
    here = timezone.get_current_timezone()
    month_start = datetime(month.year, month.month, 1, tzinfo=here)
    month_end = datetime(*next_month(month).timetuple()[:3], tzinfo=here)
    decisions = list(
        DecisionRequest.objects.select_related("executive", "initiative")
        .filter(
            Q(answered_at__isnull=True) | Q(answered_at__gt=F("due_at"), due_at__gte=month_start, due_at__lt=month_end)
        )
        .order_by("due_at")
    )

    tiles = {k.pk: _tile(k, month, last_month, window, company, notes.get(k.pk, [])) for k in kpis}
    portfolio = [_portfolio_row(i, month, per_initiative) for i in initiatives]
    live = [row for row in portfolio if row["initiative"].stage in LIVE_STAGES]
    redesigned = [row for row in live if row["adoption"] is not None and row["adoption"] > 0]
    waiting = [d for d in decisions if d.answered_at is None]
    breaches = [d for d in decisions if (d.answered_at or now) > d.due_at]
    stale_kpis = [f for f in freshness if f.stale]

    headline = _headline(kpis, tiles)
    primary = next((k for k in kpis if k.is_primary), None)
    charts = {f"trend-{t['kpi'].pk}": t["chart"] for t in tiles.values()}
    charts["stages"] = _stage_chart(initiatives)
    charts["roi"] = _roi_chart(roi_kpi, roi_initiatives, window, per_initiative, company)
    return {
        "month": month,
        "previous": previous_month(month) if bounds["first"] and month > bounds["first"] else None,
        "next": next_month(month) if bounds["last"] and month < bounds["last"] else None,
        "picker": months_back(bounds["last"], _months_between(bounds["first"], bounds["last"]))[::-1]
        if bounds["first"]
        else [month],
        "review": review,
        "half_signed": [r for r in reviews if r.signed_by_one_only],
        "primary": tiles[primary.pk] if primary else None,
        "headline": headline,
        "layers": _layers(kpis, tiles),
        "portfolio": sorted(
            portfolio, key=lambda r: (_STAGE_RANK[r["initiative"].stage], -r["initiative"].expected_annual_benefit)
        )[:PORTFOLIO_ROWS],
        "portfolio_total": len(portfolio),
        "stage_counts": _stage_counts(initiatives),
        "redesign": {
            "live": len(live),
            "redesigned": len(redesigned),
            "rate": _share(len(redesigned), len(live)),
            "benchmark": INDUSTRY_REDESIGN_RATE,
        },
        "roi_kpi": roi_kpi,
        "warnings": _warning_signs(
            month=month,
            initiatives=initiatives,
            portfolio=portfolio,
            kpis=kpis,
            primary=primary,
            tiles=tiles,
            freshness={f.kpi.pk: f for f in freshness},
            breaches=[d for d in waiting if d.due_at < now],
            reviews=reviews,
        ),
        "waiting": waiting,
        "breaches": breaches,
        "stale_kpis": stale_kpis,
        "troubled_sources": sources,
        "pipeline": _pipeline(initiatives),
        "charts": charts,
        "mismatch_below": MISMATCH_BELOW,
        "now": now,
    }


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None


def _workflow(initiative: Initiative):
    # The reverse one-to-one raises when there is none; select_related has already read it.
    try:
        return initiative.workflow_change
    except Initiative.workflow_change.RelatedObjectDoesNotExist:
        return None


def _prioritisation(initiative: Initiative):
    try:
        return initiative.prioritisation
    except Initiative.prioritisation.RelatedObjectDoesNotExist:
        return None


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _tile(kpi: KPI, month: date, last_month: date, window: list[date], company: dict, notes: list) -> dict:
    snapshot = company.get((kpi.pk, month))
    before = company.get((kpi.pk, last_month))
    change = None
    if snapshot and before and snapshot.value is not None and before.value is not None:
        change = snapshot.value - before.value
    improving = None
    if change:
        improving = (change > 0) == (kpi.direction == "higher")
    series = [company.get((kpi.pk, m)) for m in window]
    # Not reported yet this month: the latest earlier figure, so the tile still says something.
    earlier = None
    if snapshot is None or snapshot.value is None:
        earlier = next((s for s in reversed(series[:-1]) if s and s.value is not None), None)
    month_notes = [n for n in notes if n.month == month]
    chart = {
        "title": kpi.name,
        "unit": kpi.get_unit_display(),
        "percent": kpi.unit == Unit.PERCENT,
        "x": [m.isoformat() for m in window],
        "y": [_number(s.value) if s else None for s in series],
        "target": [_number(s.target) if s else None for s in series],
        "notes": [
            {
                "x": n.month.isoformat(),
                "text": f"{n.text} ({n.author}{f', {n.initiative.name}' if n.initiative else ''})",
            }
            for n in notes
        ],
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
    }


def _headline(kpis: list[KPI], tiles: dict) -> list[dict]:
    """The shared outcomes, in the order the ExCo reads them, then AI health."""
    shared = [k for k in kpis if k.family == Family.SHARED_OUTCOME and not k.is_primary]
    order = {code: i for i, code in enumerate(SHARED_OUTCOMES_ORDER)}
    shared.sort(key=lambda k: (order.get(k.code, len(order)), k.display_order, k.name))
    return [tiles[k.pk] for k in shared]


def _layers(kpis: list[KPI], tiles: dict) -> list[dict]:
    """AI health, then the COO's operations metrics, then the CEO's business outcomes."""
    health = [k for k in kpis if k.family == Family.BRIDGING_HEALTH or k.code == "ai-health-score"]
    operations = [k for k in kpis if k.family == Family.COO_OPERATIONS]
    outcomes = [k for k in kpis if k.family == Family.CEO_OUTCOME]
    return [
        {
            "name": "AI health",
            "explanation": "Is the technology working as designed?",
            "tiles": [tiles[k.pk] for k in health],
        },
        {
            "name": "Operations (COO)",
            "explanation": "Is the work running better because of it?",
            "tiles": [tiles[k.pk] for k in operations],
        },
        {
            "name": "Business outcomes (CEO)",
            "explanation": "Is it paying off for the business?",
            "tiles": [tiles[k.pk] for k in outcomes],
        },
    ]


def _portfolio_row(initiative: Initiative, month: date, per_initiative: dict) -> dict:
    workflow = _workflow(initiative)
    adoption = None
    if workflow and workflow.adoption_kpi_id:
        adoption = per_initiative.get((workflow.adoption_kpi_id, initiative.pk, month))
    gates = {kind: getattr(initiative, f"gate_{kind}") for kind in GateKind.values}
    return {
        "initiative": initiative,
        "workflow": workflow,
        "adoption": adoption,
        "adoption_target": workflow.adoption_target_percent if workflow else None,
        "gates_done": sum(gates.values()),
        "gates_missing": [GateKind(kind).label for kind, ok in gates.items() if not ok],
        "time_to_value": initiative.time_to_value_days,
    }


def _stage_counts(initiatives: list[Initiative]) -> list[dict]:
    counts = Counter(i.stage for i in initiatives)
    return [
        {"code": code, "label": label, "count": counts.get(code, 0)}
        for code, label in Stage.choices
        if code != Stage.RETIRED
    ]


def _stage_chart(initiatives: list[Initiative]) -> dict:
    counts = _stage_counts(initiatives)
    return {
        "kind": "bar",
        "x": [c["label"] for c in counts],
        "y": [c["count"] for c in counts],
        "title": "Initiatives by stage",
    }


def _roi_chart(roi_kpi, initiatives, window, per_initiative, company) -> dict:
    if roi_kpi is None:
        return {"kind": "lines", "series": [], "x": [], "reference": 100}
    series = [
        {
            "name": i.name,
            "y": [_number(per_initiative.get((roi_kpi.pk, i.pk, m))) for m in window],
        }
        for i in initiatives
    ]
    overall = [company.get((roi_kpi.pk, m)) for m in window]
    series.append({"name": "Programme", "y": [_number(s.value) if s else None for s in overall], "bold": True})
    return {
        "kind": "lines",
        "x": [m.isoformat() for m in window],
        "series": series,
        "reference": 100,
        "title": roi_kpi.name,
    }


def _pipeline(initiatives: list[Initiative]) -> list[dict]:
    """Candidates ranked by their prioritisation score, inputs shown."""
    ranked = [
        {"initiative": i, "inputs": _prioritisation(i)}
        for i in initiatives
        if i.stage in PIPELINE_STAGES and _prioritisation(i) is not None
    ]
    ranked.sort(key=lambda row: (-row["inputs"].score, row["initiative"].name))
    return ranked[:LISTED]


def _admin_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _warning_signs(
    *, month, initiatives, portfolio, kpis, primary, tiles, freshness, breaches, reviews
) -> list[WarningSign]:
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
            "In production, but no workflow change is defined or its adoption measured nothing this month.",
        ),
        WarningSign(
            3,
            "Nobody can name the primary metric",
            "The primary operational KPI must have this month's value, be fresh and have a target.",
        ),
        WarningSign(4, "Decisions waiting beyond 24 hours", "Requests to an executive past their due time."),
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

    for initiative in initiatives:
        score = shared_vocabulary(initiative.technology_owner_description, initiative.operations_owner_description)
        if score is not None and score < MISMATCH_BELOW:
            mismatch.items.append(
                {"text": f"{initiative.name}: {score:.0%} of words shared", "url": _admin_url(initiative)}
            )
    for row in portfolio:
        initiative = row["initiative"]
        if initiative.stage not in LIVE_STAGES:
            continue
        if row["workflow"] is None:
            unchanged.items.append(
                {"text": f"{initiative.name}: no workflow change defined", "url": _admin_url(initiative)}
            )
        elif not row["adoption"]:
            unchanged.items.append(
                {"text": f"{initiative.name}: no adoption measured in {month:%B}", "url": _admin_url(row["workflow"])}
            )
        if row["gates_missing"]:
            gates.items.append(
                {
                    "text": f"{initiative.name}: {', '.join(row['gates_missing']).lower()} not done",
                    "url": _admin_url(initiative),
                }
            )
    if primary is None:
        primary_sign.items.append(
            {"text": "No KPI is marked as the primary operational KPI", "url": reverse("admin:metrics_kpi_changelist")}
        )
    else:
        tile = tiles[primary.pk]
        snapshot = tile["snapshot"]
        if snapshot is None or snapshot.value is None:
            primary_sign.items.append(
                {"text": f"{primary.name} has no value for {month:%B %Y}", "url": _admin_url(primary)}
            )
        elif snapshot.target is None:
            primary_sign.items.append(
                {"text": f"{primary.name} has no target for {month:%B %Y}", "url": _admin_url(primary)}
            )
        if freshness[primary.pk].stale:
            primary_sign.items.append({"text": f"{primary.name} is stale", "url": _admin_url(primary)})
    for request in breaches:
        waiting.items.append(
            {
                "text": f"{request.executive}, due {timezone.localtime(request.due_at):%d %b %H:%M}: "
                f"{request.question[:90]}",
                "url": _admin_url(request),
            }
        )
    for kpi in kpis:
        if not kpi.co_accountable_executive_id:
            single.items.append(
                {"text": f"{kpi.name}: only {kpi.accountable_executive} is accountable", "url": _admin_url(kpi)}
            )
    for review in reviews:
        if review.signed_by_one_only:
            missing = "COO" if review.cio_signed_at else "CIO"
            single.items.append(
                {
                    "text": f"{review.month:%B %Y} signed off without the {missing}",
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
    start = datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())
    end = datetime(*next_month(month).timetuple()[:3], tzinfo=timezone.get_current_timezone())
    measurements = Measurement.objects.filter(kpi__in=parts, observed_at__gte=start, observed_at__lt=end)
    if initiative is not None:
        measurements = measurements.filter(initiative=initiative)
    snapshot = MonthlySnapshot.objects.filter(kpi=kpi, month=month, initiative=initiative).first()
    return {
        "kpi": kpi,
        "initiative": initiative,
        "snapshot": snapshot,
        "measurements": measurements.select_related("kpi", "initiative", "source", "entered_by").order_by(
            "observed_at", "pk"
        ),
        "notes": Annotation.objects.filter(kpi=kpi, month=month)
        .select_related("author", "initiative")
        .order_by("created_at"),
    }
