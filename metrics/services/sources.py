"""Metric sources and the mappings that say which KPI (and initiative) each query feeds: their
writes and rules, admins only. The admin calls these; a source's schedule is kept in step by
``pulls.source_save``, which they end with.
"""

from __future__ import annotations

from django.db import transaction

from scoreboard import writes

from ..models import MetricSource, SourceMapping
from .pulls import source_save

SOURCE_MAPPING_FIELDS = ("source", "kpi", "initiative", "expression", "initiative_label")
ONLY_ADMINS_SOURCES = "Only admins keep the metric sources and what they feed."


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
