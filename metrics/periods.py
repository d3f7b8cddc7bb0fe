"""The period a value a person enters stands for, by its KPI's period (KPI.period): a day, a
week or a month, taken in the company's time zone. Two values of one KPI and initiative in the
same period are one figure entered twice: the later corrects the earlier (services/ingest.py).

A week runs Monday to Sunday (ISO 8601), cut at a month's end: the days of a week that fall in
two months are two periods, so a correction never moves a value into another month, whose
figure may already be signed off.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils import timezone

from scoreboard import formatting

from .models import Period

# How a reason names the period: "same KPI, initiative and day".
WORDS = {Period.DAY: "day", Period.WEEK: "week", Period.MONTH: "month"}


def period_start(period: str, moment: datetime) -> date:
    """The first day of the period ``moment`` falls in, in the company's time zone."""
    return _start(period, moment, timezone.get_default_timezone())


@lru_cache(maxsize=65_536)  # a batch repeats its times (a day's rows, a pull's instant): each once
def _start(period: str, moment: datetime, zone) -> date:
    day = moment.astimezone(zone).date()
    if period == Period.DAY:
        return day
    first_of_month = day.replace(day=1)
    if period == Period.WEEK:
        return max(day - timedelta(days=day.weekday()), first_of_month)
    return first_of_month


def period_named(period: str, start: date) -> str:
    """A period as a person reads it: "5 Mar 2026", "the week of 2 Mar 2026", "March 2026"."""
    if period == Period.MONTH:
        return formatting.month(start)
    if period == Period.WEEK:
        return f"the week of {formatting.day(start)}"
    return formatting.day(start)
