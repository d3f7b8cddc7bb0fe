"""Reads about metrics that pages, digests and the API share, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import KPI, Aggregation, Measurement, MetricSource, SourceKind

PULLED = (SourceKind.HTTP_JSON, SourceKind.PROMETHEUS, SourceKind.SQL)


@dataclass(frozen=True)
class KpiFreshness:
    kpi: KPI
    last_observed_at: datetime | None
    stale: bool

    @property
    def expected_every(self) -> timedelta:
        return timedelta(days=self.kpi.expected_interval_days)


def kpi_freshness(*, now: datetime | None = None) -> list[KpiFreshness]:
    """Each KPI with its latest measurement, and whether it missed its expected interval.
    A ratio KPI is as fresh as the staler of its two parts. One query."""
    now = now or timezone.now()
    # The newest observation per KPI from the (kpi, observed_at) index: one probe per KPI,
    # not a scan of every measurement.
    newest = Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-observed_at").values("observed_at")[:1]
    kpis = list(
        KPI.objects.select_related("accountable_executive", "co_accountable_executive").annotate(last=Subquery(newest))
    )
    latest = {kpi.pk: kpi.last for kpi in kpis}
    result = []
    for kpi in kpis:
        last = latest.get(kpi.pk)
        if kpi.aggregation == Aggregation.RATIO:
            parts = [latest.get(kpi.ratio_numerator_id), latest.get(kpi.ratio_denominator_id)]
            last = None if None in parts else min(parts)
        stale = last is None or now - last > timedelta(days=kpi.expected_interval_days)
        result.append(KpiFreshness(kpi=kpi, last_observed_at=last, stale=stale))
    return result


@dataclass(frozen=True)
class SourceFreshness:
    source: MetricSource
    stale: bool
    failed: bool


def source_freshness(*, now: datetime | None = None) -> list[SourceFreshness]:
    """Pulled sources that are enabled: stale when no pull succeeded within their expected
    interval, failed when the latest pull failed (its error is on the source). One query."""
    now = now or timezone.now()
    result = []
    for source in MetricSource.objects.filter(enabled=True, kind__in=PULLED):
        last = source.last_success_at
        stale = last is None or now - last > timedelta(hours=source.expected_interval_hours)
        result.append(SourceFreshness(source=source, stale=stale, failed=source.last_status == "failed"))
    return result
