"""Admin for initiatives, their roadmap, backlog, workflow change, brief, prioritisation
and the shadow-AI register.

``ObjectPermissionsModelAdminMixin`` and the rules inlines (from the rules library) pass the
object to ``user.has_perm``, so scoreboard/rules.py decides per object. Signatures on the
deployment brief are read-only here: signing belongs to the executives. A stage change and
a brief's edit go through the gates of governance/services/gates.py, as on the pages and the API.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from rules.contrib.admin import ObjectPermissionsModelAdminMixin, ObjectPermissionsTabularInline
from simple_history.admin import SimpleHistoryAdmin

from governance.services.gates import BRIEF_CONTENT, brief_save, stage_change_check

from .models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    ShadowAITool,
    WorkflowChange,
    WorkflowStep,
)


class MilestoneInline(ObjectPermissionsTabularInline):
    model = Milestone
    fields = ("title", "due_on", "completed_on")
    extra = 0


class BacklogItemInline(ObjectPermissionsTabularInline):
    model = BacklogItem
    fields = ("title", "status", "priority", "description")
    extra = 0


class InitiativeAdminForm(forms.ModelForm):
    """The admin's form for an initiative (its fields come from InitiativeAdmin.fieldsets)."""

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        from_stage = self.instance.stage if self.instance.pk else None
        if stage and stage != from_stage:
            try:
                stage_change_check(initiative=self.instance, to_stage=stage, from_stage=from_stage)
            except ValidationError as refusal:
                self.add_error("stage", refusal.message_dict["stage"])
        return cleaned


@admin.register(Initiative)
class InitiativeAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    form = InitiativeAdminForm
    list_display = (
        "name",
        "code",
        "stage",
        "business_unit",
        "technology_owner",
        "operations_owner",
        "actual_go_live",
    )
    list_select_related = ("technology_owner", "operations_owner")
    list_filter = ("stage", "sourcing", "business_unit", "technology_owner", "operations_owner")
    search_fields = ("name", "code", "business_unit", "process")
    ordering = ("name",)
    prepopulated_fields = {"code": ("name",)}
    autocomplete_fields = ("technology_owner", "operations_owner", "sponsor", "ops_leads")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "code", "business_unit", "process", "stage", "sourcing")}),
        (
            "Owners",
            {
                "fields": (
                    "technology_owner",
                    "technology_owner_description",
                    "operations_owner",
                    "operations_owner_description",
                    "sponsor",
                    "ops_leads",
                )
            },
        ),
        ("Business case", {"fields": ("investment", "expected_annual_benefit", "payback_months")}),
        ("Time to value", {"fields": ("started_on", "planned_go_live", "actual_go_live")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (MilestoneInline, BacklogItemInline)


@admin.register(Milestone)
class MilestoneAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "initiative", "due_on", "completed_on")
    list_select_related = ("initiative",)
    list_filter = (("completed_on", admin.EmptyFieldListFilter), "initiative")
    search_fields = ("title", "initiative__name", "initiative__code")
    date_hierarchy = "due_on"
    ordering = ("due_on", "id")
    autocomplete_fields = ("initiative",)


@admin.register(BacklogItem)
class BacklogItemAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "initiative", "status", "priority")
    list_select_related = ("initiative",)
    list_filter = ("status", "priority", "initiative")
    search_fields = ("title", "description", "initiative__name", "initiative__code")
    ordering = ("initiative__name", "priority", "id")
    autocomplete_fields = ("initiative",)


class WorkflowStepInline(ObjectPermissionsTabularInline):
    model = WorkflowStep
    fields = ("phase", "order", "name", "treatment", "performed_by")
    extra = 0


class AffectedRoleInline(ObjectPermissionsTabularInline):
    model = AffectedRole
    fields = ("role", "headcount", "reskilling")
    extra = 0


@admin.register(WorkflowChange)
class WorkflowChangeAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("process_name", "initiative", "adoption_target_percent", "adoption_kpi", "updated_at")
    list_select_related = ("initiative", "adoption_kpi")
    list_filter = ("initiative__stage",)
    search_fields = ("process_name", "summary", "initiative__name", "initiative__code")
    ordering = ("initiative__name",)
    autocomplete_fields = ("initiative", "adoption_kpi")
    readonly_fields = ("updated_at",)
    inlines = (WorkflowStepInline, AffectedRoleInline)


@admin.register(WorkflowStep)
class WorkflowStepAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "workflow_change", "phase", "order", "treatment", "performed_by")
    list_select_related = ("workflow_change",)
    list_filter = ("phase", "treatment")
    search_fields = ("name", "performed_by", "workflow_change__process_name", "workflow_change__initiative__name")
    ordering = ("workflow_change__process_name", "phase", "order")
    autocomplete_fields = ("workflow_change",)


@admin.register(AffectedRole)
class AffectedRoleAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("role", "workflow_change", "headcount")
    list_select_related = ("workflow_change",)
    search_fields = ("role", "reskilling", "workflow_change__process_name", "workflow_change__initiative__name")
    ordering = ("workflow_change__process_name", "role")
    autocomplete_fields = ("workflow_change",)


@admin.register(DeploymentBrief)
class DeploymentBriefAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "initiative",
        "investment",
        "sponsor_signed_by",
        "sponsor_signed_at",
        "coo_signed_by",
        "coo_signed_at",
        "is_signed",
        "updated_at",
    )
    list_select_related = ("initiative", "sponsor_signed_by", "coo_signed_by")
    list_filter = (("sponsor_signed_at", admin.EmptyFieldListFilter), ("coo_signed_at", admin.EmptyFieldListFilter))
    search_fields = ("initiative__name", "initiative__code", "scope")
    ordering = ("initiative__name",)
    autocomplete_fields = ("initiative",)
    fieldsets = (
        (None, {"fields": ("initiative", "scope", "investment", "governance", "timeline")}),
        ("Signatures", {"fields": ("sponsor_signed_by", "sponsor_signed_at", "coo_signed_by", "coo_signed_at")}),
        ("Record", {"fields": ("updated_at",)}),
    )
    readonly_fields = ("sponsor_signed_by", "sponsor_signed_at", "coo_signed_by", "coo_signed_at", "updated_at")

    def save_model(self, request, obj, form, change):
        # The service writes it, so that an edit of a signed brief voids the signatures here too.
        saved = brief_save(
            initiative=obj.initiative,
            by=request.user,
            data={name: form.cleaned_data[name] for name in BRIEF_CONTENT},
        )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    @admin.display(description="signed", boolean=True)
    def is_signed(self, obj):
        return obj.is_signed


@admin.register(PrioritisationInput)
class PrioritisationInputAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "initiative",
        "management_bandwidth",
        "process_structure",
        "data_availability",
        "risk_profile",
        "roi_clarity",
        "monthly_volume",
        "score",
    )
    list_select_related = ("initiative",)
    list_filter = ("initiative__stage",)
    search_fields = ("initiative__name", "initiative__code")
    ordering = ("initiative__name",)
    autocomplete_fields = ("initiative",)

    @admin.display(description="score")
    def score(self, obj):
        return obj.score


@admin.register(ShadowAITool)
class ShadowAIToolAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("tool", "team", "data_sensitivity", "status", "discovered_on", "promoted_to")
    list_select_related = ("promoted_to",)
    list_filter = ("status", "data_sensitivity", "team")
    search_fields = ("tool", "team", "use", "why_it_helps")
    date_hierarchy = "discovered_on"
    ordering = ("tool", "team")
    autocomplete_fields = ("promoted_to",)
