"""Dates written relative to the build's clock, so that the same data makes a believable
company whatever day it is built on. The builder turns each into a calendar date."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MonthsAgo:
    """Day ``day`` of the month ``months`` months before the current one."""

    months: int
    day: int = 1


@dataclass(frozen=True)
class MonthsAhead:
    """The first day of the month ``months`` months after the current one."""

    months: int


@dataclass(frozen=True)
class DaysAgo:
    days: int


RelativeDate = MonthsAgo | MonthsAhead | DaysAgo
