"""The scratch PostgreSQL database the benchmarks fill, and Django set up on it.

BENCH_DATABASE_URL names a scratch database (postgres://...) the benchmark may migrate,
fill and empty. Without it, a throwaway cluster is started with .ci/services.sh, the
calling script runs again in a subprocess pointed at it, and the cluster is stopped and
deleted afterwards. A DATABASE_URL that points at PostgreSQL is never used: it may hold
real data.

The benchmark process runs like production: DEBUG off (no query log), Celery not eager,
and a broker in memory, so enqueued roll-ups wait in the process and never run.

The objects a benchmark makes one at a time (its people, KPIs, sources) come from the test
suite's factories (tests/factories.py, with factory-boy, a dev dependency that `make bench`
installs); the large tables are written in bulk.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent

# Run the script given as $1 (with its arguments) against a throwaway PostgreSQL; the trap
# stops the services and deletes their directory however the script ends.
_THROWAWAY = """
source .ci/services.sh
trap 'stop_services; rm -rf "$SERVICES_DIR"' EXIT
start_services >/dev/null || exit 1
export BENCH_DATABASE_URL="$DATABASE_URL"
"$@"
"""


def scratch_database_url() -> str | None:
    """The scratch database to use, None to start a throwaway one; exits rather than touch
    a database that may hold real data."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url:
        if not url.startswith("postgres"):
            sys.exit("BENCH_DATABASE_URL must be a postgres:// URL of a scratch database.")
        return url
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "DATABASE_URL points at PostgreSQL and the benchmark empties and fills tables: refusing. "
            "Set BENCH_DATABASE_URL to a scratch database, or unset DATABASE_URL to let the benchmark "
            "start a throwaway cluster."
        )
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rerun_on_throwaway_postgres() -> NoReturn:
    print("no BENCH_DATABASE_URL: starting a throwaway PostgreSQL cluster (.ci/services.sh)", flush=True)
    # Free ports, so a CI run on the same machine is not disturbed.
    env = {**os.environ, "PG_PORT": str(_free_port()), "REDIS_PORT": str(_free_port())}
    env.pop("SERVICES_DIR", None)
    script = Path(sys.argv[0]).resolve()
    done = subprocess.run(  # noqa: S603
        ["bash", "-c", _THROWAWAY, "bench", sys.executable, str(script), *sys.argv[1:]],  # noqa: S607
        cwd=ROOT,
        env=env,
        check=False,
    )
    sys.exit(done.returncode)


def setup() -> str:
    """Point Django at the scratch database, set it up and migrate it. Returns its URL.
    When there is none yet, this re-runs the calling script on a throwaway one and exits."""
    url = scratch_database_url()
    if url is None:
        _rerun_on_throwaway_postgres()
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url


def describe_machine() -> None:
    """The PostgreSQL server's version and the machine's cores, for the top of the report."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    host = connection.settings_dict.get("HOST") or "local socket"
    print(f"PostgreSQL {version} ({host}:{connection.settings_dict.get('PORT') or 5432})")
    print(f"cores: {os.cpu_count()}")


def bench_company(prefix: str, *, kpis: int, initiatives: int, unit: str = "count", aggregation: str = "sum"):
    """KPIs and initiatives coded <prefix>-01, <prefix>-02, ..., each initiative reporting
    each KPI (a value for a KPI an initiative does not report is refused), owned by two bench
    executives. Made once: running again finds them. Returns (KPI ids, initiative ids) by code."""
    from initiatives.models import Initiative
    from metrics.models import KPI
    from tests.factories import KPIFactory, UserFactory

    # Found when they exist (the factory gets or creates by username); nobody signs in as them.
    first = UserFactory(username="bench-executive-1", password=None)
    second = UserFactory(username="bench-executive-2", password=None)
    kpi_codes = [f"{prefix}-{n:02d}" for n in range(1, kpis + 1)]
    made_before = set(KPI.objects.filter(code__in=kpi_codes).values_list("code", flat=True))
    for code in kpi_codes:
        if code not in made_before:
            # The factory's defaults: a COO-operations KPI, higher is better, per initiative.
            KPIFactory(
                code=code,
                name=f"Bench KPI {code}",
                unit=unit,
                aggregation=aggregation,
                accountable_executive=first,
                co_accountable_executive=second,
            )
    initiative_codes = [f"{prefix}-{n:02d}" for n in range(1, initiatives + 1)]
    made = [
        Initiative(
            code=code,
            name=f"Bench initiative {code}",
            business_unit="Bench",
            process="Benchmarking",
            sourcing="build",
            technology_owner=first,
            operations_owner=second,
            technology_owner_description="For a benchmark.",
            operations_owner_description="For a benchmark.",
        )
        for code in initiative_codes
    ]
    for initiative in made:
        initiative.measure_description_overlap()  # bulk_create skips save()
    Initiative.objects.bulk_create(made, ignore_conflicts=True)
    kpi_ids = dict(KPI.objects.filter(code__in=kpi_codes).order_by("code").values_list("code", "pk"))
    initiative_ids = dict(
        Initiative.objects.filter(code__in=initiative_codes).order_by("code").values_list("code", "pk")
    )
    Through = Initiative.kpis.through
    Through.objects.bulk_create(
        [Through(initiative_id=i, kpi_id=k) for i in initiative_ids.values() for k in kpi_ids.values()],
        ignore_conflicts=True,
    )
    return kpi_ids, initiative_ids
