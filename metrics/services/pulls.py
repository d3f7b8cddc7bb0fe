"""Pulls: one source read and its rows stored, with the run's outcome; a source's
configuration saved with its beat schedule kept in step; the admin's "pull now".
"""

from __future__ import annotations

import json
import logging

from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from scoreboard import versions, writes

from ..models import MetricSource, PullRun, PullStatus, PullTrigger, RunStatus
from ..selectors import source_is_stale
from ..sources import SourceError, read_source
from . import chat_events, outbox
from .ingest import measurements_record

logger = logging.getLogger(__name__)


class TransientPullError(Exception):
    """A pull that may succeed if tried again later; the task retries it with backoff."""


def source_pull(
    *, source_id: int, trigger: str = PullTrigger.SCHEDULE, attempt: int = 1, last_attempt: bool = True
) -> PullRun | None:
    """Pull one source and record the run: rows read, stored, unchanged and rejected.

    The pull is atomic: its rows are stored in one transaction with the run's outcome, so
    a failure (or a killed worker) stores nothing of it and earlier data stands. A
    transient failure is recorded and re-raised as TransientPullError for a retry.
    """
    source = MetricSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None or not source.is_pulled:
        return None
    now = timezone.now()
    # Committed on its own, so a run cut short by a killed worker is still visible.
    run = PullRun.objects.create(source=source, trigger=trigger, attempt=attempt, started_at=now)
    # A pull asked for before this one started is this one: the request is met.
    MetricSource.objects.filter(pk=source.pk, pull_requested_at__lte=now).update(pull_requested_at=None)
    try:
        reading = read_source(source, now=now)
    except SourceError as exc:
        _pull_failed(run, source, str(exc), will_retry=exc.transient and not last_attempt)
        if exc.transient and not last_attempt:
            raise TransientPullError(str(exc)) from exc
        return run
    except Exception as exc:  # an answer of a shape no reader expected: fail the run, say why
        # Its type only: an exception's words may quote what the source answered (the log has them).
        logger.exception("pull of source %s failed unexpectedly", source.pk)
        _pull_failed(run, source, f"the answer could not be read ({type(exc).__name__})", will_retry=False)
        return run
    try:
        with transaction.atomic():
            result = measurements_record(
                by=None,
                rows=reading.rows,
                source=source,
                entered_via=f"pull:{source.name}"[:120],
                all_or_nothing=False,
                now=now,
                echo_values=False,
            )
            # The intake counts the rows it was given; the run names each as the source sent it.
            rejections = sorted(
                [*reading.rejections, *((reading.numbers[r.row - 1], r.field, r.reason) for r in result.rejected)]
            )
            run.status = PullStatus.SUCCEEDED
            run.finished_at = timezone.now()
            run.rows_read = reading.read
            run.rows_stored, run.rows_unchanged = result.stored, result.unchanged
            run.rows_rejected = len(rejections)
            run.rejections = [
                {"row": n, "field": name, "reason": reason} for n, name, reason in rejections[:_REJECTIONS_KEPT]
            ]
            run.save()
            MetricSource.objects.filter(pk=source.pk).update(
                last_status=RunStatus.OK, last_run_at=now, last_success_at=now, last_error=""
            )
            # The ExCo page names failed and quiet sources, and expires when a fresh one turns
            # quiet: a success moves that moment later (harmless), so only a source it named
            # changes what every month shows.
            if _troubled(source, now):
                versions.bump()
    except (IntegrityError, DataError) as exc:  # the data itself is wrong: trying again will not help
        _pull_failed(run, source, f"storing the values failed: {exc}".strip(), will_retry=False)
    except DatabaseError as exc:  # the database was unavailable: worth another try
        _pull_failed(run, source, f"storing the values failed: {exc}".strip(), will_retry=not last_attempt)
        if not last_attempt:
            raise TransientPullError(str(exc)) from exc
    return run


_REJECTIONS_KEPT = 100
_ERROR_KEPT = 1_000  # characters of a failure's reason: a source's own error text can be long


def _storable(text: str) -> str:
    """A failure's reason as the run and the source keep it: a source's own words (Prometheus'
    error) may hold what PostgreSQL refuses (NUL, half a surrogate pair) or control characters."""
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    text = "".join("?" if writes.text_problem(c) else c for c in text)
    return text if len(text) <= _ERROR_KEPT else text[: _ERROR_KEPT - 1] + "…"


def _pull_failed(run: PullRun, source: MetricSource, error: str, *, will_retry: bool) -> None:
    error = _storable(error)
    now = timezone.now()
    run.status, run.finished_at, run.error, run.will_retry = PullStatus.FAILED, now, error, will_retry
    with transaction.atomic():
        run.save(update_fields=["status", "finished_at", "error", "will_retry"])
        MetricSource.objects.filter(pk=source.pk).update(
            last_status=RunStatus.FAILED, last_run_at=now, last_error=error
        )
        versions.bump()  # every month's page names a failed source, with its error
        chat_events.source_failed(source=source, error=error, will_retry=will_retry, now=now)


def _troubled(source: MetricSource, now) -> bool:
    """Whether the ExCo page named the source before this pull (as read when the pull began)."""
    return source.last_status == RunStatus.FAILED or source_is_stale(source, now)


def source_schedule_sync(*, source: MetricSource) -> None:
    """Keep the source's beat schedule (a django-celery-beat row) in step with the source:
    its cron line, enabled or not. Periodic pulls expire so a backlog never replays."""
    minute, hour, day_of_month, month_of_year, day_of_week = source.schedule.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=timezone.get_current_timezone_name(),
    )
    fields = {
        "crontab": crontab,
        "interval": None,
        "task": "metrics.tasks.pull_source",
        "args": json.dumps([source.pk]),
        "kwargs": json.dumps({"trigger": PullTrigger.SCHEDULE}),
        "enabled": source.enabled and source.is_pulled,
        "expire_seconds": 3600,
        "description": f"Pull the metric source {source.name!r}",
    }
    name = f"pull metric source #{source.pk}"
    task, _ = PeriodicTask.objects.update_or_create(name=name, defaults=fields)
    if source.periodic_task_id != task.pk:
        MetricSource.objects.filter(pk=source.pk).update(periodic_task=task)
        source.periodic_task = task


def source_save(*, source: MetricSource, by=None) -> MetricSource:
    """Validate and save a source's configuration, and keep its schedule in step."""
    source.full_clean()
    with transaction.atomic():
        if by is not None:
            source._history_user = by
        source.save()
        source_schedule_sync(source=source)
    return source


def source_pull_now(*, source: MetricSource, by) -> None:
    """The admin's "pull now": recorded on the source, then queued at once (or run, when jobs are
    in-process); a broker that is down loses nothing: the sweeper sends the recorded request.
    Admins only: a pull reaches outside the company's network, on their say."""
    writes.refuse_unless(by, "metrics.change_metricsource", source, "Only admins pull a metric source now.")
    # Recorded first, in the caller's transaction: if the message is lost, the sweeper sends it.
    MetricSource.objects.filter(pk=source.pk).update(pull_requested_at=timezone.now())
    transaction.on_commit(lambda: outbox.pull_enqueue(source_id=source.pk, trigger=PullTrigger.MANUAL))
