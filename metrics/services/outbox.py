"""The outbox and the sweeper: the only module of metrics' services that sends Celery tasks.

A write records what it owes in its own transaction (a RollUpDue row, a CSV import's
status) and asks a worker for the work once that transaction commits; if the message is
lost, the sweeper finds the debt in the database and asks again. A source owes a pull when
its schedule fired with no finished pull since.

Tasks are sent by their registered names (metrics/tasks.py), so no service imports the
tasks module, which imports the services; metrics/apps.py loads it when the app is ready,
and a task found by name runs in-process when jobs are (eager), as one imported would.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from scoreboard import versions
from scoreboard.celery import app

from ..models import (
    CsvImport,
    CsvImportStatus,
    MetricSource,
    PullRun,
    PullStatus,
    PullTrigger,
    RollUpDue,
    RunStatus,
    SourceKind,
)
from ..schedules import source_crontab

logger = logging.getLogger(__name__)

# The tasks sent from here, by the names they are registered under.
_PULL_SOURCE = "metrics.tasks.pull_source"
_ROLL_UP = "metrics.tasks.roll_up"
_CSV_IMPORT_CHECK = "metrics.tasks.csv_import_check"
_CSV_IMPORT_STORE = "metrics.tasks.csv_import_store"


def _task(name: str):
    """The task registered under ``name``: sending it through its own apply_async keeps every
    option it was declared with, and runs it here when jobs are in-process (eager)."""
    return app.tasks[name]


def roll_ups_request(months: dict[date, set[int]], *, now: datetime) -> None:
    """Record (in the caller's transaction) the months to recompute, and ask a worker to do
    it once the transaction commits. If the broker is down the request is simply lost:
    the row stays owed and the sweeper enqueues it later."""
    if not months:
        return
    RollUpDue.objects.bulk_create(
        [RollUpDue(kpi_id=k, month=m, requested_at=now) for m, kpis in months.items() for k in kpis],
        update_conflicts=True,
        unique_fields=["kpi", "month"],
        update_fields=["requested_at"],
    )
    payload = [(m.isoformat(), sorted(kpis)) for m, kpis in sorted(months.items())]
    transaction.on_commit(lambda: _enqueue_roll_ups(payload))


def _enqueue_roll_ups(payload: list[tuple[str, list[int]]], *, patient: bool = False) -> None:
    """Send roll-up requests. A web request sends once and moves on (the outbox remembers);
    the sweeper, a background job, retries a few times over a broker that just came back."""
    options = {"retry": True, "retry_policy": _PATIENT} if patient else {"retry": False}
    for month, kpi_ids in payload:
        try:
            _task(_ROLL_UP).apply_async(args=[month, kpi_ids], expires=_ROLL_UP_MESSAGE_TTL, **options)
        except Exception:  # the outbox row is the promise; the sweeper keeps it
            logger.warning("could not enqueue the roll-up of %s; the sweeper will", month, exc_info=True)


_ROLL_UP_MESSAGE_TTL = 6 * 3600
_PATIENT = {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2}


def pull_enqueue(*, source_id: int, trigger: str) -> None:
    """Ask a worker to pull a source (or pull it here, when jobs are in-process). A web request
    sends once and moves on: with the broker down the request stays recorded on the source
    (``pull_requested_at``) and the sweeper sends it."""
    try:
        _task(_PULL_SOURCE).apply_async(args=[source_id], kwargs={"trigger": trigger}, retry=False)
    except Exception:  # the recorded request is the promise; the sweeper keeps it
        logger.warning("could not enqueue the pull of source %s; the sweeper will", source_id, exc_info=True)


def csv_import_check_enqueue(*, import_id: int) -> None:
    """Ask a worker to check a large upload's rows; if the message is lost, the sweeper resends it."""
    _task(_CSV_IMPORT_CHECK).delay(import_id)


def csv_import_store_enqueue(*, import_id: int) -> None:
    """Ask a worker to store a claimed upload's rows; if the message is lost, the sweeper resends it."""
    _task(_CSV_IMPORT_STORE).delay(import_id)


# --- The sweeper: recovery that never depends on a message having been delivered --------------


@dataclass
class SweepResult:
    abandoned: int = 0
    pulls_enqueued: list[int] = field(default_factory=list)
    roll_ups_enqueued: list[str] = field(default_factory=list)
    csv_imports_enqueued: list[int] = field(default_factory=list)


def sweep(*, now: datetime | None = None) -> SweepResult:
    """Find what a lost message or a killed worker left undone, and enqueue it again:
    pull runs that never finished are marked abandoned, sources whose schedule fired
    with no pull since are pulled, and roll-ups owed for longer than a grace period are
    re-requested. Everything enqueued is idempotent, so sweeping twice does no harm."""
    now = now or timezone.now()
    result = SweepResult()
    stale_before = now - timedelta(seconds=settings.METRIC_PULL_STALE_AFTER_SECONDS)
    lost = PullRun.objects.filter(status=PullStatus.RUNNING, started_at__lt=stale_before)
    lost_sources = set(lost.values_list("source_id", flat=True))
    result.abandoned = lost.update(status=PullStatus.ABANDONED, finished_at=now, error=_ABANDONED)
    # The source shows it too, on the ExCo page and in the digest, until a pull succeeds.
    with transaction.atomic():
        if MetricSource.objects.filter(pk__in=lost_sources).update(
            last_status=RunStatus.FAILED, last_run_at=now, last_error=_ABANDONED
        ):
            versions.bump()  # every month's page names a failed source

    running = set(PullRun.objects.filter(status=PullStatus.RUNNING).values_list("source_id", flat=True))
    # Only runs a worker finished count as "pulled": an abandoned run still owes its pull.
    finished = PullRun.objects.filter(status__in=[PullStatus.SUCCEEDED, PullStatus.FAILED])
    latest_start = dict(
        finished.values("source_id").annotate(last=Max("started_at")).order_by().values_list("source_id", "last")
    )
    grace = timedelta(seconds=settings.METRIC_ROLLUP_GRACE_SECONDS)
    pull_grace = timedelta(seconds=settings.METRIC_PULL_GRACE_SECONDS)
    for source in MetricSource.objects.filter(enabled=True, kind__in=PULLED_KINDS):
        if source.pk in running:
            continue
        # "Pull now" asked and not started after a grace period: its message was lost.
        if source.pull_requested_at is not None and source.pull_requested_at < now - pull_grace:
            _enqueue(
                lambda s=source: _task(_PULL_SOURCE).apply_async(
                    args=[s.pk], kwargs={"trigger": PullTrigger.MANUAL}, retry=True, retry_policy=_PATIENT
                )
            )
            result.pulls_enqueued.append(source.pk)
            continue
        last = latest_start.get(source.pk)
        try:
            schedule = source_crontab(source.schedule, nowfun=lambda: now)
        except ValueError:  # saved before validation caught it: one bad source must not stop the sweep
            logger.warning("source %s has an invalid schedule %r", source.pk, source.schedule)
            continue
        # Overdue since the schedule's first fire after the last finished pull; the message
        # beat sent then gets a grace period to be picked up before the sweeper sends another.
        overdue = last is None or -schedule.remaining_estimate(last) >= pull_grace
        if overdue:
            _enqueue(
                lambda s=source: _task(_PULL_SOURCE).apply_async(
                    args=[s.pk], kwargs={"trigger": PullTrigger.SWEEPER}, retry=True, retry_policy=_PATIENT
                )
            )
            result.pulls_enqueued.append(source.pk)

    owed: dict[date, list[int]] = defaultdict(list)
    for kpi_id, month in RollUpDue.objects.filter(requested_at__lt=now - grace).values_list("kpi_id", "month"):
        owed[month].append(kpi_id)
    if owed:
        payload = [(m.isoformat(), sorted(kpis)) for m, kpis in sorted(owed.items())]
        _enqueue_roll_ups(payload, patient=True)
        result.roll_ups_enqueued = [m for m, _ in payload]

    result.csv_imports_enqueued = _resume_csv_imports(older_than=stale_before)
    return result


def _resume_csv_imports(*, older_than: datetime) -> list[int]:
    """Large uploads still being checked or stored long after they began: their job's message
    was lost (a broker down at commit) or its worker killed. Sent again; both jobs do nothing
    once done, and storing locks the import, so a job that was merely slow loses nothing."""
    jobs = {CsvImportStatus.CHECKING: _CSV_IMPORT_CHECK, CsvImportStatus.STORING: _CSV_IMPORT_STORE}
    stuck = CsvImport.objects.filter(status__in=list(jobs), created_at__lt=older_than).values_list("pk", "status")
    for import_id, status in stuck:
        _enqueue(
            lambda job=jobs[status], i=import_id: _task(job).apply_async(args=[i], retry=True, retry_policy=_PATIENT)
        )
    return [import_id for import_id, _ in stuck]


PULLED_KINDS = (SourceKind.HTTP_JSON, SourceKind.PROMETHEUS, SourceKind.SQL)
_ABANDONED = "The worker stopped before finishing (lost or killed); nothing of this pull was stored."


def _enqueue(send) -> None:
    try:
        send()
    except Exception:  # broker down: the next sweep tries again
        logger.warning("could not enqueue a pull; the next sweep will", exc_info=True)
