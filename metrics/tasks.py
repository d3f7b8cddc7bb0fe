"""Celery tasks for metrics: thin wrappers that take ids, load fresh state and call services.

Every task is safe to run twice. Retries are for transient faults only (a source that
timed out or answered 5xx); a misconfigured source fails once and says why in its run.
The services send these tasks by name (services/outbox.py) and never import this module.
"""

import random
from datetime import date

from celery import shared_task
from django.conf import settings

from .services import alerts, chat_events, csv_import, outbox, pulls, rollup


def retry_delay(retries: int) -> float:
    """Exponential backoff with full jitter: base × 2^retries, capped, spread at random so
    many sources failing together do not retry in step."""
    ceiling = min(settings.METRIC_PULL_RETRY_BASE_SECONDS * 2**retries, settings.METRIC_PULL_RETRY_MAX_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def pull_source(self, source_id: int, trigger: str = "schedule") -> int | None:
    try:
        run = pulls.source_pull(
            source_id=source_id,
            trigger=trigger,
            attempt=self.request.retries + 1,
            last_attempt=self.request.retries >= self.max_retries,
        )
    except pulls.TransientPullError as exc:
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
    return run.pk if run else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roll_up(month: str, kpi_ids: list[int] | None = None) -> int:
    """Recompute what is owed for a month (months travel as ISO dates: JSON has no date type)."""
    return rollup.roll_up_owed(month=date.fromisoformat(month), kpi_ids=kpi_ids)


@shared_task(acks_late=True)
def sweep() -> dict:
    result = outbox.sweep()
    return {"abandoned": result.abandoned, "pulls": result.pulls_enqueued, "roll_ups": result.roll_ups_enqueued}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roll_up_current_month() -> int:
    return rollup.snapshot_roll_up_current_month()


@shared_task(acks_late=True)
def send_alert_digests() -> int:
    return alerts.alert_digests_send()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def csv_import_check(import_id: int) -> None:
    """Check a large uploaded file's rows, with progress (does nothing once checked)."""
    csv_import.csv_import_check(import_id=import_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def csv_import_store(import_id: int) -> None:
    """Store a large uploaded file's rows as chosen (does nothing once stored)."""
    csv_import.csv_import_store(import_id=import_id)


@shared_task(acks_late=True)
def detect_chat_events() -> int:
    """What becomes a chat event as time passes: a month ended red, a month ready to sign."""
    return chat_events.chat_events_detect()
