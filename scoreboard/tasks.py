"""Scheduled jobs of the shared base: thin wrappers around scoreboard/services.py."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def forget_idempotency_keys() -> int:
    return services.idempotency_keys_forget()
