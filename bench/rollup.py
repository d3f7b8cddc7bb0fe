"""How fast the monthly roll-up recomputes every snapshot, against one plain GROUP BY.

Builds a large company (seed_demo --initiatives 500 --months 36 --replace), then times
metrics.services.snapshot_roll_up() over all months and KPIs against one hand-written
SQL GROUP BY over the same measurements (executed and fetched in full), 3 runs each, and
prints the medians and their ratio (goal ≤ 2). The roll-up is timed cold (no snapshot
stored: every one written) and warm (same figures again: it writes only what changed).

The demo freezes most months (signed-off months are kept, not recomputed); the benchmark
deletes every FrozenMonth row first so the roll-up computes every month, as the GROUP BY
does. Both run after a VACUUM ANALYZE of the tables they read.

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


def main() -> None:
    _db.setup()
    from django.db import connection

    from metrics.models import FrozenMonth, Measurement, MonthlySnapshot
    from metrics.services import snapshot_roll_up

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
        MonthlySnapshot.objects.all().delete()
        with connection.cursor() as cursor:  # as autovacuum would, before the next roll-up
            cursor.execute("VACUUM ANALYZE metrics_monthlysnapshot")
        started = time.perf_counter()
        written = snapshot_roll_up()
        roll_up_times.append(time.perf_counter() - started)
    snapshots = MonthlySnapshot.objects.count()
    # Warm: the same figures again; the roll-up writes only what changed, here nothing.
    warm_times, rewritten = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        rewritten = snapshot_roll_up()
        warm_times.append(time.perf_counter() - started)

    group_by_times, groups = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(GROUP_BY)
            groups = len(cursor.fetchall())
        group_by_times.append(time.perf_counter() - started)

    roll_up, group_by = statistics.median(roll_up_times), statistics.median(group_by_times)
    print(f"snapshots: {written:,} written by the roll-up, {snapshots:,} in the table")
    print(f"GROUP BY rows: {groups:,} (per KPI, initiative or company-wide, month)")
    warm = statistics.median(warm_times)
    print(f"snapshot_roll_up(), cold:        {roll_up:>7.2f} s  median of {_runs(roll_up_times)}")
    print(f"snapshot_roll_up(), unchanged:   {warm:>7.2f} s  median of {_runs(warm_times)} ({rewritten} written)")
    print(f"one SQL GROUP BY, fetched:       {group_by:>7.2f} s  median of {_runs(group_by_times)}")
    print(f"ratio roll-up/GROUP BY, cold:    {roll_up / group_by:>7.2f}    (goal ≤ 2)")
    print(f"ratio roll-up/GROUP BY, warm:    {warm / group_by:>7.2f}")


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
