"""Admin for KPIs, targets, metric sources, measurements, snapshots and annotations.

KPIs, targets, sources and their mappings are saved and deleted through their services
(metrics/services/kpis.py and sources.py), as through the API
(scoreboard/service_admin.py): a changed target makes the months it governs owed a roll-up.
What the system writes (snapshots, runs, the outbox, digests) and what a named person wrote
(measurements through the ingestion service, an executive's annotation) is only shown here.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import ngettext
from rules.contrib.admin import ObjectPermissionsTabularInline

from scoreboard.service_admin import (
    RecordOnlyAdmin,
    RecordOnlyHistoryAdmin,
    ServiceAdmin,
    as_row_error,
    formset_for,
    inline_rows,
    row_values,
)

from .models import (
    KPI,
    AlertDigest,
    Annotation,
    CsvImport,
    FrozenMonth,
    Measurement,
    MetricSource,
    MonthlySnapshot,
    PullRun,
    RollUpDue,
    SourceMapping,
    Target,
)
from .services import kpis as kpis_services
from .services import sources as source_services
from .services.pulls import source_pull_now


def _save_rows(formset, *, save, delete, parent: dict) -> None:
    """Each row of an inline through its service, a refusal shown on that row."""
    if formset is None:
        return
    for form, obj, deleting in inline_rows(formset):
        try:
            if deleting:
                if obj is not None:
                    delete(obj)
            else:
                save({**row_values(form, form._meta.fields), **parent}, obj)
        except ValidationError as refusal:
            raise as_row_error(form.prefix, refusal) from refusal


class TargetInline(ObjectPermissionsTabularInline):
    model = Target
    fields = ("initiative", "effective_from", "target", "red_threshold")
    autocomplete_fields = ("initiative",)
    extra = 0


@admin.register(KPI)
class KPIAdmin(ServiceAdmin):
    list_display = (
        "name",
        "code",
        "family",
        "unit",
        "direction",
        "aggregation",
        "scope",
        "accountable_executive",
        "co_accountable_executive",
        "is_primary",
        "display_order",
    )
    list_select_related = ("accountable_executive", "co_accountable_executive")
    list_filter = ("family", "scope", "direction", "aggregation", "unit", "is_primary")
    search_fields = ("name", "code", "description")
    ordering = ("display_order", "name")
    prepopulated_fields = {"code": ("name",)}
    autocomplete_fields = ("accountable_executive", "co_accountable_executive", "ratio_numerator", "ratio_denominator")
    fieldsets = (
        (None, {"fields": ("name", "code", "description", "family", "unit", "direction", "scope")}),
        ("Monthly figure", {"fields": ("aggregation", "ratio_numerator", "ratio_denominator")}),
        ("Values people enter", {"fields": ("period", "measured_from")}),
        ("Accountability", {"fields": ("accountable_executive", "co_accountable_executive", "is_primary")}),
        ("Freshness and display", {"fields": ("expected_interval_days", "decimals", "display_order")}),
    )
    inlines = (TargetInline,)

    def service_save(self, request, obj, form, formsets, change):
        by = request.user
        data = row_values(form, kpis_services.KPI_FIELDS)
        kpi = kpis_services.kpi_save(by=by, data=data, kpi=obj if change else None)
        _save_rows(
            formset_for(formsets, Target),
            save=lambda values, target: kpis_services.target_save(by=by, data=values, target=target),
            delete=lambda target: kpis_services.target_delete(by=by, target=target),
            parent={"kpi": kpi},
        )
        return kpi

    def service_delete(self, request, obj):
        kpis_services.kpi_delete(by=request.user, kpi=obj)


@admin.register(Target)
class TargetAdmin(ServiceAdmin):
    list_display = ("kpi", "initiative", "effective_from", "target", "red_threshold")
    list_select_related = ("kpi", "initiative")
    list_filter = ("kpi", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("kpi__name", "kpi__code", "initiative__name", "initiative__code")
    ordering = ("kpi__display_order", "kpi__name", "initiative__name", "-effective_from")
    autocomplete_fields = ("kpi", "initiative")

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, kpis_services.TARGET_FIELDS)
        return kpis_services.target_save(by=request.user, data=data, target=obj if change else None)

    def service_delete(self, request, obj):
        kpis_services.target_delete(by=request.user, target=obj)


class SourceMappingInline(ObjectPermissionsTabularInline):
    model = SourceMapping
    extra = 1
    autocomplete_fields = ("kpi", "initiative")
    fields = ("kpi", "initiative", "expression", "initiative_label")


class PullRunInline(admin.TabularInline):
    """The latest runs, read-only: what each pull read, stored and rejected."""

    model = PullRun
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-started_at",)
    fields = readonly_fields = (
        "started_at",
        "trigger",
        "attempt",
        "status",
        "rows_read",
        "rows_stored",
        "rows_unchanged",
        "rows_rejected",
        "error",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-started_at")


@admin.register(MetricSource)
class MetricSourceAdmin(ServiceAdmin):
    list_display = (
        "name",
        "kind",
        "enabled",
        "schedule",
        "last_status",
        "last_run_at",
        "last_success_at",
        "expected_interval_hours",
    )
    list_filter = ("kind", "enabled", "last_status")
    search_fields = ("name", "url")
    ordering = ("name",)
    inlines = (SourceMappingInline, PullRunInline)
    actions = ("pull_now",)
    # A URL typed without a scheme means https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "schedule", "expected_interval_hours")}),
        (
            "HTTP JSON and Prometheus",
            {
                "fields": (
                    "url",
                    "method",
                    "headers",
                    "timestamp_path",
                    "undated_period",
                    "lookback_hours",
                    "step_seconds",
                ),
                "description": "Secrets are never stored here: a credential header names an environment variable.",
            },
        ),
        ("SQL", {"fields": ("connection_env", "query")}),
        ("Bounds", {"fields": ("timeout_seconds", "max_response_bytes")}),
        ("Last run", {"fields": ("last_status", "last_run_at", "last_success_at", "last_error")}),
    )
    readonly_fields = ("last_status", "last_run_at", "last_success_at", "last_error")

    def service_save(self, request, obj, form, formsets, change):
        # Same path as every other writer: validation and the beat schedule stay in step.
        by = request.user
        data = row_values(form, source_services.SOURCE_FIELDS)
        source = source_services.metric_source_save(by=by, data=data, source=obj if change else None)
        _save_rows(
            formset_for(formsets, SourceMapping),
            save=lambda values, mapping: source_services.source_mapping_save(by=by, data=values, mapping=mapping),
            delete=lambda mapping: source_services.source_mapping_delete(by=by, mapping=mapping),
            parent={"source": source},
        )
        return source

    def service_delete(self, request, obj):
        source_services.source_delete(source=obj, by=request.user)

    @admin.action(description="Pull now", permissions=["change"])
    def pull_now(self, request, queryset):
        pulled = [s for s in queryset if s.is_pulled and s.enabled]
        for source in pulled:
            source_pull_now(source=source, by=request.user)
        said = ngettext("%(n)s source", "%(n)s sources", len(pulled)) % {"n": len(pulled)}
        self.message_user(request, f"Pull requested for {said}; see each source's runs.")


@admin.register(SourceMapping)
class SourceMappingAdmin(ServiceAdmin):
    list_display = ("source", "kpi", "initiative", "expression", "initiative_label")
    list_select_related = ("source", "kpi", "initiative")
    list_filter = ("source",)
    search_fields = ("expression", "kpi__code", "source__name")
    autocomplete_fields = ("source", "kpi", "initiative")

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, source_services.SOURCE_MAPPING_FIELDS)
        return source_services.source_mapping_save(by=request.user, data=data, mapping=obj if change else None)

    def service_delete(self, request, obj):
        source_services.source_mapping_delete(by=request.user, mapping=obj)


@admin.register(PullRun)
class PullRunAdmin(RecordOnlyAdmin):
    list_display = (
        "source",
        "started_at",
        "finished_at",
        "trigger",
        "attempt",
        "status",
        "rows_read",
        "rows_stored",
        "rows_unchanged",
        "rows_rejected",
        "error",
    )
    list_select_related = ("source",)
    list_filter = ("status", "trigger", "source")
    date_hierarchy = "started_at"
    ordering = ("-started_at",)


@admin.register(RollUpDue)
class RollUpDueAdmin(RecordOnlyAdmin):
    """The outbox of months to recompute; the sweeper clears it, people only look."""

    list_display = ("kpi", "month", "requested_at")
    list_select_related = ("kpi",)
    ordering = ("requested_at",)


@admin.register(AlertDigest)
class AlertDigestAdmin(RecordOnlyAdmin):
    """Who was sent which alert digest, and when: written by the daily job."""

    list_display = ("recipient", "day", "sent_at")
    list_select_related = ("recipient",)
    ordering = ("-day",)


@admin.register(Measurement)
class MeasurementAdmin(RecordOnlyHistoryAdmin):
    """Measurements arrive through the ingestion service (forms, CSV, API, pulls), which
    validates them and makes their months due for a roll-up; here they are only shown."""

    list_display = ("kpi", "initiative", "source", "observed_at", "value", "entered_by", "entered_via")
    list_select_related = ("kpi", "initiative", "source", "entered_by")
    list_filter = ("kpi", "source__kind", "source", "initiative")
    search_fields = ("kpi__name", "kpi__code", "initiative__name", "initiative__code", "entered_via", "note")
    date_hierarchy = "observed_at"
    ordering = ("-observed_at",)
    autocomplete_fields = ("kpi", "initiative", "source", "entered_by")
    readonly_fields = ("created_at", "updated_at")


@admin.register(MonthlySnapshot)
class MonthlySnapshotAdmin(RecordOnlyAdmin):
    list_display = (
        "kpi",
        "initiative",
        "month",
        "value",
        "target",
        "status",
        "measurement_count",
        "pending_restatement_value",
        "computed_at",
    )
    list_select_related = ("kpi", "initiative")
    list_filter = ("status", "kpi", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("kpi__name", "kpi__code", "initiative__name", "initiative__code")
    date_hierarchy = "month"
    ordering = ("-month", "kpi__display_order", "kpi__name", "initiative__name")


@admin.register(FrozenMonth)
class FrozenMonthAdmin(RecordOnlyAdmin):
    """Written by the monthly sign-off, never by hand: a frozen month's figures are final."""

    list_display = ("month", "frozen_at")
    ordering = ("-month",)


@admin.register(Annotation)
class AnnotationAdmin(RecordOnlyHistoryAdmin):
    """Why a number moved, in the words of the KPI's accountable executive (written on the ExCo
    page): their words are read here, never rewritten."""

    list_display = ("kpi", "initiative", "month", "excerpt", "author", "created_at")
    list_select_related = ("kpi", "initiative", "author")
    list_filter = ("kpi", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("text", "kpi__name", "kpi__code", "initiative__name")
    date_hierarchy = "month"
    ordering = ("-month", "kpi__name")
    autocomplete_fields = ("kpi", "initiative", "author")
    readonly_fields = ("created_at",)

    @admin.display(description="text")
    def excerpt(self, obj):
        return Truncator(obj.text).chars(80)


@admin.register(CsvImport)
class CsvImportAdmin(RecordOnlyAdmin):
    """Uploaded files and what became of them; people act on them from the workspace."""

    list_display = (
        "file_name",
        "initiative",
        "uploaded_by",
        "status",
        "rows_total",
        "rows_valid",
        "stored_count",
        "unchanged_count",
        "rejected_count",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "initiative__code", "sha256")
    list_select_related = ("initiative", "uploaded_by")
    exclude = ("content",)  # up to 20 MB of text: not a page to render
