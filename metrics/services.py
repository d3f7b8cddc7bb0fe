"""Writes and business rules for KPIs, measurements and monthly snapshots."""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import Avg, Count, DateField, F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from initiatives.models import Initiative
from scoreboard.months import first_of_month, month_of, next_month, start_of_month

from . import rollup_sql
from .models import (
    KPI,
    Aggregation,
    AlertDigest,
    Annotation,
    Direction,
    FrozenMonth,
    Measurement,
    MetricSource,
    MonthlySnapshot,
    PullRun,
    PullStatus,
    PullTrigger,
    RollUpDue,
    RunStatus,
    SourceKind,
    SourceMapping,
    Status,
    Target,
)
from .upsert import SNAPSHOT_FIGURE_FIELDS, SNAPSHOT_KEY_FIELDS, Row, insert_snapshots, upsert

logger = logging.getLogger(__name__)

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


def rag_status(*, value: Decimal | None, target: Target | None, direction: str) -> str:
    """Green, amber or red by the target's thresholds.

    The target is what the programme aims for (the line on the chart); the thresholds are
    the agreed cut-offs: worse than the amber threshold is amber, worse than the red one is
    red. Higher- or lower-is-better flips the comparison.
    """
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
    """
    kpis = _kpis_in_scope(kpi_ids)
    if not kpis:
        return 0
    # Serialise roll-ups of the same KPIs, so one's delete never misses the other's insert.
    list(KPI.objects.select_for_update().filter(pk__in=[k.pk for k in kpis]).order_by("pk").values_list("pk"))

    month_list = None if months is None else sorted({first_of_month(m) for m in months})
    if month_list == []:
        return 0
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
        status = rag_status(value=value, target=target, direction=kpi_by_id[key.kpi_id].direction)
        fresh[key] = (
            # Half away from zero, as PostgreSQL's round() in the SQL roll-up.
            None if value is None else value.quantize(_STORED_PLACES, rounding=ROUND_HALF_UP),
            *((target.target, target.amber_threshold, target.red_threshold) if target else (None, None, None)),
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


# PostgreSQL rolls up in set-based SQL (metrics/rollup_sql.py); the tests flip this to
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


def annotation_add(*, kpi: KPI, month: date, initiative, text: str, author) -> Annotation:
    """A note on why the KPI moved in a month, shown on its charts. The caller checks the
    author may annotate this KPI (its accountable executives, or an admin)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what moved the figure; an empty note says nothing."})
    if len(text) > 1000:
        raise ValidationError({"text": f"Keep it under 1000 characters (this one has {len(text)})."})
    return Annotation.objects.create(
        kpi=kpi, month=first_of_month(month), initiative=initiative, text=text, author=author
    )


# --- Ingestion: every path (form, CSV, API, pulls) stores measurements through here -------

# Clock skew we tolerate before calling an observation "in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)
# The largest magnitude a measurement column holds (20 digits, 6 of them decimals).
VALUE_LIMIT = Decimal("1e14")


@dataclass(frozen=True)
class Rejection:
    row: int  # position in the batch, from 1
    reason: str
    field: str = ""  # the part of the row at fault: kpi, initiative, observed_at or value


@dataclass
class IngestResult:
    stored: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    months: dict[date, set[int]] = field(default_factory=dict)  # month → KPI ids made due


def measurement_problem(
    *, kpi: KPI, initiative_id: int | None, observed_at: datetime, value, now: datetime
) -> tuple[str, str] | None:
    """The field at fault and why this value cannot be stored for this KPI, in words a
    person can act on; None if it can."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        return "value", f"value {value!r} is not a number"
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if not value.is_finite():
        return "value", f"value {value} is not a finite number"
    if abs(value) >= VALUE_LIMIT:
        return "value", f"value {value} is too large to store"
    if kpi.unit == "percent" and not 0 <= value <= 100:
        return "value", f"{kpi.name} is a percentage: {value} is outside 0 to 100"
    if kpi.unit in ("count", "days", "hours", "minutes") and value < 0:
        return "value", f"{kpi.name} is measured in {kpi.get_unit_display()}: it cannot be negative"
    if kpi.scope == "company" and initiative_id is not None:
        return "initiative", f"{kpi.name} is measured company-wide: it takes no initiative"
    if timezone.is_naive(observed_at):
        return "observed_at", "the observed time has no time zone"
    if observed_at > now + FUTURE_TOLERANCE:
        return "observed_at", f"the observed time {timezone.localtime(observed_at):%Y-%m-%d %H:%M} is in the future"
    return None


# --- Reading rows as people and machines send them (API bodies now; the form and CSV next) --

_ROW_FIELDS = frozenset({"kpi", "initiative", "observed_at", "value", "note"})
_NOTE_LIMIT = Measurement._meta.get_field("note").max_length


def read_rows(
    items: list, *, plain_dates: bool = False
) -> tuple[list[tuple[int, Row]], dict[str, dict[str, list[str]]]]:
    """The rows of a batch that read, each with its number (from 1), and for each that did
    not, each field at fault and why. KPIs and initiatives are looked up once per batch.

    With `plain_dates` (people's paths: the form and CSV), an observed time may also be a
    bare date, YYYY-MM-DD, read as the start of that day in the company's time zone."""
    codes = {"kpi": set(), "initiative": set()}
    for item in items:
        if isinstance(item, dict):
            for name, found in codes.items():
                if isinstance(item.get(name), str):
                    found.add(item[name])
    kpis = {k.code: k.pk for k in KPI.objects.filter(code__in=codes["kpi"]).only("pk", "code")}
    initiatives = dict(Initiative.objects.filter(code__in=codes["initiative"]).values_list("code", "pk"))
    rows, errors = [], {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors[str(number)] = {"non_field_errors": ["Each measurement is an object."]}
            continue
        problems, row = _read_row(item, kpis, initiatives, plain_dates)
        if problems:
            errors[str(number)] = problems
        else:
            rows.append((number, row))
    return rows, errors


def _read_row(item: dict, kpis: dict, initiatives: dict, plain_dates: bool = False) -> tuple[dict, Row | None]:
    problems = {}
    if not _ROW_FIELDS.issuperset(item):  # no set built for the usual, well-formed row
        problems = {name: ["Not a field of a measurement."] for name in item.keys() - _ROW_FIELDS}
    kpi = item.get("kpi")
    if kpi is None:
        problems["kpi"] = ["This field is required: the KPI's code."]
    elif kpi not in kpis:
        problems["kpi"] = [f"No KPI has the code {kpi!r}."]
    initiative = item.get("initiative")
    if initiative is not None and initiative not in initiatives:
        problems["initiative"] = [f"No initiative has the code {initiative!r}."]
    observed_at = item.get("observed_at")
    parsed = None
    if isinstance(observed_at, str):
        parsed = _start_of_day(observed_at) if plain_dates and len(observed_at) == 10 else _instant(observed_at)
    if observed_at is None:
        problems["observed_at"] = ["This field is required: when the value was observed."]
    elif parsed is None:
        example = "a date, YYYY-MM-DD, or a date and time" if plain_dates else "a date and time"
        problems["observed_at"] = [f"{observed_at!r} is not {example} (ISO 8601, e.g. 2026-03-31T17:00:00Z)."]
    elif parsed is _NAIVE:
        problems["observed_at"] = ["Give the time zone, e.g. 2026-03-31T17:00:00+02:00."]
    value = item.get("value")
    number = None
    if value is None:
        problems["value"] = ["This field is required."]
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        problems["value"] = [f"{value!r} is not a number."]
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            problems["value"] = [f"{value!r} is not a number."]
    note = item.get("note", "")
    if not isinstance(note, str):
        problems["note"] = ["A note is text."]
    elif len(note) > _NOTE_LIMIT:
        problems["note"] = [f"A note is at most {_NOTE_LIMIT} characters; this one has {len(note)}."]
    if problems:
        return problems, None
    return {}, Row(
        kpi_id=kpis[kpi],
        initiative_id=initiatives.get(initiative),
        observed_at=parsed,
        value=number,
        note=note,
    )


_NAIVE = object()  # a date and time without its time zone


@lru_cache(maxsize=4096)
def _start_of_day(text: str):
    """YYYY-MM-DD as the first moment of that day in the company's time zone (in UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, datetime.min.time())).astimezone(UTC)


@lru_cache(maxsize=65_536)  # a batch repeats its observation times: parse each once
def _instant(text: str):
    """The moment an ISO 8601 text names, in UTC; _NAIVE without a time zone; None when it
    names no moment (bad text, 12:99, an offset beyond a day, a year out of range). In UTC
    because PostgreSQL refuses offsets that Python accepts (beyond ±15:59)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            return None
        return _NAIVE if timezone.is_naive(moment) else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def add_rejections(errors: dict, rejections: list[Rejection], numbered: list[tuple[int, Row]]) -> None:
    """Put the service's rejections into `errors` (as read_rows gives them: row number →
    field → reasons), each under the number the row had in what was sent."""
    for rejection in rejections:
        number = numbered[rejection.row - 1][0]  # a rejection counts only the rows that were read
        field_errors = errors.setdefault(str(number), {})
        field_errors.setdefault(rejection.field or "non_field_errors", []).append(rejection.reason)


def measurements_check_may_record(user, rows: list[Row]) -> None:
    """An ops lead records only for the initiatives they lead; company-wide figures and
    everyone else's initiatives are refused (PermissionDenied), and then nothing is stored."""
    if user.is_scoreboard_admin:
        return
    led = user.led_initiative_ids if user.is_ops_lead else frozenset()
    refused = sorted({r.initiative_id for r in rows if r.initiative_id not in led}, key=lambda i: (i is None, i))
    if not refused:
        return
    codes = dict(Initiative.objects.filter(pk__in=[i for i in refused if i]).values_list("pk", "code"))
    named = [codes[i] for i in refused if i is not None]
    reasons = []
    if named:
        reasons.append(f"you do not lead {', '.join(named)}")
    if None in refused:
        reasons.append("company-wide figures are recorded by admins")
    raise PermissionDenied(f"Nothing was stored: {'; '.join(reasons)}.")


# --- The quick log form: one value, typed by a person --------------------------------------

# The unit a person may write after (or, for money, before) a number, and what it means.
_UNIT_WORDS = {
    "%": "percent",
    "€": "currency",
    "eur": "currency",
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
}
_TYPED_VALUE = re.compile(r"(?P<pre>€)?\s*(?P<number>[+-]?(\d+(\.\d*)?|\.\d+))\s*(?P<unit>[^\d\s.+-]*)")


def value_in_unit(text: str, kpi: KPI) -> Decimal:
    """A number as a person types it, with or without the KPI's unit ("85", "85 %", "€1200",
    "36.5 h"). A unit that is not the KPI's is refused, naming both: that is the mistake of
    logging the wrong figure, not a typing slip (ValidationError on "value")."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"value": "Enter the value."})
    if "," in text:
        raise ValidationError({"value": f"{text!r}: write decimals with a point and no thousands separator."})
    typed = _TYPED_VALUE.fullmatch(text)
    if typed is None:
        raise ValidationError({"value": f"{text!r} is not a number."})
    unit = typed["unit"].lower()
    if typed["pre"]:
        unit = unit or "€"
    if unit and _UNIT_WORDS.get(unit) != kpi.unit:
        expected = kpi.get_unit_display()
        raise ValidationError({"value": f"{kpi.name} is measured in {expected}, not {typed['unit'] or unit}."})
    return Decimal(typed["number"])


@dataclass(frozen=True)
class Logged:
    kpi: KPI
    observed_at: datetime
    value: Decimal
    previous: Decimal | None  # the value this replaced, if the same KPI and period had one
    stored: bool  # False: the same value was already there, nothing changed


# The form's names for the parts of a measurement.
_FORM_FIELDS = {"observed_at": "period", "initiative": "kpi", "non_field_errors": "__all__"}


def people_source(kind: str) -> MetricSource:
    """The source that people's values come in through (the form, CSV uploads): the first
    source of that kind, made on first use."""
    source = MetricSource.objects.filter(kind=kind).order_by("pk").first()
    if source is None:
        source, _ = MetricSource.objects.get_or_create(name=SourceKind(kind).label, defaults={"kind": kind})
    return source


def measurement_log(*, user, initiative: Initiative, kpi_code: str, period, value: str, note: str = "") -> Logged:
    """One value logged through the quick form: checked, then stored through the same
    ingestion as every other path. Logging the same KPI and period again replaces the value,
    and the replaced one stays in history. Refusals: PermissionDenied, or ValidationError
    naming the form's field (kpi, period, value, note) and the reason."""
    if not user.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not lead {initiative.name}: only its ops leads and admins log its values.")
    kpi = KPI.objects.filter(code=kpi_code).first()
    if kpi is None:
        raise ValidationError({"kpi": "Choose one of the initiative's KPIs."})
    number = value_in_unit(value, kpi)
    day = period.isoformat() if isinstance(period, date) else str(period or "")
    item = {"kpi": kpi.code, "initiative": initiative.code, "observed_at": day, "value": str(number), "note": note}
    numbered, errors = read_rows([item], plain_dates=True)
    rows = [row for _, row in numbered]
    with transaction.atomic():
        if not errors:
            source = people_source(SourceKind.MANUAL)
            row = rows[0]
            previous = (
                Measurement.objects.filter(
                    kpi=kpi, initiative=initiative, source=source, observed_at=row.observed_at
                ).values_list("value", flat=True)
            ).first()
            result = measurements_ingest(
                rows=rows, source=source, entered_by=user, entered_via="form", all_or_nothing=True
            )
            add_rejections(errors, result.rejected, numbered)
        if errors:
            raise ValidationError({_FORM_FIELDS.get(name, name): reasons for name, reasons in errors["1"].items()})
    return Logged(kpi=kpi, observed_at=row.observed_at, value=number, previous=previous, stored=result.stored > 0)


def measurements_validate(rows: list[Row], *, now: datetime | None = None) -> tuple[list[Row], list[Rejection]]:
    """Split rows into those that can be stored and those that cannot, with reasons."""
    now = now or timezone.now()
    kpis = KPI.objects.in_bulk({r.kpi_id for r in rows})
    reported = _reported_kpis({r.initiative_id for r in rows if r.initiative_id is not None})
    valid, rejected = [], []
    for index, row in enumerate(rows, start=1):
        kpi = kpis.get(row.kpi_id)
        problem = (
            ("kpi", f"KPI #{row.kpi_id} does not exist")
            if kpi is None
            else measurement_problem(
                kpi=kpi, initiative_id=row.initiative_id, observed_at=row.observed_at, value=row.value, now=now
            )
        )
        if problem is None and row.initiative_id is not None:
            problem = _not_reported(kpi, row.initiative_id, reported)
        if problem:
            field_name, reason = problem
            rejected.append(Rejection(index, reason, field_name))
        else:
            valid.append(row)
    return valid, rejected


def _reported_kpis(initiative_ids: set[int]) -> dict[int, tuple[str, set[int]]]:
    """For each initiative: its name and the KPIs it reports (two queries per batch)."""
    from initiatives.models import Initiative  # initiatives' models refer to ours

    if not initiative_ids:
        return {}
    reported = {
        pk: (name, set()) for pk, name in Initiative.objects.filter(pk__in=initiative_ids).values_list("pk", "name")
    }
    for initiative_id, kpi_id in Initiative.kpis.through.objects.filter(initiative_id__in=initiative_ids).values_list(
        "initiative_id", "kpi_id"
    ):
        reported[initiative_id][1].add(kpi_id)
    return reported


def _not_reported(kpi: KPI, initiative_id: int, reported: dict) -> tuple[str, str] | None:
    if initiative_id not in reported:
        return "initiative", f"initiative #{initiative_id} does not exist"
    name, kpi_ids = reported[initiative_id]
    if kpi.pk not in kpi_ids:
        return "kpi", f"{kpi.name} is not one of the KPIs {name} reports"
    return None


def measurements_ingest(
    *,
    rows: list[Row],
    source: MetricSource,
    entered_by=None,
    entered_via: str,
    now: datetime | None = None,
    all_or_nothing: bool = False,
) -> IngestResult:
    """Store measurements idempotently: a key (KPI, initiative, source, observed time) seen
    before updates its value (recorded in history) or, unchanged, stores nothing.

    Rows that cannot be stored are returned as rejections, never half-written; with
    `all_or_nothing`, one rejected row means none is stored. In the same transaction the
    months these values fall in are recorded as owed roll-ups, so a lost message or a
    stopped broker delays a snapshot but never loses it.
    """
    now = now or timezone.now()
    valid, rejected = measurements_validate(rows, now=now)
    # The same key twice in one batch: the later row wins, as a second send would.
    latest = {row.key: row for row in valid}
    result = IngestResult(rejected=rejected)
    if not latest or (all_or_nothing and rejected):
        return result
    with transaction.atomic():
        outcome = upsert(
            rows=list(latest.values()),
            source_id=source.pk,
            entered_by_id=entered_by.pk if entered_by else None,
            entered_via=entered_via,
        )
        _record_changes_in_history(outcome.changed, entered_by=entered_by, reason=entered_via, now=now)
        months_of: dict[datetime, date] = {}  # time-zone arithmetic once per distinct time
        for kpi_id, observed_at in outcome.written:
            month = months_of.get(observed_at) or months_of.setdefault(observed_at, month_of(observed_at))
            result.months.setdefault(month, set()).add(kpi_id)
        _roll_ups_owed(result.months, now=now)
    result.stored = len(outcome.written)
    result.unchanged = len(latest) - result.stored
    return result


def _record_changes_in_history(changed, *, entered_by, reason: str, now: datetime) -> None:
    """A replaced value keeps its trail: the state before (if history had none yet) and after."""
    if not changed:
        return
    historical = Measurement.history.model
    with_history = set(historical.objects.filter(id__in=[c.id for c in changed]).values_list("id", flat=True))
    current = Measurement.objects.in_bulk([c.id for c in changed])
    records = []
    for before in changed:
        if before.id not in with_history:
            records.append(
                historical(
                    **{f: getattr(before, f) for f in _HISTORY_FIELDS},
                    source_id=current[before.id].source_id,
                    history_date=before.updated_at,
                    history_type="+",
                    history_user_id=before.entered_by_id,
                    history_change_reason=before.entered_via,
                )
            )
        after = current[before.id]
        records.append(
            historical(
                **{f: getattr(after, f) for f in _HISTORY_FIELDS},
                source_id=after.source_id,
                history_date=now,
                history_type="~",
                history_user=entered_by,
                history_change_reason=reason,
            )
        )
    historical.objects.bulk_create(records)


_HISTORY_FIELDS = (
    "id",
    "kpi_id",
    "initiative_id",
    "observed_at",
    "value",
    "entered_by_id",
    "entered_via",
    "note",
    "created_at",
    "updated_at",
)


def _roll_ups_owed(months: dict[date, set[int]], *, now: datetime) -> None:
    """Record (in the caller's transaction) the months to recompute, and ask a worker to do
    it once the transaction commits. If the broker is down the request is simply lost:
    the row stays owed and the sweeper enqueues it later."""
    if not months:
        return
    RollUpDue.objects.bulk_create(
        [RollUpDue(kpi_id=k, month=m, requested_at=now) for m, kpis in months.items() for k in kpis],
        update_conflicts=True,
        unique_fields=["kpi", "month"],
        update_fields=["requested_at"],
    )
    payload = [(m.isoformat(), sorted(kpis)) for m, kpis in sorted(months.items())]
    transaction.on_commit(lambda: _enqueue_roll_ups(payload))


def _enqueue_roll_ups(payload: list[tuple[str, list[int]]], *, patient: bool = False) -> None:
    """Send roll-up requests. A web request sends once and moves on (the outbox remembers);
    the sweeper, a background job, retries a few times over a broker that just came back."""
    from .tasks import roll_up

    options = {"retry": True, "retry_policy": _PATIENT} if patient else {"retry": False}
    for month, kpi_ids in payload:
        try:
            roll_up.apply_async(args=[month, kpi_ids], expires=_ROLL_UP_MESSAGE_TTL, **options)
        except Exception:  # the outbox row is the promise; the sweeper keeps it
            logger.warning("could not enqueue the roll-up of %s; the sweeper will", month, exc_info=True)


_ROLL_UP_MESSAGE_TTL = 6 * 3600
_PATIENT = {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2}


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


# --- Pulls ---------------------------------------------------------------------------------


class TransientPullError(Exception):
    """A pull that may succeed if tried again later; the task retries it with backoff."""


def source_pull(
    *, source_id: int, trigger: str = PullTrigger.SCHEDULE, attempt: int = 1, last_attempt: bool = True
) -> PullRun | None:
    """Pull one source and record the run: rows read, stored, unchanged and rejected.

    The pull is atomic: its rows are stored in one transaction with the run's outcome, so
    a failure (or a killed worker) stores nothing of it and earlier data stands. A
    transient failure is recorded and re-raised as TransientPullError for a retry.
    """
    from .sources import SourceError, read_source

    source = MetricSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None or not source.is_pulled:
        return None
    now = timezone.now()
    # Committed on its own, so a run cut short by a killed worker is still visible.
    run = PullRun.objects.create(source=source, trigger=trigger, attempt=attempt, started_at=now)
    try:
        reading = read_source(source, now=now)
    except SourceError as exc:
        _pull_failed(run, source, str(exc), will_retry=exc.transient and not last_attempt)
        if exc.transient and not last_attempt:
            raise TransientPullError(str(exc)) from exc
        return run
    except Exception as exc:  # an answer of a shape no reader expected: fail the run, say why
        logger.exception("pull of source %s failed unexpectedly", source.pk)
        _pull_failed(run, source, f"the answer could not be read ({type(exc).__name__}: {exc})", will_retry=False)
        return run
    try:
        with transaction.atomic():
            result = measurements_ingest(
                rows=reading.rows, source=source, entered_via=f"pull:{source.name}"[:120], now=now
            )
            rejections = [(n, reason) for n, reason in reading.rejections] + [
                (r.row, r.reason) for r in result.rejected
            ]
            run.status = PullStatus.SUCCEEDED
            run.finished_at = timezone.now()
            run.rows_read = reading.read
            run.rows_stored, run.rows_unchanged = result.stored, result.unchanged
            run.rows_rejected = len(rejections)
            run.rejections = [{"row": n, "reason": reason} for n, reason in rejections[:_REJECTIONS_KEPT]]
            run.save()
            MetricSource.objects.filter(pk=source.pk).update(
                last_status=RunStatus.OK, last_run_at=now, last_success_at=now, last_error=""
            )
    except (IntegrityError, DataError) as exc:  # the data itself is wrong: trying again will not help
        _pull_failed(run, source, f"storing the values failed: {exc}".strip(), will_retry=False)
    except DatabaseError as exc:  # the database was unavailable: worth another try
        _pull_failed(run, source, f"storing the values failed: {exc}".strip(), will_retry=not last_attempt)
        if not last_attempt:
            raise TransientPullError(str(exc)) from exc
    return run


_REJECTIONS_KEPT = 100


def _pull_failed(run: PullRun, source: MetricSource, error: str, *, will_retry: bool) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.error, run.will_retry = PullStatus.FAILED, now, error, will_retry
    run.save(update_fields=["status", "finished_at", "error", "will_retry"])
    MetricSource.objects.filter(pk=source.pk).update(last_status=RunStatus.FAILED, last_run_at=now, last_error=error)


def source_crontab(line: str, **options):
    """A cron line as Celery's schedule; ValueError names what is wrong with it."""
    from celery.schedules import crontab

    fields = line.split()
    if len(fields) != 5:
        raise ValueError("a cron line has five fields, e.g. '0 * * * *' for every hour")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year, **options)


def source_schedule_sync(*, source: MetricSource) -> None:
    """Keep the source's beat schedule (a django-celery-beat row) in step with the source:
    its cron line, enabled or not. Periodic pulls expire so a backlog never replays."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    minute, hour, day_of_month, month_of_year, day_of_week = source.schedule.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=timezone.get_current_timezone_name(),
    )
    fields = {
        "crontab": crontab,
        "interval": None,
        "task": "metrics.tasks.pull_source",
        "args": json.dumps([source.pk]),
        "kwargs": json.dumps({"trigger": PullTrigger.SCHEDULE}),
        "enabled": source.enabled and source.is_pulled,
        "expire_seconds": 3600,
        "description": f"Pull the metric source {source.name!r}",
    }
    name = f"pull metric source #{source.pk}"
    task, _ = PeriodicTask.objects.update_or_create(name=name, defaults=fields)
    if source.periodic_task_id != task.pk:
        MetricSource.objects.filter(pk=source.pk).update(periodic_task=task)
        source.periodic_task = task


def source_save(*, source: MetricSource, by=None) -> MetricSource:
    """Validate and save a source's configuration, and keep its schedule in step."""
    source.full_clean()
    with transaction.atomic():
        if by is not None:
            source._history_user = by
        source.save()
        source_schedule_sync(source=source)
    return source


def source_pull_now(*, source: MetricSource) -> None:
    """The admin's "pull now": queue a pull at once (or run it, when jobs are in-process)."""
    from .tasks import pull_source

    transaction.on_commit(lambda: pull_source.delay(source.pk, trigger=PullTrigger.MANUAL))


# --- The sweeper: recovery that never depends on a message having been delivered --------------


@dataclass
class SweepResult:
    abandoned: int = 0
    pulls_enqueued: list[int] = field(default_factory=list)
    roll_ups_enqueued: list[str] = field(default_factory=list)
    csv_imports_enqueued: list[int] = field(default_factory=list)


def sweep(*, now: datetime | None = None) -> SweepResult:
    """Find what a lost message or a killed worker left undone, and enqueue it again:
    pull runs that never finished are marked abandoned, sources whose schedule fired
    with no pull since are pulled, and roll-ups owed for longer than a grace period are
    re-requested. Everything enqueued is idempotent, so sweeping twice does no harm."""
    from .tasks import pull_source

    now = now or timezone.now()
    result = SweepResult()
    stale_before = now - timedelta(seconds=settings.METRIC_PULL_STALE_AFTER_SECONDS)
    lost = PullRun.objects.filter(status=PullStatus.RUNNING, started_at__lt=stale_before)
    lost_sources = set(lost.values_list("source_id", flat=True))
    result.abandoned = lost.update(status=PullStatus.ABANDONED, finished_at=now, error=_ABANDONED)
    # The source shows it too, on the ExCo page and in the digest, until a pull succeeds.
    MetricSource.objects.filter(pk__in=lost_sources).update(
        last_status=RunStatus.FAILED, last_run_at=now, last_error=_ABANDONED
    )

    running = set(PullRun.objects.filter(status=PullStatus.RUNNING).values_list("source_id", flat=True))
    # Only runs a worker finished count as "pulled": an abandoned run still owes its pull.
    finished = PullRun.objects.filter(status__in=[PullStatus.SUCCEEDED, PullStatus.FAILED])
    latest_start = dict(
        finished.values("source_id").annotate(last=Max("started_at")).order_by().values_list("source_id", "last")
    )
    grace = timedelta(seconds=settings.METRIC_ROLLUP_GRACE_SECONDS)
    pull_grace = timedelta(seconds=settings.METRIC_PULL_GRACE_SECONDS)
    for source in MetricSource.objects.filter(enabled=True, kind__in=PULLED_KINDS):
        if source.pk in running:
            continue
        last = latest_start.get(source.pk)
        try:
            schedule = source_crontab(source.schedule, nowfun=lambda: now)
        except ValueError:  # saved before validation caught it: one bad source must not stop the sweep
            logger.warning("source %s has an invalid schedule %r", source.pk, source.schedule)
            continue
        # Overdue since the schedule's first fire after the last finished pull; the message
        # beat sent then gets a grace period to be picked up before the sweeper sends another.
        overdue = last is None or -schedule.remaining_estimate(last) >= pull_grace
        if overdue:
            _enqueue(
                lambda s=source: pull_source.apply_async(
                    args=[s.pk], kwargs={"trigger": PullTrigger.SWEEPER}, retry=True, retry_policy=_PATIENT
                )
            )
            result.pulls_enqueued.append(source.pk)

    owed: dict[date, list[int]] = defaultdict(list)
    for kpi_id, month in RollUpDue.objects.filter(requested_at__lt=now - grace).values_list("kpi_id", "month"):
        owed[month].append(kpi_id)
    if owed:
        payload = [(m.isoformat(), sorted(kpis)) for m, kpis in sorted(owed.items())]
        _enqueue_roll_ups(payload, patient=True)
        result.roll_ups_enqueued = [m for m, _ in payload]

    result.csv_imports_enqueued = _resume_csv_imports(older_than=stale_before)
    return result


def _resume_csv_imports(*, older_than: datetime) -> list[int]:
    """Large uploads still being checked or stored long after they began: their job's message
    was lost (a broker down at commit) or its worker killed. Sent again; both jobs do nothing
    once done, and storing locks the import, so a job that was merely slow loses nothing."""
    from .models import CsvImport, CsvImportStatus
    from .tasks import csv_import_check, csv_import_store

    jobs = {CsvImportStatus.CHECKING: csv_import_check, CsvImportStatus.STORING: csv_import_store}
    stuck = CsvImport.objects.filter(status__in=list(jobs), created_at__lt=older_than).values_list("pk", "status")
    for import_id, status in stuck:
        _enqueue(lambda job=jobs[status], i=import_id: job.apply_async(args=[i], retry=True, retry_policy=_PATIENT))
    return [import_id for import_id, _ in stuck]


PULLED_KINDS = (SourceKind.HTTP_JSON, SourceKind.PROMETHEUS, SourceKind.SQL)
_ABANDONED = "The worker stopped before finishing (lost or killed); nothing of this pull was stored."


def _enqueue(send) -> None:
    try:
        send()
    except Exception:  # broker down: the next sweep tries again
        logger.warning("could not enqueue a pull; the next sweep will", exc_info=True)


def snapshot_roll_up_current_month(*, now: datetime | None = None) -> int:
    """The nightly pass: recompute the current month whatever is owed (targets change too)."""
    return snapshot_roll_up(months=[month_of(now or timezone.now())])


# --- Alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    key: str  # stable, so the next digest leaves out what this one already said
    text: str


def alert_lines(*, now: datetime | None = None) -> dict[int, list[DigestLine]]:
    """What each accountable executive should hear about: their KPIs that are off-target
    this month, stale, or fed by a source whose last pull failed."""
    from .selectors import kpi_freshness

    now = now or timezone.now()
    month = month_of(now)
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    kpis = {k.pk: k for k in KPI.objects.all()}

    def tell(kpi: KPI, line: DigestLine) -> None:
        for executive_id in (kpi.accountable_executive_id, kpi.co_accountable_executive_id):
            if executive_id:
                lines[executive_id].append(line)

    off_target = MonthlySnapshot.objects.filter(
        month=month, initiative__isnull=True, status__in=[Status.AMBER, Status.RED]
    ).order_by("kpi_id")
    for snap in off_target:
        kpi = kpis[snap.kpi_id]
        text = (
            f"{kpi.name} is {snap.get_status_display().lower()} for {month:%B %Y}: "
            f"{snap.value.normalize():f} against a target of {snap.target.normalize():f}."
        )
        tell(kpi, DigestLine(f"off:{kpi.pk}:{month}:{snap.status}", text))

    for fresh in kpi_freshness(now=now):
        if fresh.stale:
            last = fresh.last_observed_at
            since = f"since {timezone.localtime(last):%d %B %Y}" if last else "ever"
            text = (
                f"{fresh.kpi.name} has had no measurement {since} "
                f"(expected every {fresh.kpi.expected_interval_days} days)."
            )
            tell(fresh.kpi, DigestLine(f"stale:{fresh.kpi.pk}:{fresh.last_observed_at}", text))

    from .selectors import source_freshness

    stale_sources = [f.source for f in source_freshness(now=now) if f.stale and not f.failed]
    failed = {s.pk: s for s in MetricSource.objects.filter(enabled=True, last_status=RunStatus.FAILED)}
    for source in stale_sources:
        last = f"since {timezone.localtime(source.last_success_at):%d %b %H:%M}" if source.last_success_at else "ever"
        line = DigestLine(
            f"stale-source:{source.pk}:{source.last_success_at}",
            f"The source {source.name} has not delivered {last} (expected every {source.expected_interval_hours} h).",
        )
        for kpi_id in sorted(_kpis_fed_by([source.pk], now=now).get(source.pk, ())):
            tell(kpis[kpi_id], line)
    fed = _kpis_fed_by(list(failed), now=now) if failed else {}
    for source_id, kpi_ids in sorted(fed.items()):
        source = failed[source_id]
        when = timezone.localtime(source.last_run_at) if source.last_run_at else None
        text = f"The source {source.name} failed{f' at {when:%d %b %H:%M}' if when else ''}: {source.last_error}"
        for kpi_id in sorted(kpi_ids):
            tell(kpis[kpi_id], DigestLine(f"failed:{source_id}:{source.last_run_at}", text))

    # One line per key per person, however many of their KPIs it concerns.
    return {who: list({line.key: line for line in said}.values()) for who, said in lines.items()}


def _kpis_fed_by(source_ids: list[int], *, now: datetime) -> dict[int, set[int]]:
    """Which KPIs each source feeds: its mappings, and what it measured in the last 90 days."""
    fed: dict[int, set[int]] = defaultdict(set)
    pairs = set(SourceMapping.objects.filter(source__in=source_ids).values_list("source_id", "kpi_id"))
    pairs |= set(
        Measurement.objects.filter(source__in=source_ids, observed_at__gte=now - timedelta(days=90))
        .values_list("source_id", "kpi_id")
        .distinct()
    )
    for source_id, kpi_id in pairs:
        fed[source_id].add(kpi_id)
    return fed


def alert_digests_send(*, now: datetime | None = None) -> int:
    """Email each accountable executive what went off-target, stale or failed since their
    last digest. Nothing new, no email. One digest per person per day: a retried run sends
    nothing twice. Returns the number of emails sent."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    to_tell = alert_lines(now=now)
    recipients = get_user_model().objects.in_bulk(list(to_tell))
    for user_id, lines in to_tell.items():
        person = recipients[user_id]
        if not person.email or not person.is_active:
            continue
        previous = AlertDigest.objects.filter(recipient_id=user_id, day__lt=today).order_by("-day").first()
        said_before = {line["key"] for line in previous.lines} if previous else set()
        news = [line for line in lines if line.key not in said_before]
        if not news:
            continue
        with transaction.atomic():
            _, created = AlertDigest.objects.get_or_create(
                recipient_id=user_id,
                day=today,
                defaults={"sent_at": now, "lines": [{"key": ln.key, "text": ln.text} for ln in lines]},
            )
            if not created:
                continue
            body = "\n".join(f"- {line.text}" for line in news)
            send_mail(
                subject=f"AI scoreboard: {len(news)} thing{'s' if len(news) != 1 else ''} to look at",
                message=f"Since your last digest:\n\n{body}\n\nThe ExCo dashboard has the detail.",
                from_email=None,
                recipient_list=[person.email],
            )
        sent += 1
    return sent
