"""How initiatives, their milestones, backlog and workflow change, and the shadow-AI register
look in the REST API. Initiatives and KPIs are named by their codes, people by their usernames.

An initiative carries its milestones, backlog and workflow change (with its steps and affected
roles) read-only; each of those is written through its own endpoint, where the rules check
the initiative it belongs to.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.models import GovernanceGate
from metrics.models import KPI

from .models import (
    AffectedRole,
    BacklogItem,
    BacklogStatus,
    DeploymentBrief,
    Initiative,
    Milestone,
    WorkflowChange,
    WorkflowStep,
)


def _people():
    return get_user_model().objects.all()


def _initiative_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Initiative.objects.all(), help_text="The initiative's code.", **kwargs
    )


@cache
def _named_choice_field_class(choices: type[models.TextChoices], name: str) -> type[serializers.ChoiceField]:
    schema = {
        "type": "string",
        "enum": list(choices.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }
    return extend_schema_field(schema, component_name=name)(type(f"{name}Field", (serializers.ChoiceField,), {}))


def named_choice_field(choices: type[models.TextChoices], name: str, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values the schema keeps as a component of their own, ``name``:
    the API has several ``status`` fields, each with other values, and left inline they would
    rename one another's enums (and the snapshots' ``StatusEnum`` clients already use)."""
    return _named_choice_field_class(choices, name)(choices=choices.choices, **kwargs)


# --- The parts of an initiative ------------------------------------------------------------------

MILESTONE_FIELDS = ["id", "title", "due_on", "completed_on"]
BACKLOG_FIELDS = ["id", "title", "description", "status", "priority"]
WORKFLOW_FIELDS = [
    "id",
    "process_name",
    "summary",
    "adoption_target_percent",
    "adoption_kpi",
    "steps",
    "affected_roles",
    "updated_at",
]


class MilestoneSerializer(serializers.ModelSerializer):
    initiative = _initiative_field()

    class Meta:
        model = Milestone
        fields = ["id", "initiative", *MILESTONE_FIELDS[1:]]


class BacklogItemSerializer(serializers.ModelSerializer):
    initiative = _initiative_field()
    status = named_choice_field(BacklogStatus, "BacklogStatusEnum", required=False)

    class Meta:
        model = BacklogItem
        fields = ["id", "initiative", *BACKLOG_FIELDS[1:]]


class WorkflowStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowStep
        fields = ["id", "phase", "order", "name", "treatment", "performed_by"]
        read_only_fields = fields


class AffectedRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AffectedRole
        fields = ["id", "role", "headcount", "reskilling"]
        read_only_fields = fields


class WorkflowChangeSerializer(serializers.ModelSerializer):
    """The workflow change; its steps and affected roles are read-only here (kept in the admin)."""

    initiative = _initiative_field()
    adoption_kpi = serializers.SlugRelatedField(
        slug_field="code",
        queryset=KPI.objects.all(),
        allow_null=True,
        required=False,
        help_text="The code of the KPI that measures adoption.",
    )
    steps = WorkflowStepSerializer(many=True, read_only=True)
    affected_roles = AffectedRoleSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowChange
        fields = ["id", "initiative", *WORKFLOW_FIELDS[1:]]


# Read-only, inside an initiative: the same without naming the initiative again.


class InitiativeMilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = MILESTONE_FIELDS
        read_only_fields = fields


class InitiativeBacklogItemSerializer(serializers.ModelSerializer):
    status = named_choice_field(BacklogStatus, "BacklogStatusEnum", read_only=True)

    class Meta:
        model = BacklogItem
        fields = BACKLOG_FIELDS
        read_only_fields = fields


class InitiativeWorkflowChangeSerializer(serializers.ModelSerializer):
    adoption_kpi = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    steps = WorkflowStepSerializer(many=True, read_only=True)
    affected_roles = AffectedRoleSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowChange
        fields = WORKFLOW_FIELDS
        read_only_fields = fields


# --- Initiatives ------------------------------------------------------------------------------------


class InitiativeBriefSerializer(serializers.ModelSerializer):
    """The deployment brief, read-only: written and signed on the initiative's page."""

    sponsor_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    coo_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_signed = serializers.BooleanField(read_only=True, help_text="Signed by both the sponsor and the COO.")

    class Meta:
        model = DeploymentBrief
        fields = [
            "scope",
            "investment",
            "governance",
            "timeline",
            "revised_at",
            "sponsor_signed_by",
            "sponsor_signed_at",
            "coo_signed_by",
            "coo_signed_at",
            "is_signed",
        ]
        read_only_fields = fields


class InitiativeGateSerializer(serializers.ModelSerializer):
    """A governance gate, read-only: recorded done by admins."""

    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = GovernanceGate
        fields = ["kind", "description", "done_by", "done_at"]
        read_only_fields = fields


class InitiativeSerializer(serializers.ModelSerializer):
    technology_owner = serializers.SlugRelatedField(slug_field="username", queryset=_people())
    operations_owner = serializers.SlugRelatedField(slug_field="username", queryset=_people())
    sponsor = serializers.SlugRelatedField(slug_field="username", queryset=_people(), allow_null=True, required=False)
    ops_leads = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True, help_text="Assigned by admins in the admin."
    )
    kpis = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=KPI.objects.filter(scope="initiative"),
        help_text="Codes of the per-initiative KPIs it reports: values for any other KPI are refused.",
    )
    time_to_value_days = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Days from the start of work to the actual go-live."
    )
    workflow_change = InitiativeWorkflowChangeSerializer(read_only=True, allow_null=True)
    milestones = InitiativeMilestoneSerializer(many=True, read_only=True)
    backlog = InitiativeBacklogItemSerializer(source="backlog_items", many=True, read_only=True)
    deployment_brief = InitiativeBriefSerializer(read_only=True, allow_null=True)
    gates = InitiativeGateSerializer(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "code",
            "name",
            "business_unit",
            "process",
            "stage",
            "sourcing",
            "technology_owner",
            "technology_owner_description",
            "operations_owner",
            "operations_owner_description",
            "description_overlap",
            "sponsor",
            "ops_leads",
            "kpis",
            "investment",
            "expected_annual_benefit",
            "payback_months",
            "started_on",
            "planned_go_live",
            "actual_go_live",
            "time_to_value_days",
            "workflow_change",
            "milestones",
            "backlog",
            "deployment_brief",
            "gates",
            "created_at",
            "updated_at",
        ]
