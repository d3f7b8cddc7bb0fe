"""What every builder shares: the seeded random generator, the fixed clock and the months
of the window, the demo people once created, and the small helpers for dates, money and
bulk inserts."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from scoreboard.models import User
from scoreboard.months import add_months

from ..data.when import DaysAgo, MonthsAgo, MonthsAhead, RelativeDate

CHANGE_REASON = "Demo company generator"


@dataclass
class Context:
    rng: random.Random
    now: datetime
    tz: tzinfo
    window: list[date]
    people: dict[str, User] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def this_month(self) -> date:
        return self.window[-1]

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def months_ago(self, n: int, day: int = 1) -> date:
        return add_months(self.this_month, -n).replace(day=day)

    def days_ago(self, n: int) -> date:
        return self.today - timedelta(days=n)

    def resolve(self, when: RelativeDate | None) -> date | None:
        """The calendar date of a date the data gives relative to the clock."""
        match when:
            case None:
                return None
            case MonthsAgo(months, day):
                return self.months_ago(months, day)
            case MonthsAhead(months):
                return add_months(self.this_month, months)
            case DaysAgo(days):
                return self.days_ago(days)
        raise TypeError(f"Not a relative date: {when!r}")

    def pk(self, username: str | None) -> int | None:
        return self.people[username].pk if username else None


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def payback_months(investment: int, benefit: int) -> int | None:
    return math.ceil(investment / (benefit / 12)) if benefit else None


def link_in_history(model, field: str, pairs: list[tuple[int, int]]) -> None:
    """Set a many-to-many field of objects made by ``bulk`` (``pairs``: their pk and the related
    pk) and record it in each of their history rows, as a save through a service would: so that a
    later edit's history never shows the set appearing from nothing ("— → …")."""
    through = getattr(model, field).through
    own, other = (f.attname for f in through._meta.fields if f.is_relation)  # e.g. initiative_id, user_id
    links = through.objects.bulk_create([through(**{own: a, other: b}) for a, b in pairs], batch_size=1000)
    historical = model.history.model
    rows: dict[int, list[int]] = {}
    for pk, history_id in historical.objects.filter(id__in={a for a, _ in pairs}).values_list("id", "history_id"):
        rows.setdefault(pk, []).append(history_id)
    recorded = historical._meta.get_field(f"historical{model._meta.model_name}_{field}").related_model
    recorded.objects.bulk_create(
        [
            recorded(id=link.pk, history_id=h, **{own: getattr(link, own), other: getattr(link, other)})
            for link in links
            for h in rows.get(getattr(link, own), [])
        ],
        batch_size=1000,
    )


def bulk(objects: list, model) -> list:
    """Insert with one history row each, as if created through the admin, dated "now"."""
    if not objects:
        return []
    return bulk_create_with_history(
        objects, model, batch_size=1000, default_change_reason=CHANGE_REASON, default_date=timezone.now()
    )
