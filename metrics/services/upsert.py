"""Set-based upsert of measurements on their natural key: (KPI, initiative, period) for the
values people enter, (KPI, initiative, source, time) for pulled ones (models.Measurement).

The mechanics only; the rules (what is valid, what a period is, what becomes due) are in
ingest.py. Rows are staged in a temporary table (PostgreSQL COPY, or executemany on SQLite),
then three statements do the work whatever the batch size: read the rows whose value changed
(for history), update them, insert the new ones. NULL initiatives (company-wide values)
never compare equal in SQL, so each statement is written for both halves explicitly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..models import Measurement, MonthlySnapshot

STAGE = "metrics_measurement_in"

# The places a value keeps (numeric(20, 6)): a value with more is stored rounded.
_STORED_STEP = Decimal(1).scaleb(-Measurement._meta.get_field("value").decimal_places)


def as_stored(value: Decimal) -> Decimal:
    """``value`` as the database keeps it: rounded to the places it keeps, a half away from zero,
    as PostgreSQL rounds a numeric. What is compared with a stored value is first made this."""
    return value.quantize(_STORED_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Row:
    kpi_id: int
    initiative_id: int | None
    observed_at: datetime
    value: Decimal
    note: str = ""
    period_start: date | None = None  # set for a person's value (ingest.py): the period it stands for

    @property
    def key(self) -> tuple[int, int | None, date | datetime]:
        """What makes two rows one value: the same period for a person's, the same time for a pull's."""
        return (self.kpi_id, self.initiative_id, self.observed_at if self.period_start is None else self.period_start)


@dataclass(frozen=True)
class Changed:
    """A stored measurement whose value a newer row replaced: its state before the change."""

    id: int
    kpi_id: int
    initiative_id: int | None
    source_id: int
    observed_at: datetime
    value: Decimal
    entered_by_id: int | None
    entered_via: str
    note: str
    period_start: date | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Outcome:
    written: list[tuple[int, datetime]]  # (kpi_id, observed_at) of every row inserted or updated, before and after
    changed: list[Changed]  # prior state of the rows whose value was replaced, for history
    stored: int = 0  # rows inserted or updated


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _stage(rows: list[Row], *, by_period: bool) -> None:
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (kpi_id bigint, initiative_id bigint, "
                "observed_at timestamptz, value numeric(20, 6), note varchar(500), period_start date) ON COMMIT DROP"
            )
            cursor.execute(f"TRUNCATE {STAGE}")
            buffer = io.StringIO()
            for r in rows:
                # COPY's text format: backslash escapes keep tabs and line breaks exactly as sent.
                note = r.note.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                initiative = "\\N" if r.initiative_id is None else r.initiative_id
                period = r.period_start if by_period else "\\N"
                buffer.write(f"{r.kpi_id}\t{initiative}\t{r.observed_at.isoformat()}\t{r.value}\t{note}\t{period}\n")
            buffer.seek(0)
            # COPY is the fastest way into PostgreSQL; the stage has no indexes to maintain.
            cursor.cursor.copy_expert(f"COPY {STAGE} FROM STDIN", buffer)
        else:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (kpi_id integer, initiative_id integer, "
                "observed_at datetime, value decimal, note varchar(500), period_start date)"
            )
            cursor.execute(f"DELETE FROM {STAGE}")
            ops = connection.ops
            cursor.executemany(
                f"INSERT INTO {STAGE} VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (
                        r.kpi_id,
                        r.initiative_id,
                        ops.adapt_datetimefield_value(r.observed_at),
                        ops.adapt_decimalfield_value(r.value, 20, 6),
                        r.note,
                        ops.adapt_datefield_value(r.period_start) if by_period else None,
                    )
                    for r in rows
                ],
            )


_HALF_FILTER = {"initiative": "i.initiative_id IS NOT NULL", "company": "i.initiative_id IS NULL"}
_HALF_MATCH = {"initiative": "m.initiative_id = i.initiative_id", "company": "m.initiative_id IS NULL"}
# The conflict targets: the partial unique constraints of models.Measurement, predicates included
# (PostgreSQL infers a partial index only from a WHERE that implies its own).
_CONFLICT = {
    ("initiative", False): "(kpi_id, initiative_id, source_id, observed_at) WHERE period_start IS NULL",
    ("company", False): "(kpi_id, source_id, observed_at) WHERE initiative_id IS NULL AND period_start IS NULL",
    ("initiative", True): "(kpi_id, initiative_id, period_start) WHERE period_start IS NOT NULL",
    ("company", True): "(kpi_id, period_start) WHERE initiative_id IS NULL AND period_start IS NOT NULL",
}
_KEY = {
    False: "m.source_id = %s AND m.observed_at = i.observed_at AND m.period_start IS NULL",
    # A person's value is found by its period whatever path brought it: a correction made
    # through the form replaces a value that came in a CSV file. No "IS NOT NULL" here: the
    # equality implies it, and spelled out it steers the planner, on a table not yet analysed,
    # to the (initiative, KPI, time) index and a scan of every value of the pair.
    True: "m.period_start = i.period_start",
}
_PRIOR = "m.id, m.kpi_id, m.initiative_id, m.source_id, m.observed_at, m.value, m.entered_by_id, m.entered_via, "
_PRIOR += "m.note, m.period_start, m.created_at, m.updated_at, i.value, i.note, i.observed_at"


def _changed_rows_sql(half: str, table: str, by_period: bool) -> str:
    """Stored rows whose value the stage changes, locked, with their prior state. Driven from
    the stage so each lookup is one probe of the unique index, whatever the table's size or
    statistics (a fresh table has none, and the planner would otherwise scan it)."""
    key = f"m.kpi_id = i.kpi_id AND {_KEY[by_period]} AND {_HALF_MATCH[half]}"
    if _is_postgres():
        return (
            f"SELECT {_PRIOR} FROM {STAGE} i CROSS JOIN LATERAL "
            f"(SELECT * FROM {table} m WHERE {key} LIMIT 1 FOR UPDATE) m "
            f"WHERE {_HALF_FILTER[half]} AND m.value <> i.value"
        )
    # SQLite locks the whole database for the transaction; a plain join probes the index.
    return f"SELECT {_PRIOR} FROM {STAGE} i JOIN {table} m ON {key} WHERE {_HALF_FILTER[half]} AND m.value <> i.value"


def upsert(
    *, rows: list[Row], source_id: int, entered_by_id: int | None, entered_via: str, by_period: bool = False
) -> Outcome:
    """Store ``rows`` for ``source_id``: insert new keys, update changed values, leave the
    rest untouched. Must run inside a transaction. Returns what was written and the prior
    state of what changed.

    ``by_period``: the rows are values people entered, keyed by their ``period_start`` whatever
    their source; a changed one takes the new value, time, source and who entered it. Otherwise
    they are keyed by source and exact time (pulls).

    New keys go first (INSERT ... ON CONFLICT DO NOTHING): a key a concurrent writer just
    inserted waits for it, then counts as existing. Only if some keys existed already are
    the changed ones looked up, locked and updated: re-sending unchanged data writes nothing.
    """
    if not rows:
        return Outcome(written=[], changed=[])
    _stage(rows, by_period=by_period)
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(timezone.now())
    table = Measurement._meta.db_table
    changed: list[Changed] = []
    written: list[tuple[int, datetime]] = []
    with connection.cursor() as cursor:
        staged = {"initiative": 0, "company": 0}
        for row in rows:
            staged["company" if row.initiative_id is None else "initiative"] += 1
        for half in ("initiative", "company"):
            if not staged[half]:
                continue
            cursor.execute(
                f"INSERT INTO {table} (kpi_id, initiative_id, source_id, observed_at, value, note, period_start, "
                f"entered_by_id, entered_via, created_at, updated_at) "
                f"SELECT i.kpi_id, i.initiative_id, %s, i.observed_at, i.value, i.note, i.period_start, %s, %s, %s, %s "
                f"FROM {STAGE} i WHERE {_HALF_FILTER[half]} "
                f"ON CONFLICT {_CONFLICT[half, by_period]} DO NOTHING RETURNING kpi_id, observed_at",
                [source_id, entered_by_id, entered_via, stamp, stamp],
            )
            inserted = cursor.fetchall()
            written += inserted
            if len(inserted) == staged[half]:
                continue  # every key was new: nothing can have changed
            cursor.execute(_changed_rows_sql(half, table, by_period), [] if by_period else [source_id])
            found = cursor.fetchall()
            changed += [Changed(*_converted(row[:12])) for row in found]
            cursor.executemany(
                f"UPDATE {table} SET value = %s, note = %s, observed_at = %s, source_id = %s, entered_by_id = %s, "
                f"entered_via = %s, updated_at = %s WHERE id = %s",
                [
                    (
                        ops.adapt_decimalfield_value(Decimal(str(new_value)), 20, 6),
                        new_note,
                        ops.adapt_datetimefield_value(_as_datetime(new_time)),
                        source_id,
                        entered_by_id,
                        entered_via,
                        stamp,
                        row[0],
                    )
                    for *row, new_value, new_note, new_time in found
                ],
            )
            written += [(row[1], new_time) for *row, _, _, new_time in found]
    stored = len(written)
    written = [(kpi_id, _as_datetime(at)) for kpi_id, at in written]
    # The months of the values replaced owe a roll-up too (a period never spans two months,
    # so this is belt and braces for a time zone changed since).
    written += [(c.kpi_id, c.observed_at) for c in changed]
    return Outcome(written=written, changed=changed, stored=stored)


def count_stored_as_they_are(rows: list[Row]) -> int:
    """How many of these rows of people's values (each with its period) are stored already with
    the same value. One query over the periods the rows span, compared here: sending the keys to
    PostgreSQL as arrays to count there was slower (their adaptation, and a poorer plan)."""
    rows = [row for row in rows if row.period_start is not None]
    if not rows:
        return 0
    initiatives = {row.initiative_id for row in rows}
    scope = Q(initiative_id__in=initiatives - {None})
    if None in initiatives:
        scope |= Q(initiative__isnull=True)
    periods = [row.period_start for row in rows]
    stored = Measurement.objects.filter(
        scope,
        kpi_id__in={row.kpi_id for row in rows},
        period_start__gte=min(periods),
        period_start__lte=max(periods),
    ).values_list("kpi_id", "initiative_id", "period_start", "value")
    values = {(kpi_id, initiative_id, start): value for kpi_id, initiative_id, start, value in stored}
    # Rounded as storing rounds it: 1.2345678 against a stored 1.234568 is unchanged, as storing finds.
    return sum(1 for row in rows if values.get(row.key) == as_stored(row.value))


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    # SQLite hands back text in Django's storage format (UTC).
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _converted(row) -> tuple:
    id_, kpi_id, initiative_id, source_id, observed_at, value, entered_by_id, via, note, period, created, updated = row
    return (
        id_,
        kpi_id,
        initiative_id,
        source_id,
        _as_datetime(observed_at),
        Decimal(str(value)),
        entered_by_id,
        via,
        note,
        _as_date(period),
        _as_datetime(created),
        _as_datetime(updated),
    )


def _as_date(value) -> date | None:
    # SQLite hands back text.
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


SNAPSHOT_KEY_FIELDS = ("kpi_id", "initiative_id", "month")
SNAPSHOT_FIGURE_FIELDS = ("value", "target", "red_threshold", "status", "measurement_count")


def insert_snapshots(rows: list[tuple], *, now: datetime) -> None:
    """Insert snapshot rows (key fields, then figure fields) with plain multi-row INSERTs:
    building tens of thousands of model instances would cost more than the roll-up's reads."""
    if not rows:
        return
    ops = connection.ops
    columns = (*SNAPSHOT_KEY_FIELDS, *SNAPSHOT_FIGURE_FIELDS, "computed_at")
    stamp = ops.adapt_datetimefield_value(now)

    def adapt(number, places):
        return None if number is None else ops.adapt_decimalfield_value(number, 20, places)

    adapted = [
        (
            kpi_id,
            initiative_id,
            ops.adapt_datefield_value(month),
            adapt(value, 6),
            adapt(target, 4),
            adapt(red, 4),
            status,
            count,
            stamp,
        )
        for kpi_id, initiative_id, month, value, target, red, status, count in rows
    ]
    table = MonthlySnapshot._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgres():
            # COPY: several times faster than INSERT for the tens of thousands of a full roll-up.
            buffer = io.StringIO()
            for row in adapted:
                buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            return
        row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(adapted), 500):
            batch = adapted[start : start + 500]
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row_marks] * len(batch))
            cursor.execute(sql, [v for row in batch for v in row])
