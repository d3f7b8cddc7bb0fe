"""Celery tasks for metrics: thin wrappers that load fresh state and call services."""

from datetime import date

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roll_up(months: list[str] | None = None, kpi_ids: list[int] | None = None) -> int:
    """Recompute monthly snapshots. Months travel as ISO dates (JSON has no date type).
    Safe to run twice: it replaces the snapshots in scope with the same figures."""
    parsed = None if months is None else [date.fromisoformat(m) for m in months]
    return services.snapshot_roll_up(months=parsed, kpi_ids=kpi_ids)
