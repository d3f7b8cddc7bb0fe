"""System checks for the pipeline's time bounds, so a misconfigured deployment fails fast."""

from django.conf import settings
from django.core import checks

# The database refuses a source time-out above this (constraint source_timeout_bounded).
MAX_SOURCE_TIMEOUT = 120


@checks.register(checks.Tags.compatibility)
def time_bounds_nest(app_configs, **kwargs):
    """A message must stay invisible longer than a task may run, and a task must outlast the
    slowest source: otherwise a slow pull is redelivered to a second worker while it runs."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    limit = settings.CELERY_TASK_TIME_LIMIT
    if not visibility > limit > MAX_SOURCE_TIMEOUT:
        return [
            checks.Error(
                f"Time bounds must nest: visibility_timeout ({visibility} s) > CELERY_TASK_TIME_LIMIT ({limit} s) "
                f"> the longest source time-out ({MAX_SOURCE_TIMEOUT} s).",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or CELERY_TASK_TIME_LIMIT.",
                id="metrics.E001",
            )
        ]
    return []
