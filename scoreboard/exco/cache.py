"""A month's ExCo page, computed once: its data is kept in Django's cache (Redis in production,
local memory under ``make run``) and served until a write or the clock changes what it says.

**Keys.** ``exco-month:<build>:<YYYY-MM>:<stamp>``. The stamp (``scoreboard.versions.read``, one
query) changes whenever a write bumps the global version or the version of this month or of any
month before it; every write that changes what a month shows bumps them in its own transaction
(``scoreboard/versions.py`` says which). So a reader after a write's commit reads a new key, and
an entry is never looked for under a key that a later write made old: nothing is deleted, old
entries age out. The build is a hash of the code and templates, so a deploy never reads what the
code before it pickled. A signed, frozen month's key changes when it is restated (and when
something every month shows changes, as it is shown on the frozen month's page too), not when
later months fill in.

**The clock.** Some facts on the page change with time alone: a decision turns overdue at its
due time, a KPI or a source turns stale past its interval, and at midnight (the company's time
zone) the month under way has one more day. We chose an expiry over computing those parts per
request: they are woven through the page (warning signs, the freshness section, the bounds of
the matrix version in force), and reading them per request would cost the queries the cache
saves. Each entry holds ``valid_until``, the next such moment (``dashboard.valid_until``), and is
served only before it; the backend's own time-out is only for memory, never for correctness.

**What stays out.** The shared entry holds what every viewer sees. What differs by viewer is
added per request from it, without a query: which sign-off slot the viewer may sign, whether
they may restate, and the decisions asked of them.

**Rendered once too.** Rendering the whole page costs more than reading the entry (a page of
tiles, tables and charts), so the entry also keeps the page's body rendered once, with a marker
where each viewer's part goes (``VIEWER_SLOTS``: the decisions asked of them, the signatures
with the form they may use, the restatement form, each carrying the viewer's CSRF token). A
request renders only those small parts and puts them in place.

**What is kept.** The context ``exco_dashboard`` builds, pickled: plain data, dataclasses and
model instances read with everything the page shows (related rows selected, prefetched lists
evaluated), so a cached page renders with no query of its own; ``tests/exco/test_month_cache.py``
pins that, against the real Redis too.

**Conditional requests.** ``ETag`` is a hash of the key, the entry and the viewer's part (with
the CSRF secret the forms are signed with); a repeat GET with ``If-None-Match`` answers 304
without rendering. ``Last-Modified`` says when the entry's data last changed; 304 is only ever
decided on the ETag, which also covers the viewer's part (a person's roles, a new sign-in).
"""

from __future__ import annotations

import hashlib
import logging
import time as clock
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache as once
from pathlib import Path

import rules
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from .. import versions
from ..fields import NOTE
from . import dashboard, services

logger = logging.getLogger(__name__)

# At most a week in the backend: an entry no one reads again only takes memory.
LONGEST = 7 * 24 * 3600
# While one request computes a key, the others wait for it rather than compute it too (50
# executives opening the page after a sign-off); past this, each computes its own.
WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05


# Each viewer's part of the page, the template that renders it per request; in the body rendered
# once, _exco_body.html writes an HTML comment in its place (the marker), which no value on the
# page can look like: every value is escaped there.
VIEWER_SLOTS = {
    "asked_of_you": "scoreboard/_asked_of_you.html",
    "signatures": "scoreboard/_signatures.html",
    "restatements": "scoreboard/_restatements.html",
}


def _marker(name: str) -> str:
    return f"<!--exco:viewer:{name}-->"


@dataclass
class Entry:
    """A month's shared data as computed at ``computed_at``, true until ``valid_until``, and its
    page body rendered once, with a marker for each viewer's part."""

    context: dict
    computed_at: datetime
    valid_until: datetime
    body: str = ""

    def serves(self, now: datetime) -> bool:
        return self.computed_at <= now < self.valid_until


@dataclass
class Stats:
    """How many times this process computed a month's data, and served one from the cache: the
    tests read it to prove a request was served without computing."""

    computed: int = 0
    served: int = 0
    rendered: int = 0  # bodies rendered from an entry's data (once per entry)


stats = Stats()


@dataclass(frozen=True)
class Page:
    entry: Entry
    key: str
    stamp: versions.Stamp

    @property
    def last_modified(self) -> datetime:
        """When what the entry shows last changed: the latest write it reads, or the clock's last
        turn, which made this entry (an entry is computed after the moment it reflects)."""
        return max(filter(None, (self.stamp.changed_at, self.entry.computed_at)))


def month_page(month: date, *, now: datetime | None = None) -> Page:
    """The month's shared data, from the cache when an entry of the current versions still holds,
    otherwise computed (once, whoever else asks meanwhile) and kept."""
    now = now or timezone.now()
    stamp = versions.read(month)
    key = f"exco-month:{build()}:{month:%Y-%m}:{stamp.token}"
    entry = _get(key)
    if entry is not None and entry.serves(now):
        stats.served += 1
        return Page(entry, key, stamp)
    entry = _compute_once(key, month, now)
    return Page(entry, key, stamp)


def _compute_once(key: str, month: date, now: datetime) -> Entry:
    lock = f"{key}:computing"
    if not _add(lock, WAIT_SECONDS):
        waited = 0.0
        while waited < WAIT_SECONDS:
            clock.sleep(_POLL_SECONDS)
            waited += _POLL_SECONDS
            entry = _get(key)
            if entry is not None and entry.serves(timezone.now()):
                stats.served += 1
                return entry
    try:
        entry = compute(month, now=now)
        _set(key, entry, now)
    finally:
        _delete(lock)
    return entry


def compute(month: date, *, now: datetime) -> Entry:
    context = dashboard.exco_dashboard(month, now=now)
    stats.computed += 1
    # What the viewer's parts read but every viewer shares, so that they render from the entry alone.
    context["reason_max"] = NOTE
    context["sign_off_closed"] = None if context["in_progress_to"] is None else services.sign_off_opens(month)
    body = render_to_string("scoreboard/_exco_body.html", {**context, "viewer_slots": True})
    stats.rendered += 1
    return Entry(context=context, computed_at=now, valid_until=context["valid_until"], body=body)


def for_viewer(page: Page, request, month: date) -> dict:
    """The page's context for this viewer: the shared data and what only they see. No query."""
    context = dict(page.entry.context)
    user = request.user
    # Straight from the rules: asking every backend would cost two permission queries.
    context["can_sign"] = {slot: rules.has_perm(f"scoreboard.sign_off_as_{slot}", user) for slot in services.SLOTS}
    context["can_restate"] = rules.has_perm("scoreboard.apply_restatement", user)
    context["asked_of_you"] = [d for d in context["waiting"] if d.executive_id == user.pk]
    return context


def body(page: Page, request, context: dict) -> str:
    """The page's body for this viewer: the one rendered with the entry, each viewer's part
    rendered now (with their CSRF token) and put in its place."""
    text = page.entry.body
    for name, template in VIEWER_SLOTS.items():
        if _marker(name) in text:
            text = text.replace(_marker(name), render_to_string(template, context, request))
    # Reviewed (bandit-baseline.json): our templates' output, every value escaped as it rendered.
    return mark_safe(text)  # noqa: S308


def etag(page: Page, request, context: dict) -> str:
    """The response's validator: the entry, and everything of the viewer's the page shows."""
    user = request.user
    viewer = (
        user.pk,
        str(user),
        sorted(user.role_names),
        user.is_superuser,
        sorted(context["can_sign"].items()),
        context["can_restate"],
        context["sign_off_closed"],
        [d.pk for d in context["asked_of_you"]],
        # The forms carry a token made from this secret (made now if the browser has none yet, so
        # this response and the page it validates agree); a new sign-in makes a new one.
        _csrf_secret(request),
    )
    text = f"{page.key}|{page.entry.computed_at.isoformat()}|{viewer!r}"
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


def _csrf_secret(request) -> str:
    get_token(request)
    return request.META["CSRF_COOKIE"]


@once
def build() -> str:
    """A hash of the code and the templates: what an entry was pickled by, and what renders it."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in ("scoreboard", "metrics", "governance", "initiatives", "templates"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# The cache is an accelerator: when Redis is unreachable the page is computed, as before it.
def _get(key: str) -> Entry | None:
    try:
        return cache.get(key)
    except Exception:  # any backend failure: compute instead, and say so
        logger.warning("ExCo cache unavailable for reading %s", key, exc_info=True)
        return None


def _set(key: str, entry: Entry, now: datetime) -> None:
    seconds = int((entry.valid_until - now).total_seconds()) + 1  # served only while valid anyway
    try:
        cache.set(key, entry, min(max(seconds, 1), LONGEST))
    except Exception:
        logger.warning("ExCo cache unavailable for keeping %s", key, exc_info=True)


def _add(key: str, seconds: float) -> bool:
    try:
        return cache.add(key, 1, int(seconds) + 1)
    except Exception:
        logger.warning("ExCo cache unavailable for sharing %s", key, exc_info=True)
        return True  # no cache to share the work through: compute


def _delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("ExCo cache unavailable for releasing %s", key, exc_info=True)
