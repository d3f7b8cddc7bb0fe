"""REST endpoints for initiatives, their milestones, backlog and workflow change, and the
shadow-AI register (/api/v1/).

Everyone signed in reads. Writes follow scoreboard/rules.py, checked in two steps: by role
first (the viewset's ``writers``: anyone else gets 403 before the body is even read), then
against the object as it would be stored, ``has_perm(<app>.<add|change>_<model>, obj)``, so
an ops lead can neither add a milestone to an initiative they do not lead nor move one into
it (scoreboard/api_views.py's ``CheckedWritesMixin``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from governance.models import GovernanceGate
from governance.services.gates import stage_change_check
from scoreboard.api import IDEMPOTENCY_PARAMETER, idempotent
from scoreboard.api_views import CheckedModelViewSet, CheckedWritesMixin, as_stored
from scoreboard.rules import is_admin, is_ops_lead

from .models import BacklogItem, Initiative, Milestone, ShadowAITool, WorkflowChange
from .serializers import (
    BacklogItemSerializer,
    InitiativeSerializer,
    MilestoneSerializer,
    ShadowAIToolSerializer,
    WorkflowChangeSerializer,
)


class InitiativePartMixin(CheckedWritesMixin):
    """For what belongs to one initiative: written by its ops leads and by admins."""

    writers = is_admin | is_ops_lead

    def refusal(self, obj, action: str) -> str:
        return (
            f"Nothing was stored: you do not lead {obj.initiative.code}; only its ops leads and admins "
            f"{action} its {obj._meta.verbose_name_plural}."
        )


# --- Initiatives ----------------------------------------------------------------------------------


class InitiativeFilter(filters.FilterSet):
    owner = filters.CharFilter(method="filter_owner", label="Username of either owner (technology or operations).")
    ops_lead = filters.CharFilter(field_name="ops_leads__username", label="Username of one of its ops leads.")

    class Meta:
        model = Initiative
        fields = ["stage", "business_unit", "sourcing"]

    def filter_owner(self, queryset, name, value: str):
        return queryset.filter(Q(technology_owner__username=value) | Q(operations_owner__username=value))


class InitiativeViewSet(CheckedModelViewSet):
    """Initiatives: read by everyone signed in; changed by their ops leads and admins; added
    and deleted by admins. Milestones, backlog and workflow change come along read-only."""

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
    writers = is_admin | is_ops_lead  # ops leads change the ones they lead; the rest is for admins
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

    def perform_create(self, serializer):
        self.check_may_store(serializer, "add")
        with transaction.atomic():
            self._check_gates(serializer, from_stage=None)
            serializer.save()

    def perform_update(self, serializer):
        self.check_may_store(serializer, "change")
        with transaction.atomic():
            stored = Initiative.objects.select_for_update().get(pk=serializer.instance.pk)
            self._check_gates(serializer, from_stage=stored.stage)
            serializer.save()

    @staticmethod
    def _check_gates(serializer, *, from_stage: str | None) -> None:
        """The stage gates, as the pages and the admin apply them (governance/services/gates.py)."""
        to_stage = serializer.validated_data.get("stage")
        if to_stage is None or to_stage == from_stage:
            return
        try:
            stage_change_check(initiative=as_stored(serializer), to_stage=to_stage, from_stage=from_stage)
        except DjangoValidationError as refusal:
            raise ValidationError(serializers.as_serializer_error(refusal)) from refusal

    def refusal(self, obj, action: str) -> str:
        if action == "change":
            return f"Nothing was stored: only the ops leads of {obj.code} and admins change it."
        return "Nothing was stored: only admins add initiatives."


# --- Milestones, backlog, workflow change -----------------------------------------------------------


class MilestoneFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")
    completed = filters.BooleanFilter(field_name="completed_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Milestone
        fields = {"due_on": ["gte", "lte"]}


class MilestoneViewSet(InitiativePartMixin, CheckedModelViewSet):
    """An initiative's roadmap milestones: kept by its ops leads and admins."""

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


class BacklogItemViewSet(InitiativePartMixin, CheckedModelViewSet):
    """An initiative's backlog: kept by its ops leads and admins."""

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


class WorkflowChangeViewSet(InitiativePartMixin, CheckedModelViewSet):
    """How an initiative changes the work (one per initiative): kept by its ops leads and
    admins. Its before/after steps and affected roles are read here and kept in the admin."""

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


# --- The shadow-AI register -------------------------------------------------------------------------


class ShadowAIToolFilter(filters.FilterSet):
    promoted_to = filters.CharFilter(field_name="promoted_to__code", label="The code of the initiative it became.")

    class Meta:
        model = ShadowAITool
        fields = ["status", "data_sensitivity", "team"]


class ShadowAIToolViewSet(CheckedModelViewSet):
    """AI tools teams use without sanction, and what became of them: kept by admins."""

    queryset = ShadowAITool.objects.select_related("promoted_to").order_by("tool", "team", "pk")
    serializer_class = ShadowAIToolSerializer
    writers = is_admin
    filterset_class = ShadowAIToolFilter
    ordering_fields = ["tool", "team", "discovered_on", "status", "data_sensitivity"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Register a shadow-AI tool (admins)."""
        return super().create(request, *args, **kwargs)
