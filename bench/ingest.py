"""How fast the ingestion service stores measurements, against raw PostgreSQL COPY.

Prints rows per second for 1 M measurements (BENCH_ROWS to change) stored through
metrics.services.ingest.measurements_ingest in batches of 10 000 (one call, one transaction
each), for the same rows written by one COPY into the same table, the ratio of the two
(goal ≥ 0.5), and the rate of re-sending all the rows unchanged through the service.

Fair by construction: the same metrics_measurement table with all its indexes, emptied
(TRUNCATE) before each first-time phase, the same rows. Building the rows (and the COPY
text) is not timed; the service's own work (validation, staging, upsert, outbox, commit)
is. Roll-ups never run: the broker is in memory and no worker reads it.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database: its measurements are deleted),
else a throwaway cluster is started. See bench/_db.py.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice

import _db

TOTAL = int(os.environ.get("BENCH_ROWS", "1000000"))
BATCH = 10_000
KPIS = 20
INITIATIVES = 50
SPAN = timedelta(days=3 * 365)  # observation times spread over the past three years


def main() -> None:
    _db.setup()
    from django.db import connection, transaction

    from metrics.models import MonthlySnapshot
    from metrics.services.ingest import measurements_ingest

    _db.describe_machine()
    kpi_ids, initiative_ids, service_source, copy_source = _fixtures()
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    print(
        f"rows: {TOTAL:,} = {KPIS} KPIs x ({INITIATIVES} initiatives + company-wide) x "
        f"{_times_needed():,} observation times; service batches of {BATCH:,}"
    )

    def rows() -> Iterator:
        return _rows(kpi_ids, initiative_ids, anchor)

    def ingest(label: str, source) -> tuple[float, int, int, int]:
        """Send every row through the service, batch by batch; only the calls are timed."""
        elapsed, stored, unchanged, rejected = 0.0, 0, 0, 0
        stream = rows()
        while batch := list(islice(stream, BATCH)):
            started = time.perf_counter()
            result = measurements_ingest(rows=batch, source=source, entered_via=label)
            elapsed += time.perf_counter() - started
            stored += result.stored
            unchanged += result.unchanged
            rejected += len(result.rejected)
        return elapsed, stored, unchanged, rejected

    snapshots_before = MonthlySnapshot.objects.filter(kpi_id__in=kpi_ids).count()

    # 1. Through the service, into an empty table.
    _empty_table()
    service_time, stored, unchanged, rejected = ingest("bench:service", service_source)
    service_rate = TOTAL / service_time
    print(
        f"service, new rows:       {service_rate:>12,.0f} rows/s  ({service_time:.1f} s; "
        f"stored {stored:,}, unchanged {unchanged:,}, rejected {rejected:,})"
    )

    # 2. The same rows again, all unchanged.
    resend_time, stored, unchanged, rejected = ingest("bench:service", service_source)
    print(
        f"service, re-sent rows:   {TOTAL / resend_time:>12,.0f} rows/s  ({resend_time:.1f} s; "
        f"stored {stored:,}, unchanged {unchanged:,}, rejected {rejected:,})"
    )

    # 3. Raw COPY of the same rows into the emptied table, from a file written beforehand.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as data:
        _write_copy_text(data, rows(), copy_source.pk)
        data.seek(0)
        _empty_table()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY metrics_measurement (kpi_id, initiative_id, source_id, observed_at, value, note, "
                "entered_by_id, entered_via, created_at, updated_at) FROM STDIN",
                data,
            )
        copy_time = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metrics_measurement")
        (copied,) = cursor.fetchone()
    copy_rate = TOTAL / copy_time
    print(f"raw COPY (one stmt):     {copy_rate:>12,.0f} rows/s  ({copy_time:.1f} s; {copied:,} rows in the table)")

    print(f"ratio service/COPY:      {service_rate / copy_rate:>12.2f}        (goal ≥ 0.5)")
    snapshots_after = MonthlySnapshot.objects.filter(kpi_id__in=kpi_ids).count()
    print(f"snapshots written by roll-ups during the run: {snapshots_after - snapshots_before} (expected 0)")


def _times_needed() -> int:
    return -(-TOTAL // (KPIS * (INITIATIVES + 1)))


def _rows(kpi_ids: list[int], initiative_ids: list[int], anchor: datetime) -> Iterator:
    """TOTAL rows, in time order (a pull brings every KPI of every initiative at one time),
    the same on every call: values are a function of the row's position, 2 decimals. Each
    carries the day it stands for, as the intake reads a person's row (read_rows) before the
    service stores it: the bench's source is a REST push source, whose values are people's."""
    from metrics.periods import period_start
    from metrics.services.upsert import Row

    scopes = [*initiative_ids, None]  # None: company-wide
    per_time = len(kpi_ids) * len(scopes)
    times = _times_needed()
    step = timedelta(seconds=max(60, int(SPAN.total_seconds()) // times))
    start = anchor - step * times
    for i in range(TOTAL):
        t, rest = divmod(i, per_time)
        k, s = divmod(rest, len(scopes))
        value = Decimal((i * 2_654_435_761) % 10_000_000).scaleb(-2)  # 0.00 to 99 999.99
        at = start + step * t
        yield Row(kpi_ids[k], scopes[s], at, value, period_start=period_start("day", at))


def _write_copy_text(out, rows: Iterator, source_id: int) -> None:
    stamp = datetime.now(UTC).isoformat()
    for r in rows:
        initiative = "\\N" if r.initiative_id is None else r.initiative_id
        out.write(
            f"{r.kpi_id}\t{initiative}\t{source_id}\t{r.observed_at.isoformat()}\t{r.value}\t\t\\N\t"
            f"bench:copy\t{stamp}\t{stamp}\n"
        )


def _empty_table() -> None:
    """Empty the measurements table (a scratch database) and flush dirty pages, so each
    phase starts from the same place."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE metrics_measurement")
        # Not a superuser: no checkpoint, the phases still start from an empty table.
        with suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def _fixtures():
    """The KPIs (count, per initiative), initiatives and two sources the bench writes to."""
    from tests.factories import MetricSourceFactory

    kpi_ids, initiative_ids = _db.bench_company("bench-ingest", kpis=KPIS, initiatives=INITIATIVES)
    # Found by name when they exist.
    service = MetricSourceFactory(name="bench: ingestion service", kind="api_push")
    copy = MetricSourceFactory(name="bench: raw COPY", kind="api_push")
    return list(kpi_ids.values()), list(initiative_ids.values()), service, copy


if __name__ == "__main__":
    main()
