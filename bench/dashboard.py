"""How fast the monthly ExCo dashboard page answers, how many queries it makes, how big it is,
at each size (S, L, XL: bench/_sizes.py; BENCH_SIZES to choose), each on a working copy of the
size's database (dropped afterwards; a request writes its session, and the PDF keeps its pack).

Signed in as the demo CIO (an executive), it follows the redirect of / once to find the latest
month's dashboard, /exco/YYYY-MM/. The sizes' pages are then timed in alternating rounds (S, L,
XL, then XL, L, S, and so on; each round switches the database connection, warms up with 2
requests and times 6 of each kind), 60 requests of each kind per size in all: on a shared
machine a slow minute then slows every size alike, and the ratios stay meaningful.

Two kinds of request, as the month's cache (scoreboard/exco/cache.py, here the process's local
memory) makes them:
- computed: the cache emptied before the request (untimed), as after a write: the month is read
  and rendered;
- served: the same page again, as every reader gets it until the next write.

Printed per kind: the median (p50) and p95 server time, the queries one request makes (counted
on one extra request, so counting slows no timed one; the session, user and role look-ups are
included), the HTML size, and the status, which must be 200: any other status is printed with
the start of the body and the benchmark exits non-zero (an exception in a view propagates, with
its traceback). Then the ratio of each size's p50 to S's, against the goals: ≤ 12 queries, XL ≤
1.3 × S, p50 ≤ 100 ms at XL, HTML < 500 KiB. The month's PDF pack, /exco/YYYY-MM/pack.pdf, is timed once per
size when it answers 200 (seconds and bytes); a 404 is reported as not available.

Server time only, without a network: requests go through Django's in-process test client
(HTTPS, like production behind its TLS proxy, so no redirect to https), with the process
configured like production: DEBUG off, the manifest static files storage (collectstatic
runs first, into a temporary directory), Django's caches emptied whenever the database
changes.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database), else a throwaway cluster is started.
See bench/_db.py and bench/_sizes.py.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

import _db
import _sizes

ROUNDS = 10
WARM_UP = 2  # per round: the first request after switching databases opens a connection
RUNS_PER_ROUND = 6
USERNAME = "cio"  # the demo company's chief information officer, an executive
DASHBOARD_PATH = re.compile(r"^/exco/\d{4}-\d{2}/$")
GOAL_QUERIES = 12
GOAL_RATIO = 1.3
GOAL_P50_MS = 100
GOAL_HTML_KIB = 500


KINDS = ("computed", "served")


@dataclass
class Result:
    label: str
    kind: str
    url: str
    p50_ms: float
    p95_ms: float
    queries: int
    html_kib: float


@dataclass
class Company:
    label: str
    database: str
    client: object  # a signed-in django.test.Client
    url: str
    times: dict[str, list[float]]  # per kind


def main() -> None:
    _db.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    _db.describe_machine()
    sizes = _sizes.sizes()
    databases = {size.label: _sizes.work_copy(size) for size in sizes}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-static-") as static_root,
            override_settings(STATIC_ROOT=static_root),
        ):
            # DEBUG off means the manifest storage: {% static %} needs collected files.
            call_command("collectstatic", interactive=False, verbosity=0)
            companies = {size.label: _company(size.label, databases[size.label]) for size in sizes}
            _time_in_rounds(list(companies.values()))
            results = {label: _report(company) for label, company in companies.items()}
            pdf_ok = all([_pdf(company) for company in companies.values()])
    finally:  # also when a page fails or the run is interrupted
        for database in databases.values():
            _sizes.drop(database)

    for kind in KINDS:
        _summary(kind, {label: by_kind[kind] for label, by_kind in results.items()})
    if not pdf_ok:
        sys.exit(1)


def _summary(kind: str, results: dict[str, Result]) -> None:
    print(f"\n== summary, {kind} (p50 of {ROUNDS * RUNS_PER_ROUND} requests per size, alternating rounds)")
    print(f"{'size':<4} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'KiB':>6} {'p50 / S':>7}")
    small = results.get("S")
    for label, r in results.items():
        ratio = f"{r.p50_ms / small.p50_ms:7.2f}" if small else "      -"
        print(f"{label:<4} {r.p50_ms:7.1f} {r.p95_ms:7.1f} {r.queries:7d} {r.html_kib:6.1f} {ratio}")
    print(
        f"goal: ≤ {GOAL_QUERIES} queries, XL ≤ {GOAL_RATIO} × S, p50 ≤ {GOAL_P50_MS} ms at XL, "
        f"HTML < {GOAL_HTML_KIB} KiB"
    )
    large = results.get("XL")
    verdicts = {
        "queries": all(r.queries <= GOAL_QUERIES for r in results.values()),
        "HTML": all(r.html_kib < GOAL_HTML_KIB for r in results.values()),
    }
    if large and small:
        verdicts["XL/S"] = large.p50_ms / small.p50_ms <= GOAL_RATIO
    if large:
        verdicts["p50 at XL"] = large.p50_ms <= GOAL_P50_MS
    print(f"      {kind}: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in verdicts.items()))
    if not (large and small):
        print("      XL/S and p50 at XL: not run (BENCH_SIZES leaves S or XL out): not met")


def _use(database: str) -> None:
    """Point the process's connection at `database`; nothing cached may describe the other one."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches
    from django.db import connection

    if connection.settings_dict["NAME"] != database:
        connection.close()
        connection.settings_dict["NAME"] = database
    ContentType.objects.clear_cache()
    for cache in caches.all(initialized_only=True):
        cache.clear()


def _company(label: str, database: str) -> Company:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    _use(database)
    _checkpoint(connection)
    user = get_user_model().objects.get(username=USERNAME)
    client = Client(enforce_csrf_checks=False, HTTP_HOST=_host())
    client.force_login(user, backend="scoreboard.auth_backends.PasswordBackend")
    home = client.get("/", secure=True)
    url = urlsplit(home.get("Location", "")).path
    if home.status_code != 302 or not DASHBOARD_PATH.match(url):
        _fail(f"GET / answered {home.status_code}, not a 302 to /exco/YYYY-MM/", home)
    print(f"{label}: page {url} (GET / redirects there), signed in as {USERNAME}, database {database}")
    return Company(label=label, database=database, client=client, url=url, times={kind: [] for kind in KINDS})


def _time_in_rounds(companies: list[Company]) -> None:
    for round_number in range(ROUNDS):
        # Alternate which size goes first, so neither always follows the other.
        for company in companies if round_number % 2 == 0 else companies[::-1]:
            _use(company.database)
            for _ in range(WARM_UP):
                _check(company.url, _get(company.client, company.url)[1])
            for _ in range(RUNS_PER_ROUND):
                for kind in KINDS:
                    elapsed, response, _body = _timed(kind, company)
                    company.times[kind].append(elapsed)
                    _check(company.url, response)  # after the clock stopped


def _timed(kind: str, company: Company):
    """One request of the kind: computed after emptying the month's cache, or served from it."""
    from django.core.cache import cache

    if kind == "computed":
        cache.clear()
    return _get(company.client, company.url)


def _report(company: Company) -> dict[str, Result]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _use(company.database)
    client, url = company.client, company.url
    _check(url, _get(client, url)[1])  # the connection is open before counting
    print(f"\n== {company.label}: {url}")
    results = {}
    for kind in KINDS:
        with CaptureQueriesContext(connection) as captured:
            _, response, body = _timed(kind, company)
        _check(url, response)
        ms = sorted(t * 1000 for t in company.times[kind])
        result = results[kind] = Result(
            label=company.label,
            kind=kind,
            url=url,
            p50_ms=statistics.median(ms),
            p95_ms=statistics.quantiles(ms, n=20, method="inclusive")[18],
            queries=len(captured.captured_queries),
            html_kib=len(body) / 1024,
        )
        print(
            f"{kind:<9} status {response.status_code} · p50 {result.p50_ms:6.1f} ms · p95 {result.p95_ms:6.1f} ms "
            f"({len(ms)} requests) · {result.queries} queries · HTML {result.html_kib:.1f} KiB"
        )
    return results


def _pdf(company: Company) -> bool:
    """The month's PDF pack, timed once; False when it answers neither 200 nor 404."""
    _use(company.database)
    pdf_url = f"{company.url}pack.pdf"
    elapsed, response, body = _get(company.client, pdf_url)
    if response.status_code == 200:
        print(f"{company.label}: PDF pack {elapsed:.2f} s, {len(body):,} bytes ({response.get('Content-Type', '?')})")
    elif response.status_code == 404:
        print(f"{company.label}: PDF pack not available")
    else:
        print(f"{company.label}: GET {pdf_url} answered {response.status_code}")
        print(_start_of(body))
        return False
    return True


def _checkpoint(connection) -> None:
    """Write the build's dirty pages out now, so that the background writer does not flush
    L's hundred-odd megabytes while its requests are timed. Needs a superuser (or the
    pg_checkpoint role); without one the timing runs anyway, and says so."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"CHECKPOINT refused ({str(error).strip()}): the build's writes may still be flushing")


def _get(client, url: str):
    """One GET, timed until the whole body is read (a streamed body is produced while read)."""
    started = time.perf_counter()
    response = client.get(url, secure=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return time.perf_counter() - started, response, body


def _check(url: str, response) -> None:
    if response.status_code != 200:
        _fail(f"GET {url} answered {response.status_code}", response)


def _fail(message: str, response) -> NoReturn:
    print(message)
    if response.get("Location"):
        print(f"Location: {response['Location']}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    print(_start_of(body))
    sys.exit(1)


def _start_of(body: bytes) -> str:
    return body.decode("utf-8", "replace")[:500] or "(empty body)"


def _host() -> str:
    """A Host header the settings allow (127.0.0.1 with the default ALLOWED_HOSTS)."""
    from django.conf import settings

    return next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")), "testserver")


if __name__ == "__main__":
    main()
