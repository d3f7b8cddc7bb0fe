"""Which environment variables a metric source may read: a credential header's value, a SQL
source's database URL. Only those whose names carry the operator's prefix
(settings.METRIC_SOURCE_ENV_PREFIX, SCOREBOARD_SOURCE_ by default) or that the operator lists
(METRIC_SOURCE_ENV_ALLOWED): a scoreboard admin configures sources, but never reads the
server's own secrets (SECRET_KEY, DATABASE_URL, ...) through one."""

from __future__ import annotations

from django.conf import settings


def env_allowed(name: str) -> bool:
    prefix = settings.METRIC_SOURCE_ENV_PREFIX
    return bool(name) and ((bool(prefix) and name.startswith(prefix)) or name in settings.METRIC_SOURCE_ENV_ALLOWED)


def env_refusal(name: str) -> str:
    """Why a source may not read ``name``, in words an admin can act on."""
    return (
        f"{name or '(none)'} is not a variable metric sources may read: name one that starts with "
        f"{settings.METRIC_SOURCE_ENV_PREFIX} (or that the operator lists in METRIC_SOURCE_ENV_ALLOWED)."
    )
