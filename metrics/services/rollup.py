"""The monthly roll-up: snapshots recomputed from measurements, per initiative and
company-wide, with the month's target and status; restatements in frozen (signed-off)
months; the freeze itself; and the roll-ups the outbox records as owed.

PostgreSQL rolls up in set-based SQL (rollup_sql.py); SQLite in Python, here. Both colour a
figure by the one rule of status.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Avg, Count, DateField, F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from scoreboard import versions
from scoreboard.months import first_of_month, month_of, next_month, start_of_month

from ..models import KPI, Aggregation, FrozenMonth, Measurement, MonthlySnapshot, RollUpDue, Target
from . import chat_events, rollup_sql
from .status import rag_status
from .upsert import SNAPSHOT_FIGURE_FIELDS, SNAPSHOT_KEY_FIELDS, insert_snapshots

# The month an observation counts in, truncated in the site's time zone by the database and
# returned as a date: no per-row time-zone arithmetic in Python.
_MONTH = TruncMonth("observed_at", output_field=DateField())

# The month's last value: the latest observation; at the same instant, the latest written.
_LATEST_FIRST = [F("observed_at").desc(), F("updated_at").desc(), F("id").desc()]

_DB_AGGREGATES = {Aggregation.SUM: Sum, Aggregation.MEAN: Avg, Aggregation.MIN: Min, Aggregation.MAX: Max}


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values) / len(values)


# How per-initiative month values combine into the company-wide figure when nothing was
# measured company-wide: each initiative counts once, however often it reports.
_COMBINE = {
    Aggregation.SUM: sum,
    Aggregation.MEAN: _mean,
    Aggregation.MIN: min,
    Aggregation.MAX: max,
    Aggregation.LAST: _mean,
}


class _Key(NamedTuple):
    # A tuple, not a dataclass: tens of thousands are hashed per roll-up.
    kpi_id: int
    initiative_id: int | None
    month: date


def _month_of(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _month_values(measurements, kpis: list[KPI]) -> dict[_Key, tuple[Decimal, int]]:
    """The month's value and measurement count per (KPI, initiative or None, month),
    computed in the database: one grouped query per aggregation kind."""
    results: dict[_Key, tuple[Decimal, int]] = {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kpi in kpis:
        by_kind[kpi.aggregation].append(kpi.pk)
    base = measurements.annotate(month=_MONTH)
    for kind, function in _DB_AGGREGATES.items():
        if not by_kind.get(kind):
            continue
        rows = (
            base.filter(kpi_id__in=by_kind[kind])
            .values("kpi_id", "initiative_id", "month")
            .annotate(agg=function("value"), n=Count("id"))
            .order_by()
        )
        for row in rows:
            key = _Key(row["kpi_id"], row["initiative_id"], _month_of(row["month"]))
            results[key] = (Decimal(row["agg"]), row["n"])
    if by_kind.get(Aggregation.LAST):
        last_kind = base.filter(kpi_id__in=by_kind[Aggregation.LAST])
        partition = [F("kpi_id"), F("initiative_id"), _MONTH]
        latest = (
            last_kind.annotate(rank=Window(RowNumber(), partition_by=partition, order_by=_LATEST_FIRST))
            .filter(rank=1)
            .values_list("kpi_id", "initiative_id", "month", "value")
        )
        counts = {
            (r["kpi_id"], r["initiative_id"], _month_of(r["month"])): r["n"]
            for r in last_kind.values("kpi_id", "initiative_id", "month").annotate(n=Count("id")).order_by()
        }
        for kpi_id, initiative_id, month, value in latest:
            key = _Key(kpi_id, initiative_id, _month_of(month))
            results[key] = (Decimal(value), counts[(kpi_id, initiative_id, key.month)])
    return results


def _with_company_wide(values: dict[_Key, tuple[Decimal, int]], kpis: dict[int, KPI]) -> None:
    """Add the company-wide figure wherever only per-initiative values were measured."""
    per_initiative: dict[_Key, list[tuple[Decimal, int]]] = defaultdict(list)
    for key, pair in values.items():
        if key.initiative_id is not None:
            per_initiative[_Key(key.kpi_id, None, key.month)].append(pair)
    for company_key, pairs in per_initiative.items():
        if company_key in values:  # measured company-wide: that figure stands
            continue
        combine = _COMBINE[kpis[company_key.kpi_id].aggregation]
        values[company_key] = (combine([v for v, _ in pairs]), sum(n for _, n in pairs))


def _with_ratios(values: dict[_Key, tuple[Decimal | None, int]], kpis: list[KPI]) -> None:
    """A ratio KPI is its numerator's month value over its denominator's, scope by scope."""
    ratios = [k for k in kpis if k.aggregation == Aggregation.RATIO]
    if not ratios:
        return
    by_kpi: dict[int, dict[tuple, tuple]] = defaultdict(dict)
    for key, pair in values.items():
        by_kpi[key.kpi_id][(key.initiative_id, key.month)] = pair
    for kpi in ratios:
        denominators = by_kpi.get(kpi.ratio_denominator_id, {})
        for scope, (numerator, n) in by_kpi.get(kpi.ratio_numerator_id, {}).items():
            if scope not in denominators:
                continue
            denominator, m = denominators[scope]
            # Nothing to divide by is "no figure", not a missing month.
            ratio = numerator / denominator if denominator else None
            values[_Key(kpi.pk, *scope)] = (ratio, n + m)


def _kpis_in_scope(kpi_ids: Iterable[int] | None) -> list[KPI]:
    """The KPIs asked for, plus the parts of any ratio among them and the ratios built on
    any of them, so a ratio is never computed from half its inputs."""
    if kpi_ids is None:
        return list(KPI.objects.order_by("pk"))
    wanted = set(kpi_ids)
    all_kpis = {k.pk: k for k in KPI.objects.order_by("pk")}
    for kpi in all_kpis.values():
        if kpi.aggregation == Aggregation.RATIO and (
            kpi.pk in wanted or kpi.ratio_numerator_id in wanted or kpi.ratio_denominator_id in wanted
        ):
            wanted |= {kpi.pk, kpi.ratio_numerator_id, kpi.ratio_denominator_id}
    return [all_kpis[pk] for pk in sorted(wanted) if pk in all_kpis]


def _target_for(targets: dict[tuple[int, int | None], list[Target]], key: _Key) -> Target | None:
    """The target in force for the month: the initiative's own, else the company-wide one."""
    scopes = [(key.kpi_id, key.initiative_id)]
    if key.initiative_id is not None:
        scopes.append((key.kpi_id, None))
    for scope in scopes:
        for target in targets.get(scope, ()):  # newest first
            if target.effective_from <= key.month:
                return target
    return None


@transaction.atomic
def snapshot_roll_up(*, months: Iterable[date] | None = None, kpi_ids: Iterable[int] | None = None) -> int:
    """Recompute monthly snapshots from measurements, per initiative and company-wide,
    with the month's target and status, for the given months and KPIs (all when None).

    A frozen (signed-off) month keeps its figures: a different recomputed value is kept
    beside them as a pending restatement. Other months in scope are replaced in this one
    transaction, so readers see the old figures or the new ones, never a mix. Overlapping
    roll-ups queue on a lock of the KPIs they touch. Returns the number of snapshots written.

    The months rolled up get new versions for the ExCo page (scoreboard/versions.py), in this
    transaction; every month does when the roll-up covers them all, or when a month gains or
    loses its first company-wide figure (every month's picker lists the months with figures).
    """
    kpis = _kpis_in_scope(kpi_ids)
    if not kpis:
        return 0
    # Serialise roll-ups of the same KPIs, so one's delete never misses the other's insert.
    list(KPI.objects.select_for_update().filter(pk__in=[k.pk for k in kpis]).order_by("pk").values_list("pk"))

    month_list = None if months is None else sorted({first_of_month(m) for m in months})
    if month_list == []:
        return 0
    with_figures = _months_with_figures(month_list)
    written = _roll_up(kpis, month_list)
    chat_events.kpis_turned_red(kpi_ids=[k.pk for k in kpis], months=month_list)
    every_month = month_list is None or _months_with_figures(month_list) != with_figures
    versions.bump(*(month_list or ()), *([None] if every_month else []))
    return written


def _months_with_figures(months: list[date] | None) -> set[date] | None:
    """Which of ``months`` have a company-wide figure (None for every month: not read)."""
    if months is None:
        return None
    return set(
        MonthlySnapshot.objects.filter(month__in=months, initiative__isnull=True, value__isnull=False)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )


def _roll_up(kpis: list[KPI], month_list: list[date] | None) -> int:
    if ROLL_UP_IN_SQL and connection.vendor == "postgresql":
        return rollup_sql.roll_up(
            kpi_ids=[k.pk for k in kpis],
            last_kpi_ids=[k.pk for k in kpis if k.aggregation == Aggregation.LAST],
            months=month_list,
            frozen=list(FrozenMonth.objects.values_list("month", flat=True)),
            bounds=_observation_bounds(month_list),
        )

    measurements = Measurement.objects.filter(kpi__in=kpis)
    if month_list is not None:
        # Month ranges (not __month lookups) so the (kpi, observed_at) index serves them.
        in_months = Q()
        for month in month_list:
            in_months |= Q(observed_at__gte=start_of_month(month), observed_at__lt=start_of_month(next_month(month)))
        measurements = measurements.filter(in_months)

    kpi_by_id = {k.pk: k for k in kpis}
    values = _month_values(measurements, kpis)
    _with_company_wide(values, kpi_by_id)
    _with_ratios(values, kpis)

    targets: dict[tuple[int, int | None], list[Target]] = defaultdict(list)
    for target in Target.objects.filter(kpi__in=kpis).order_by("-effective_from"):
        targets[(target.kpi_id, target.initiative_id)].append(target)

    frozen = set(FrozenMonth.objects.values_list("month", flat=True))
    now = timezone.now()
    fresh: dict[_Key, tuple] = {}
    restated: dict[_Key, Decimal | None] = {}
    for key, (value, count) in values.items():
        if key.month in frozen:
            restated[key] = None if value is None else value.quantize(_STORED_PLACES, rounding=ROUND_HALF_UP)
            continue
        target = _target_for(targets, key)
        goal, red = (target.target, target.red_threshold) if target else (None, None)
        status = rag_status(value=value, target=goal, red_threshold=red, direction=kpi_by_id[key.kpi_id].direction)
        fresh[key] = (
            # Half away from zero, as PostgreSQL's round() in the SQL roll-up.
            None if value is None else value.quantize(_STORED_PLACES, rounding=ROUND_HALF_UP),
            goal,
            red,
            status,
            count,
        )

    # Write only what changed: an unchanged month costs a read, not a rewrite.
    in_scope = MonthlySnapshot.objects.filter(kpi__in=kpis).exclude(month__in=frozen)
    if month_list is not None:
        in_scope = in_scope.filter(month__in=month_list)
    stored = {
        _Key(kpi_id, initiative_id, month): (pk, rest)
        for pk, kpi_id, initiative_id, month, *rest in in_scope.values_list(
            "pk", *SNAPSHOT_KEY_FIELDS, *SNAPSHOT_FIGURE_FIELDS
        )
    }
    outdated = [pk for key, (pk, figures) in stored.items() if fresh.get(key) != tuple(figures)]
    new = [(key, figures) for key, figures in fresh.items() if key not in stored or stored[key][1] != list(figures)]
    for start in range(0, len(outdated), 5000):
        MonthlySnapshot.objects.filter(pk__in=outdated[start : start + 5000]).delete()
    insert_snapshots([(k.kpi_id, k.initiative_id, k.month, *figures) for k, figures in new], now=now)
    return len(new) + _record_restatements(restated, now)


_STORED_PLACES = Decimal("0.000001")  # MonthlySnapshot.value keeps six decimal places


# PostgreSQL rolls up in set-based SQL (rollup_sql.py); the tests flip this to
# prove the Python roll-up, which SQLite uses, gives the same snapshots there too.
ROLL_UP_IN_SQL = True


def _observation_bounds(months: list[date] | None) -> tuple[datetime, datetime]:
    if months is None:
        return (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    return (start_of_month(months[0]), start_of_month(next_month(months[-1])))


def _record_restatements(restated: dict[_Key, Decimal | None], now: datetime) -> int:
    """In a frozen month, a recomputed value that differs from the signed-off one is kept
    as a pending restatement; the signed-off value, target and status stay as they were."""
    if not restated:
        return 0
    existing = {
        _Key(s.kpi_id, s.initiative_id, s.month): s
        for s in MonthlySnapshot.objects.filter(
            kpi_id__in={k.kpi_id for k in restated}, month__in={k.month for k in restated}
        )
    }
    changed, created = [], []
    for key, value in restated.items():
        snapshot = existing.get(key)
        if snapshot is None:
            created.append(
                MonthlySnapshot(
                    kpi_id=key.kpi_id,
                    initiative_id=key.initiative_id,
                    month=key.month,
                    value=None,
                    pending_restatement_value=value,
                    computed_at=now,
                )
            )
            continue
        pending = None if value == snapshot.value else value
        if pending != snapshot.pending_restatement_value:
            snapshot.pending_restatement_value = pending
            changed.append(snapshot)
    MonthlySnapshot.objects.bulk_update(changed, ["pending_restatement_value"], batch_size=2000)
    MonthlySnapshot.objects.bulk_create(created, batch_size=2000)
    return len(changed) + len(created)


def month_freeze(*, month: date) -> FrozenMonth:
    """Make a month's snapshots final. Called by the ExCo sign-off once both executives
    have signed; idempotent, so a retried sign-off freezes once."""
    frozen, _ = FrozenMonth.objects.get_or_create(month=first_of_month(month), defaults={"frozen_at": timezone.now()})
    return frozen


@transaction.atomic
def month_restate(*, month: date, figures: Iterable[tuple[int, int | None, Decimal]]) -> int:
    """A frozen month takes its restated figures, once both executives have signed the revision
    that restates it: each (KPI id, initiative id or None, value) becomes the snapshot's value,
    coloured by the one rule (status.py) against the target the month was signed with (the target
    in force, for a figure the signed month did not have). What is still pending afterwards is
    only what the measurements say beyond the restated figure. Returns the snapshots written."""
    month = first_of_month(month)
    wanted = {(kpi_id, initiative_id): value for kpi_id, initiative_id, value in figures}
    if not wanted:
        return 0
    kpi_ids = {kpi_id for kpi_id, _ in wanted}
    stored = {
        (s.kpi_id, s.initiative_id): s
        for s in MonthlySnapshot.objects.select_for_update().filter(month=month, kpi_id__in=kpi_ids).order_by("pk")
    }
    kpis = KPI.objects.in_bulk(kpi_ids)
    targets: dict[tuple[int, int | None], list[Target]] = defaultdict(list)
    for target in Target.objects.filter(kpi__in=kpi_ids).order_by("-effective_from"):
        targets[(target.kpi_id, target.initiative_id)].append(target)
    now = timezone.now()
    changed, created = [], []
    for (kpi_id, initiative_id), value in wanted.items():
        snapshot = stored.get((kpi_id, initiative_id))
        if snapshot is None:  # its row went missing since the restatement was applied: make it
            snapshot = MonthlySnapshot(kpi_id=kpi_id, initiative_id=initiative_id, month=month)
            created.append(snapshot)
        else:
            changed.append(snapshot)
        # The roll-up keeps the recomputed figure as pending only while it differs from the signed one.
        recomputed = snapshot.pending_restatement_value
        if recomputed is None:
            recomputed = snapshot.value
        if snapshot.target is None and snapshot.red_threshold is None:
            target = _target_for(targets, _Key(kpi_id, initiative_id, month))
            if target is not None:
                snapshot.target, snapshot.red_threshold = target.target, target.red_threshold
        snapshot.value = value
        snapshot.status = rag_status(
            value=value, target=snapshot.target, red_threshold=snapshot.red_threshold, direction=kpis[kpi_id].direction
        )
        snapshot.pending_restatement_value = None if recomputed is None or recomputed == value else recomputed
        snapshot.computed_at = now
    fields = ["value", "target", "red_threshold", "status", "pending_restatement_value", "computed_at"]
    MonthlySnapshot.objects.bulk_update(changed, fields, batch_size=2000)
    MonthlySnapshot.objects.bulk_create(created, batch_size=2000)
    # Every month too: its figures may be the month's first (the picker), and the signature that
    # restates it changes the list of months signed by one executive only, which every month shows.
    versions.bump(month, None)
    return len(changed) + len(created)


@transaction.atomic
def roll_up_owed(*, month: date, kpi_ids: Iterable[int] | None = None) -> int:
    """Recompute the owed roll-ups of a month and clear them, in one transaction.

    Owed rows are claimed with row locks (skipping rows another worker holds), so two
    workers never clear each other's debt; a worker killed half-way rolls back and
    leaves the debt owed. Safe to run twice: the second finds nothing owed.
    """
    owed = RollUpDue.objects.select_for_update(skip_locked=True).filter(month=first_of_month(month))
    if kpi_ids is not None:
        owed = owed.filter(kpi_id__in=list(kpi_ids))
    claimed = list(owed.values_list("id", "kpi_id"))
    if not claimed:
        return 0
    written = snapshot_roll_up(months=[month], kpi_ids={kpi_id for _, kpi_id in claimed})
    RollUpDue.objects.filter(id__in=[id_ for id_, _ in claimed]).delete()
    return written


def snapshot_roll_up_current_month(*, now: datetime | None = None) -> int:
    """The nightly pass: recompute the current month whatever is owed (targets change too)."""
    return snapshot_roll_up(months=[month_of(now or timezone.now())])
