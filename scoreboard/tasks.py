"""Scheduled jobs of the shared base: thin wrappers around scoreboard/services.py and chat.py."""

from celery import shared_task

from . import chat, services


@shared_task(acks_late=True)
def forget_idempotency_keys() -> int:
    return services.idempotency_keys_forget()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def chat_deliver(self, notification_id: int) -> str:
    """Post one chat notification; a failure that may pass is tried again after its backoff (the
    row says when, and how many attempts are left, so the retries end with the row's own count)."""
    delivery = chat.deliver(notification_id=notification_id)
    if delivery.outcome == chat.Outcome.RETRY and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task(acks_late=True)
def chat_sweep() -> int:
    return len(chat.chat_sweep())
