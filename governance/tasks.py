"""Celery tasks for governance: thin wrappers over governance/services/, each safe to run twice."""

from celery import shared_task

from .services.decisions import decision_digests_send


@shared_task(acks_late=True)
def send_decision_digests() -> int:
    """Each executive with overdue requests hears about them, once a day (the day's digest row
    makes a second run a no-op)."""
    return decision_digests_send()
