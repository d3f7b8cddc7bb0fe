"""Ingestion: every path (the quick log form, CSV, the API, pulls) stores measurements
through here. Rows are read as people and machines send them, checked with reasons a person
can act on, refused when the sender may not record them, and stored idempotently, a changed
value keeping its history; the months they fall in become owed roll-ups (outbox.py) in the
same transaction.

What "the same value" is depends on who sends it. A value a person sends (the quick form, a
CSV file, the API: a source of a kind in PEOPLE_KINDS) is the KPI's figure for its period
(metrics.periods: its day, week or month): a second one for the same KPI, initiative and period
corrects the first, whichever of those paths brought either. A pulled value keeps its exact
time: each source and time is its own value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from initiatives.models import Initiative
from scoreboard import formatting, versions
from scoreboard.months import month_of
from scoreboard.writes import text_problem

from ..models import KPI, DecimalMark, KPIRole, Measurement, MetricSource, SourceKind
from ..periods import WORDS, period_start
from ..selectors import kpi_freshness
from .outbox import roll_ups_request
from .upsert import Row, count_stored_as_they_are, upsert

# The sources people enter values through: their values stand for their KPI's period.
PEOPLE_KINDS = frozenset({SourceKind.MANUAL, SourceKind.CSV, SourceKind.API_PUSH})

# Clock skew we tolerate before calling an observation "in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)
# The largest magnitude a measurement column holds (20 digits, 6 of them decimals).
VALUE_LIMIT = Decimal("1e14")
VALUE_PLACES = 6
VALUE_STEP = Decimal(1).scaleb(-VALUE_PLACES)  # the smallest non-zero value stored


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
    *, kpi: KPI, initiative_id: int | None, observed_at: datetime, value, now: datetime, echo_values: bool = True
) -> tuple[str, str] | None:
    """The field at fault and why this value cannot be stored for this KPI, in words a
    person can act on; None if it can. Without ``echo_values`` the words never quote the value
    or the time (a pull's run record: an admin reads it, and a source's data is not theirs)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        return "value", f"value {value!r} is not a number" if echo_values else "the value is not a number"
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    shown = f"value {value}" if echo_values else "the value"
    if not value.is_finite():
        return "value", f"{shown} is not a finite number"
    if abs(value) >= VALUE_LIMIT:
        return "value", f"{shown} is too large to store"
    if value and abs(value) < VALUE_STEP:
        return "value", f"{shown} is smaller than the {VALUE_PLACES} decimal places a value keeps"
    # A share in % runs from 0 to 100; a return on investment in % does not (138 %, or −20 %).
    if kpi.unit == "percent" and kpi.role != KPIRole.ROI and not 0 <= value <= 100:
        return "value", f"{kpi.name} is a percentage: {value if echo_values else 'the value'} is outside 0 to 100"
    if kpi.unit in ("count", "days", "hours", "minutes") and value < 0:
        return "value", f"{kpi.name} is measured in {kpi.get_unit_display()}: it cannot be negative"
    if kpi.scope == "company" and initiative_id is not None:
        return "initiative", f"{kpi.name} is measured company-wide: it takes no initiative"
    if timezone.is_naive(observed_at):
        return "observed_at", "the observed time has no time zone"
    earliest = settings.METRIC_EARLIEST_DATE
    if observed_at < _day_starts(earliest):
        return "observed_at", f"the observed time is before {_day(earliest)}: the scoreboard keeps no earlier figures"
    if kpi.measured_from and observed_at < _day_starts(kpi.measured_from):
        return "observed_at", f"{kpi.name} has figures from {_day(kpi.measured_from)}: the observed time is before it"
    if observed_at > now + FUTURE_TOLERANCE:
        when = f" {_shown(observed_at)}" if echo_values else ""
        return "observed_at", f"the observed time{when} is in the future"
    return None


def _day_starts(day: date) -> datetime:
    """When ``day`` starts in the company's time zone: the floors are days as people name them."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _day(day: date) -> str:
    return formatting.day(day)


def _shown(moment: datetime) -> str:
    """A moment as a person reads it, in the site's time zone; at the calendar's edge (9999-12-31
    in UTC is the year 10000 east of it) in UTC, said so."""
    try:
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    except OverflowError:
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# --- Reading a value as people and machines send it: the same on every path ------------------

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
# ASCII digits only (other scripts' digits are not read as numbers); any space, a non-breaking one too.
_TYPED_VALUE = re.compile(r"(?P<pre>€)?\s*(?P<number>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))\s*(?P<unit>[^0-9\s.+-]*)")


# A number as people and machines write it: ASCII digits, a point, an exponent; not "1_000",
# not digits of other scripts, not "NaN" (which Decimal alone would all read).
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


# A number written with a decimal comma, points only between thousands: "83,5", "1.234,5", "€1.200".
_COMMA_NUMBER = re.compile(
    r"(?P<pre>€\s*)?(?P<sign>[+-]?)(?P<whole>[0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,(?P<decimals>[0-9]+))?(?P<rest>.*)",
    re.ASCII,
)
# Digits grouped by threes with points or commas, and no other mark: "1.234", "25,440 h", "€1.200".
_GROUPED = re.compile(r"(€\s*)?(?P<number>[+-]?[0-9]{1,3}([.,][0-9]{3})+)(?![0-9.,])", re.ASCII)


def read_value(value, kpi: KPI | None, *, decimal_mark: str = DecimalMark.POINT) -> tuple[Decimal | None, str]:
    """A value as sent: a number, or a text with or without the KPI's unit ("85", "85 %",
    "€1200", "36.5 h"; a ratio as its share, "0.051", or as the percentage the pages show it in,
    "5.1 %"), read the same way for the form, a CSV cell and an API body. Returns the
    number, or None and why not. A unit that is not the KPI's is refused, naming both: that is
    the mistake of logging the wrong figure, not a typing slip.

    ``decimal_mark`` is how a CSV file writes decimals, decided for the whole file (csv_io): a
    point, as everywhere else; a comma ("83,5", points only between thousands: "1.234,5"); or
    UNSHOWN, a file whose values show neither, where "1.234" could be 1.234 or 1234 and is
    refused rather than guessed."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None, f"{value!r} is not a number."
    if not isinstance(value, str):
        return _as_share(Decimal(str(value)), kpi, str(value))
    text = value.strip()
    if decimal_mark == DecimalMark.COMMA and ("," in text or "." in text):
        written = _COMMA_NUMBER.fullmatch(text)
        if written is None or "," in written["rest"] or "." in written["rest"]:
            return None, f"{text!r} is not a number as this file writes them: a decimal comma, e.g. 1.234,5."
        decimals = f".{written['decimals']}" if written["decimals"] else ""
        text = f"{written['pre'] or ''}{written['sign']}{written['whole'].replace('.', '')}{decimals}{written['rest']}"
    elif decimal_mark == DecimalMark.UNSHOWN and (grouped := _GROUPED.match(text)):
        plain = grouped["number"].replace(".", "").replace(",", "")
        return None, (
            f"{text!r} could be read two ways: no value in this file shows its decimal mark. "
            f"Write it without the separator ({plain}), or write the file's decimals with a comma or a point."
        )
    if _PLAIN_NUMBER.fullmatch(text):
        return _as_share(Decimal(text), kpi, text)  # the usual case, a plain number
    if not text:
        return None, "Enter the value."
    if "," in text:
        return None, f"{text!r}: write decimals with a point and no thousands separator."
    typed = _TYPED_VALUE.fullmatch(text)
    if typed is None:
        return None, f"{text!r} is not a number."
    unit = typed["unit"].lower()
    if typed["pre"]:
        unit = unit or "€"
    if unit and kpi is None:
        return None, f"{text!r} is not a number."  # no KPI to read its unit against
    if unit == "%" and kpi.unit == "ratio":
        # A ratio reads as a percentage on every page (scoreboard.formatting): typed as one, "5.1 %"
        # is the share 0.051 it stands for.
        return Decimal(typed["number"]).scaleb(-2), ""
    if unit and _UNIT_WORDS.get(unit) != kpi.unit:
        return None, f"{kpi.name} is measured in {kpi.get_unit_display()}, not {typed['unit'] or unit}."
    return (Decimal(typed["number"]), "") if unit else _as_share(Decimal(typed["number"]), kpi, text)


def _as_share(number: Decimal, kpi: KPI | None, written: str) -> tuple[Decimal | None, str]:
    """A plain number for a ratio KPI is its share of one. Above one it is most likely the
    percentage the pages show, typed without its sign: 5.1 would read "510.0 %", so it is refused
    with both ways to write it rather than stored 100 times too large."""
    if kpi is not None and kpi.unit == "ratio" and number.is_finite() and abs(number) > 1:
        return None, (
            f"{kpi.name} is a share of one, shown as a percentage: {written} would read {formatting.share(number)}. "
            f"Write the share ({number.scaleb(-2).normalize():f}) "
            f"or the percentage with its sign ({written} %)."
        )
    return number, ""


# --- Reading rows as people and machines send them ------------------------------------------

_ROW_FIELDS = frozenset({"kpi", "initiative", "observed_at", "value", "note"})
_NOTE_LIMIT = Measurement._meta.get_field("note").max_length


def read_rows(
    items: list, *, plain_dates: bool = False, decimal_mark: str = DecimalMark.POINT
) -> tuple[list[tuple[int, Row]], dict[str, dict[str, list[str]]]]:
    """The rows of a batch that read, each with its number (from 1), and for each that did
    not, each field at fault and why. KPIs and initiatives are looked up once per batch.

    With `plain_dates` (people's paths: the form and CSV), an observed time may also be a
    bare date, YYYY-MM-DD, read as the start of that day in the company's time zone. Values
    are read with the file's `decimal_mark` (see read_value)."""
    codes = {"kpi": set(), "initiative": set()}
    for item in items:
        if isinstance(item, dict):
            for name, found in codes.items():
                if isinstance(item.get(name), str) and not text_problem(item[name]):
                    found.add(item[name])  # a code PostgreSQL could not even look up names nothing
    kpis = {k.code: k for k in KPI.objects.filter(code__in=codes["kpi"]).only("pk", "code", "name", "unit", "period")}
    initiatives = dict(Initiative.objects.filter(code__in=codes["initiative"]).values_list("code", "pk"))
    rows, errors = [], {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors[str(number)] = {"non_field_errors": ["Each measurement is an object."]}
            continue
        problems, row = _read_row(item, kpis, initiatives, plain_dates, decimal_mark)
        if problems:
            errors[str(number)] = problems
        else:
            rows.append((number, row))
    return rows, errors


def _read_row(
    item: dict, kpis: dict, initiatives: dict, plain_dates: bool = False, decimal_mark: str = DecimalMark.POINT
) -> tuple[dict, Row | None]:
    problems = {}
    if not _ROW_FIELDS.issuperset(item):  # no set built for the usual, well-formed row
        problems = {name: ["Not a field of a measurement."] for name in item.keys() - _ROW_FIELDS}
    kpi = item.get("kpi")
    if kpi is None:
        problems["kpi"] = ["This field is required: the KPI's code."]
    elif not isinstance(kpi, str) or kpi not in kpis:
        problems["kpi"] = [f"No KPI has the code {kpi!r}."]
    initiative = item.get("initiative")
    if initiative is not None and (not isinstance(initiative, str) or initiative not in initiatives):
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
    else:
        number, why = read_value(value, kpis.get(kpi) if isinstance(kpi, str) else None, decimal_mark=decimal_mark)
        if number is None:
            problems["value"] = [why]
    note = item.get("note", "")
    if not isinstance(note, str):
        problems["note"] = ["A note is text."]
    elif problem := text_problem(note):
        problems["note"] = [f"This note {problem}."]
    elif len(note) > _NOTE_LIMIT:
        problems["note"] = [f"A note is at most {_NOTE_LIMIT} characters; this one has {len(note)}."]
    if problems:
        return problems, None
    return {}, Row(
        kpi_id=kpis[kpi].pk,
        initiative_id=initiatives.get(initiative),
        observed_at=parsed,
        value=number,
        note=note,
        # What a person sends stands for its period: known here, so the row is built once.
        period_start=_period_or_none(kpis[kpi].period, parsed),
    )


def _period_or_none(period: str, moment: datetime):
    try:
        return period_start(period, moment)
    except OverflowError:  # a time at the calendar's edge, which the rules refuse in their own words
        return None


_NAIVE = object()  # a date and time without its time zone


def _start_of_day(text: str):
    """YYYY-MM-DD as the first moment of that day in the company's time zone (in UTC)."""
    return _start_of_day_in(text, timezone.get_current_timezone())


@lru_cache(maxsize=4096)  # a file repeats its days: each read once (per time zone)
def _start_of_day_in(text: str, zone: tzinfo):
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    midnight = datetime.combine(day, datetime.min.time())
    try:
        return timezone.make_aware(midnight, zone).astimezone(UTC)
    except OverflowError:
        # Year 1 east of Greenwich (or 9999 west of it) is beyond the calendar in UTC: its midnight
        # in UTC, refused by the rules (before 2000, in the future) in their own words.
        return midnight.replace(tzinfo=UTC)


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


# --- Checking and storing: the one way in ----------------------------------------------------


# The source machines push to when they name none (POST /api/v1/measurements/).
DEFAULT_PUSH_SOURCE = "REST API"


def push_source(name) -> MetricSource:
    """The REST push source a batch names, or the default one (made on first use). A name that is
    not a push source's is refused on ``source``."""
    if name is None:
        source, _ = MetricSource.objects.get_or_create(name=DEFAULT_PUSH_SOURCE, defaults={"kind": SourceKind.API_PUSH})
        return source
    source = MetricSource.objects.filter(name=name).first() if isinstance(name, str) else None
    if source is None or source.kind != SourceKind.API_PUSH:
        raise ValidationError({"source": [f"{name!r} is not the name of a REST push source."]})
    return source


def people_source(kind: str) -> MetricSource:
    """The source that people's values come in through (the form, CSV uploads): the first
    source of that kind, made on first use."""
    source = MetricSource.objects.filter(kind=kind).order_by("pk").first()
    if source is None:
        source, _ = MetricSource.objects.get_or_create(name=SourceKind(kind).label, defaults={"kind": kind})
    return source


def measurements_validate(
    rows: list[Row], *, now: datetime | None = None, echo_values: bool = True, by_period: bool = False
) -> tuple[list[Row], list[Rejection]]:
    """Split rows into those that can be stored and those that cannot, with reasons (quoting the
    values unless ``echo_values`` is False: see measurement_problem). With ``by_period`` (values
    people sent) each valid row comes back with the period it stands for (its KPI's period)."""
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
                kpi=kpi,
                initiative_id=row.initiative_id,
                observed_at=row.observed_at,
                value=row.value,
                now=now,
                echo_values=echo_values,
            )
        )
        if problem is None and row.initiative_id is not None:
            problem = _not_reported(kpi, row, reported)
        if problem:
            field_name, reason = problem
            rejected.append(Rejection(index, reason, field_name))
        elif by_period:
            # read_rows gave a person's row its period as it read it; rows handed in get it here,
            # built anew rather than by dataclasses.replace, which costs twice as much a row.
            if row.period_start is None:
                start = period_start(kpi.period, row.observed_at)
                row = Row(row.kpi_id, row.initiative_id, row.observed_at, row.value, row.note, start)
            valid.append(row)
        else:
            valid.append(row if row.period_start is None else replace(row, period_start=None))
    return valid, rejected


def _reported_kpis(initiative_ids: set[int]) -> dict[int, tuple[str, set[int], datetime | None, date | None]]:
    """For each initiative: its name, the KPIs it reports, and when it started (the moment and
    the day; two queries per batch)."""
    if not initiative_ids:
        return {}
    reported = {
        pk: (name, set(), started and _day_starts(started), started)
        for pk, name, started in Initiative.objects.filter(pk__in=initiative_ids).values_list(
            "pk", "name", "started_on"
        )
    }
    for initiative_id, kpi_id in Initiative.kpis.through.objects.filter(initiative_id__in=initiative_ids).values_list(
        "initiative_id", "kpi_id"
    ):
        reported[initiative_id][1].add(kpi_id)
    return reported


def _not_reported(kpi: KPI, row: Row, reported: dict) -> tuple[str, str] | None:
    """Why an initiative's value cannot be stored for it: it does not report the KPI, or the
    value was observed before the initiative started (a figure of work not yet begun)."""
    if row.initiative_id not in reported:
        return "initiative", f"initiative #{row.initiative_id} does not exist"
    name, kpi_ids, starts, started_on = reported[row.initiative_id]
    if kpi.pk not in kpi_ids:
        return "kpi", f"{kpi.name} is not one of the KPIs {name} reports"
    if starts is not None and row.observed_at < starts:
        return "observed_at", f"{name} started on {_day(started_on)}: the observed time is before it"
    return None


def measurements_ingest(
    *,
    rows: list[Row],
    source: MetricSource,
    entered_by=None,
    entered_via: str,
    now: datetime | None = None,
    all_or_nothing: bool = False,
    echo_values: bool = True,
) -> IngestResult:
    """Store measurements idempotently on their natural key: for a source people enter values
    through (PEOPLE_KINDS), the KPI, initiative and period, whichever such source stored it
    before; for a pulled source, the KPI, initiative, source and observed time. A key seen before
    updates its value (recorded in history) or, unchanged, stores nothing.

    Rows that cannot be stored are returned as rejections, never half-written; with
    `all_or_nothing`, one rejected row means none is stored. In the same transaction the
    months these values fall in are recorded as owed roll-ups, so a lost message or a
    stopped broker delays a snapshot but never loses it.
    """
    now = now or timezone.now()
    by_period = source.kind in PEOPLE_KINDS
    valid, rejected = measurements_validate(rows, now=now, echo_values=echo_values, by_period=by_period)
    # The same key twice in one batch: the later row wins, as a second send would. (People's
    # paths say so first: the API refuses such a batch, a CSV file reports each repeat.)
    latest = {row.key: row for row in valid}
    result = IngestResult(rejected=rejected)
    if not latest or (all_or_nothing and rejected):
        return result
    with transaction.atomic():
        touched = {row.kpi_id for row in latest.values()}
        freshness_before = _freshness_of(touched)
        outcome = upsert(
            rows=list(latest.values()),
            source_id=source.pk,
            entered_by_id=entered_by.pk if entered_by else None,
            entered_via=entered_via,
            by_period=by_period,
        )
        _record_changes_in_history(outcome.changed, entered_by=entered_by, reason=entered_via, now=now)
        months_of: dict[datetime, date] = {}  # time-zone arithmetic once per distinct time
        for kpi_id, observed_at in outcome.written:
            month = months_of.get(observed_at) or months_of.setdefault(observed_at, month_of(observed_at))
            result.months.setdefault(month, set()).add(kpi_id)
        roll_ups_request(result.months, now=now)
        if result.months:
            # The months' pages (their late data, once signed) and, when this changed what the
            # freshness section says or when it will say it, every month's (scoreboard/versions.py).
            every_month = _freshness_shows_otherwise(freshness_before, _freshness_of(touched))
            versions.bump(*result.months, *([None] if every_month else []))
    result.stored = outcome.stored
    result.unchanged = len(latest) - result.stored
    return result


def _freshness_of(kpi_ids: set[int]) -> dict[int, tuple[bool, datetime | None]]:
    """KPI id -> (stale, latest observation) for ``kpi_ids`` and the ratios built on them, at
    this moment. One query."""
    return {
        f.kpi.pk: (f.stale, f.last_observed_at)
        for f in kpi_freshness(now=timezone.now())
        if f.kpi.pk in kpi_ids or {f.kpi.ratio_numerator_id, f.kpi.ratio_denominator_id} & kpi_ids
    }


def _freshness_shows_otherwise(before: dict, after: dict) -> bool:
    """Whether the ExCo page's freshness, or the moment it changes, differs. A fresh KPI whose
    latest observation only moved later stays fresh, and the page names only stale ones (a
    cached page then expires earlier than it had to, which is harmless); anything else counts:
    a KPI turning fresh or stale, a stale one's date, a latest observation moved earlier."""
    for kpi_id, (stale, last) in after.items():
        was_stale, was_last = before.get(kpi_id, (True, None))
        if (stale, last) == (was_stale, was_last):
            continue
        if stale or was_stale or was_last is None or last is None or last < was_last:
            return True
    return False


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
                    history_date=before.updated_at,
                    history_type="+",
                    history_user_id=before.entered_by_id,
                    history_change_reason=before.entered_via[:100],
                )
            )
        after = current[before.id]
        records.append(
            historical(
                **{f: getattr(after, f) for f in _HISTORY_FIELDS},
                history_date=now,
                history_type="~",
                history_user=entered_by,
                history_change_reason=reason[:100],
            )
        )
    historical.objects.bulk_create(records)


_HISTORY_FIELDS = (
    "id",
    "kpi_id",
    "initiative_id",
    "source_id",
    "observed_at",
    "period_start",
    "value",
    "entered_by_id",
    "entered_via",
    "note",
    "created_at",
    "updated_at",
)


# --- Repeats: two values for one KPI, initiative and period in what one person sent -----------


def kpi_periods(kpi_ids) -> dict[int, str]:
    """Each KPI's period, by id (one query)."""
    return dict(KPI.objects.filter(pk__in=set(kpi_ids)).values_list("pk", "period"))


def repeats_of(keyed: Iterable[tuple[int, tuple]], seen: dict) -> dict[int, int]:
    """Of rows given as (number, key), each whose key an earlier row has: its number → the first
    such row's. ``seen`` (key → number) carries the keys of the batches read before, so a file
    checked chunk by chunk finds a repeat of a row many chunks back."""
    found = {}
    for number, key in keyed:
        first = seen.setdefault(key, number)
        if first != number:
            found[number] = first
    return found


def repeat_reason(first: int, period: str) -> str:
    """Why a row is not stored: it repeats another (a CSV file prefixes its own row number)."""
    return f"repeats row {first}: same KPI, initiative and {WORDS[period]}"


def _repeats_in_batch(numbered: list[tuple[int, Row]]) -> dict[str, dict[str, list[str]]]:
    """A batch's repeats, as errors on the later row's observed time, by the period read_rows
    gave each row (a row with none, at the calendar's edge, is refused by the rules instead)."""
    found = repeats_of(((n, row.key) for n, row in numbered if row.period_start is not None), {})
    if not found:
        return {}
    rows = dict(numbered)
    periods = kpi_periods(rows[n].kpi_id for n in found)
    return {
        str(n): {"observed_at": [f"This row {repeat_reason(first, periods[rows[n].kpi_id])}; send one value for each."]}
        for n, first in found.items()
    }


def measurements_stored_as_they_are(rows: list[Row]) -> int:
    """How many of these rows of people's values (each with its period) are stored already
    with the same value: what storing them would leave unchanged (a CSV file's preview)."""
    return count_stored_as_they_are(rows)


# --- The one intake: what the form, the CSV import and the API call ----------------------------


@dataclass
class Recorded:
    """What became of a batch sent by a person or a machine: how many rows were stored or already
    there, and, by row number (from 1, as sent), each field at fault and why."""

    stored: int = 0
    unchanged: int = 0
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    numbered: list[tuple[int, Row]] = field(default_factory=list)  # the rows that read, by number
    rejected: list[Rejection] = field(default_factory=list)  # of the rows that read, those refused
    valid: list[tuple[int, Row]] = field(default_factory=list)  # check_only: the rows that may be stored, by number


def measurements_record(
    *,
    by,
    items: list | None = None,
    rows: list[Row] | None = None,
    source: MetricSource | Callable[[], MetricSource] | None,
    entered_via: str,
    plain_dates: bool = False,
    all_or_nothing: bool = True,
    check_only: bool = False,
    now: datetime | None = None,
    echo_values: bool = True,
    refuse_repeats: bool = True,
    decimal_mark: str = DecimalMark.POINT,
) -> Recorded:
    """Record measurements as they are sent: the form's one value, a CSV file's rows, an API
    body. Every path reads them here, the same way (codes, dates, a value with or without its
    unit), so the same mistake gets the same reason wherever it is made.

    Refused (PermissionDenied, nothing stored) when ``by`` may not record a row: an ops lead
    records only for the initiatives they lead. Otherwise each row that cannot be stored is
    named with its fields and reasons; with ``all_or_nothing`` one such row means none is
    stored. ``check_only`` reads and judges without storing (a CSV preview, whose rows are judged
    as a person's: ``source`` None). ``source`` may be given as a function, called once the
    sender may record (its own refusal comes second).

    A person's batch holding two values for one KPI, initiative and period is ambiguous: each
    later one is refused naming the row it repeats, unless ``refuse_repeats`` is False (a CSV
    file, which reports its repeats itself and lets the person keep the last).

    ``rows`` instead of ``items``: rows already read (a pull's, a CSV file's checked at preview),
    judged and stored the same way. ``by`` None: the system itself (a pull), no person to check.
    ``echo_values`` False: reasons that never quote a value or a time (a pull's run record).
    ``decimal_mark``: how a CSV file writes its decimals (read_value)."""
    if rows is None:
        numbered, errors = read_rows(items, plain_dates=plain_dates, decimal_mark=decimal_mark)
        rows = [row for _, row in numbered]
    else:
        numbered, errors = list(enumerate(rows, start=1)), {}
    if by is not None:
        measurements_check_may_record(by, rows)
    if callable(source):
        source = source()
    by_period = source is None or source.kind in PEOPLE_KINDS
    if by_period and refuse_repeats and len(numbered) > 1:
        for number, problems in _repeats_in_batch(numbered).items():
            errors.setdefault(number, {}).update(problems)
    recorded = Recorded(errors=errors, numbered=numbered)
    if check_only or (errors and all_or_nothing):
        valid, recorded.rejected = measurements_validate(rows, now=now, echo_values=echo_values, by_period=by_period)
        add_rejections(errors, recorded.rejected, numbered)
        refused = {r.row for r in recorded.rejected}
        numbers = [n for i, (n, _) in enumerate(numbered, 1) if i not in refused]
        recorded.valid = list(zip(numbers, valid, strict=True))
        return recorded
    if errors:  # only the valid ones, as chosen: what read and was not refused before storing
        refused = set(errors)
        numbered = [(n, row) for n, row in numbered if str(n) not in refused]
        rows = [row for _, row in numbered]
    result = measurements_ingest(
        rows=rows,
        source=source,
        entered_by=by,
        entered_via=entered_via,
        all_or_nothing=all_or_nothing,
        now=now,
        echo_values=echo_values,
    )
    recorded.rejected = result.rejected
    add_rejections(errors, result.rejected, numbered)
    recorded.stored, recorded.unchanged = result.stored, result.unchanged
    return recorded
