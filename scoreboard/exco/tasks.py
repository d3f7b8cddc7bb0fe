"""The ExCo dashboard's jobs: thin wrappers around scoreboard/exco/preread.py (found by
scoreboard/celery.py's autodiscovery)."""

from celery import shared_task

from . import preread


@shared_task(acks_late=True)
def send_prereads() -> int:
    """Hourly: prepare the pre-read when it is due, and send each delivery owed."""
    owed = preread.prereads_due()
    for delivery_id in owed:
        send_preread.delay(delivery_id)
    return len(owed)


@shared_task(acks_late=True)
def send_preread(delivery_id: int) -> None:
    """One member's pre-read. A mail-server failure is tried again later; the hourly job also
    finds it, should this message be lost."""
    wait = preread.preread_deliver(delivery_id)
    # In-process (eager) jobs ignore a countdown and would use every try at once: there the hourly
    # job's next run is the retry.
    if wait is not None and not send_preread.app.conf.task_always_eager:
        send_preread.apply_async(args=[delivery_id], countdown=wait.total_seconds())
