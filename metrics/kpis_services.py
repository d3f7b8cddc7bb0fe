"""KPI definitions, their targets, the metric sources and the mappings that feed them: their
writes and rules. The admin and the API call these, so each rule exists once.

Admins keep all three. A change that alters how a month's figure is computed or judged (a
KPI's aggregation, direction or ratio; a target or its thresholds) makes every month it
affects owed a roll-up through the outbox, in the same transaction: the figures follow the
definition without waiting for the nightly pass, which recomputes only the current month.
A signed-off month keeps its figures, target and status; a recomputed value that differs
from the signed one shows beside it as a pending restatement.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from scoreboard import writes

from .models import KPI, Measurement, MetricSource, MonthlySnapshot, SourceMapping, Target
from .services import _roll_ups_owed, first_of_month, source_save

KPI_FIELDS = (
    "code",
    "name",
    "description",
    "family",
    "unit",
    "direction",
    "scope",
    "aggregation",
    "ratio_numerator",
    "ratio_denominator",
    "accountable_executive",
    "co_accountable_executive",
    "is_primary",
    "expected_interval_days",
    "display_order",
    "role",
)
# What a month's figure or colour is computed from: changing one makes every month owed.
KPI_FIGURE_FIELDS = ("direction", "aggregation", "ratio_numerator", "ratio_denominator")
TARGET_FIELDS = ("kpi", "initiative", "effective_from", "target", "amber_threshold", "red_threshold")
SOURCE_MAPPING_FIELDS = ("source", "kpi", "initiative", "expression", "initiative_label")

ONLY_ADMINS_KPIS = "Only admins keep the KPI definitions and their targets."
ONLY_ADMINS_SOURCES = "Only admins keep the metric sources and what they feed."


# --- KPIs ----------------------------------------------------------------------------------------------


def kpi_save(*, by, data: dict, kpi: KPI | None = None) -> KPI:
    """Define a KPI (``kpi=None``) or change one: admins only. Every problem is named by field
    (the model's own rules: a ratio names its two KPIs, the two accountable executives differ,
    one primary KPI...). A change to how its figure is computed makes its months owed a roll-up."""
    writes.unknown_fields(data, KPI_FIELDS)
    with transaction.atomic():
        if kpi is None:
            writes.refuse_unless(by, "metrics.add_kpi", None, ONLY_ADMINS_KPIS)
            current, why, changed = KPI(), "KPI defined", list(data)
        else:
            current = KPI.objects.select_for_update().get(pk=kpi.pk)
            writes.refuse_unless(by, "metrics.change_kpi", current, ONLY_ADMINS_KPIS)
            changed = writes.changed_fields(current, data)
            if not changed:
                return current
            why = f"KPI edited: {', '.join(changed)}"
        for name in changed:
            value = data[name]
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.code and KPI.objects.filter(code=current.code).exclude(pk=current.pk).exists():
            writes.add_error(errors, "code", f"Another KPI has the code {current.code}: choose another.")
        if current.role and KPI.objects.filter(role=current.role).exclude(pk=current.pk).exists():
            writes.add_error(errors, "role", "Another KPI already has this role.")
        for name in ("accountable_executive", "co_accountable_executive"):
            person = getattr(current, name)
            if person is not None and not person.is_executive:
                writes.add_error(errors, name, f"{person} is not an active executive: an executive answers for a KPI.")
        if kpi is not None and current.scope != "initiative" and current.initiatives.exists():
            writes.add_error(
                errors,
                "scope",
                "Initiatives report this KPI as their own: remove it from them before making it company-wide.",
            )
        writes.raise_if(errors)
        writes.save(current, by=by, why=why)
        if kpi is not None and set(changed) & set(KPI_FIGURE_FIELDS):
            _months_owed(current.pk, since=None)
    return current


def kpi_delete(*, by, kpi: KPI) -> None:
    """Delete a KPI definition (admins). One with measurements, targets, snapshots or matrix
    decisions watching it is evidence: the refusal names what refers to it (ProtectedError)."""
    with transaction.atomic():
        current = KPI.objects.select_for_update().get(pk=kpi.pk)
        writes.refuse_unless(by, "metrics.delete_kpi", current, ONLY_ADMINS_KPIS)
        current.initiatives.clear()
        writes.delete(current, by=by, why="KPI deleted")


# --- Targets -------------------------------------------------------------------------------------------


def target_save(*, by, data: dict, target: Target | None = None) -> Target:
    """Set a KPI's target from a month on (company-wide, or for one initiative) or change one:
    admins only. Refused by field: a start that is not a month's first day, thresholds out of
    order for the KPI's direction, a second target for the same KPI, initiative and month.
    The months it governs, from the earlier of its old and new start, become owed a roll-up."""
    writes.unknown_fields(data, TARGET_FIELDS)
    with transaction.atomic():
        if target is None:
            writes.refuse_unless(by, "metrics.add_target", None, ONLY_ADMINS_KPIS)
            current, before = Target(), None
        else:
            current = Target.objects.select_for_update().get(pk=target.pk)
            writes.refuse_unless(by, "metrics.change_target", current, ONLY_ADMINS_KPIS)
            before = (current.kpi_id, current.effective_from)
            if not writes.changed_fields(current, data):
                return current
        for name, value in data.items():
            setattr(current, name, value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.kpi_id and current.initiative_id and current.kpi.scope != "initiative":
            writes.add_error(errors, "initiative", f"{current.kpi.name} is company-wide: its target is too.")
        if current.kpi_id and current.effective_from and _same_start(current).exists():
            scope = "this initiative" if current.initiative_id else "the company"
            writes.add_error(
                errors,
                "effective_from",
                f"{current.kpi.name} already has a target for {scope} from {current.effective_from:%B %Y}: "
                "change that one instead.",
            )
        writes.raise_if(errors)
        why = "Target set" if before is None else "Target changed"
        writes.save(current, by=by, why=f"{why} from {current.effective_from:%Y-%m}")
        _months_owed(current.kpi_id, since=current.effective_from)
        if before is not None and before != (current.kpi_id, current.effective_from):
            _months_owed(before[0], since=before[1])
    return current


def target_delete(*, by, target: Target) -> None:
    """Remove a target (admins): the months it governed fall back to the one before it, or to
    none, and become owed a roll-up."""
    with transaction.atomic():
        current = Target.objects.select_for_update().get(pk=target.pk)
        writes.refuse_unless(by, "metrics.delete_target", current, ONLY_ADMINS_KPIS)
        kpi_id, since = current.kpi_id, current.effective_from
        writes.delete(current, by=by, why=f"Target from {since:%Y-%m} removed")
        _months_owed(kpi_id, since=since)


def _same_start(target: Target):
    return Target.objects.filter(
        kpi_id=target.kpi_id, initiative_id=target.initiative_id, effective_from=target.effective_from
    ).exclude(pk=target.pk)


def _months_owed(kpi_id: int, *, since: date | None) -> None:
    """Every month of ``kpi_id`` that has a figure or a measurement from ``since`` on (all when
    None), and the current month, becomes owed a roll-up. Frozen months are recomputed too: the
    roll-up keeps their figures and records a different value as a pending restatement."""
    now = timezone.now()
    since = first_of_month(since) if since else None
    months = set(
        MonthlySnapshot.objects.filter(kpi_id=kpi_id, **({"month__gte": since} if since else {}))
        .values_list("month", flat=True)
        .distinct()
    )
    first = Measurement.objects.filter(kpi_id=kpi_id).order_by("observed_at").values_list("observed_at", flat=True)
    earliest = next(iter(first[:1]), None)
    if earliest is not None:
        month = first_of_month(timezone.localtime(earliest).date())
        if since is not None:
            month = max(month, since)
        current_month = first_of_month(timezone.localdate())
        while month <= current_month:
            months.add(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    months.add(first_of_month(timezone.localdate()))
    _roll_ups_owed({month: {kpi_id} for month in months}, now=now)


# --- Source mappings -------------------------------------------------------------------------------------


def source_mapping_save(*, by, data: dict, mapping: SourceMapping | None = None) -> SourceMapping:
    """Say which KPI (and initiative, directly or by a label) a pulled source's query feeds, or
    change it: admins only. Refused by field: a KPI the named initiative does not report, an
    initiative named both directly and by label, an empty query."""
    writes.unknown_fields(data, SOURCE_MAPPING_FIELDS)
    with transaction.atomic():
        if mapping is None:
            writes.refuse_unless(by, "metrics.add_sourcemapping", None, ONLY_ADMINS_SOURCES)
            current, why = SourceMapping(), "Mapping added"
        else:
            current = SourceMapping.objects.select_for_update().get(pk=mapping.pk)
            writes.refuse_unless(by, "metrics.change_sourcemapping", current, ONLY_ADMINS_SOURCES)
            if not writes.changed_fields(current, data):
                return current
            why = "Mapping changed"
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.kpi_id and current.initiative_id and not current.initiative.kpis.filter(pk=current.kpi_id).exists():
            writes.add_error(
                errors,
                "kpi",
                f"{current.initiative.code} does not report {current.kpi.code}: values for it would be refused.",
            )
        writes.raise_if(errors)
        writes.save(current, by=by, why=why)
    return current


def source_mapping_delete(*, by, mapping: SourceMapping) -> None:
    with transaction.atomic():
        current = SourceMapping.objects.select_for_update().get(pk=mapping.pk)
        writes.refuse_unless(by, "metrics.delete_sourcemapping", current, ONLY_ADMINS_SOURCES)
        writes.delete(current, by=by, why="Mapping removed")


# --- Metric sources --------------------------------------------------------------------------------------

SOURCE_FIELDS = (
    "name",
    "kind",
    "enabled",
    "schedule",
    "expected_interval_hours",
    "url",
    "method",
    "headers",
    "timestamp_path",
    "undated_period",
    "lookback_hours",
    "step_seconds",
    "connection_env",
    "query",
    "timeout_seconds",
    "max_response_bytes",
)


def metric_source_save(*, by, data: dict, source: MetricSource | None = None) -> MetricSource:
    """Configure a metric source (``source=None``) or change one: admins only. Validated by
    field (the URL's host is on the allow-list, a credential header names an environment
    variable, the cron line reads), saved with its beat schedule kept in step."""
    writes.unknown_fields(data, SOURCE_FIELDS)
    with transaction.atomic():
        if source is None:
            writes.refuse_unless(by, "metrics.add_metricsource", None, ONLY_ADMINS_SOURCES)
            current = MetricSource()
        else:
            current = MetricSource.objects.select_for_update().get(pk=source.pk)
            writes.refuse_unless(by, "metrics.change_metricsource", current, ONLY_ADMINS_SOURCES)
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) and name != "query" else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.name and MetricSource.objects.filter(name=current.name).exclude(pk=current.pk).exists():
            writes.add_error(errors, "name", f"Another source is named {current.name}: choose another name.")
        writes.raise_if(errors)
        current._change_reason = writes.reason("Source configured" if source is None else "Source changed")
        return source_save(source=current, by=by)


def source_delete(*, by, source: MetricSource) -> None:
    """Delete a metric source with its mappings, runs and schedule (admins). One whose values are
    stored is where they came from: refused, naming the measurements (ProtectedError)."""
    with transaction.atomic():
        current = MetricSource.objects.select_for_update().get(pk=source.pk)
        writes.refuse_unless(by, "metrics.delete_metricsource", current, ONLY_ADMINS_SOURCES)
        schedule = current.periodic_task
        writes.delete(current, by=by, why="Source deleted")
        if schedule is not None:
            schedule.delete()  # beat would otherwise pull a source that is gone
