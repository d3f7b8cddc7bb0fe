"""Metrics' events for chat (scoreboard/chat.py): a KPI turning red, a source failing, a month
ready to sign. Each is recorded in the transaction of the write that makes it happen (the
roll-up, the pull's failure), or found by ``chat_events_detect``, the periodic detector, for
what happens with time (a month ending). Event keys make detecting an event again a no-op.

A KPI turns red judged as the digest judges it (alerts.py): on the company-wide figure of the
latest month that has ended, the one the ExCo reviews. The month under way would read red on
the 5th for a sum against a whole month's target, whatever the month becomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from scoreboard import chat, formatting
from scoreboard.models import ChatEvent
from scoreboard.months import latest_complete_month
from scoreboard.templatetags.scoreboard import figure, thresholds_in_words

from ..models import FrozenMonth, MetricSource, MonthlySnapshot, RollUpDue, Status


def kpis_turned_red(
    *, kpi_ids: Iterable[int] | None, months: Iterable[date] | None, now: datetime | None = None
) -> int:
    """After a roll-up: tell chat of each company-wide figure now red in the latest complete
    month, if the roll-up covered it. Once per KPI and month (a figure that goes amber and red
    again the same month is not news twice). Returns how many events were found."""
    now = now or timezone.now()
    judged = latest_complete_month(timezone.localdate(now))
    if months is not None and judged not in set(months):
        return 0
    if FrozenMonth.objects.filter(month=judged).exists():
        return 0  # signed: its figures no longer change by themselves
    red = MonthlySnapshot.objects.filter(month=judged, initiative__isnull=True, status=Status.RED)
    if kpi_ids is not None:
        red = red.filter(kpi_id__in=list(kpi_ids))
    found = 0
    for snap in red.select_related("kpi"):
        kpi = snap.kpi
        chat.notify(
            event=ChatEvent.KPI_RED,
            key=f"kpi-red:{kpi.code}:{judged:%Y-%m}",
            text=(
                f"{kpi.name} is red for {formatting.month(judged)}: {figure(snap.value, kpi)} "
                f"({thresholds_in_words(snap.target, snap.red_threshold, kpi)})."
            ),
            path=reverse("kpi-drilldown", args=[judged, kpi.code]),
            now=now,
        )
        found += 1
    return found


def source_failed(*, source: MetricSource, error: str, will_retry: bool, now: datetime | None = None) -> None:
    """A pull failed for good (no retry to come): tell chat once per run of failures, that is,
    once since the source's last success, however many pulls fail after it."""
    if will_retry:
        return
    since = source.last_success_at.isoformat() if source.last_success_at else "never"
    chat.notify(
        event=ChatEvent.SOURCE_FAILED,
        key=f"source-failed:{source.pk}:{since}",
        text=f"The metric source {source.name} failed: {error}"[:600],
        # Not the admin's page: the people in the channel are executives too. The ExCo page names
        # each failed source under data freshness.
        path=reverse("exco-month", args=[latest_complete_month(timezone.localdate(now or timezone.now()))]),
        now=now,
    )


def months_ready_to_sign(*, now: datetime | None = None) -> int:
    """The latest complete month, once it has ended, has company-wide figures, owes no roll-up
    and is not signed yet: the CIO and the COO can sign it. Told once per month."""
    now = now or timezone.now()
    month = latest_complete_month(timezone.localdate(now))
    if FrozenMonth.objects.filter(month=month).exists():
        return 0
    if RollUpDue.objects.filter(month=month).exists():
        return 0
    if not MonthlySnapshot.objects.filter(month=month, initiative__isnull=True, value__isnull=False).exists():
        return 0
    chat.notify(
        event=ChatEvent.MONTH_READY,
        key=f"month-ready:{month:%Y-%m}",
        text=f"{formatting.month(month)} is complete and rolled up: it is ready for the CIO and the COO to sign.",
        path=reverse("exco-month", args=[month]),
        now=now,
    )
    return 1


def chat_events_detect(*, now: datetime | None = None) -> int:
    """The periodic detector: what becomes an event as time passes (a month ends) rather than by
    a write. Safe to run as often as wanted: each event is recorded once."""
    now = now or timezone.now()
    return kpis_turned_red(kpi_ids=None, months=None, now=now) + months_ready_to_sign(now=now)
