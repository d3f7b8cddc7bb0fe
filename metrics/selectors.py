"""Reads about metrics that pages, digests and the API share, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from initiatives.models import Initiative
from scoreboard import formatting, history
from scoreboard.months import first_of_month

from .models import KPI, Aggregation, Measurement, MetricSource, SourceKind, Target

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
        result.append(
            SourceFreshness(source=source, stale=source_is_stale(source, now), failed=source.last_status == "failed")
        )
    return result


def source_is_stale(source: MetricSource, now: datetime) -> bool:
    """No pull succeeded within the source's expected interval."""
    last = source.last_success_at
    return last is None or now - last > timedelta(hours=source.expected_interval_hours)


# --- The KPI catalogue (/kpis/) ------------------------------------------------------------------------


def _company_targets() -> Prefetch:
    # Newest first: the first that has started is the one in force.
    return Prefetch(
        "targets",
        queryset=Target.objects.filter(initiative__isnull=True).order_by("-effective_from"),
        to_attr="company_targets",
    )


def _in_force(kpi: KPI, month: date) -> Target | None:
    return next((t for t in kpi.company_targets if t.effective_from <= month), None)


def kpi_catalogue(*, today: date | None = None) -> list[KPI]:
    """Every KPI with its two accountable executives and its company-wide target in force this
    month (``kpi.target_now``, None without one). Three queries, however many KPIs."""
    month = first_of_month(today or timezone.localdate())
    kpis = list(
        KPI.objects.select_related("accountable_executive", "co_accountable_executive").prefetch_related(
            _company_targets()
        )
    )
    for kpi in kpis:
        kpi.target_now = _in_force(kpi, month)
    return kpis


def kpi_page(code: str, *, today: date | None = None) -> KPI | None:
    """One KPI for its page: its executives, its ratio parts, every target over time (company-wide
    and per initiative, newest first, as ``kpi.all_targets``), the company-wide one in force
    (``kpi.target_now``) and the initiatives that report it. None when no KPI has ``code``."""
    month = first_of_month(today or timezone.localdate())
    kpi = (
        KPI.objects.select_related(
            "accountable_executive", "co_accountable_executive", "ratio_numerator", "ratio_denominator"
        )
        .prefetch_related(
            _company_targets(),
            Prefetch(
                "targets",
                queryset=Target.objects.select_related("initiative").order_by("-effective_from", "initiative__code"),
                to_attr="all_targets",
            ),
            Prefetch("initiatives", queryset=Initiative.objects.order_by("name"), to_attr="reported_by"),
        )
        .filter(code=code)
        .first()
    )
    if kpi is not None:
        kpi.target_now = _in_force(kpi, month)
    return kpi


# --- A KPI's history ------------------------------------------------------------------------------


def kpi_history_sources(kpi: KPI) -> list[history.Source]:
    """What the KPI's page shows, as the history reads it: its definition and its targets, each
    target's figures in the KPI's unit."""

    def in_unit(value) -> str:
        return formatting.number(value, kpi)

    def target_subject(record) -> str:
        # The initiative is read with the record (a field the history shows).
        whose = record.initiative.name if record.initiative_id and record.initiative else "the company"
        return f"Target from {formatting.month(record.effective_from)} for {whose}"

    return [
        history.Source(KPI, {"id": kpi.pk}, subject=lambda r: "KPI", labels={"direction": "Better when"}),
        history.Source(
            Target,
            {"kpi_id": kpi.pk},
            subject=target_subject,
            labels={"initiative": "For", "effective_from": "From"},
            formats={"target": in_unit, "red_threshold": in_unit, "effective_from": formatting.month},
        ),
    ]


def kpi_history(kpi: KPI) -> history.Recent:
    """The latest changes to the KPI's definition and targets (a fixed number of queries)."""
    return history.recent(*kpi_history_sources(kpi))


def kpi_history_page(kpi: KPI, *, page: int | str | None):
    """Every change to the KPI's definition and targets, one page at a time."""
    return history.page(*kpi_history_sources(kpi), number=page)
