"""Writes and business rules for KPIs, measurements and monthly snapshots."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from .models import KPI, Aggregation, Direction, Measurement, MonthlySnapshot, Status, Target

_DB_AGGREGATES = {Aggregation.SUM: Sum, Aggregation.MEAN: Avg, Aggregation.MIN: Min, Aggregation.MAX: Max}


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def rag_status(*, value: Decimal | None, target: Target | None, direction: str) -> str:
    """Green, amber or red by the target's thresholds; higher- or lower-is-better flips the comparison."""
    if value is None or target is None:
        return Status.NO_TARGET
    if direction == Direction.HIGHER_IS_BETTER:
        if value < target.red_threshold:
            return Status.RED
        if value < target.amber_threshold:
            return Status.AMBER
        return Status.GREEN
    if value > target.red_threshold:
        return Status.RED
    if value > target.amber_threshold:
        return Status.AMBER
    return Status.GREEN


@dataclass(frozen=True)
class _Key:
    kpi_id: int
    initiative_id: int | None
    month: date


def _month_of(value) -> date:
    # TruncMonth returns a datetime on PostgreSQL and SQLite alike; we store first-of-month dates.
    return value.date() if hasattr(value, "date") else value


def _aggregate(measurements, kpis: list[KPI], *, per_initiative: bool) -> dict[_Key, tuple[Decimal, int]]:
    """The month's value and measurement count per KPI (and initiative), computed in the
    database: one grouped query per aggregation kind."""
    group = ["kpi_id", "month", "initiative_id"] if per_initiative else ["kpi_id", "month"]
    results: dict[_Key, tuple[Decimal, int]] = {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kpi in kpis:
        by_kind[kpi.aggregation].append(kpi.pk)
    base = measurements.annotate(month=TruncMonth("observed_at"))
    for kind, function in _DB_AGGREGATES.items():
        if not by_kind.get(kind):
            continue
        rows = (
            base.filter(kpi_id__in=by_kind[kind])
            .values(*group)
            .annotate(agg=function("value"), n=Count("id"))
            .order_by()
        )
        for row in rows:
            key = _Key(row["kpi_id"], row.get("initiative_id"), _month_of(row["month"]))
            results[key] = (Decimal(row["agg"]), row["n"])
    if by_kind.get(Aggregation.LAST):
        # The month's latest observation per initiative; company-wide, the mean of those.
        partition = [F("kpi_id"), F("initiative_id"), TruncMonth("observed_at")]
        latest = (
            base.filter(kpi_id__in=by_kind[Aggregation.LAST])
            .annotate(rank=Window(RowNumber(), partition_by=partition, order_by=[F("observed_at").desc(), "-id"]))
            .filter(rank=1)
            .values_list("kpi_id", "initiative_id", "month", "value")
        )
        counts = {
            (r["kpi_id"], r["initiative_id"], _month_of(r["month"])): r["n"]
            for r in base.filter(kpi_id__in=by_kind[Aggregation.LAST])
            .values("kpi_id", "initiative_id", "month")
            .annotate(n=Count("id"))
            .order_by()
        }
        pooled: dict[_Key, list[Decimal]] = defaultdict(list)
        pooled_counts: dict[_Key, int] = defaultdict(int)
        for kpi_id, initiative_id, month, value in latest:
            month = _month_of(month)
            key = _Key(kpi_id, initiative_id if per_initiative else None, month)
            pooled[key].append(Decimal(value))
            pooled_counts[key] += counts[(kpi_id, initiative_id, month)]
        for key, values in pooled.items():
            results[key] = (sum(values) / len(values), pooled_counts[key])
    return results


def _target_for(targets: dict[tuple[int, int | None], list[Target]], key: _Key) -> Target | None:
    """The target in force for the month: the initiative's own, else the company-wide one."""
    for scope in ((key.kpi_id, key.initiative_id), (key.kpi_id, None)):
        for target in targets.get(scope, ()):  # newest first
            if target.effective_from <= key.month:
                return target
    return None


@transaction.atomic
def snapshot_roll_up(*, months: Iterable[date] | None = None, kpi_ids: Iterable[int] | None = None) -> int:
    """Recompute monthly snapshots from measurements for the given months and KPIs (all
    when None): per initiative and company-wide, with the month's target and status.

    Replaces the snapshots in scope in one transaction, so readers see either the old
    figures or the new ones. Returns the number of snapshots written.
    """
    kpis = list(KPI.objects.all() if kpi_ids is None else KPI.objects.filter(pk__in=list(kpi_ids)))
    if not kpis:
        return 0
    measurements = Measurement.objects.filter(kpi__in=kpis)
    month_list = None
    if months is not None:
        month_list = sorted({first_of_month(m) for m in months})
        if not month_list:
            return 0
        month_filter = Q()
        for month in month_list:
            month_filter |= Q(observed_at__year=month.year, observed_at__month=month.month)
        measurements = measurements.filter(month_filter)

    values = _aggregate(measurements.filter(initiative__isnull=False), kpis, per_initiative=True)
    # Company-wide: every measurement of the month pooled, whether or not it names an initiative.
    values.update(_aggregate(measurements, kpis, per_initiative=False))

    # Ratio KPIs divide the month's numerator by its denominator, scope by scope.
    for kpi in kpis:
        if kpi.aggregation != Aggregation.RATIO:
            continue
        numerators = {(k.initiative_id, k.month): v for k, v in values.items() if k.kpi_id == kpi.ratio_numerator_id}
        for k, (denominator, n) in list(values.items()):
            if k.kpi_id != kpi.ratio_denominator_id or denominator == 0:
                continue
            numerator = numerators.get((k.initiative_id, k.month))
            if numerator is not None:
                values[_Key(kpi.pk, k.initiative_id, k.month)] = (numerator[0] / denominator, numerator[1] + n)

    kpi_by_id = {k.pk: k for k in kpis}
    targets: dict[tuple[int, int | None], list[Target]] = defaultdict(list)
    for target in Target.objects.filter(kpi__in=kpis).order_by("-effective_from"):
        targets[(target.kpi_id, target.initiative_id)].append(target)

    now = timezone.now()
    snapshots = []
    for key, (value, count) in values.items():
        if key.kpi_id not in kpi_by_id:
            continue
        target = _target_for(targets, key)
        snapshots.append(
            MonthlySnapshot(
                kpi_id=key.kpi_id,
                initiative_id=key.initiative_id,
                month=key.month,
                value=value,
                target=target.target if target else None,
                amber_threshold=target.amber_threshold if target else None,
                red_threshold=target.red_threshold if target else None,
                status=rag_status(value=value, target=target, direction=kpi_by_id[key.kpi_id].direction),
                measurement_count=count,
                computed_at=now,
            )
        )
    stale = MonthlySnapshot.objects.filter(kpi__in=kpis)
    if month_list is not None:
        stale = stale.filter(month__in=month_list)
    stale.delete()
    MonthlySnapshot.objects.bulk_create(snapshots, batch_size=2000)
    return len(snapshots)
