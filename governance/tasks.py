"""Celery tasks for governance: thin wrappers over governance/services/, each safe to run twice."""

from celery import shared_task

from .services import chat_events
from .services.decisions import decision_digests_send


@shared_task(acks_late=True)
def send_decision_digests() -> int:
    """Each executive with overdue requests hears about them, once a day (the day's digest row
    makes a second run a no-op)."""
    return decision_digests_send()


@shared_task(acks_late=True)
def detect_overdue_decisions() -> int:
    """Chat hears of each request that went past its due time, once (the event key)."""
    return chat_events.decisions_overdue()
