"""Links that leave the site: an e-mail names the page it speaks of with an absolute address
built from ``settings.SITE_URL``, so a reader can open it from their mail client."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    """The absolute address of a path on this site: SITE_URL + /path."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def absolute_url(name: str, *args) -> str:
    """The absolute address of a named page: ``absolute_url("kpi-drilldown", month, code)``."""
    return absolute(reverse(name, args=args))
