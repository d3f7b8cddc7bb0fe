"""Admin for initiatives, their roadmap, backlog, workflow change, brief, prioritisation
and the shadow-AI register.

Every save and delete goes through initiatives/services.py (or governance/services/gates.py for
the brief), as on the pages and the API (scoreboard/service_admin.py): the fields an ops lead
may change, the gates, the stale edit, the rules of each row. Signatures on the deployment brief
are read-only here: signing belongs to the executives.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from rules.contrib.admin import ObjectPermissionsTabularInline

from initiatives.services.prioritisation import (
    PRIORITISATION_LABELS,
    prioritisation_input_delete,
    prioritisation_input_save,
)
from scoreboard.forms import rows_of
from scoreboard.service_admin import ReadAtForm, ServiceAdmin, formset_for, row_values, stored
from scoreboard.writes import Row

from .models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    PrioritisationInput,
    WorkflowChange,
    WorkflowStep,
)
from .services.brief import BRIEF_CONTENT, brief_delete, brief_save
from .services.initiatives import INITIATIVE_FIELDS, initiative_create, initiative_delete, initiative_update
from .services.roadmap import (
    BACKLOG_ITEM_FIELDS,
    MILESTONE_FIELDS,
    backlog_item_delete,
    backlog_item_save,
    milestone_delete,
    milestone_save,
    roadmap_save,
)
from .services.workflow import (
    WORKFLOW_CHANGE_FIELDS,
    workflow_change_delete,
    workflow_change_write,
    workflow_parts_save,
)


class MilestoneInline(ObjectPermissionsTabularInline):
    model = Milestone
    fields = ("title", "due_on", "completed_on")
    extra = 0


class BacklogItemInline(ObjectPermissionsTabularInline):
    model = BacklogItem
    fields = ("title", "status", "priority", "description")
    extra = 0


class InitiativeAdminForm(ReadAtForm):
    """The admin's form for an initiative (its fields come from InitiativeAdmin.fieldsets)."""


class WorkflowChangeAdminForm(ReadAtForm):
    """The workflow change, read at a moment: a change made since refuses this save."""


class BriefAdminForm(ReadAtForm):
    """The brief, read at a revision: a newer one refuses this save (and its signatures)."""

    stamp = "revised_at"


@admin.register(Initiative)
class InitiativeAdmin(ServiceAdmin):
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
        ("Record", {"fields": ("created_at", "updated_at", "read_at")}),
    )
    inlines = (MilestoneInline, BacklogItemInline)

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, INITIATIVE_FIELDS)
        if change:
            initiative = initiative_update(
                initiative=obj, by=request.user, data=data, read_at=form.cleaned_data.get("read_at")
            )
        else:
            initiative = initiative_create(by=request.user, data=data)
        milestones, backlog = formset_for(formsets, Milestone), formset_for(formsets, BacklogItem)
        if milestones or backlog:
            roadmap_save(
                initiative=initiative, by=request.user, milestones=rows_of(milestones), backlog=rows_of(backlog)
            )
        return initiative

    def service_delete(self, request, obj):
        initiative_delete(initiative=obj, by=request.user)


@admin.register(Milestone)
class MilestoneAdmin(ServiceAdmin):
    list_display = ("title", "initiative", "due_on", "completed_on")
    list_select_related = ("initiative",)
    list_filter = (("completed_on", admin.EmptyFieldListFilter), "initiative")
    search_fields = ("title", "initiative__name", "initiative__code")
    date_hierarchy = "due_on"
    ordering = ("due_on", "id")
    autocomplete_fields = ("initiative",)

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, MILESTONE_FIELDS)
        return milestone_save(by=request.user, data=data, milestone=obj if change else None)

    def service_delete(self, request, obj):
        milestone_delete(by=request.user, milestone=obj)


@admin.register(BacklogItem)
class BacklogItemAdmin(ServiceAdmin):
    list_display = ("title", "initiative", "status", "priority")
    list_select_related = ("initiative",)
    list_filter = ("status", "priority", "initiative")
    search_fields = ("title", "description", "initiative__name", "initiative__code")
    ordering = ("initiative__name", "priority", "id")
    autocomplete_fields = ("initiative",)

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, BACKLOG_ITEM_FIELDS)
        return backlog_item_save(by=request.user, data=data, item=obj if change else None)

    def service_delete(self, request, obj):
        backlog_item_delete(by=request.user, item=obj)


STEP_FIELDS = ("phase", "order", "name", "treatment", "performed_by")
ROLE_FIELDS = ("role", "headcount", "reskilling")


class WorkflowStepInline(ObjectPermissionsTabularInline):
    model = WorkflowStep
    fields = STEP_FIELDS
    extra = 0


class AffectedRoleInline(ObjectPermissionsTabularInline):
    model = AffectedRole
    fields = ROLE_FIELDS
    extra = 0


@admin.register(WorkflowChange)
class WorkflowChangeAdmin(ServiceAdmin):
    form = WorkflowChangeAdminForm
    list_display = ("process_name", "initiative", "adoption_target_percent", "adoption_kpi", "updated_at")
    list_select_related = ("initiative", "adoption_kpi")
    list_filter = ("initiative__stage",)
    search_fields = ("process_name", "summary", "initiative__name", "initiative__code")
    ordering = ("initiative__name",)
    autocomplete_fields = ("initiative", "adoption_kpi")
    readonly_fields = ("updated_at",)
    inlines = (WorkflowStepInline, AffectedRoleInline)

    def service_save(self, request, obj, form, formsets, change):
        steps, roles = formset_for(formsets, WorkflowStep), formset_for(formsets, AffectedRole)
        data = row_values(form, WORKFLOW_CHANGE_FIELDS)
        workflow = workflow_change_write(
            by=request.user, data=data, workflow=obj if change else None, read_at=form.cleaned_data.get("read_at")
        )
        if steps or roles:
            workflow_parts_save(by=request.user, workflow=workflow, steps=rows_of(steps), roles=rows_of(roles))
        return workflow

    def service_delete(self, request, obj):
        workflow_change_delete(by=request.user, workflow=obj)


@admin.register(WorkflowStep)
class WorkflowStepAdmin(ServiceAdmin):
    list_display = ("name", "workflow_change", "phase", "order", "treatment", "performed_by")
    list_select_related = ("workflow_change",)
    list_filter = ("phase", "treatment")
    search_fields = ("name", "performed_by", "workflow_change__process_name", "workflow_change__initiative__name")
    ordering = ("workflow_change__process_name", "phase", "order")
    autocomplete_fields = ("workflow_change",)
    fields = ("workflow_change", *STEP_FIELDS)

    def service_save(self, request, obj, form, formsets, change):
        workflow = form.cleaned_data["workflow_change"]
        row = Row(ref="", id=obj.pk if change else None, values=row_values(form, STEP_FIELDS))
        workflow_parts_save(by=request.user, workflow=_kept(obj, workflow, change), steps=[row])
        return workflow.steps.get(phase=row.values["phase"], order=row.values["order"])

    def service_delete(self, request, obj):
        row = Row(ref="", id=obj.pk, delete=True)
        workflow_parts_save(by=request.user, workflow=obj.workflow_change, steps=[row])


@admin.register(AffectedRole)
class AffectedRoleAdmin(ServiceAdmin):
    list_display = ("role", "workflow_change", "headcount")
    list_select_related = ("workflow_change",)
    search_fields = ("role", "reskilling", "workflow_change__process_name", "workflow_change__initiative__name")
    ordering = ("workflow_change__process_name", "role")
    autocomplete_fields = ("workflow_change",)
    fields = ("workflow_change", *ROLE_FIELDS)

    def service_save(self, request, obj, form, formsets, change):
        workflow = form.cleaned_data["workflow_change"]
        row = Row(ref="", id=obj.pk if change else None, values=row_values(form, ROLE_FIELDS))
        workflow_parts_save(by=request.user, workflow=_kept(obj, workflow, change), roles=[row])
        return workflow.affected_roles.get(role=row.values["role"].strip())

    def service_delete(self, request, obj):
        row = Row(ref="", id=obj.pk, delete=True)
        workflow_parts_save(by=request.user, workflow=obj.workflow_change, roles=[row])


def _kept(obj, workflow, change: bool):
    """A step or a role stays in its workflow change: moving it is adding it to the other one."""
    if change and stored(obj).workflow_change_id != workflow.pk:
        raise ValidationError({"workflow_change": "It stays in its workflow change: add it to the other one instead."})
    return workflow


@admin.register(DeploymentBrief)
class DeploymentBriefAdmin(ServiceAdmin):
    form = BriefAdminForm
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
        ("Record", {"fields": ("updated_at", "read_at")}),
    )
    readonly_fields = ("sponsor_signed_by", "sponsor_signed_at", "coo_signed_by", "coo_signed_at", "updated_at")

    def service_save(self, request, obj, form, formsets, change):
        # The service writes it, so that an edit of a signed brief voids the signatures here too.
        initiative = form.cleaned_data["initiative"]
        if change and initiative.pk != stored(obj).initiative_id:
            raise ValidationError({"initiative": "A brief stays with its initiative."})
        return brief_save(
            initiative=initiative,
            by=request.user,
            data=row_values(form, BRIEF_CONTENT),
            read_at=form.cleaned_data.get("read_at") if change else None,
        )

    def service_delete(self, request, obj):
        brief_delete(by=request.user, brief=obj)

    @admin.display(description="signed", boolean=True)
    def is_signed(self, obj):
        return obj.is_signed


@admin.register(PrioritisationInput)
class PrioritisationInputAdmin(ServiceAdmin):
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

    def service_save(self, request, obj, form, formsets, change):
        initiative = form.cleaned_data["initiative"]
        if change and initiative.pk != stored(obj).initiative_id:
            raise ValidationError({"initiative": "These inputs stay with their initiative."})
        data = row_values(form, PRIORITISATION_LABELS)
        return prioritisation_input_save(initiative=initiative, by=request.user, data=data)

    def service_delete(self, request, obj):
        prioritisation_input_delete(prioritisation=obj, by=request.user)
