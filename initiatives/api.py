"""REST endpoints for initiatives, their milestones, backlog and workflow change (/api/v1/).

Everyone signed in reads. A write is refused by role first (the viewset's ``writers``: anyone
else gets 403 before the body is even read), then goes to the service the pages and the admin
call (initiatives/services.py), which decides everything else: which fields this person may
change, the gates, the rules of each field, the stale edit (send back ``updated_at``).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied

from governance.models import GovernanceGate
from scoreboard.api import IDEMPOTENCY_PARAMETER, idempotent
from scoreboard.api_views import ServiceModelViewSet
from scoreboard.rules import is_admin, is_ops_lead, is_signed_in

from .models import BacklogItem, Initiative, Milestone, WorkflowChange
from .serializers import (
    BacklogItemSerializer,
    InitiativeSerializer,
    MilestoneSerializer,
    WorkflowChangeSerializer,
)
from .services.initiatives import (
    initiative_create,
    initiative_delete,
    initiative_fields_for,
    initiative_update,
    who_changes,
)
from .services.roadmap import backlog_item_delete, backlog_item_save, milestone_delete, milestone_save
from .services.workflow import workflow_change_delete, workflow_change_write


class InitiativePartMixin:
    """For what belongs to one initiative: written by its ops leads and by admins."""

    writers = is_admin | is_ops_lead


# --- Initiatives ----------------------------------------------------------------------------------


class InitiativeFilter(filters.FilterSet):
    owner = filters.CharFilter(method="filter_owner", label="Username of either owner (technology or operations).")
    ops_lead = filters.CharFilter(field_name="ops_leads__username", label="Username of one of its ops leads.")

    class Meta:
        model = Initiative
        fields = ["stage", "business_unit", "sourcing"]

    def filter_owner(self, queryset, name, value: str):
        return queryset.filter(Q(technology_owner__username=value) | Q(operations_owner__username=value))


class InitiativeViewSet(ServiceModelViewSet):
    """Initiatives: read by everyone signed in; changed by their ops leads (what they keep), each
    owner (their own description: `technology_owner_description`, `operations_owner_description`)
    and admins (everything, with the owners, sponsor and KPIs; a correction of an owner's
    description is recorded as the admin's); added and deleted by admins. Send back
    `updated_at` with a change to have it refused (409) if someone changed it since you read it.
    Milestones, backlog and workflow change come along read-only."""

    queryset = (
        Initiative.objects.select_related(
            "technology_owner",
            "operations_owner",
            "sponsor",
            "workflow_change__adoption_kpi",
            "deployment_brief__sponsor_signed_by",
            "deployment_brief__coo_signed_by",
        )
        .prefetch_related(
            "ops_leads",
            "kpis",
            "milestones",
            "backlog_items",
            "workflow_change__steps",
            "workflow_change__affected_roles",
            Prefetch("gates", queryset=GovernanceGate.objects.select_related("done_by").order_by("kind")),
        )
        .order_by("name", "pk")
    )
    serializer_class = InitiativeSerializer
    # Ops leads change what they keep of the ones they lead, each owner (whoever holds the seat)
    # their own description, admins the rest: who may change this one is asked of it
    # (check_object_permissions), and the service judges who changes which field.
    writers = is_signed_in
    who_writes = "admins"
    lookup_field = "code"
    filterset_class = InitiativeFilter
    ordering_fields = [
        "name",
        "code",
        "stage",
        "business_unit",
        "expected_annual_benefit",
        "investment",
        "started_on",
        "planned_go_live",
        "actual_go_live",
    ]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Add an initiative (admins)."""
        # Not for the initiative's ops leads: there are none yet. Refused before the body is read.
        if not request.user.has_perm("initiatives.add_initiative"):
            raise PermissionDenied("Only admins add initiatives.")
        return super().create(request, *args, **kwargs)

    def check_object_permissions(self, request, obj):
        """Someone who may change nothing of this initiative is refused (403) before the body is read."""
        super().check_object_permissions(request, obj)
        if request.method in ("PUT", "PATCH") and not initiative_fields_for(by=request.user, initiative=obj):
            raise PermissionDenied(who_changes(obj))

    def service_create(self, *, by, data):
        return initiative_create(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return initiative_update(initiative=instance, by=by, data=data, read_at=read_at)

    def service_delete(self, *, by, instance, read_at):
        initiative_delete(initiative=instance, by=by)


# --- Milestones, backlog, workflow change -----------------------------------------------------------


class MilestoneFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")
    completed = filters.BooleanFilter(field_name="completed_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Milestone
        fields = {"due_on": ["gte", "lte"]}


class MilestoneViewSet(InitiativePartMixin, ServiceModelViewSet):
    """An initiative's roadmap milestones: kept by its ops leads and admins."""

    def service_create(self, *, by, data):
        return milestone_save(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return milestone_save(by=by, data=data, milestone=instance)

    def service_delete(self, *, by, instance, read_at):
        milestone_delete(by=by, milestone=instance)

    queryset = Milestone.objects.select_related("initiative").order_by("due_on", "pk")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["due_on", "completed_on", "title"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Add a milestone to an initiative you lead (or, as an admin, to any)."""
        return super().create(request, *args, **kwargs)


class BacklogItemFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")

    class Meta:
        model = BacklogItem
        fields = ["status", "priority"]


class BacklogItemViewSet(InitiativePartMixin, ServiceModelViewSet):
    """An initiative's backlog: kept by its ops leads and admins."""

    def service_create(self, *, by, data):
        return backlog_item_save(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return backlog_item_save(by=by, data=data, item=instance)

    def service_delete(self, *, by, instance, read_at):
        backlog_item_delete(by=by, item=instance)

    queryset = BacklogItem.objects.select_related("initiative").order_by("priority", "pk")
    serializer_class = BacklogItemSerializer
    filterset_class = BacklogItemFilter
    ordering_fields = ["priority", "status", "title"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Add a backlog item to an initiative you lead (or, as an admin, to any)."""
        return super().create(request, *args, **kwargs)


class WorkflowChangeFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")

    class Meta:
        model = WorkflowChange
        fields = []


class WorkflowChangeViewSet(InitiativePartMixin, ServiceModelViewSet):
    """How an initiative changes the work (one per initiative): kept by its ops leads and
    admins, with the rules of the page (the adoption KPI is one the initiative reports). Its
    before/after steps and affected roles are read here and kept on the page and in the admin.
    Send back `updated_at` with a change to have it refused (409) if it changed since."""

    def service_create(self, *, by, data):
        return workflow_change_write(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return workflow_change_write(by=by, data=data, workflow=instance, read_at=read_at)

    def service_delete(self, *, by, instance, read_at):
        workflow_change_delete(by=by, workflow=instance)

    queryset = (
        WorkflowChange.objects.select_related("initiative", "adoption_kpi")
        .prefetch_related("steps", "affected_roles")
        .order_by("initiative__name", "pk")
    )
    serializer_class = WorkflowChangeSerializer
    filterset_class = WorkflowChangeFilter
    ordering_fields = ["process_name", "adoption_target_percent", "updated_at"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Describe the workflow change of an initiative you lead (or, as an admin, of any)."""
        return super().create(request, *args, **kwargs)
