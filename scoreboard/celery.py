"""The Celery app, and every fixed schedule in one place.

Tasks live in each app's tasks.py and call that app's services. Each metric source's own
pull schedule is a row in the database (django-celery-beat), kept in step by
metrics.services.pulls.source_schedule_sync; the entries below are installed beside them.
Every periodic task expires, so a beat that ran while workers were down never replays a
backlog.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard.settings")

app = Celery("scoreboard")
# Every CELERY_* setting in scoreboard/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The ExCo dashboard's jobs live in its own package, not an app of its own.
app.autodiscover_tasks(["scoreboard.exco"])

app.conf.beat_schedule = {
    # Recovery: re-enqueue pulls and roll-ups that a lost message or killed worker left owed.
    "metrics-sweep": {
        "task": "metrics.tasks.sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Nightly: the current month again, whatever is owed (targets may have changed).
    "metrics-roll-up-current-month": {
        "task": "metrics.tasks.roll_up_current_month",
        "schedule": crontab(minute=30, hour=2),
        "options": {"expires": 3 * 3600},
    },
    # Nightly: answers kept for Idempotency-Keys are forgotten after a week.
    "scoreboard-forget-idempotency-keys": {
        "task": "scoreboard.tasks.forget_idempotency_keys",
        "schedule": crontab(minute=45, hour=3),
        "options": {"expires": 6 * 3600},
    },
    # Mornings: each accountable executive hears what went off-target, stale or failed.
    "metrics-alert-digests": {
        "task": "metrics.tasks.send_alert_digests",
        "schedule": crontab(minute=0, hour=7),
        "options": {"expires": 6 * 3600},
    },
    # Hourly: the ExCo pre-read, when its day and hour have come (scoreboard/exco/preread.py).
    "scoreboard-send-prereads": {
        "task": "scoreboard.exco.tasks.send_prereads",
        "schedule": crontab(minute=10),
        "options": {"expires": 50 * 60},
    },
    # Chat: re-send notifications whose message was lost or whose retry is due (scoreboard/chat.py).
    "scoreboard-chat-sweep": {
        "task": "scoreboard.tasks.chat_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Chat: what time makes an event (a month ended red or ready to sign, a decision overdue).
    "metrics-detect-chat-events": {
        "task": "metrics.tasks.detect_chat_events",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    "governance-detect-overdue-decisions": {
        "task": "governance.tasks.detect_overdue_decisions",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    # Mornings: each executive is reminded of the decisions asked of them that are overdue.
    "governance-decision-digests": {
        "task": "governance.tasks.send_decision_digests",
        "schedule": crontab(minute=5, hour=7),
        "options": {"expires": 6 * 3600},
    },
}
