"""The benchmark companies S, L and XL, each built once in its own database and kept.

    S   seed_demo --initiatives 20 (24 months): the demo company, weekly figures
    L   seed_demo --initiatives 500 --months 36: ~138 k measurements, weekly
    XL  L plus 22 more KPIs (40 in all) and daily points for 8 KPIs of every initiative over
        the 36 months, written by PostgreSQL COPY: over 4 million measurements

Each size lives in a sibling of the scratch database, named ``<scratch>_s``, ``_l`` and
``_xl`` (the scratch database's user needs CREATEDB). A size is rebuilt only when its database
is missing or was built from other code: the database's comment holds a fingerprint of the
migrations, the demo generator, this builder and the factories (and the month, since the demo
company ends with the current one), so one ``make bench`` builds each size at most once and
the next run reuses it. ``BENCH_REBUILD=1`` rebuilds anyway.

A benchmark that changes data (the roll-up's deletes, the governance data it adds) works on
a copy, ``work_copy(size)`` (``CREATE DATABASE ... TEMPLATE``), dropped afterwards, so the
kept database stays as built. ``BENCH_SIZES`` (default ``S,L,XL``) chooses the sizes the
benchmarks run at.

The XL builder reuses the demo generator (``build_demo_company``, its people, initiatives,
reviews and governance) and the test suite's factories for the few rows it adds one at a
time (its KPIs, targets and source); only the daily points, the large table, go in by COPY,
in chunks of initiatives, with a progress bar. They are added before the demo rolls its
snapshots up and signs its months off, so the snapshots are computed once, as for S and L.

Run ``python bench/_sizes.py`` to build (or find) every size and print what each holds.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import _db

ROOT = _db.ROOT


@dataclass(frozen=True)
class Size:
    label: str
    initiatives: int
    months: int
    daily: bool  # XL: 22 more KPIs and daily points by COPY

    @property
    def suffix(self) -> str:
        return self.label.lower()


SIZES = {
    "S": Size("S", initiatives=20, months=24, daily=False),
    "L": Size("L", initiatives=500, months=36, daily=False),
    "XL": Size("XL", initiatives=500, months=36, daily=True),
}

# XL: 18 demo KPIs + 22 more = 40; each initiative reports 8 daily (6 of the demo's + 2 more).
EXTRA_KPIS = 22
DAILY_DEMO_KPIS = (
    "cases-processed",
    "exceptions-raised",
    "cycle-time",
    "error-rate",
    "production-reliability",
    "ai-health-score",
)
EXTRA_PER_INITIATIVE = 2
DAILY_SOURCE = "Bench daily feed"
COPY_CHUNK = 25  # initiatives per COPY statement (~200 k rows)
SEED = 7


def sizes(default: str = "S,L,XL") -> list[Size]:
    """The sizes chosen by BENCH_SIZES (else ``default``), in order."""
    wanted = [s.strip().upper() for s in os.environ.get("BENCH_SIZES", default).split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SIZES]
    if unknown:
        sys.exit(f"BENCH_SIZES: unknown size {', '.join(unknown)} (S, L or XL)")
    return [SIZES[s] for s in wanted]


# --- Which database, built from which code -----------------------------------------------------------------


def _code_files() -> list[Path]:
    files = [p for app in ("scoreboard", "initiatives", "metrics", "governance") for p in (ROOT / app).rglob("*.py")]
    files = [p for p in files if "migrations" in p.parts or "demo" in p.parts]
    files += [ROOT / "bench" / "_sizes.py", ROOT / "tests" / "factories.py"]
    return sorted(files)


def fingerprint(size: Size) -> str:
    digest = hashlib.sha256(repr(size).encode())
    digest.update(date.today().strftime("%Y-%m").encode())  # noqa: DTZ011 (the demo ends with this month)
    for path in _code_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_name(size: Size) -> str:
    return f"{_scratch()}_{size.suffix}"


def _admin_cursor():
    """A cursor on the scratch database: the connection leaves any size database, which
    CREATE ... TEMPLATE needs free of connections. Callers use() theirs again after."""
    from django.db import connection

    use(None)
    return connection.cursor()


def _comment(name: str) -> str | None:
    with _admin_cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = %s", [name]
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def ensure(size: Size) -> str:
    """The database holding ``size``, built now if missing or built from other code."""
    name = database_name(size)
    wanted = f"bench {size.label} {fingerprint(size)}"
    found = _comment(name)
    if found == wanted and os.environ.get("BENCH_REBUILD") != "1":
        print(f"{size.label}: database {name} (built before from this code)", flush=True)
        return name
    reason = "missing" if found is None else "rebuild asked" if found == wanted else "built from other code"
    print(f"{size.label}: building database {name} ({reason})", flush=True)
    started = time.perf_counter()
    with _admin_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url(name), "BENCH_BUILD_SIZE": size.label}
    subprocess.run([sys.executable, str(Path(__file__).resolve())], cwd=ROOT, env=env, check=True)  # noqa: S603
    with _admin_cursor() as cursor:  # only once it is whole
        cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    print(f"{size.label}: built in {time.perf_counter() - started:.0f} s", flush=True)
    return name


def work_copy(size: Size) -> str:
    """A fresh copy of the size's database for a benchmark that changes data; drop() it after."""
    source = ensure(size)
    name = f"{source}_work"
    started = time.perf_counter()
    with _admin_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute("SHOW server_version_num")
        # FILE_COPY (PostgreSQL 15+) copies the files at once; WAL_LOG logs every block.
        strategy = " STRATEGY = FILE_COPY" if int(cursor.fetchone()[0]) >= 150000 else ""
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"{strategy}')
    print(f"{size.label}: working copy {name} made in {time.perf_counter() - started:.1f} s", flush=True)
    return name


def drop(name: str) -> None:
    use(None)
    with _admin_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def use(name: str | None) -> None:
    """Point the process's Django connection at database ``name`` (None: back to the scratch
    one); nothing cached may describe the other one."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches
    from django.db import connection

    name = name or _scratch()
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    for cache in caches.all(initialized_only=True):
        cache.clear()


def _scratch() -> str:
    """The scratch database's name, from BENCH_DATABASE_URL (what _db.setup() connected to)."""
    return urlsplit(os.environ["BENCH_DATABASE_URL"]).path.lstrip("/")


def url(name: str) -> str:
    """The URL of database ``name`` on the scratch database's server."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return parts._replace(path=f"/{name}").geturl()


# --- Building a size (runs in a subprocess, Django pointed at the size's database) -------------------------


def _build(size: Size) -> None:
    from django.core.management import call_command
    from django.db import connection

    from scoreboard import demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    summary = demo.build_demo_company(
        seed=SEED,
        initiatives=size.initiatives,
        months=size.months,
        progress=True,
        more_measurements=_daily_points if size.daily else None,
    )
    built = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")
    print(
        f"  {size.label}: {summary.counts['measurements']:,} measurements, {summary.counts['KPIs']} KPIs, "
        f"{summary.counts['monthly snapshots']:,} snapshots, {summary.initiatives} initiatives, "
        f"{summary.months} months; built in {built:.0f} s, VACUUM ANALYZE in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _daily_points(ctx, kpis: dict, sources: dict, built: list) -> None:
    """XL: 22 more per-initiative KPIs with a company-wide target each, and daily points for 8
    KPIs of every initiative (6 of the demo's, 2 of the new ones) over the whole window."""
    from decimal import Decimal

    from django.db import connection
    from tqdm import tqdm

    from metrics.models import Aggregation, Direction, Family, SourceKind, Unit
    from tests.factories import KPIFactory, MetricSourceFactory, TargetFactory

    rng = random.Random(SEED)
    kinds = [Aggregation.MEAN, Aggregation.SUM, Aggregation.MAX, Aggregation.MIN, Aggregation.LAST]
    families = [Family.COO_OPERATIONS, Family.BRIDGING_HEALTH, Family.SHARED_OUTCOME]
    extra = []
    for n in range(1, EXTRA_KPIS + 1):
        kpi = KPIFactory(
            code=f"bench-xl-{n:02d}",
            name=f"Bench XL measure {n:02d}",
            family=families[n % len(families)],
            unit=Unit.COUNT if n % 2 else Unit.PERCENT,
            direction=Direction.HIGHER_IS_BETTER,
            aggregation=kinds[n % len(kinds)],
            accountable_executive=ctx.people["coo"],
            co_accountable_executive=ctx.people["cio"],
            display_order=1000 + n,
        )
        TargetFactory(kpi=kpi, effective_from=ctx.window[0], target=Decimal("60"), red_threshold=Decimal("40"))
        kpis[kpi.code] = kpi
        extra.append(kpi.pk)
    # A pulled source of its own: its values keep their exact time, so none collides with the
    # demo's weekly ones. Disabled: nothing ever pulls it.
    source = MetricSourceFactory(
        name=DAILY_SOURCE, kind=SourceKind.HTTP_JSON, url="https://bench.invalid/daily", enabled=False
    )
    demo_ids = [kpis[code].pk for code in DAILY_DEMO_KPIS]
    first = ctx.window[0]
    days = [first + timedelta(days=d) for d in range((ctx.today - first).days + 1)]
    stamps = [
        f"{day.isoformat()} 02:00:00+00"
        for day in days
        if datetime(day.year, day.month, day.day, 2, tzinfo=UTC) <= ctx.now.astimezone(UTC)
    ]
    # Written when observed, as the demo's own values are (build_late_data): then nothing reads as
    # changed after a sign-off, and the demo's update of every row's times finds nothing to do.
    tail = f"\t\t\\N\tpull:{DAILY_SOURCE}\t\\N\t"
    initiatives = [initiative.pk for _, initiative in built]
    columns = (
        "kpi_id, initiative_id, source_id, observed_at, value, note, entered_by_id, entered_via, "
        "period_start, created_at, updated_at"
    )
    total = len(initiatives) * (len(demo_ids) + EXTRA_PER_INITIATIVE) * len(stamps)
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        tqdm(total=total, desc="XL daily points (COPY)", unit="row", unit_scale=True, mininterval=1) as bar,
    ):
        if not _skip_row_triggers(cursor):
            print("  (not a superuser: every row's foreign keys are checked, which takes longer)", flush=True)
        for start in range(0, len(initiatives), COPY_CHUNK):
            out = io.StringIO()
            rows = 0
            for i, initiative in enumerate(initiatives[start : start + COPY_CHUNK], start=start):
                chosen = demo_ids + [extra[(2 * i + k) % len(extra)] for k in range(EXTRA_PER_INITIATIVE)]
                for kpi in chosen:
                    level, swing, phase = rng.uniform(20, 90), rng.uniform(1, 10), rng.uniform(0, 6.3)
                    prefix = f"{kpi}\t{initiative}\t{source.pk}\t"
                    for d, stamp in enumerate(stamps):
                        value = level + swing * math.sin(phase + d / 29.5) + rng.random() * 3
                        out.write(f"{prefix}{stamp}\t{value:.2f}{tail}{stamp}\t{stamp}\n")
                    rows += len(stamps)
            out.seek(0)
            cursor.cursor.copy_expert(f"COPY metrics_measurement ({columns}) FROM STDIN", out)
            bar.update(rows)
        _row_triggers_back_on(cursor)
    print(f"  XL: {total:,} daily points written in {time.perf_counter() - started:.0f} s", flush=True)


def _skip_row_triggers(cursor) -> bool:
    """The daily points' foreign keys are ids just read from the database: checking each of
    4 million rows four times (at COMMIT, the constraints being deferred) took minutes. A
    superuser skips the row triggers for this transaction; anyone else pays for the checks."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def _row_triggers_back_on(cursor) -> None:
    cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def main() -> None:
    label = os.environ.get("BENCH_BUILD_SIZE")
    if label:  # the subprocess of ensure(): Django on the size's database, which it builds
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard.settings")
        os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
        os.environ["DEBUG"] = "false"
        os.environ.setdefault("SECRET_KEY", "bench-build-only")
        sys.path.insert(0, str(ROOT))
        os.chdir(ROOT)
        import django

        django.setup()
        _build(SIZES[label])
        return
    _db.setup()
    _db.describe_machine()
    for size in sizes():
        ensure(size)


if __name__ == "__main__":
    main()
