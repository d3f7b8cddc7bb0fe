"""How fast the REST bulk endpoint stores measurements, against raw PostgreSQL COPY.

Prints rows per second for 1 M measurements (--rows N to change) sent to
POST /api/v1/measurements/bulk/ in requests of 10 000 (the most one request takes), for
the same number of rows written by one COPY into the same table, the ratio of the two
(goal ≥ 0.5), the median (p50) time of one 10 000-row request, and the rate of one resend
of an already-stored request (stored 0, unchanged 10 000).

The requests go through Django's in-process test client (HTTPS, like production behind
its TLS proxy; a Host from ALLOWED_HOSTS) signed in with the token of a service user who
has the admin role (Authorization: Token <key>), naming a REST push source of their own.
Timed, from the first request until the last answer: encoding each request's body as
JSON, the middleware, the token check, parsing the body, the row reader, the permission
checks, the ingestion service (validation, staging, upsert, outbox) and its commit. Every
answer must be 201 with stored equal to the request's rows: any other is printed with its
body and the benchmark exits non-zero. The measurements themselves (dicts of KPI and
initiative codes, ISO 8601 times with their zone, values as decimal strings) are built
before the clock starts, as a client holds its data before it sends it.

COPY writes the same number of rows (another source, so no key is shared) from a file
written beforehand; the statement and its commit are timed. Fair by construction: the
same metrics_measurement table with all its indexes, emptied (TRUNCATE) before each
first-time phase. The process runs like production: DEBUG off (no query log). Roll-ups
never run: the broker is in memory and no worker reads it. The token is revoked at the end.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database: its measurements are deleted),
else a throwaway cluster is started. See bench/_db.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import NoReturn

import _db

TOTAL = int(os.environ.get("BENCH_API_ROWS", "1000000"))
BATCH = 10_000  # metrics.api.MAX_BATCH: the most one request may send
KPIS = 20
INITIATIVES = 50
SPAN = timedelta(days=3 * 365)  # observation times spread over the past three years
BULK = "/api/v1/measurements/bulk/"
GOAL_RATIO = 0.5
SERVICE_USER = "bench-api-service"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=TOTAL, help=f"measurements to store (default {TOTAL:,})")
    total = parser.parse_args().rows
    if total < 1:
        parser.error("--rows must be at least 1")

    _db.setup()
    # WhiteNoise looks for collected static files when the first request builds the
    # middleware; the API serves none.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    from django.db import connection, transaction
    from django.test import Client

    from metrics.models import MonthlySnapshot
    from scoreboard.services import token_issue, token_revoke

    _db.describe_machine()
    fixtures = _fixtures()
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    times = -(-total // (KPIS * (INITIATIVES + 1)))
    print(
        f"rows: {total:,} = {KPIS} KPIs x ({INITIATIVES} initiatives + company-wide) x {times:,} observation "
        f"times; requests of {BATCH:,} to {BULK}, as {SERVICE_USER} (admin) with a token"
    )

    # The request bodies' measurements, built before the clock starts.
    stream = _items(_rows(total, anchor), fixtures)
    batches = []
    while batch := list(islice(stream, BATCH)):
        batches.append(batch)

    snapshots_before = MonthlySnapshot.objects.filter(kpi__code__in=fixtures.kpi_codes).count()
    token, key = token_issue(user=fixtures.user, name="bench: REST bulk ingest")
    client = Client(HTTP_HOST=_host(), headers={"Authorization": f"Token {key}"})

    def send(batch: list[dict]) -> tuple[float, object]:
        """One request: the body encoded as JSON, posted, answered; timed."""
        started = time.perf_counter()
        body = json.dumps({"source": fixtures.api_source.name, "measurements": batch})
        response = client.post(BULK, body, content_type="application/json", secure=True)
        return time.perf_counter() - started, response

    try:
        # 1. Through the REST endpoint, into an empty table.
        _empty_table()
        request_times = []
        started = time.perf_counter()
        for batch in batches:
            elapsed, response = send(batch)
            request_times.append(elapsed)
            _check(response, batch, stored=len(batch))
        api_time = time.perf_counter() - started
        api_rate = total / api_time
        p50_ms = statistics.median(request_times) * 1000
        print(
            f"REST API, new rows:      {api_rate:>12,.0f} rows/s  ({api_time:.1f} s; {len(batches):,} requests, "
            f"p50 {p50_ms:.0f} ms per request of {len(batches[0]):,})"
        )

        # 2. The first request again: every row already stored, unchanged.
        resend_time, response = send(batches[0])
        _check(response, batches[0], stored=0)
        print(
            f"REST API, one resend:    {len(batches[0]) / resend_time:>12,.0f} rows/s  ({resend_time * 1000:.0f} ms; "
            f"stored 0, unchanged {len(batches[0]):,})"
        )
    finally:  # also when a request fails or the run is interrupted
        token_revoke(token=token)

    # 3. Raw COPY of as many rows into the emptied table, from a file written beforehand.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as data:
        _write_copy_text(data, _rows(total, anchor), fixtures)
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
    copy_rate = total / copy_time
    print(f"raw COPY (one stmt):     {copy_rate:>12,.0f} rows/s  ({copy_time:.1f} s; {copied:,} rows in the table)")

    ratio = api_rate / copy_rate
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"ratio REST API/COPY:     {ratio:>12.3f}       (goal ≥ {GOAL_RATIO}: {verdict})")
    snapshots_after = MonthlySnapshot.objects.filter(kpi__code__in=fixtures.kpi_codes).count()
    print(f"snapshots written by roll-ups during the run: {snapshots_after - snapshots_before} (expected 0)")


def _rows(total: int, anchor: datetime) -> Iterator[tuple[int, int, datetime, Decimal]]:
    """`total` measurements as (KPI number, scope number, observed_at, value), in time order
    (a pull brings every KPI of every initiative at one time), the same on every call:
    values are a function of the row's position, 2 decimals. Scope INITIATIVES is
    company-wide, the others are initiatives."""
    per_time = KPIS * (INITIATIVES + 1)
    times = -(-total // per_time)
    step = timedelta(seconds=max(60, int(SPAN.total_seconds()) // times))
    start = anchor - step * times
    for i in range(total):
        t, rest = divmod(i, per_time)
        k, s = divmod(rest, INITIATIVES + 1)
        value = Decimal((i * 2_654_435_761) % 10_000_000).scaleb(-2)  # 0.00 to 99 999.99
        yield k, s, start + step * t, value


def _items(rows: Iterator[tuple], fixtures: Fixtures) -> Iterator[dict]:
    """The rows as the API reads them: codes, ISO 8601 times with their zone, decimal strings."""
    scopes = [*fixtures.initiative_codes, None]
    for k, s, observed_at, value in rows:
        yield {
            "kpi": fixtures.kpi_codes[k],
            "initiative": scopes[s],
            "observed_at": observed_at.isoformat(),
            "value": str(value),
        }


def _write_copy_text(out, rows: Iterator[tuple], fixtures: Fixtures) -> None:
    """The rows as COPY text, with ids, into the COPY source, entered by the service user."""
    stamp = datetime.now(UTC).isoformat()
    kpi_ids = [fixtures.kpi_ids[code] for code in fixtures.kpi_codes]
    scopes = [*(fixtures.initiative_ids[code] for code in fixtures.initiative_codes), "\\N"]
    source_id, entered_by_id = fixtures.copy_source.pk, fixtures.user.pk
    for k, s, observed_at, value in rows:
        out.write(
            f"{kpi_ids[k]}\t{scopes[s]}\t{source_id}\t{observed_at.isoformat()}\t{value}\t\t{entered_by_id}\t"
            f"bench:copy\t{stamp}\t{stamp}\n"
        )


def _check(response, batch: list[dict], *, stored: int) -> None:
    """The answer must be 201 with every row received and `stored` of them stored."""
    expected = {"received": len(batch), "stored": stored, "unchanged": len(batch) - stored}
    if response.status_code != 201 or response.json() != expected:
        print(f"POST {BULK} answered {response.status_code}, expected 201 with {expected}")
        _fail(response)


def _fail(response) -> NoReturn:
    print(response.content.decode("utf-8", "replace")[:2000] or "(empty body)")
    sys.exit(1)


def _empty_table() -> None:
    """Empty the measurements table (a scratch database) and flush dirty pages, so each
    phase starts from the same place."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE metrics_measurement")
        # Not a superuser: no checkpoint, the phases still start from an empty table.
        with suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def _host() -> str:
    """A Host header the settings allow (127.0.0.1 with the default ALLOWED_HOSTS)."""
    from django.conf import settings

    return next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")), "testserver")


@dataclass
class Fixtures:
    user: object  # the admin service user the token belongs to
    kpi_codes: list[str]
    initiative_codes: list[str]
    kpi_ids: dict[str, int]
    initiative_ids: dict[str, int]
    api_source: object  # MetricSource, REST push
    copy_source: object  # MetricSource, for COPY's rows


def _fixtures() -> Fixtures:
    """The KPIs (count, per initiative), initiatives, the admin service user and the two
    sources (REST push, COPY) the bench writes to."""
    from django.contrib.auth.models import Group

    from metrics.models import SourceKind
    from scoreboard.models import Role
    from tests.factories import MetricSourceFactory, UserFactory

    # A service user signs in with its token only: no usable password.
    service = UserFactory(username=SERVICE_USER, password=None)
    service.groups.set([Group.objects.get_or_create(name=Role.ADMIN.value)[0]])
    kpi_ids, initiative_ids = _db.bench_company("bench-api", kpis=KPIS, initiatives=INITIATIVES)
    # Found by name when they exist.
    api_source = MetricSourceFactory(name="bench: REST API", kind=SourceKind.API_PUSH)
    copy_source = MetricSourceFactory(name="bench: raw COPY", kind=SourceKind.API_PUSH)
    return Fixtures(
        user=service,
        kpi_codes=list(kpi_ids),
        initiative_codes=list(initiative_ids),
        kpi_ids=kpi_ids,
        initiative_ids=initiative_ids,
        api_source=api_source,
        copy_source=copy_source,
    )


if __name__ == "__main__":
    main()
