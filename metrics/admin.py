"""Admin for KPIs, targets, metric sources, measurements, snapshots and annotations.

``ObjectPermissionsModelAdminMixin`` and the rules inlines (from the rules library) pass the
object to ``user.has_perm``, so scoreboard/rules.py decides per object. Monthly snapshots
are computed by the roll-up job and only viewed here.
"""

from django.contrib import admin
from django.db import models
from django.utils.text import Truncator
from rules.contrib.admin import ObjectPermissionsModelAdminMixin, ObjectPermissionsTabularInline
from simple_history.admin import SimpleHistoryAdmin

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
from .services.pulls import source_pull_now, source_save


class RecordOnlyMixin:
    """Records the system writes (snapshots, runs, the outbox): people look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TargetInline(ObjectPermissionsTabularInline):
    model = Target
    fields = ("initiative", "effective_from", "target", "amber_threshold", "red_threshold")
    autocomplete_fields = ("initiative",)
    extra = 0


@admin.register(KPI)
class KPIAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
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
        ("Accountability", {"fields": ("accountable_executive", "co_accountable_executive", "is_primary")}),
        ("Freshness and display", {"fields": ("expected_interval_days", "display_order")}),
    )
    inlines = (TargetInline,)


@admin.register(Target)
class TargetAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("kpi", "initiative", "effective_from", "target", "amber_threshold", "red_threshold")
    list_select_related = ("kpi", "initiative")
    list_filter = ("kpi", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("kpi__name", "kpi__code", "initiative__name", "initiative__code")
    ordering = ("kpi__display_order", "kpi__name", "initiative__name", "-effective_from")
    autocomplete_fields = ("kpi", "initiative")


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
class MetricSourceAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
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

    def save_model(self, request, obj, form, change):
        # Same path as every other writer: validation and the beat schedule stay in step.
        source_save(source=obj, by=request.user)

    @admin.action(description="Pull now")
    def pull_now(self, request, queryset):
        pulled = [s for s in queryset if s.is_pulled and s.enabled]
        for source in pulled:
            source_pull_now(source=source)
        self.message_user(request, f"Pull requested for {len(pulled)} source(s); see each source's runs.")


@admin.register(SourceMapping)
class SourceMappingAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("source", "kpi", "initiative", "expression", "initiative_label")
    list_select_related = ("source", "kpi", "initiative")
    list_filter = ("source",)
    search_fields = ("expression", "kpi__code", "source__name")
    autocomplete_fields = ("source", "kpi", "initiative")


@admin.register(PullRun)
class PullRunAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
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
class RollUpDueAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """The outbox of months to recompute; the sweeper clears it, people only look."""

    list_display = ("kpi", "month", "requested_at")
    list_select_related = ("kpi",)
    ordering = ("requested_at",)


@admin.register(AlertDigest)
class AlertDigestAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    list_display = ("recipient", "day", "sent_at")
    list_select_related = ("recipient",)
    ordering = ("-day",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Measurement)
class MeasurementAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
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
class MonthlySnapshotAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
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
class FrozenMonthAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """Written by the monthly sign-off, never by hand: a frozen month's figures are final."""

    list_display = ("month", "frozen_at")
    ordering = ("-month",)


@admin.register(Annotation)
class AnnotationAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
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
class CsvImportAdmin(RecordOnlyMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
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
