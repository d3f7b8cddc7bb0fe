"""How fast the monthly roll-up recomputes every snapshot, against one hand-written GROUP BY.

Builds a large company (seed_demo --initiatives 500 --months 36 --replace), then times
metrics.services.rollup.snapshot_roll_up() over all months and KPIs, 3 runs each, median:

- cold: no snapshot stored, so every one is computed, written and committed;
- warm: the same figures again, so it computes, compares and writes nothing.

The hand-written GROUP BY (per KPI, initiative, month: avg and count) is timed two ways:

- stored: INSERT ... SELECT ... GROUP BY into the snapshot table, committed. This is the
  least any roll-up that keeps its results must do: the same rows, the same table, its
  indexes and foreign keys checked at commit. The cold roll-up is compared with it
  (goal ≤ 2): writing ~38,000 rows through five indexes and two foreign keys costs more
  than reading the measurements, and both sides pay it.
- fetched: SELECT ... GROUP BY, every row read by the client. The warm roll-up, which also
  writes nothing, is compared with it; the cold roll-up's ratio to it is printed too.

The demo freezes most months (signed-off months are kept, not recomputed); the benchmark
deletes every FrozenMonth row first so the roll-up computes every month, as the GROUP BY
does. Everything runs after a VACUUM ANALYZE of the tables it reads and writes.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database: all scoreboard data in it is
replaced), else a throwaway cluster is started. See bench/_db.py.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import _db

INITIATIVES = 500
MONTHS = 36
RUNS = 3
GROUP_BY = (
    "SELECT kpi_id, initiative_id, date_trunc('month', observed_at), avg(value), count(*) "
    "FROM metrics_measurement GROUP BY 1, 2, 3"
)
GROUP_BY_STORED = (
    "INSERT INTO metrics_monthlysnapshot (kpi_id, initiative_id, month, value, status, measurement_count, computed_at) "
    "SELECT kpi_id, initiative_id, date_trunc('month', observed_at)::date, avg(value), 'none', count(*), now() "
    "FROM metrics_measurement GROUP BY 1, 2, 3"
)


def main() -> None:
    _db.setup()
    from django.db import connection, transaction

    from metrics.models import FrozenMonth, Measurement, MonthlySnapshot
    from metrics.services.rollup import snapshot_roll_up

    _db.describe_machine()
    print(f"building the demo company: seed_demo --initiatives {INITIATIVES} --months {MONTHS} --replace ...")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "seed_demo",
            "--replace",
            "-v0",
            f"--initiatives={INITIATIVES}",
            f"--months={MONTHS}",
        ],
        cwd=_db.ROOT,
        env=os.environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  built in {time.perf_counter() - started:.1f} s")

    frozen, _ = FrozenMonth.objects.all().delete()
    print(f"deleted {frozen} FrozenMonth rows: the roll-up recomputes every month (none is kept as signed off)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE metrics_measurement")
        cursor.execute("VACUUM ANALYZE metrics_monthlysnapshot")

    measurements = Measurement.objects.count()
    kpis = Measurement.objects.values("kpi_id").distinct().count()
    print(f"measurements: {measurements:,} ({kpis} KPIs with measurements)")

    # Cold: no snapshot stored, so every one is computed and written (the fair comparison).
    roll_up_times, written = [], 0
    for _ in range(RUNS):
        _empty_snapshots(connection)
        started = time.perf_counter()
        with transaction.atomic():
            written = snapshot_roll_up()
        roll_up_times.append(time.perf_counter() - started)
    snapshots = MonthlySnapshot.objects.count()
    # Warm: the same figures again; the roll-up writes only what changed, here nothing.
    warm_times, rewritten = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        with transaction.atomic():
            rewritten = snapshot_roll_up()
        warm_times.append(time.perf_counter() - started)

    stored_times, stored = [], 0
    for _ in range(RUNS):
        _empty_snapshots(connection)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(GROUP_BY_STORED)
            stored = cursor.rowcount
        stored_times.append(time.perf_counter() - started)
    _empty_snapshots(connection)

    group_by_times, groups = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(GROUP_BY)
            groups = len(cursor.fetchall())
        group_by_times.append(time.perf_counter() - started)

    roll_up, warm = statistics.median(roll_up_times), statistics.median(warm_times)
    group_by, group_by_stored = statistics.median(group_by_times), statistics.median(stored_times)
    print(f"snapshots: {written:,} written by the roll-up, {snapshots:,} in the table")
    print(f"GROUP BY rows: {groups:,} fetched, {stored:,} stored (per KPI, initiative or company-wide, month)")
    print(f"snapshot_roll_up(), cold:        {roll_up:>7.2f} s  median of {_runs(roll_up_times)}")
    print(f"snapshot_roll_up(), unchanged:   {warm:>7.2f} s  median of {_runs(warm_times)} ({rewritten} written)")
    print(f"one SQL GROUP BY, stored:        {group_by_stored:>7.2f} s  median of {_runs(stored_times)}")
    print(f"one SQL GROUP BY, fetched:       {group_by:>7.2f} s  median of {_runs(group_by_times)}")
    print(f"ratio cold roll-up / stored GROUP BY:    {roll_up / group_by_stored:>5.2f}  (goal ≤ 2)")
    print(f"ratio warm roll-up / fetched GROUP BY:   {warm / group_by:>5.2f}  (goal ≤ 2)")
    print(f"ratio cold roll-up / fetched GROUP BY:   {roll_up / group_by:>5.2f}  (the writes' share, for the record)")


def _empty_snapshots(connection) -> None:
    """No snapshot stored, and the table vacuumed as autovacuum would before the next run."""
    from metrics.models import MonthlySnapshot

    MonthlySnapshot.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE metrics_monthlysnapshot")


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
