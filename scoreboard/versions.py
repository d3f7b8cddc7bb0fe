"""The versions of what the ExCo page shows (the shared base: any app's services may call it).

The ExCo dashboard keeps each month's data in the cache under a key made of these versions
(``scoreboard/exco/cache.py``). Every write that changes what a month's page shows calls
``bump``: ``writes.save`` and ``writes.delete`` do it for the services that use them, and the
bulk paths (the roll-up, the measurement intake, the pulls, the sign-offs) call it themselves.

Two kinds of scope:

- a **month** ("2026-03"): its figures, its notes, its review, signatures and restatements,
  the measurements observed in it. A month's page reads every month up to its own (its charts
  span twelve months, its change compares with the month before, a matrix bound reads the
  latest figure up to the month), so a write to a later month leaves it alone: a signed,
  frozen month stays cached while the months after it fill in.
- **global** (``month=None``): what every month's page shows as it is now: KPI definitions,
  targets, initiatives and their gates, the matrix, decisions waiting, sources, people.

The counter is a row updated with ``version + 1`` inside the writer's transaction, never on
commit: the new version commits with the data it describes, so a reader who can see the write
can only read the new version, and a reader who read the old one either computes from data at
least that new or serves an entry whose key is already dead. (On commit there would be a moment
after the commit when the old key still served the old figures.) The row stays locked until the
writer commits, which queues concurrent writers on it; writes here are people's edits and batches,
not a stream, and each bumps once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from .models import DataVersion

GLOBAL = DataVersion.GLOBAL
_FIRST = "2000-01"  # the months' scopes sort after "*" and from here (scoreboard.months)

# One statement on PostgreSQL and SQLite alike: the first bump of a scope makes its row, and
# two first bumps at once cannot both insert (the second waits, then updates).
_BUMP = """
INSERT INTO scoreboard_dataversion (scope, version, changed_at) VALUES (%s, 1, %s)
ON CONFLICT (scope) DO UPDATE SET version = scoreboard_dataversion.version + 1, changed_at = excluded.changed_at
"""


def scope_of(month: date | None) -> str:
    return GLOBAL if month is None else f"{month:%Y-%m}"


def bump(*months: date | None) -> None:
    """Say that what a month's page shows changed: each of ``months`` (None among them: every
    month), or every month when called with none. Call it inside the write's transaction."""
    scopes = sorted({scope_of(m) for m in months or (None,)})
    now = timezone.now()
    # Sorted ("*" first), so two writers bumping the same scopes lock their rows in one order.
    # Outside a transaction (the write has committed already) the bumps commit together.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for scope in scopes:
            cursor.execute(_BUMP, [scope, now])


@dataclass(frozen=True)
class Stamp:
    """The versions a month's page depends on: ``token`` changes whenever any of them does."""

    token: str
    changed_at: datetime | None  # the latest change among them (None: nothing written yet)


def read(month: date) -> Stamp:
    """The stamp of ``month``'s page: the global version and every month's up to this one. One
    query. The sum grows with every bump, so it never repeats; the latest change time tells
    apart a database restored to an earlier sum."""
    row = DataVersion.objects.filter(Q(scope=GLOBAL) | Q(scope__gte=_FIRST, scope__lte=scope_of(month))).aggregate(
        total=Sum("version"), changed=Max("changed_at")
    )
    changed = row["changed"]
    return Stamp(token=f"{row['total'] or 0}.{changed.timestamp() if changed else 0}", changed_at=changed)
