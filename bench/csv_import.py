"""How long a 100 000-row CSV upload takes, through the same functions the pages and jobs call.

Prints, for one file of 100 000 rows (BENCH_CSV_ROWS to change; 100 KPIs x daily values
of one initiative, dates with their zone, values with two decimals, a short note; one value
per KPI and day, since a second one for the same day would repeat it):

- upload: reading the bytes (UTF-8, header, every row split and counted) and keeping the
  import (the text in the database); what the upload request does before a job takes over;
- check: every row read and validated by the ingestion service in chunks, with progress
  written after each (the job csv_import_check);
- store: every row stored in one transaction (the job csv_import_store), into an empty
  table for this initiative;
- the same file uploaded, checked and stored again: nothing stored twice, all unchanged.

The jobs' functions are called directly (the broker is in memory and no worker reads it),
so what is timed is their work, not a queue's latency.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database), else a throwaway cluster is
started. See bench/_db.py.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import _db

TOTAL = int(os.environ.get("BENCH_CSV_ROWS", "100000"))
KPIS = 100
CODE = "bench-csv"


def main() -> None:
    _db.setup()
    from metrics.models import CsvImport, Measurement
    from metrics.services import csv_import as csv_imports

    _db.describe_machine()
    initiative, user = _fixtures()
    Measurement.objects.filter(initiative=initiative).delete()
    CsvImport.objects.filter(initiative=initiative).delete()
    data = _file()
    print(f"file: {TOTAL:,} rows, {len(data) / 1e6:.1f} MB ({KPIS} KPIs x {TOTAL // KPIS:,} daily values)")

    def timed(label: str, work):
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
        print(f"{label:<28}{TOTAL / elapsed:>10,.0f} rows/s  ({elapsed:.2f} s)")
        return result

    for attempt in ("first upload", "same file again"):
        print(f"-- {attempt}")
        csv_import = timed(
            "upload (read, keep):",
            lambda: csv_imports.csv_import_create(initiative=initiative, by=user, file_name="bench.csv", data=data),
        )
        timed("check (job):", lambda i=csv_import: csv_imports.csv_import_check(import_id=i.pk))
        csv_import.refresh_from_db()
        assert (csv_import.status, csv_import.rows_valid) == ("ready", TOTAL), csv_import.status
        csv_imports.csv_import_request_store(csv_import=csv_import, by=user, valid_only=False)  # the claim
        timed("store (job, one txn):", lambda i=csv_import: csv_imports.csv_import_store(import_id=i.pk))
        csv_import.refresh_from_db()
        print(
            f"{'':<28}status {csv_import.status}: stored {csv_import.stored_count:,}, "
            f"unchanged {csv_import.unchanged_count:,}, rejected {csv_import.rejected_count:,}"
        )
    print(f"measurements of the initiative: {Measurement.objects.filter(initiative=initiative).count():,}")


def _file() -> bytes:
    import io

    from scoreboard.csv_writer import CsvWriter

    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=TOTAL // KPIS + 1)
    out = io.StringIO()
    writer = CsvWriter(out, lineterminator="\n")
    writer.writerow(["kpi", "date", "value", "note"])
    for i in range(TOTAL):
        day, k = divmod(i, KPIS)
        observed = (start + timedelta(days=day)).isoformat()
        writer.writerow([f"bench-csv-{k + 1:02d}", observed, f"{(i * 7919) % 10000 / 100:.2f}", f"bench row {i}"])
    return out.getvalue().encode()


def _fixtures():
    from initiatives.models import Initiative
    from tests.factories import UserFactory

    _, initiative_ids = _db.bench_company(CODE, kpis=KPIS, initiatives=1, unit="percent", aggregation="mean")
    # A superuser is an admin here: may record for any initiative. Found when it exists.
    user = UserFactory(username="bench-csv-admin", is_superuser=True, password=None)
    return Initiative.objects.get(pk=next(iter(initiative_ids.values()))), user


if __name__ == "__main__":
    main()
