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
picked per request, without a query: which sign-off slot the viewer may sign, whether they may
restate, and the decisions asked of them.

**Rendered once too.** Rendering the page costs more than reading it back (a page of tiles,
tables and charts), and unpickling the data it was rendered from costs more than rendering a
little, so the entry keeps no data: only the page's body rendered once, with a marker where each
viewer's part goes (``VIEWER_SLOTS``: the decisions asked of them, the signatures with the form
they may use, the restatement form), and every version of those parts rendered too (one per
executive with decisions waiting, one per pair of sign-off rights, one per restatement right),
their CSRF input left blank. A request picks its versions, puts its CSRF token in, and renders
nothing of the month. ``tests/exco/test_month_cache.py`` pins that a cached page makes no query
of its own, against the real Redis too.

**Conditional requests.** ``ETag`` is a hash of the key, the entry and the viewer's part (with
the CSRF secret the forms are signed with); a repeat GET with ``If-None-Match`` answers 304
without rendering. ``Last-Modified`` says when the entry's data last changed; 304 is only ever
decided on the ETag, which also covers the viewer's part (a person's roles, a new sign-in).
"""

from __future__ import annotations

import hashlib
import itertools
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
    """A month's page as computed at ``computed_at``, true until ``valid_until``: its body rendered
    once with a marker for each viewer's part, and every version of those parts rendered too."""

    computed_at: datetime
    valid_until: datetime
    body: str
    # Each viewer's part in every version a viewer can get (``_part_key``), the CSRF input left as
    # ``_CSRF_INPUT`` for the request to fill in.
    parts: dict[str, str]
    # What the validator reads of the shared data for a viewer (see ``etag``).
    sign_off_closed: str | None
    waiting: dict[int, list[int]]  # executive's pk -> the decisions asked of them, oldest first

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
    waiting: dict[int, list] = {}
    for decision in context["waiting"]:
        waiting.setdefault(decision.executive_id, []).append(decision)
    # Every version of each viewer's part, rendered now: a request then only picks its own and puts
    # its CSRF token in, which keeps the entry a few strings, quick to read back.
    shared = {**context, "csrf_token": _CSRF_PLACEHOLDER}
    parts = {}
    if _marker("asked_of_you") in body:
        for executive, theirs in waiting.items():
            parts[_part_key("asked_of_you", executive)] = _render("asked_of_you", {**shared, "asked_of_you": theirs})
    if _marker("signatures") in body:
        for cio, coo in itertools.product((False, True), repeat=2):
            can_sign = {"cio": cio, "coo": coo}
            parts[_part_key("signatures", cio, coo)] = _render("signatures", {**shared, "can_sign": can_sign})
    if _marker("restatements") in body:
        for can in (False, True):
            parts[_part_key("restatements", can)] = _render("restatements", {**shared, "can_restate": can})
    stats.rendered += 1
    return Entry(
        computed_at=now,
        valid_until=context["valid_until"],
        body=body,
        parts=parts,
        sign_off_closed=context["sign_off_closed"],
        waiting={executive: [d.pk for d in theirs] for executive, theirs in waiting.items()},
    )


# The CSRF input as a part renders it before a request fills it in: a raw tag, which no value on
# the page can look like (every value is escaped), so it is never confused with one.
_CSRF_PLACEHOLDER = "exco-viewer-csrf"
_CSRF_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_CSRF_PLACEHOLDER}">'


def _render(name: str, context: dict) -> str:
    text = render_to_string(VIEWER_SLOTS[name], context)
    if "csrfmiddlewaretoken" in text.replace(_CSRF_INPUT, ""):  # Django renders its CSRF input otherwise now
        raise RuntimeError(f"{VIEWER_SLOTS[name]}: the CSRF input is not {_CSRF_INPUT!r}")
    return text


def _part_key(name: str, *variant) -> str:
    return ":".join([name, *(str(v) for v in variant)])


@dataclass(frozen=True)
class Viewer:
    """What this viewer sees of the month beyond the shared page."""

    can_sign: dict[str, bool]
    can_restate: bool
    asked_of_you: list[int]


def for_viewer(page: Page, request) -> Viewer:
    """What only this viewer sees. No query beyond their roles."""
    user = request.user
    # Straight from the rules: asking every backend would cost two permission queries.
    return Viewer(
        can_sign={slot: rules.has_perm(f"scoreboard.sign_off_as_{slot}", user) for slot in services.SLOTS},
        can_restate=rules.has_perm("scoreboard.apply_restatement", user),
        asked_of_you=page.entry.waiting.get(user.pk, []),
    )


def body(page: Page, request, viewer: Viewer) -> str:
    """The page's body for this viewer: the one rendered with the entry, with this viewer's
    version of each part put in its place and their CSRF token in its forms."""
    entry = page.entry
    versions_of = {
        "asked_of_you": _part_key("asked_of_you", request.user.pk),
        "signatures": _part_key("signatures", viewer.can_sign["cio"], viewer.can_sign["coo"]),
        "restatements": _part_key("restatements", viewer.can_restate),
    }
    text = entry.body
    for name, key in versions_of.items():
        marker = _marker(name)
        if marker in text:
            text = text.replace(marker, entry.parts.get(key, ""))
    if _CSRF_INPUT in text:
        token = get_token(request)
        text = text.replace(_CSRF_INPUT, f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">')
    # Reviewed (bandit-baseline.json): our templates' output, every value escaped as it rendered.
    return mark_safe(text)  # noqa: S308


def etag(page: Page, request, viewer: Viewer) -> str:
    """The response's validator: the entry, and everything of the viewer's the page shows."""
    user = request.user
    seen = (
        user.pk,
        str(user),
        sorted(user.role_names),
        user.is_superuser,
        sorted(viewer.can_sign.items()),
        viewer.can_restate,
        page.entry.sign_off_closed,
        viewer.asked_of_you,
        # The forms carry a token made from this secret (made now if the browser has none yet, so
        # this response and the page it validates agree); a new sign-in makes a new one.
        _csrf_secret(request),
    )
    text = f"{page.key}|{page.entry.computed_at.isoformat()}|{seen!r}"
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
