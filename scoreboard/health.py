"""Liveness and readiness probes for the orchestrator (docker-compose, Kubernetes)."""

import logging

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from kombu import Connection

logger = logging.getLogger(__name__)


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The detail (hosts, users) goes to the log, not to an unauthenticated probe.
        logger.exception("readiness: database unreachable")
        return "database unreachable"
    return None


def broker_problem() -> str | None:
    """None when the broker answers, or when tasks run in-process and none is needed."""
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL == settings.IN_PROCESS_BROKER:
        return None
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # any failure to connect means "not ready"
        logger.exception("readiness: broker unreachable")
        return "broker unreachable"
    return None
