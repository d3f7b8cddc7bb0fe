"""How fast the governance workspace's pages answer at each size (S, L, XL: bench/_sizes.py;
BENCH_SIZES to choose), how many queries each makes, how big each is.

For each size, on a working copy of its database (dropped afterwards), a large governance data
set is added in bulk:

- the demo's draft matrix (v2) is published a month ago, and two versions are added with
  BENCH_MATRIX_ROWS decisions each (default 2000): one published yesterday (the version in
  force) and the draft after it, which has about 10% of the keys changed, 5% added and 5%
  removed; 40% of the decisions carry a monitoring KPI (the demo's KPIs, with thresholds
  around their figures) so the live bounds have work to do, and each decision gets a
  history row, as the demo's do;
- BENCH_REQUESTS decision requests (default 20000) to the demo executives: about 60%
  answered (some late), 25% open and overdue, 15% open within their due time;
- 1000 risks, 1000 shadow-AI tools and 200 shared-zone decisions (half of them decided),
  tied to the demo's initiatives here and there.

Then a VACUUM ANALYZE and a CHECKPOINT, so no flush of the build runs under the timed
requests. Each page below is timed signed in as the demo CIO (an executive), the draft's
editable grid as the demo admin, in alternating rounds (forward, then backward, and so on;
each page warms up with 1 request and times 4 per round, 5 rounds, 20 timed requests each):

    /governance/, /governance/matrix/ (the version in force: its first process, the grid being
    paged by process at this size), /governance/matrix/<draft>/ (admin, editable),
    /governance/matrix/compare/?old=<in force>&new=<draft>,
    /governance/matrix/<in force>/matrix.csv, /governance/matrix/<in force>/print/,
    /governance/matrix/history/, /governance/decisions/, /governance/decisions/?state=overdue,
    /governance/risks/, /governance/shadow-ai/, /governance/shared-zone/, /governance/pipeline/

Printed for each: the median (p50) and p95 server time, the queries one request makes
(counted on one extra request, so counting slows no timed one; the session and user
look-ups are included), the response size and the status, which must be 200: any other
status is printed with the start of the body and the benchmark exits non-zero (an
exception in a view propagates, with its traceback). A summary table per size ends the
report, with the goals for the matrix in force and the draft's editable grid: p50 ≤ 150 ms
and HTML ≤ 500 KiB. The exports (CSV, print, compare) are whole by design; any page over
500 ms at p50 or over 30 queries is marked "slow".

Server time only, without a network: requests go through Django's in-process test client
(HTTPS, like production behind its TLS proxy), with the process configured like
production: DEBUG off, the manifest static files storage (collectstatic runs first, into a
temporary directory), Django's caches emptied after the build.

Needs PostgreSQL: BENCH_DATABASE_URL (a scratch database), else a throwaway cluster is
started. See bench/_db.py and bench/_sizes.py.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import _db
import _sizes
from dashboard import _check, _checkpoint, _get, _host, _use

MATRIX_ROWS = int(os.environ.get("BENCH_MATRIX_ROWS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
RISKS = 1000
SHADOW_AI_TOOLS = 1000
SHARED_ZONE_DECISIONS = 200
PROCESSES = 40  # the matrix's decisions spread over this many processes

ROUNDS = 5
WARM_UP = 1  # per page and round
RUNS_PER_ROUND = 4
SLOW_P50_MS = 500
SLOW_QUERIES = 30
SEED = 11


@dataclass
class Page:
    name: str
    url: str
    username: str
    client: object = None  # a signed-in django.test.Client
    times: list[float] = field(default_factory=list)


@dataclass
class Result:
    page: Page
    status: int
    p50_ms: float
    p95_ms: float
    queries: int
    kib: float

    @property
    def slow(self) -> bool:
        return self.p50_ms > SLOW_P50_MS or self.queries > SLOW_QUERIES


GOAL_MATRIX_P50_MS = 150
GOAL_MATRIX_KIB = 500
GOAL_PAGES = ("matrix in force", "draft grid (admin)")


def main() -> None:
    _db.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    _db.describe_machine()
    summaries = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-static-") as static_root,
        override_settings(STATIC_ROOT=static_root),
    ):
        # DEBUG off means the manifest storage: {% static %} needs collected files.
        call_command("collectstatic", interactive=False, verbosity=0)
        for size in _sizes.sizes():
            copy = _sizes.work_copy(size)
            try:
                _use(copy)
                print(f"\n== {size.label}")
                in_force, draft = _build()
                pages = _pages(in_force, draft)
                _time_in_rounds(pages)
                summaries[size.label] = [_report(page) for page in pages]
            finally:
                _sizes.drop(copy)
    for label, results in summaries.items():
        _summary(label, results)
    _goals(summaries)


# --- Building ---------------------------------------------------------------------------------------------


def _build() -> tuple[int, int]:
    """The large governance data set, added to the size's demo company; returns the numbers of
    the version in force and of the draft."""
    from django.db import connection, transaction

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        in_force, draft = _build_matrix(rng)
        _build_requests(rng)
        _build_risks(rng)
        _build_shadow_ai(rng)
        _build_shared_zone(rng)
    print(f"governance data added in {time.perf_counter() - started:.1f} s")
    _describe()

    _use(connection.settings_dict["NAME"])  # empties the caches filled before the build
    started = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    _checkpoint(connection)
    return in_force, draft


def _people() -> dict:
    from django.contrib.auth import get_user_model

    return {user.username: user for user in get_user_model().objects.all()}


def _initiative_ids() -> list[int]:
    from initiatives.models import Initiative

    return list(Initiative.objects.order_by("pk").values_list("pk", flat=True))


def _build_matrix(rng: random.Random) -> tuple[int, int]:
    from django.db.models import Avg, Max
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from governance.models import (
        AccountableExecutive,
        AuditTrail,
        AutonomyTier,
        BreachWhen,
        MatrixDecision,
        MatrixVersion,
        VersionStatus,
    )
    from metrics.models import MonthlySnapshot
    from tests.factories import MatrixVersionFactory

    people = _people()
    admin, coo = people["admin"], people["coo"]
    now = timezone.now()
    today = timezone.localdate(now)
    # Only one draft may exist: the demo's becomes a version published a month ago.
    MatrixVersion.objects.filter(status=VersionStatus.DRAFT).update(
        status=VersionStatus.PUBLISHED,
        effective_from=today - timedelta(days=30),
        published_at=now - timedelta(days=31),
        submitted_at=now - timedelta(days=31),
        published_by=admin,
        approved_by=coo,
    )
    first = (MatrixVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    in_force = MatrixVersionFactory(
        number=first,
        status=VersionStatus.PUBLISHED,
        effective_from=today - timedelta(days=1),
        reason=f"Benchmark: {MATRIX_ROWS} decisions.",
        created_by=admin,
        published_by=admin,
        approved_by=coo,
        published_at=now - timedelta(days=2),
        submitted_at=now - timedelta(days=2),
    )
    # The factory's default status: a draft.
    draft = MatrixVersionFactory(number=first + 1, reason="Benchmark: the next version.", created_by=admin)

    # KPIs with figures, each with the average of its figures to put thresholds around.
    figures = {
        row["kpi"]: row["average"]
        for row in MonthlySnapshot.objects.filter(value__isnull=False).values("kpi").annotate(average=Avg("value"))
    }
    kpi_ids = sorted(figures)
    initiatives = _initiative_ids()
    processes = [f"Bench process {n:02d}" for n in range(1, PROCESSES + 1)]

    def row(key: str, version) -> MatrixDecision:
        monitored = kpi_ids and rng.random() < 0.4
        kpi = rng.choice(kpi_ids) if monitored else None
        tier = rng.choice(AutonomyTier.values)
        return MatrixDecision(
            version=version,
            key=key,
            process=rng.choice(processes),
            initiative_id=rng.choice(initiatives) if initiatives and rng.random() < 0.6 else None,
            decision=f"Decide {key.replace('-', ' ')} for the case in hand",
            autonomy_tier=tier,
            confidence_threshold=Decimal(f"{rng.uniform(0.5, 0.99):.3f}") if tier != AutonomyTier.HUMAN_ONLY else None,
            escalation_owner=rng.choice(("Team lead", "Claims supervisor", "Head of operations", "Duty manager")),
            accountable_executive=rng.choice(AccountableExecutive.values),
            override_protocol="The supervisor reverses the decision and the case joins the manual queue.",
            audit_trail=rng.choice(AuditTrail.values),
            monitoring_kpi_id=kpi,
            breach_threshold=(Decimal(figures[kpi]) * Decimal(f"{rng.uniform(0.7, 1.3):.2f}")).quantize(
                Decimal("0.0001")
            )
            if monitored
            else None,
            breach_when=rng.choice(BreachWhen.values) if monitored else "",
        )

    keys = [f"bench-decision-{n:05d}" for n in range(MATRIX_ROWS)]
    published_rows = [row(key, in_force) for key in keys]
    shuffled = rng.sample(range(MATRIX_ROWS), MATRIX_ROWS)
    step = MATRIX_ROWS // 20  # 5%
    removed = set(shuffled[:step])
    changed = set(shuffled[step : step * 3])  # 10%
    draft_rows = []
    for n, published in enumerate(published_rows):
        if n in removed:
            continue
        if n in changed:
            draft_rows.append(row(published.key, draft))
        else:
            copied = MatrixDecision(
                **{
                    f.attname: getattr(published, f.attname)
                    for f in MatrixDecision._meta.concrete_fields
                    if f.attname not in ("id", "version_id", "updated_at")
                }
            )
            copied.version = draft
            draft_rows.append(copied)
    draft_rows += [row(f"bench-decision-{n:05d}", draft) for n in range(MATRIX_ROWS, MATRIX_ROWS + step)]
    for rows in (published_rows, draft_rows):
        bulk_create_with_history(
            rows, MatrixDecision, batch_size=1000, default_user=admin, default_change_reason="Benchmark data"
        )
    return in_force.number, draft.number


def _build_requests(rng: random.Random) -> None:
    from django.utils import timezone

    from governance.models import DecisionAnswer, DecisionRequest

    people = _people()
    executives = [people[name] for name in ("ceo", "cio", "coo")]
    askers = [people[name] for name in ("admin", "ops.claims", "ops.service", "cio")]
    initiatives = _initiative_ids()
    now = timezone.now()
    made = []
    for n in range(REQUESTS):
        kind = rng.random()
        if kind < 0.60:  # answered, within the day or late
            asked = now - timedelta(hours=rng.uniform(48, 2 * 365 * 24))
            answered = asked + timedelta(hours=rng.uniform(0.5, 24 if rng.random() < 0.8 else 96))
            answer = rng.choice(DecisionAnswer.values)
        elif kind < 0.85:  # open and overdue
            asked = now - timedelta(hours=rng.uniform(25, 60 * 24))
            answered, answer = None, ""
        else:  # open, due later
            asked = now - timedelta(hours=rng.uniform(0, 23))
            answered, answer = None, ""
        made.append(
            DecisionRequest(
                initiative_id=rng.choice(initiatives) if initiatives and rng.random() < 0.7 else None,
                question=f"Benchmark question {n}: may the team go ahead with the change described in the brief?",
                requested_by=rng.choice(askers),
                executive=rng.choice(executives),
                requested_at=asked,
                due_at=asked + timedelta(hours=24),
                answered_at=answered,
                answer=answer,
                note="Answered for the benchmark." if answered else "",
            )
        )
    DecisionRequest.objects.bulk_create(made, batch_size=2000)


def _build_risks(rng: random.Random) -> None:
    from governance.models import Risk, RiskCategory, RiskStatus

    people = _people()
    technology = [people[name] for name in ("cio", "admin")]
    operations = [people[name] for name in ("coo", "ops.claims", "ops.service")]
    initiatives = _initiative_ids()
    risks = Risk.objects.bulk_create(
        [
            Risk(
                title=f"Bench risk {n:04d}",
                category=rng.choice(RiskCategory.values),
                description="A risk added for the benchmark.",
                preventive_measures="Review the model's output weekly.",
                responsive_measures="Switch the decision to human only until the cause is known.",
                technology_owner=rng.choice(technology),
                operations_owner=rng.choice(operations),
                likelihood=rng.randint(1, 5),
                impact=rng.randint(1, 5),
                status=rng.choice(RiskStatus.values),
            )
            for n in range(RISKS)
        ],
        batch_size=1000,
    )
    Through = Risk.initiatives.through
    Through.objects.bulk_create(
        [
            Through(risk_id=risk.pk, initiative_id=initiative)
            for risk in risks
            for initiative in rng.sample(initiatives, min(len(initiatives), rng.randint(0, 3)))
        ],
        batch_size=2000,
    )


def _build_shadow_ai(rng: random.Random) -> None:
    from django.utils import timezone

    from governance.models import DataSensitivity, ShadowAIStatus, ShadowAITool

    initiatives = _initiative_ids()
    today = timezone.localdate()
    made = []
    for n in range(SHADOW_AI_TOOLS):
        status = rng.choice(ShadowAIStatus.values)
        made.append(
            ShadowAITool(
                tool=f"Bench tool {n // 10:03d}",
                team=f"Bench team {n % 10}",
                use="Summarising long documents.",
                why_it_helps="The team reads less and decides sooner.",
                data_sensitivity=rng.choice(DataSensitivity.values),
                status=status,
                discovered_on=today - timedelta(days=rng.randint(1, 900)),
                promoted_to_id=rng.choice(initiatives) if initiatives and status == ShadowAIStatus.ADOPTED else None,
            )
        )
    ShadowAITool.objects.bulk_create(made, batch_size=1000)


def _build_shared_zone(rng: random.Random) -> None:
    from django.utils import timezone

    from governance.models import SharedZoneDecision, SharedZoneTopic

    initiatives = _initiative_ids()
    today = timezone.localdate()
    made = []
    for n in range(SHARED_ZONE_DECISIONS):
        decided = n % 2 == 0
        made.append(
            SharedZoneDecision(
                topic=rng.choice(SharedZoneTopic.values),
                title=f"Bench shared-zone decision {n:03d}",
                initiative_id=rng.choice(initiatives) if initiatives and rng.random() < 0.5 else None,
                ceo_input="Fund it if the workflow change is signed." if decided or rng.random() < 0.5 else "",
                coo_input="Only after the team is trained." if decided or rng.random() < 0.5 else "",
                joint_decision="Go ahead in the spring quarter." if decided else "",
                decided_on=today - timedelta(days=rng.randint(1, 700)) if decided else None,
            )
        )
    SharedZoneDecision.objects.bulk_create(made)


def _describe() -> None:
    from governance.models import DecisionRequest, MatrixDecision, MatrixVersion, Risk, ShadowAITool, SharedZoneDecision
    from initiatives.models import Initiative

    counts = {
        "matrix versions": MatrixVersion.objects.count(),
        "matrix decisions": MatrixDecision.objects.count(),
        "matrix history rows": MatrixDecision.history.count(),
        "decision requests": DecisionRequest.objects.count(),
        "risks": Risk.objects.count(),
        "shadow-AI tools": ShadowAITool.objects.count(),
        "shared-zone decisions": SharedZoneDecision.objects.count(),
        "initiatives": Initiative.objects.count(),
    }
    print(", ".join(f"{n:,} {label}" for label, n in counts.items()))


# --- Timing ------------------------------------------------------------------------------------------------


def _pages(in_force: int, draft: int) -> list[Page]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    pages = [
        Page("home", "/governance/", "cio"),
        Page("matrix in force", "/governance/matrix/", "cio"),
        Page("draft grid (admin)", f"/governance/matrix/{draft}/", "admin"),
        Page("compare", f"/governance/matrix/compare/?old={in_force}&new={draft}", "cio"),
        Page("matrix CSV", f"/governance/matrix/{in_force}/matrix.csv", "cio"),
        Page("matrix print", f"/governance/matrix/{in_force}/print/", "cio"),
        Page("matrix history", "/governance/matrix/history/", "cio"),
        Page("decision log", "/governance/decisions/", "cio"),
        Page("decisions overdue", "/governance/decisions/?state=overdue", "cio"),
        Page("risks", "/governance/risks/", "cio"),
        Page("shadow AI", "/governance/shadow-ai/", "cio"),
        Page("shared zone", "/governance/shared-zone/", "cio"),
        Page("pipeline", "/governance/pipeline/", "cio"),
    ]
    clients = {}
    for username in {page.username for page in pages}:
        client = Client(enforce_csrf_checks=False, HTTP_HOST=_host())
        client.force_login(
            get_user_model().objects.get(username=username), backend="scoreboard.auth_backends.PasswordBackend"
        )
        clients[username] = client
    for page in pages:
        page.client = clients[page.username]
    print(f"\nversion in force: v{in_force}, draft: v{draft}")
    return pages


def _time_in_rounds(pages: list[Page]) -> None:
    print(f"timing {len(pages)} pages: {ROUNDS} rounds of {WARM_UP} warm-up + {RUNS_PER_ROUND} timed requests each")
    for round_number in range(ROUNDS):
        # Alternate the order, so no page always follows the same one.
        for page in pages if round_number % 2 == 0 else pages[::-1]:
            for _ in range(WARM_UP):
                _check(page.url, _get(page.client, page.url)[1])
            for _ in range(RUNS_PER_ROUND):
                elapsed, response, _body = _get(page.client, page.url)
                page.times.append(elapsed)
                _check(page.url, response)  # after the clock stopped
        print(f"round {round_number + 1} of {ROUNDS} done", flush=True)


def _report(page: Page) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _, response, body = _get(page.client, page.url)
    _check(page.url, response)
    ms = sorted(t * 1000 for t in page.times)
    result = Result(
        page=page,
        status=response.status_code,
        p50_ms=statistics.median(ms),
        p95_ms=statistics.quantiles(ms, n=20, method="inclusive")[18],
        queries=len(captured.captured_queries),
        kib=len(body) / 1024,
    )
    print(f"\n== {page.name}: GET {page.url} as {page.username}")
    print(f"status:              {result.status}")
    print(f"server time:         p50 {result.p50_ms:7.1f} ms   p95 {result.p95_ms:7.1f} ms   ({len(ms)} requests)")
    print(f"queries per request: {result.queries}")
    print(f"size:                {result.kib:.1f} KiB")
    if result.slow:
        print(f"slow: over {SLOW_P50_MS} ms at p50 or over {SLOW_QUERIES} queries")
    return result


def _summary(label: str, results: list[Result]) -> None:
    print(f"\n== summary at {label} ({MATRIX_ROWS} matrix decisions per version, {REQUESTS} decision requests)")
    width = max(len(r.page.name) for r in results)
    print(f"{'page':<{width}}  {'user':<5}  {'p50 ms':>8}  {'p95 ms':>8}  {'queries':>7}  {'KiB':>8}  status")
    for r in results:
        flag = "  slow" if r.slow else ""
        print(
            f"{r.page.name:<{width}}  {r.page.username:<5}  {r.p50_ms:8.1f}  {r.p95_ms:8.1f}  {r.queries:7d}  "
            f"{r.kib:8.1f}  {r.status}{flag}"
        )
    slow = [r.page.name for r in results if r.slow]
    print(
        f"slow (p50 > {SLOW_P50_MS} ms or > {SLOW_QUERIES} queries): {', '.join(slow) if slow else 'none'}",
    )


def _goals(summaries: dict[str, list[Result]]) -> None:
    for label, results in summaries.items():
        for r in results:
            if r.page.name not in GOAL_PAGES:
                continue
            ok = r.p50_ms <= GOAL_MATRIX_P50_MS and r.kib <= GOAL_MATRIX_KIB
            print(
                f"goal at {label}, {r.page.name}: p50 ≤ {GOAL_MATRIX_P50_MS} ms ({r.p50_ms:.0f}) and HTML ≤ "
                f"{GOAL_MATRIX_KIB} KiB ({r.kib:.0f}): {'met' if ok else 'NOT met'}"
            )
    if "XL" not in summaries:
        print("goals at XL: not run (BENCH_SIZES leaves XL out): not met")


if __name__ == "__main__":
    main()
