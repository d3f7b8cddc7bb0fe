"""Admin for KPIs, targets, metric sources, measurements, snapshots and annotations.

``ObjectPermissionsModelAdminMixin`` and the rules inlines (from the rules library) pass the
object to ``user.has_perm``, so scoreboard/rules.py decides per object. Monthly snapshots
are computed by the roll-up job and only viewed here.
"""

from django.contrib import admin
from django.utils.text import Truncator
from rules.contrib.admin import ObjectPermissionsModelAdminMixin, ObjectPermissionsTabularInline
from simple_history.admin import SimpleHistoryAdmin

from .models import KPI, Annotation, FrozenMonth, Measurement, MetricSource, MonthlySnapshot, Target


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


@admin.register(MetricSource)
class MetricSourceAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "kind",
        "enabled",
        "last_status",
        "last_run_at",
        "last_success_at",
        "expected_interval_hours",
    )
    list_filter = ("kind", "enabled", "last_status")
    search_fields = ("name", "url")
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "expected_interval_hours")}),
        (
            "Pull settings",
            {
                "fields": ("url", "config"),
                "description": "Secrets are never stored here: only the names of environment variables holding them.",
            },
        ),
        ("Last run", {"fields": ("last_status", "last_run_at", "last_success_at", "last_error")}),
    )
    readonly_fields = ("last_status", "last_run_at", "last_success_at", "last_error")


@admin.register(Measurement)
class MeasurementAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("kpi", "initiative", "source", "observed_at", "value", "entered_by", "entered_via")
    list_select_related = ("kpi", "initiative", "source", "entered_by")
    list_filter = ("kpi", "source__kind", "source", "initiative")
    search_fields = ("kpi__name", "kpi__code", "initiative__name", "initiative__code", "entered_via", "note")
    date_hierarchy = "observed_at"
    ordering = ("-observed_at",)
    autocomplete_fields = ("kpi", "initiative", "source", "entered_by")
    readonly_fields = ("created_at", "updated_at")


@admin.register(MonthlySnapshot)
class MonthlySnapshotAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
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

    # Computed by the roll-up job from measurements: the admin only shows it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FrozenMonth)
class FrozenMonthAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """Written by the monthly sign-off, never by hand: a frozen month's figures are final."""

    list_display = ("month", "frozen_at")
    ordering = ("-month",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
