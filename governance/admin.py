"""Admin for the decision-authority matrix, shared-zone decisions, governance gates, the
decision log and the risk register.

``ObjectPermissionsModelAdminMixin`` and the rules inlines (from the rules library) pass the
object to ``user.has_perm``, so scoreboard/rules.py decides per object. Publishing a matrix
version and answering a decision are acts of named people, so those fields are read-only here.
"""

from django.contrib import admin
from django.utils.text import Truncator
from rules.contrib.admin import ObjectPermissionsModelAdminMixin, ObjectPermissionsStackedInline
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    DecisionDigest,
    DecisionRequest,
    GovernanceGate,
    MatrixDecision,
    MatrixVersion,
    Risk,
    SharedZoneDecision,
)
from .services.gates import gate_record

MATRIX_DECISION_FIELDSETS = (
    (None, {"fields": ("key", "process", "initiative", "decision")}),
    (
        "Authority",
        {
            "fields": (
                "autonomy_tier",
                "confidence_threshold",
                "escalation_owner",
                "accountable_executive",
                "override_protocol",
                "audit_trail",
            )
        },
    ),
    ("Monitoring signal", {"fields": ("monitoring_kpi", "breach_threshold", "breach_when")}),
)


class MatrixDecisionInline(ObjectPermissionsStackedInline):
    model = MatrixDecision
    fieldsets = MATRIX_DECISION_FIELDSETS
    autocomplete_fields = ("initiative", "monitoring_kpi")
    extra = 0


@admin.register(MatrixVersion)
class MatrixVersionAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "number",
        "status",
        "effective_from",
        "created_by",
        "created_at",
        "published_by",
        "approved_by",
        "published_at",
    )
    list_select_related = ("created_by", "published_by", "approved_by")
    list_filter = ("status",)
    search_fields = ("=number", "reason")
    ordering = ("-number",)
    autocomplete_fields = ("created_by",)
    fieldsets = (
        (None, {"fields": ("number", "status", "effective_from", "reason", "created_by", "created_at")}),
        ("Publication", {"fields": ("published_by", "approved_by", "published_at")}),
    )
    readonly_fields = ("status", "published_by", "approved_by", "published_at", "created_at")
    inlines = (MatrixDecisionInline,)


@admin.register(MatrixDecision)
class MatrixDecisionAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "decision",
        "key",
        "version",
        "process",
        "initiative",
        "autonomy_tier",
        "confidence_threshold",
        "accountable_executive",
        "audit_trail",
    )
    list_select_related = ("version", "initiative")
    list_filter = ("version", "autonomy_tier", "accountable_executive", "audit_trail", "process")
    search_fields = ("key", "decision", "process", "escalation_owner", "initiative__name")
    ordering = ("-version__number", "process", "key")
    autocomplete_fields = ("version", "initiative", "monitoring_kpi")
    fieldsets = (("Matrix version", {"fields": ("version",)}), *MATRIX_DECISION_FIELDSETS)


@admin.register(SharedZoneDecision)
class SharedZoneDecisionAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "topic", "initiative", "decided_on")
    list_select_related = ("initiative",)
    list_filter = ("topic", ("decided_on", admin.EmptyFieldListFilter))
    search_fields = ("title", "ceo_input", "coo_input", "joint_decision", "initiative__name")
    ordering = ("-decided_on", "title")
    autocomplete_fields = ("initiative",)


@admin.register(GovernanceGate)
class GovernanceGateAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("initiative", "kind", "is_done", "done_by", "done_at")
    list_select_related = ("initiative", "done_by")
    list_filter = ("kind", ("done_at", admin.EmptyFieldListFilter), "initiative__stage")
    search_fields = ("initiative__name", "initiative__code", "description")
    ordering = ("initiative__name", "kind")
    autocomplete_fields = ("initiative",)
    # Done by whom and when is recorded by the action below (governance/services/gates.py), not typed.
    readonly_fields = ("done_by", "done_at")
    actions = ("record_done",)

    @admin.display(description="done", boolean=True, ordering="done_at")
    def is_done(self, obj):
        return obj.is_done

    @admin.action(description="Record the selected gates done (by me, now)", permissions=["change"])
    def record_done(self, request, queryset):
        recorded = 0
        for gate in queryset.select_related("initiative"):
            if not gate.is_done:
                gate_record(initiative=gate.initiative, kind=gate.kind, by=request.user)
                recorded += 1
        self.message_user(request, f"{recorded} gate{'s' if recorded != 1 else ''} recorded done.")


@admin.register(DecisionRequest)
class DecisionRequestAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "short_question",
        "executive",
        "initiative",
        "requested_by",
        "requested_at",
        "due_at",
        "answer",
        "answered_at",
    )
    list_select_related = ("executive", "initiative", "requested_by")
    list_filter = ("answer", ("answered_at", admin.EmptyFieldListFilter), "executive")
    search_fields = ("question", "note", "initiative__name")
    date_hierarchy = "requested_at"
    ordering = ("-requested_at",)
    autocomplete_fields = ("initiative", "requested_by", "executive")
    fieldsets = (
        (None, {"fields": ("question", "initiative", "requested_by", "executive", "requested_at", "due_at")}),
        ("Answer", {"fields": ("answer", "answered_at", "note")}),
    )
    readonly_fields = ("answer", "answered_at")

    @admin.display(description="question", ordering="question")
    def short_question(self, obj):
        return Truncator(obj.question).chars(80)


@admin.register(DecisionDigest)
class DecisionDigestAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """Who was reminded of which overdue requests, and when: written by the daily job
    (governance.services.decisions.decision_digests_send), only looked at here."""

    list_display = ("recipient", "day", "sent_at", "request_count")
    list_select_related = ("recipient",)
    list_filter = ("day",)
    search_fields = ("recipient__username", "recipient__first_name", "recipient__last_name")
    date_hierarchy = "day"
    ordering = ("-day", "recipient__username")
    fields = ("recipient", "day", "sent_at", "request_ids")
    readonly_fields = fields

    @admin.display(description="overdue requests listed")
    def request_count(self, obj):
        return len(obj.request_ids)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Risk)
class RiskAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "title",
        "category",
        "status",
        "likelihood",
        "impact",
        "rating",
        "technology_owner",
        "operations_owner",
    )
    list_select_related = ("technology_owner", "operations_owner")
    list_filter = ("category", "status", "likelihood", "impact")
    search_fields = ("title", "description", "preventive_measures", "responsive_measures")
    ordering = ("title",)
    autocomplete_fields = ("technology_owner", "operations_owner", "initiatives")
    fieldsets = (
        (None, {"fields": ("title", "category", "status", "description", "initiatives")}),
        ("Rating", {"fields": ("likelihood", "impact")}),
        ("Measures", {"fields": ("preventive_measures", "responsive_measures")}),
        ("Joint owners", {"fields": ("technology_owner", "operations_owner")}),
    )

    @admin.display(description="rating")
    def rating(self, obj):
        return obj.rating
