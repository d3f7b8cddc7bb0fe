"""Month arithmetic, in one place for every app. A month is its first day, a ``date``, never a
string; the month a moment counts in is taken in the site's time zone, as the database's
TruncMonth takes it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.utils import timezone

# The months the product speaks of: a month outside them in a URL or a parameter names nothing
# (404), so month arithmetic and time zones never reach the calendar's edges (year 1, 9999).
FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2099, 12, 1)
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}(-01)?", re.ASCII)


def month_named(text: str) -> date:
    """The month ``YYYY-MM`` (or its first day, ``YYYY-MM-01``) names, as its first day.
    ValueError when it names none, or one outside FIRST_MONTH to LAST_MONTH."""
    if not _MONTH.fullmatch(str(text)):  # int() alone would read "2_026" and other scripts' digits
        raise ValueError(f"{text!r} is not a month written as YYYY-MM")
    month = date(int(text[:4]), int(text[5:7]), 1)
    if not FIRST_MONTH <= month <= LAST_MONTH:
        raise ValueError(f"{text!r} is outside {FIRST_MONTH:%Y-%m} to {LAST_MONTH:%Y-%m}")
    return month


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after (``n`` < 0: before) the month of ``month``."""
    years, index = divmod(month.year * 12 + month.month - 1 + n, 12)
    return date(years, index + 1, 1)


def last_day(month: date) -> date:
    """The month's last day."""
    return next_month(month) - timedelta(days=1)


def months_back(month: date, count: int) -> list[date]:
    """The `count` months ending with `month`, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]


def months_between(first: date, last: date) -> int:
    """How many months from ``first`` to ``last``, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def month_in_progress(today: date | None = None) -> date:
    """The month under way, in the site's time zone: its figures are not complete yet."""
    return first_of_month(today or timezone.localdate())


def latest_complete_month(today: date | None = None) -> date:
    """The newest month that has ended: the one an ExCo reviews, and the newest one signed."""
    return previous_month(month_in_progress(today))


def has_ended(month: date, today: date | None = None) -> bool:
    return first_of_month(month) < month_in_progress(today)


def month_of(moment: datetime) -> date:
    """The month a measurement counts in, in the site's time zone."""
    return first_of_month(timezone.localtime(moment).date())


def start_of_month(month: date) -> datetime:
    """Midnight on the month's first day, in the site's time zone (as TruncMonth counts)."""
    return datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())
