"""How fast the drill-downs, the ops-lead workspace and the list pages answer at each size (S, L,
XL: bench/_sizes.py; BENCH_SIZES to choose), how many queries each makes and how big it is.

Pages, signed in as the demo admin (who may open every workspace), for the latest month and the
first initiative (the demo's first hand-written one; at XL it reports 8 KPIs daily):

- the drill-downs: a ratio KPI's (exception-rate: the rows of both its parts, 30 000 at XL),
  its 10th page, one initiative's, and a plain KPI's (cases-processed);
- the workspace: /my/ (every initiative, paged) and the initiative's (its recent entries);
- the list pages: initiatives, an initiative, its history, the KPI catalogue, a KPI, the
  decision log, the risk and shadow-AI registers, and the API's measurements and snapshots.

Timed in alternating rounds (each size in turn, the order reversed every round; each page warms
up with 1 request and times 4 per round, 4 rounds: 16 requests per page and size). Printed: the
p50 and p95 server time, the queries (counted on one extra request), the size; the goal is p50 ≤
150 ms at XL for every page, and every status must be 200 (any other ends the run, non-zero).

Server time only, in-process (Django's test client, HTTPS, DEBUG off, the manifest static
files storage). Reads only: the size databases are used as built (a request writes only its
session). Needs PostgreSQL: BENCH_DATABASE_URL, else a throwaway cluster. See bench/_db.py.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass, field

import _db
import _sizes
from dashboard import _check, _get, _host, _use

ROUNDS = 4
WARM_UP = 1
RUNS_PER_ROUND = 4
GOAL_P50_MS = 150
USERNAME = "admin"


@dataclass
class Page:
    size: str
    database: str
    name: str
    url: str
    client: object
    times: list[float] = field(default_factory=list)
    queries: int = 0
    kib: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95(self) -> float:
        return statistics.quantiles([t * 1000 for t in self.times], n=20, method="inclusive")[18]


def main() -> None:
    _db.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    _db.describe_machine()
    sizes = _sizes.sizes()
    databases = {size.label: _sizes.ensure(size) for size in sizes}
    with (
        tempfile.TemporaryDirectory(prefix="bench-static-") as static_root,
        override_settings(STATIC_ROOT=static_root),
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        pages = {label: _pages(label, database) for label, database in databases.items()}
        _time_in_rounds(pages)
        for size_pages in pages.values():
            for page in size_pages:
                _count(page)
    _sizes.use(None)
    _summary(pages)


def _pages(label: str, database: str) -> list[Page]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from initiatives.models import Initiative
    from metrics.models import MonthlySnapshot

    _use(database)
    month = (
        MonthlySnapshot.objects.filter(initiative__isnull=True).order_by("-month").values_list("month", flat=True)[0]
    )
    code = Initiative.objects.order_by("pk").values_list("code", flat=True)[0]
    client = Client(enforce_csrf_checks=False, HTTP_HOST=_host())
    client.force_login(
        get_user_model().objects.get(username=USERNAME), backend="scoreboard.auth_backends.PasswordBackend"
    )
    m = f"{month:%Y-%m}"
    urls = {
        "drill-down, ratio": f"/exco/{m}/kpi/exception-rate/",
        "drill-down, ratio, page 10": f"/exco/{m}/kpi/exception-rate/?page=10",
        "drill-down, ratio, initiative": f"/exco/{m}/kpi/exception-rate/?initiative={code}",
        "drill-down, one KPI": f"/exco/{m}/kpi/cases-processed/",
        "workspace": "/my/",
        "initiative workspace": f"/my/{code}/",
        "initiatives": "/initiatives/",
        "initiative": f"/initiatives/{code}/",
        "initiative history": f"/initiatives/{code}/history/",
        "KPI catalogue": "/kpis/",
        "KPI": "/kpis/cases-processed/",
        "decision log": "/governance/decisions/",
        "risks": "/governance/risks/",
        "shadow AI": "/governance/shadow-ai/",
        "API measurements": "/api/v1/measurements/",
        "API snapshots": "/api/v1/snapshots/",
    }
    print(f"{label}: {len(urls)} pages for {m} and {code}, as {USERNAME}, database {database}")
    return [Page(label, database, name, url, client) for name, url in urls.items()]


def _time_in_rounds(pages: dict[str, list[Page]]) -> None:
    labels = list(pages)
    for round_number in range(ROUNDS):
        for label in labels if round_number % 2 == 0 else labels[::-1]:
            _use(pages[label][0].database)
            for page in pages[label]:
                for _ in range(WARM_UP):
                    _check(page.url, _get(page.client, page.url)[1])
                for _ in range(RUNS_PER_ROUND):
                    elapsed, response, _body = _get(page.client, page.url)
                    page.times.append(elapsed)
                    _check(page.url, response)
        print(f"round {round_number + 1} of {ROUNDS} done", flush=True)


def _count(page: Page) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _use(page.database)
    with CaptureQueriesContext(connection) as captured:
        _, response, body = _get(page.client, page.url)
    _check(page.url, response)
    page.queries, page.kib = len(captured.captured_queries), len(body) / 1024


def _summary(pages: dict[str, list[Page]]) -> None:
    labels = list(pages)
    names = [page.name for page in next(iter(pages.values()))]
    width = max(len(n) for n in names)
    runs = ROUNDS * RUNS_PER_ROUND
    print(f"\n== p50 ms (p95) · queries · KiB, per size ({runs} requests each; a shared 2-core machine)")
    print(f"{'page':<{width}}  " + "  ".join(f"{label:>26}" for label in labels))
    by = {(p.size, p.name): p for size_pages in pages.values() for p in size_pages}
    for name in names:
        cells = []
        for label in labels:
            p = by[(label, name)]
            cells.append(f"{p.p50:7.1f} ({p.p95:6.1f}) {p.queries:3d}q {p.kib:6.1f}K")
        print(f"{name:<{width}}  " + "  ".join(f"{c:>26}" for c in cells))
    if "XL" not in pages:
        print(f"goal p50 ≤ {GOAL_P50_MS} ms at XL: not run (BENCH_SIZES leaves XL out): not met")
        return
    slow = [p for p in pages["XL"] if p.p50 > GOAL_P50_MS]
    print(
        f"goal p50 ≤ {GOAL_P50_MS} ms at XL for every page: "
        + ("met" if not slow else "NOT met (" + ", ".join(f"{p.name} {p.p50:.0f} ms" for p in slow) + ")")
    )


if __name__ == "__main__":
    main()
