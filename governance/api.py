"""REST endpoints for the decision-authority matrix, decision requests and the risk register
(/api/v1/).

Everyone signed in reads. The matrix and the risk register are kept by admins, and a matrix
version only while it is a draft: a published version is evidence, so its decisions are not
changed, deleted or added to. Anyone signed in may ask an executive for a decision; only the
executive asked answers it, once (``services.decision_answer``).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from scoreboard.api import IDEMPOTENCY_PARAMETER, INSTANT_FILTERS, idempotent
from scoreboard.api_views import ErrorSerializer, ServiceModelViewSet, ServiceWritesMixin
from scoreboard.rules import is_admin, is_signed_in

from .models import DecisionRequest, MatrixDecision, MatrixVersion, Risk, ShadowAITool
from .serializers import (
    DecisionAnswerSerializer,
    DecisionRequestSerializer,
    MatrixDecisionSerializer,
    MatrixPublishSerializer,
    MatrixVersionSerializer,
    RiskSerializer,
    ShadowAIToolSerializer,
)
from .services.decisions import decision_answer, decision_request_create
from .services.matrix import (
    matrix_decision_delete,
    matrix_decision_save,
    matrix_draft_delete,
    matrix_draft_open,
    matrix_draft_update,
    matrix_version_submit,
)
from .services.registers import risk_delete, risk_save
from .services.shadow_ai import shadow_ai_tool_delete, shadow_ai_tool_save
from .services.stage_moves import stage_move_ask

# --- The decision-authority matrix ------------------------------------------------------------------


_CONFLICT = OpenApiResponse(ErrorSerializer, description="The decision changed after `updated_at`: nothing stored.")


class MatrixVersionViewSet(ServiceModelViewSet):
    """Versions of the decision-authority matrix: a draft opened by admins (one at a time,
    starting from the latest published version's decisions), changed and deleted by admins
    only while draft; ``publish`` asks the approving executive, whose answer in the decision log
    publishes it or sends it back to draft (governance.services.matrix)."""

    queryset = MatrixVersion.objects.select_related("created_by", "published_by", "approved_by").order_by("-number")
    serializer_class = MatrixVersionSerializer
    writers = is_admin
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["status"]
    ordering_fields = ["number", "effective_from", "created_at", "published_at"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Open the draft version (admins): numbered after the last version, with a copy of the
        decisions of the latest published one. Refused (400) while a draft exists, naming it."""
        return super().create(request, *args, **kwargs)

    def service_create(self, *, by, data):
        return matrix_draft_open(by=by, reason=data.get("reason", ""))

    def service_update(self, *, by, instance, data, read_at):
        return matrix_draft_update(by=by, version=instance, data=data)

    def service_delete(self, *, by, instance, read_at):
        matrix_draft_delete(by=by, version=instance)

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MatrixPublishSerializer,
        responses={
            202: DecisionRequestSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already asked for or published: no longer a draft."),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def publish(self, request, *args, **kwargs):
        """Ask the approving executive (`approver`, a username; the COO by default) to publish the
        draft, effective from `effective_from` (not earlier than the latest published version's),
        with a `reason`. Answers 202 with the decision request: the version takes effect when that
        executive approves it (`POST /decision-requests/{id}/answer/`). A version identical to the
        latest published one answers 400; one already asked for or published, 409."""
        # Not get_object(): its object check would refuse a published version with a bare 403,
        # where the service says why (409, no longer a draft).
        version = get_object_or_404(self.get_queryset(), number=kwargs["number"])
        body = MatrixPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        asked = matrix_version_submit(by=request.user, version=version, **body.validated_data)
        return Response(DecisionRequestSerializer(asked, context=self.get_serializer_context()).data, status=202)


class MatrixDecisionFilter(filters.FilterSet):
    version = filters.NumberFilter(field_name="version__number", label="The matrix version's number.")
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")

    class Meta:
        model = MatrixDecision
        fields = ["process", "autonomy_tier", "accountable_executive", "audit_trail"]


class MatrixDecisionViewSet(ServiceModelViewSet):
    """The decisions of each matrix version: kept by admins, in the draft version only
    (governance.services.matrix, as the pages and the admin). Send back the `updated_at` you
    read with a change or a delete: when the decision changed since, nothing is stored (409)."""

    queryset = MatrixDecision.objects.select_related("version", "initiative", "monitoring_kpi").order_by(
        "-version__number", "process", "key", "pk"
    )
    serializer_class = MatrixDecisionSerializer
    writers = is_admin
    filterset_class = MatrixDecisionFilter
    ordering_fields = ["process", "key", "autonomy_tier", "confidence_threshold"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Add a decision to the draft version (admins)."""
        return super().create(request, *args, **kwargs)

    @extend_schema(responses={200: MatrixDecisionSerializer, 409: _CONFLICT})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: MatrixDecisionSerializer, 409: _CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("updated_at", str, description="The updated_at you read: refused if changed.")],
        responses={204: None, 409: _CONFLICT},
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def service_create(self, *, by, data):
        version = data.pop("version")
        return matrix_decision_save(by=by, version=version, data=data)

    def service_update(self, *, by, instance, data, read_at):
        version = data.pop("version", instance.version)
        if version.pk != instance.version_id:
            if not by.has_perm("governance.change_matrixversion", version):
                raise PermissionDenied(
                    f"Nothing was stored: matrix v{version.number} is published; changes go into a new draft version."
                )
            raise ValidationError({"version": ["A decision stays in its version: add it to the other one instead."]})
        return matrix_decision_save(by=by, decision=instance, data=data, read_at=read_at)

    def service_delete(self, *, by, instance, read_at):
        matrix_decision_delete(by=by, decision=instance, read_at=read_at)


# --- Decision requests -------------------------------------------------------------------------------------


class DecisionRequestFilter(filters.FilterSet):
    executive = filters.CharFilter(field_name="executive__username", label="The asked executive's username.")
    requested_by = filters.CharFilter(field_name="requested_by__username", label="Who asked (username).")
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")
    answered = filters.BooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = DecisionRequest
        fields = {"answer": ["exact"], "due_at": ["gte", "lt"], "requested_at": ["gte", "lt"]}
        filter_overrides = INSTANT_FILTERS


class DecisionRequestViewSet(
    ServiceWritesMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Decisions asked of an executive: anyone signed in asks (as themselves), only the
    executive asked answers. A request is not edited or deleted through the API. With a `stage`,
    a request asks an initiative's sponsor to move it into Production or Scaled, or to retire it
    (its ops leads and admins ask; `question` holds why); answering it approved moves it."""

    queryset = DecisionRequest.objects.select_related(
        "initiative", "requested_by", "executive", "matrix_version"
    ).order_by("due_at", "pk")
    serializer_class = DecisionRequestSerializer
    writers = is_signed_in  # asking: anyone; answering: checked against the request
    who_writes = "people signed in"
    filterset_class = DecisionRequestFilter
    ordering_fields = ["due_at", "requested_at", "answered_at"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Ask an executive for a decision, due in 24 hours unless `due_at` says otherwise. The same
        question still waiting on the same executive from the same person is refused (400)."""
        return super().create(request, *args, **kwargs)

    def service_create(self, *, by, data):
        if data.get("stage"):
            # A late stage: asked of the initiative's sponsor, the gates first (stage_moves).
            if data.get("initiative") is None:
                raise ValidationError({"initiative": ["Name the initiative to move."]})
            sponsor = data["initiative"].sponsor
            if data.get("executive") not in (None, sponsor):
                raise ValidationError({"executive": [f"A stage move is asked of the initiative's sponsor, {sponsor}."]})
            return stage_move_ask(by=by, initiative=data["initiative"], stage=data["stage"], why=data["question"])
        # The service the page uses: it checks who asks, the executive, the question and the due time.
        return decision_request_create(
            by=by,
            executive=data.get("executive"),
            question=data["question"],
            initiative=data.get("initiative"),
            due_at=data.get("due_at"),
        )

    @extend_schema(request=DecisionAnswerSerializer, responses={200: DecisionRequestSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, *args, **kwargs):
        """Answer the request: only the executive asked, and only once (a second answer is a 400)."""
        decision_request = self.get_object()  # decision_answer refuses anyone but the executive asked
        body = DecisionAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answered = decision_answer(decision_request=decision_request, by=request.user, **body.validated_data)
        return Response(self.get_serializer(answered).data)


# --- The risk register -----------------------------------------------------------------------------------------


class RiskFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiatives__code", label="The code of an initiative it concerns.")

    class Meta:
        model = Risk
        fields = ["category", "status", "likelihood", "impact"]


class RiskViewSet(ServiceModelViewSet):
    """The risk register, each risk owned on both sides of the CIO–COO line: kept by admins."""

    queryset = (
        Risk.objects.select_related("technology_owner", "operations_owner")
        .prefetch_related("initiatives")
        .order_by("title", "pk")
    )
    serializer_class = RiskSerializer
    writers = is_admin
    filterset_class = RiskFilter
    ordering_fields = ["title", "category", "status", "likelihood", "impact"]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Add a risk (admins)."""
        return super().create(request, *args, **kwargs)

    def service_create(self, *, by, data):
        initiatives = data.pop("initiatives", [])
        return risk_save(by=by, data=data, initiatives=initiatives)

    def service_update(self, *, by, instance, data, read_at):
        initiatives = data.pop("initiatives", None)
        if initiatives is None:
            initiatives = list(instance.initiatives.all())
        return risk_save(by=by, risk=instance, data=data, initiatives=initiatives)

    def service_delete(self, *, by, instance, read_at):
        risk_delete(by=by, risk=instance)


# --- The shadow-AI register -------------------------------------------------------------------------


class ShadowAIToolFilter(filters.FilterSet):
    promoted_to = filters.CharFilter(field_name="promoted_to__code", label="The code of the initiative it became.")

    class Meta:
        model = ShadowAITool
        fields = ["status", "data_sensitivity", "team"]


class ShadowAIToolViewSet(ServiceModelViewSet):
    """AI tools teams use without sanction, and what became of them: kept by admins, with the
    register's rules (a tool adopted is the initiative it became)."""

    def service_create(self, *, by, data):
        return shadow_ai_tool_save(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return shadow_ai_tool_save(by=by, tool=instance, data=data)

    def service_delete(self, *, by, instance, read_at):
        shadow_ai_tool_delete(by=by, tool=instance)

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
