"""REST endpoints for the decision-authority matrix, decision requests and the risk register
(/api/v1/).

Everyone signed in reads. The matrix and the risk register are kept by admins, and a matrix
version only while it is a draft: a published version is evidence, so its decisions are not
changed, deleted or added to. Anyone signed in may ask an executive for a decision; only the
executive asked answers it, once (``services.decision_answer``).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from scoreboard.api import IDEMPOTENCY_PARAMETER, idempotent
from scoreboard.api_views import CheckedModelViewSet, CheckedWritesMixin, Conflict, ErrorSerializer
from scoreboard.rules import is_admin, is_signed_in

from .models import DecisionRequest, MatrixDecision, MatrixVersion, Risk
from .serializers import (
    DecisionAnswerSerializer,
    DecisionRequestSerializer,
    MatrixDecisionSerializer,
    MatrixPublishSerializer,
    MatrixVersionSerializer,
    RiskSerializer,
)
from .services.decisions import decision_answer, decision_request_create
from .services.matrix import (
    NotADraft,
    StaleEdit,
    matrix_decision_delete,
    matrix_decision_save,
    matrix_draft_open,
    matrix_version_publish,
)

# --- The decision-authority matrix ------------------------------------------------------------------


def _as_api_refusal(error: Exception) -> Exception:
    """A service's refusal as the API answers it: a stale edit or a second publish is a 409
    (the state changed under the request), a permission a 403, a broken rule a 400 per field."""
    if isinstance(error, StaleEdit | NotADraft):
        return Conflict(" ".join(error.messages))
    if isinstance(error, DjangoPermissionDenied):
        return PermissionDenied(str(error))
    return ValidationError(serializers.as_serializer_error(error))


_CONFLICT = OpenApiResponse(ErrorSerializer, description="The decision changed after `updated_at`: nothing stored.")


class MatrixVersionViewSet(CheckedModelViewSet):
    """Versions of the decision-authority matrix: a draft opened by admins (one at a time,
    starting from the latest published version's decisions), changed and deleted by admins
    only while draft, published by admins through ``publish`` (governance.services.matrix)."""

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

    def perform_create(self, serializer):
        try:
            serializer.instance = matrix_draft_open(
                by=self.request.user, reason=serializer.validated_data.get("reason", "")
            )
        except (DjangoPermissionDenied, DjangoValidationError) as refusal:
            raise _as_api_refusal(refusal) from refusal

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MatrixPublishSerializer,
        responses={
            200: MatrixVersionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already published: no longer a draft."),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def publish(self, request, *args, **kwargs):
        """Publish the draft (admins): effective from `effective_from` (not earlier than the
        latest published version's), with a `reason` and the approving executive (`approver`,
        a username; the COO by default). A version already published answers 409."""
        # Not get_object(): its object check would refuse a published version with a bare 403,
        # where the service says why (409, no longer a draft).
        version = get_object_or_404(self.get_queryset(), number=kwargs["number"])
        body = MatrixPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            published = matrix_version_publish(by=request.user, version=version, **body.validated_data)
        except (DjangoPermissionDenied, DjangoValidationError) as refusal:
            raise _as_api_refusal(refusal) from refusal
        return Response(self.get_serializer(published).data)


class MatrixDecisionFilter(filters.FilterSet):
    version = filters.NumberFilter(field_name="version__number", label="The matrix version's number.")
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")

    class Meta:
        model = MatrixDecision
        fields = ["process", "autonomy_tier", "accountable_executive", "audit_trail"]


def _read_at(request) -> datetime | None:
    """The ``updated_at`` the client read, when it sends it back (body, or the query for a delete)."""
    sent = request.data.get("updated_at") if hasattr(request.data, "get") else None
    sent = sent or request.query_params.get("updated_at")
    if not sent:
        return None
    moment = parse_datetime(str(sent))
    if moment is None or timezone.is_naive(moment):
        raise ValidationError({"updated_at": ["Send back the updated_at you read, as given (with its time zone)."]})
    return moment


class MatrixDecisionViewSet(CheckedModelViewSet):
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

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version")
        try:
            serializer.instance = matrix_decision_save(by=self.request.user, version=version, data=data)
        except (DjangoPermissionDenied, DjangoValidationError) as refusal:
            raise _as_api_refusal(refusal) from refusal

    def perform_update(self, serializer):
        decision = serializer.instance
        data = dict(serializer.validated_data)
        version = data.pop("version", decision.version)
        if version.pk != decision.version_id:
            if not self.request.user.has_perm("governance.change_matrixversion", version):
                raise PermissionDenied(
                    f"Nothing was stored: matrix v{version.number} is published; changes go into a new draft version."
                )
            raise ValidationError({"version": ["A decision stays in its version: add it to the other one instead."]})
        try:
            serializer.instance = matrix_decision_save(
                by=self.request.user, decision=decision, data=data, read_at=_read_at(self.request)
            )
        except (DjangoPermissionDenied, DjangoValidationError) as refusal:
            raise _as_api_refusal(refusal) from refusal

    def perform_destroy(self, instance):
        try:
            matrix_decision_delete(by=self.request.user, decision=instance, read_at=_read_at(self.request))
        except (DjangoPermissionDenied, DjangoValidationError) as refusal:
            raise _as_api_refusal(refusal) from refusal


# --- Decision requests -------------------------------------------------------------------------------------


class DecisionRequestFilter(filters.FilterSet):
    executive = filters.CharFilter(field_name="executive__username", label="The asked executive's username.")
    requested_by = filters.CharFilter(field_name="requested_by__username", label="Who asked (username).")
    initiative = filters.CharFilter(field_name="initiative__code", label="The initiative's code.")
    answered = filters.BooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = DecisionRequest
        fields = {"answer": ["exact"], "due_at": ["gte", "lt"], "requested_at": ["gte", "lt"]}


class DecisionRequestViewSet(
    CheckedWritesMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Decisions asked of an executive: anyone signed in asks (as themselves), only the
    executive asked answers. A request is not edited or deleted through the API."""

    queryset = DecisionRequest.objects.select_related("initiative", "requested_by", "executive").order_by(
        "due_at", "pk"
    )
    serializer_class = DecisionRequestSerializer
    writers = is_signed_in  # asking: anyone; answering: checked against the request
    who_writes = "people signed in"
    filterset_class = DecisionRequestFilter
    ordering_fields = ["due_at", "requested_at", "answered_at"]

    def permission_name(self, action: str) -> str:
        # Answering is the one change there is to a request, and it has its own rule.
        if getattr(self, "action", None) == "answer" and action == "change":
            return "governance.answer_decisionrequest"
        return super().permission_name(action)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        """Ask an executive for a decision, due in 24 hours unless `due_at` says otherwise. The same
        question still waiting on the same executive from the same person is refused (400)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        # Through the service the page uses: it checks who asks, the executive, the question and the due time.
        data = serializer.validated_data
        try:
            serializer.instance = decision_request_create(
                by=self.request.user,
                executive=data["executive"],
                question=data["question"],
                initiative=data.get("initiative"),
                due_at=data.get("due_at"),
            )
        except DjangoPermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except DjangoValidationError as error:
            raise ValidationError(serializers.as_serializer_error(error)) from error

    @extend_schema(request=DecisionAnswerSerializer, responses={200: DecisionRequestSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, *args, **kwargs):
        """Answer the request: only the executive asked, and only once (a second answer is a 400)."""
        decision_request = self.get_object()  # 403 here for anyone but the executive asked
        body = DecisionAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            answered = decision_answer(decision_request=decision_request, user=request.user, **body.validated_data)
        except DjangoPermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except DjangoValidationError as error:
            raise ValidationError(serializers.as_serializer_error(error)) from error
        return Response(self.get_serializer(answered).data)


# --- The risk register -----------------------------------------------------------------------------------------


class RiskFilter(filters.FilterSet):
    initiative = filters.CharFilter(field_name="initiatives__code", label="The code of an initiative it concerns.")

    class Meta:
        model = Risk
        fields = ["category", "status", "likelihood", "impact"]


class RiskViewSet(CheckedModelViewSet):
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
