"""What the ops-lead workspace reads: for each initiative, which KPIs are due this month,
missing or stale, and the recent entries with the values they replaced. Each read is a fixed
number of queries, whatever the number of initiatives, KPIs or measurements.

A person is chased only for what people enter. A KPI a machine feeds for an initiative (a pulled
source mapped to it, or a pulled or pushed source that brought its latest value) is shown with
that source's freshness and last run instead: nobody owes it, though a failing source is worth
telling an admin about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from initiatives.models import Initiative
from scoreboard.months import month_of, next_month, start_of_month

from .models import KPI, Aggregation, Measurement, MetricSource, SourceKind, SourceMapping
from .selectors import PULLED, source_is_stale

# The sources whose values no person enters: pulled by a schedule, or pushed by a system.
MACHINE_KINDS = (*PULLED, SourceKind.API_PUSH)


class Due:
    """Where a KPI stands for one initiative, worst first."""

    MISSING = "missing"  # never logged for this initiative
    STALE = "stale"  # its expected interval has passed since the latest value
    DUE = "due"  # the next value falls due before this month ends
    OK = "ok"  # nothing owed this month
    FED = "fed"  # a source pulls or pushes it: nobody logs it
    COMPUTED = "computed"  # a ratio of two other KPIs: nothing to log

    ORDER = (MISSING, STALE, DUE, OK, FED, COMPUTED)
    OWED = (MISSING, STALE, DUE)


@dataclass(frozen=True)
class KpiDue:
    kpi: KPI
    state: str
    last_at: datetime | None
    last_value: Decimal | None
    next_due: datetime | None
    last_via: str  # what brought the latest value: "form", "csv:<file>", "api", "pull:<source>"
    source: MetricSource | None = None  # FED: the source that feeds it
    # FED: no value within the KPI's interval (a pushed one) or no pull succeeded within the
    # source's (a pulled one); or its latest pull failed.
    source_late: bool = False
    source_failed: bool = False

    @property
    def owed(self) -> bool:
        return self.state in Due.OWED

    @property
    def pulled(self) -> bool:
        return self.source is not None and self.source.kind in PULLED

    @property
    def troubled(self) -> bool:
        return self.state == Due.FED and (self.source_late or self.source_failed)


@dataclass
class InitiativeDue:
    initiative: Initiative
    kpis: list[KpiDue] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for k in self.kpis if k.state == state)

    @property
    def summary(self) -> str:
        """E.g. "2 missing · 1 stale · 3 due this month · 4 up to date · 2 fed by a source"."""
        words = {
            Due.MISSING: "missing",
            Due.STALE: "stale",
            Due.DUE: "due this month",
            Due.OK: "up to date",
            Due.FED: "fed by a source",
        }
        parts = [f"{self.count(state)} {word}" for state, word in words.items() if self.count(state)]
        return " · ".join(parts) or "No KPI to log."

    @property
    def owed(self) -> list[KpiDue]:
        return [k for k in self.kpis if k.owed]

    @property
    def troubled(self) -> list[KpiDue]:
        """KPIs whose source is late or failing: not the person's to log, theirs to report."""
        return [k for k in self.kpis if k.troubled]

    @property
    def loggable(self) -> list[KPI]:
        """The KPIs a person may log for it, what is owed first."""
        return [k.kpi for k in self.kpis if k.state != Due.COMPUTED]


def workspace_initiatives(user) -> QuerySet[Initiative]:
    """The initiatives a person logs for: those they lead; every one for an admin."""
    initiatives = Initiative.objects.select_related("workflow_change").order_by("name", "pk")
    if user.is_scoreboard_admin:
        return initiatives
    return initiatives.filter(pk__in=user.led_initiative_ids)


def kpis_due(initiatives: list[Initiative], *, now: datetime | None = None) -> list[InitiativeDue]:
    """Each initiative's KPIs with where they stand this month. Three queries: the KPIs with
    their latest values, the pulled sources mapped to them, the sources of those values."""
    now = now or timezone.now()
    end_of_month = start_of_month(next_month(month_of(now)))
    reported = Initiative.kpis.through.objects.filter(initiative__in=initiatives)
    latest = Measurement.objects.filter(kpi=OuterRef("kpi_id"), initiative=OuterRef("initiative_id")).order_by(
        "-observed_at", "-updated_at"
    )
    links = list(
        reported.select_related("kpi")
        .annotate(
            last_at=Subquery(latest.values("observed_at")[:1]),
            last_value=Subquery(latest.values("value")[:1]),
            last_via=Subquery(latest.values("entered_via")[:1]),
            last_source=Subquery(latest.values("source_id")[:1]),
        )
        .order_by("kpi__display_order", "kpi__name")
    )
    mapped, pushed_or_pulled = _feeds(links)
    result = {i.pk: InitiativeDue(initiative=i) for i in initiatives}
    for link in links:
        kpi = link.kpi
        next_due = link.last_at + timedelta(days=kpi.expected_interval_days) if link.last_at else None
        source = mapped.get((link.kpi_id, link.initiative_id)) or pushed_or_pulled.get(link.last_source)
        if kpi.aggregation == Aggregation.RATIO:
            state = Due.COMPUTED
        elif source is not None:
            state = Due.FED
        elif link.last_at is None:
            state = Due.MISSING
        elif next_due < now:
            state = Due.STALE
        elif next_due < end_of_month:
            state = Due.DUE
        else:
            state = Due.OK
        fed = state == Due.FED
        result[link.initiative_id].kpis.append(
            KpiDue(
                kpi=kpi,
                state=state,
                last_at=link.last_at,
                last_value=link.last_value,
                next_due=next_due,
                last_via=link.last_via or "",
                source=source if fed else None,
                source_late=fed and _late(source, next_due, now),
                source_failed=fed and source.last_status == MetricSource.RunStatus.FAILED,
            )
        )
    for entry in result.values():
        entry.kpis.sort(key=lambda k: Due.ORDER.index(k.state))  # stable: display order within a state
    return list(result.values())


def _feeds(links: list) -> tuple[dict, dict]:
    """The sources feeding these KPI links: by (KPI, initiative), the pulled sources mapped to the
    KPI for that initiative (or for every initiative, by a label); by id, the pulled or pushed
    sources that brought a latest value. Two queries."""
    pairs = {(link.kpi_id, link.initiative_id) for link in links}
    mapped = {}
    mappings = SourceMapping.objects.filter(
        Q(initiative__isnull=False) | ~Q(initiative_label=""),
        kpi_id__in={kpi for kpi, _ in pairs},
        source__enabled=True,
        source__kind__in=PULLED,
    ).select_related("source")
    for mapping in mappings:
        initiatives = [mapping.initiative_id] if mapping.initiative_id else [i for k, i in pairs if k == mapping.kpi_id]
        for initiative in initiatives:
            mapped.setdefault((mapping.kpi_id, initiative), mapping.source)
    brought = {link.last_source for link in links if link.last_source is not None}
    sources = MetricSource.objects.filter(pk__in=brought, enabled=True, kind__in=MACHINE_KINDS) if brought else []
    return mapped, {source.pk: source for source in sources}


def _late(source: MetricSource, next_due: datetime | None, now: datetime) -> bool:
    if source.kind in PULLED:
        return source_is_stale(source, now)
    return next_due is None or next_due < now  # pushed: as late as its latest value


@dataclass(frozen=True)
class Entry:
    measurement: Measurement
    earlier: tuple[Change, ...]  # the values it had before, newest first


@dataclass(frozen=True)
class Change:
    value: Decimal
    by: str
    at: datetime
    via: str


def recent_entries(initiative: Initiative, *, limit: int = 20) -> list[Entry]:
    """The latest values entered or changed for an initiative, each with the values it
    replaced (from its history). Two queries."""
    measurements = list(
        Measurement.objects.filter(initiative=initiative)
        .select_related("kpi", "source", "entered_by")
        .order_by("-updated_at", "-pk")[:limit]
    )
    trail: dict[int, list] = {}
    for record in (
        Measurement.history.filter(id__in=[m.pk for m in measurements])
        .select_related("history_user")
        .order_by("id", "-history_date", "-history_id")
    ):
        trail.setdefault(record.id, []).append(record)
    entries = []
    for measurement in measurements:
        # History holds each state, the current one first: what came before it is the trail.
        states = trail.get(measurement.pk, [])[1:]
        earlier = tuple(
            Change(
                value=s.value,
                by=str(s.history_user or "a machine"),
                at=s.history_date,
                via=s.history_change_reason or s.entered_via,
            )
            for s in states
        )
        entries.append(Entry(measurement=measurement, earlier=earlier))
    return entries
