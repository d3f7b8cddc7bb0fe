"""How the decision-authority matrix, decision requests and the risk register look in the
REST API. Matrix versions are named by their numbers, initiatives and KPIs by their codes,
people by their usernames. Who created or asked, and when, is set from the request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from initiatives.models import Initiative
from initiatives.serializers import named_choice_field
from metrics.models import KPI

from .models import (
    DecisionAnswer,
    DecisionRequest,
    MatrixDecision,
    MatrixVersion,
    Risk,
    RiskStatus,
    ShadowAIStatus,
    ShadowAITool,
    VersionStatus,
)
from .services.matrix import DECISION_FIELDS
from .services.shadow_ai import SHADOW_AI_TOOL_FIELDS


def _people():
    return get_user_model().objects.all()


def _initiative_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Initiative.objects.all(), help_text="The initiative's code.", **kwargs
    )


def _kpi_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=KPI.objects.all(), help_text="The KPI's code.", **kwargs
    )


# --- The decision-authority matrix ------------------------------------------------------------------


class MatrixVersionSerializer(serializers.ModelSerializer):
    """A version. Opening a draft goes through governance.services.matrix (``matrix_draft_open``),
    which numbers it after the last version, copies the decisions in force and refuses a second
    draft; publishing is the ``publish`` action, an act of named people, not fields to set."""

    status = named_choice_field(VersionStatus, "MatrixVersionStatusEnum", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = MatrixVersion
        fields = [
            "id",
            "number",
            "status",
            "effective_from",
            "reason",
            "created_by",
            "created_at",
            "published_by",
            "submitted_at",
            "approved_by",
            "published_at",
        ]
        read_only_fields = ["number", "published_at", "submitted_at"]


class MatrixPublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(help_text="The day it takes effect: not before the latest published one.")
    reason = serializers.CharField(allow_blank=True, help_text="Why this version changes the matrix (required).")
    approver = serializers.SlugRelatedField(
        slug_field="username",
        queryset=_people(),
        required=False,
        allow_null=True,
        help_text="The approving executive's username; the holder of the MATRIX_APPROVER_TITLE seat (COO) if absent.",
        error_messages={"does_not_exist": "Nobody has the username {value}."},
    )


class MatrixDecisionSerializer(serializers.ModelSerializer):
    """A decision. Adding, changing and deleting go through governance.services.matrix
    (``matrix_decision_save``/``matrix_decision_delete``), which judges the whole decision once,
    for the pages, the API and the admin, each refusal naming its field."""

    version = serializers.SlugRelatedField(
        slug_field="number", queryset=MatrixVersion.objects.all(), help_text="The matrix version's number."
    )
    initiative = _initiative_field(allow_null=True, required=False)
    monitoring_kpi = _kpi_field(allow_null=True, required=False)

    class Meta:
        model = MatrixDecision
        fields = [
            "id",
            "version",
            *DECISION_FIELDS,
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"updated_at": {"help_text": "Send it back with a change: a newer change refuses yours (409)."}}
        # The key's uniqueness in its version is judged by the service, on the field "key".
        validators = []


# --- Decision requests ---------------------------------------------------------------------------------


class DecisionRequestSerializer(serializers.ModelSerializer):
    """A request as the API shows it. Asking goes through governance.services.decisions
    (``decision_request_create``), which judges the executive, the question and the due time,
    and sets who asked and when: the rules exist there once, for the page and the API."""

    initiative = _initiative_field(allow_null=True, required=False)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    executive = serializers.SlugRelatedField(
        slug_field="username",
        queryset=_people(),
        required=False,
        help_text="The username of the executive asked to decide (an active executive). For a stage move, "
        "the initiative's sponsor, who is asked when this is absent.",
        error_messages={"does_not_exist": "Nobody has the username {value}."},
    )
    matrix_version = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="The matrix version whose publication this approves (asked through the version's `publish`).",
    )

    class Meta:
        model = DecisionRequest
        fields = [
            "id",
            "initiative",
            "question",
            "requested_by",
            "executive",
            "requested_at",
            "due_at",
            "answered_at",
            "answer",
            "note",
            "matrix_version",
            "stage",
        ]
        read_only_fields = ["requested_at", "answered_at", "answer", "note"]
        extra_kwargs = {
            "due_at": {"required": False, "help_text": "When the answer is due; 24 hours after asking when absent."},
            # An empty question is refused by the service, in the same words as on the page.
            "question": {"allow_blank": True},
        }
        # One approval waiting at a time is judged by the services, which name the one waiting.
        validators = []


class DecisionAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=DecisionAnswer.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why, in a sentence or two.")


# --- The risk register ------------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    technology_owner = serializers.SlugRelatedField(slug_field="username", queryset=_people())
    operations_owner = serializers.SlugRelatedField(slug_field="username", queryset=_people())
    initiatives = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Initiative.objects.all(),
        many=True,
        required=False,
        help_text="The codes of the initiatives it concerns.",
    )
    rating = serializers.IntegerField(read_only=True, help_text="Likelihood × impact, 1 to 25.")
    status = named_choice_field(RiskStatus, "RiskStatusEnum", required=False)

    class Meta:
        model = Risk
        fields = [
            "id",
            "title",
            "category",
            "description",
            "preventive_measures",
            "responsive_measures",
            "technology_owner",
            "operations_owner",
            "likelihood",
            "impact",
            "rating",
            "status",
            "initiatives",
        ]
        # Rated from 1 to 5: said per field, where the table's constraint only says it of the row.
        extra_kwargs = {"likelihood": {"min_value": 1, "max_value": 5}, "impact": {"min_value": 1, "max_value": 5}}


# --- The shadow-AI register ---------------------------------------------------------------------------


class ShadowAIToolSerializer(serializers.ModelSerializer):
    promoted_to = _initiative_field(allow_null=True, required=False)
    status = named_choice_field(ShadowAIStatus, "ShadowAIStatusEnum", required=False)

    class Meta:
        model = ShadowAITool
        fields = ["id", *SHADOW_AI_TOOL_FIELDS]  # what the service writes (services.shadow_ai)
        validators = []  # a tool once per team: said by the service, on the field "tool"
