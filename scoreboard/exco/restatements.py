"""What the ExCo page and the reviews' API read about a month's restatements: the figures late
data changed since the month was signed (as signed, as the data now gives them, and the
measurements behind the change), the restatement awaiting its signatures, and the history of
revisions with who restated what and why. A fixed number of queries, whatever the data's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, Prefetch

from metrics.models import Measurement, MonthlySnapshot

from ..models import MonthlyPack, MonthlyReview, RestatedFigure, Restatement
from ..months import next_month, start_of_month

FIGURES_SHOWN = 30  # pending figures listed on the page: company-wide first, then per initiative
MEASUREMENTS_SHOWN = 200  # the latest changed measurements read; each figure lists its own
MEASUREMENTS_PER_FIGURE = 10


@dataclass
class PendingFigure:
    kpi: object
    initiative: object | None
    signed: Decimal | None  # the figure as signed (None: the signed month had no figure)
    now: Decimal  # what the data now gives
    awaiting: bool = False  # already in the restatement awaiting signatures, at this value
    measurements: list = field(default_factory=list)  # created or changed since the month was signed


@dataclass
class MonthRestatements:
    signed: MonthlyReview | None  # the latest revision both have signed: what the page shows
    awaiting: MonthlyReview | None  # a restated revision awaiting signatures
    revisions: list[MonthlyReview]  # oldest first, each with .restatement (or None) and .pack_kept
    pending: list[PendingFigure]  # the first FIGURES_SHOWN
    pending_total: int

    @property
    def new_pending(self) -> list[PendingFigure]:
        """What could be applied: pending figures not already awaiting signatures at that value."""
        return [f for f in self.pending if not f.awaiting]

    def awaiting_values(self) -> dict[int, Decimal]:
        """KPI id -> the company-wide figure the awaiting restatement would give."""
        if self.awaiting is None:
            return {}
        restatement = self.awaiting.restatement_read
        return {f.kpi_id: f.restated_value for f in restatement.figures.all() if f.initiative_id is None}


def month_restatements(month: date, reviews: list[MonthlyReview]) -> MonthRestatements:
    """``reviews``: the month's revisions, already read (with their signers). Nothing more is read
    for a month no one has signed; otherwise up to five queries."""
    revisions = sorted((r for r in reviews if r.month == month), key=lambda r: r.revision)
    signed = next((r for r in reversed(revisions) if r.is_frozen), None)
    awaiting = revisions[-1] if revisions and not revisions[-1].is_frozen and revisions[-1].revision > 1 else None
    for review in revisions:
        review.pack_kept = False
        review.restatement_read = None
    if signed is None:
        return MonthRestatements(None, None, revisions, [], 0)
    # 1. The revisions' restatements, with who applied them; 2. the figures each restated.
    if any(r.revision > 1 for r in revisions):
        figures = RestatedFigure.objects.select_related("kpi", "initiative").order_by(
            F("initiative__name").asc(nulls_first=True), "kpi__name"
        )
        restatements = {
            r.revision_id: r
            for r in Restatement.objects.filter(revision__month=month)
            .select_related("applied_by")
            .prefetch_related(Prefetch("figures", queryset=figures))
        }
        for review in revisions:
            review.restatement_read = restatements.get(review.pk)
            if review.restatement_read is not None:
                review._state.fields_cache["restatement"] = review.restatement_read
    # 3. Which revisions' packs are kept (not the PDFs themselves).
    kept = set(MonthlyPack.objects.filter(month=month).values_list("revision", flat=True))
    for review in revisions:
        review.pack_kept = review.revision in kept
    # 4. The figures late data changed, company-wide first.
    pending_rows = list(
        MonthlySnapshot.objects.filter(month=month, pending_restatement_value__isnull=False)
        .select_related("kpi", "initiative")
        .order_by(F("initiative__name").asc(nulls_first=True), "kpi__name", "pk")[: FIGURES_SHOWN + 1]
    )
    total = len(pending_rows)
    if total > FIGURES_SHOWN:
        total = MonthlySnapshot.objects.filter(month=month, pending_restatement_value__isnull=False).count()
    captured = {}
    if awaiting is not None and awaiting.restatement_read is not None:
        captured = {(f.kpi_id, f.initiative_id): f.restated_value for f in awaiting.restatement_read.figures.all()}
    pending = [
        PendingFigure(
            kpi=s.kpi,
            initiative=s.initiative,
            signed=s.value,
            now=s.pending_restatement_value,
            awaiting=captured.get((s.kpi_id, s.initiative_id)) == s.pending_restatement_value,
        )
        for s in pending_rows[:FIGURES_SHOWN]
    ]
    if pending:
        _attach_measurements(month, signed, pending)
    return MonthRestatements(signed, awaiting, revisions, pending, total)


def _attach_measurements(month: date, signed: MonthlyReview, pending: list[PendingFigure]) -> None:
    """5. The measurements created or changed since the month was signed, each listed under the
    figures it feeds: a company-wide figure is fed by every initiative's, a ratio by its parts'."""
    parts: dict[int, set[int]] = {}
    for figure in pending:
        kpi = figure.kpi
        parts[kpi.pk] = {kpi.ratio_numerator_id, kpi.ratio_denominator_id} if kpi.ratio_numerator_id else {kpi.pk}
    changed = list(
        Measurement.objects.filter(
            kpi__in={pk for ids in parts.values() for pk in ids},
            observed_at__gte=start_of_month(month),
            observed_at__lt=start_of_month(next_month(month)),
            updated_at__gt=signed.frozen_at,
        )
        .select_related("kpi", "initiative", "source", "entered_by")
        .order_by("-updated_at", "-pk")[:MEASUREMENTS_SHOWN]
    )
    for figure in pending:
        feeds = parts[figure.kpi.pk]
        figure.measurements = [
            m
            for m in changed
            if m.kpi_id in feeds and (figure.initiative is None or m.initiative_id == figure.initiative.pk)
        ][:MEASUREMENTS_PER_FIGURE]
