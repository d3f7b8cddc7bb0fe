"""REST endpoints for KPIs, targets, measurements and monthly snapshots (/api/v1/).

Measurements go through the one ingestion service (services.ingest.measurements_ingest) that the
forms, CSV uploads and pulls use. A batch of up to 10 000 is read by a plain row reader,
not a serializer per row (which would cost more than storing it), and stored all or none.
"""

from __future__ import annotations

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from scoreboard.api import IDEMPOTENCY_PARAMETER, Cursor, InstantFilter, RulesViewSetMixin, idempotent
from scoreboard.api_views import ServiceModelViewSet
from scoreboard.rules import is_admin, is_ops_lead

from .models import KPI, Measurement, MonthlySnapshot, Target
from .serializers import (
    BatchInSerializer,
    BatchOutSerializer,
    KPISerializer,
    MeasurementInSerializer,
    MeasurementSerializer,
    MonthlySnapshotSerializer,
    TargetSerializer,
)
from .services import kpis as kpis_services
from .services.ingest import measurements_record, push_source

MAX_BATCH = 10_000


class KPIViewSet(ServiceModelViewSet):
    """KPI definitions: read by everyone signed in, kept by admins. A change to how a month's
    figure is computed makes its months owed a roll-up."""

    queryset = KPI.objects.select_related(
        "accountable_executive", "co_accountable_executive", "ratio_numerator", "ratio_denominator"
    ).order_by("display_order", "name")
    serializer_class = KPISerializer
    writers = is_admin
    lookup_field = "code"
    filterset_fields = ["family", "scope", "unit", "is_primary"]
    ordering_fields = ["code", "name", "display_order"]

    def service_create(self, *, by, data):
        return kpis_services.kpi_save(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return kpis_services.kpi_save(by=by, data=data, kpi=instance)

    def service_delete(self, *, by, instance, read_at):
        kpis_services.kpi_delete(by=by, kpi=instance)


class TargetFilter(filters.FilterSet):
    kpi = filters.CharFilter(field_name="kpi__code")
    initiative = filters.CharFilter(field_name="initiative__code")

    class Meta:
        model = Target
        fields = {"effective_from": ["exact", "gte", "lte"]}


class TargetViewSet(ServiceModelViewSet):
    """Targets and RAG thresholds, from a month on: read by everyone signed in, set by admins.
    The months a change governs become owed a roll-up (signed-off months keep their figures)."""

    queryset = Target.objects.select_related("kpi", "initiative").order_by("kpi__code", "effective_from", "pk")
    serializer_class = TargetSerializer
    writers = is_admin
    filterset_class = TargetFilter
    ordering_fields = ["effective_from"]

    def service_create(self, *, by, data):
        return kpis_services.target_save(by=by, data=data)

    def service_update(self, *, by, instance, data, read_at):
        return kpis_services.target_save(by=by, data=data, target=instance)

    def service_delete(self, *, by, instance, read_at):
        kpis_services.target_delete(by=by, target=instance)


class MeasurementFilter(filters.FilterSet):
    kpi = filters.CharFilter(field_name="kpi__code")
    initiative = filters.CharFilter(field_name="initiative__code")
    source = filters.CharFilter(field_name="source__name")
    company_wide = filters.BooleanFilter(field_name="initiative", lookup_expr="isnull")
    observed_at__gte = InstantFilter(field_name="observed_at", lookup_expr="gte")
    observed_at__lt = InstantFilter(field_name="observed_at", lookup_expr="lt")

    class Meta:
        model = Measurement
        fields = ["kpi", "initiative", "source", "company_wide", "observed_at__gte", "observed_at__lt"]


class MeasurementViewSet(RulesViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Measurements: read by everyone signed in; stored by an initiative's ops leads (for
    that initiative) and by admins (any, and company-wide ones). A value sent stands for its
    KPI's period (a day, a week or a month): one for the same KPI, initiative and period, sent
    at any time of it or through any people's path (the form, CSV), is the same measurement.
    Resent, it stores nothing; with a new value, it replaces the old one, kept in history. A
    batch giving one period two values is refused."""

    queryset = Measurement.objects.select_related("kpi", "initiative", "source", "entered_by")
    serializer_class = MeasurementSerializer
    writers = is_admin | is_ops_lead
    filterset_class = MeasurementFilter
    # Millions at a large company: paged by cursor, never counted (scoreboard.api.Cursor).
    pagination_class = Cursor
    ordering = ["-observed_at", "-pk"]
    ordering_fields = ["observed_at", "created_at", "value"]

    @extend_schema(
        request=MeasurementInSerializer, responses={201: BatchOutSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Store one measurement."""
        return self._store(request, [request.data], source_name=None, single=True)

    @extend_schema(request=BatchInSerializer, responses={201: BatchOutSerializer}, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request, *args, **kwargs):
        """Store up to 10 000 measurements, validated as a whole: one bad row, and none is stored."""
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("measurements"), list):
            raise ValidationError({"measurements": ["Send an object with a list of measurements."]})
        items = body["measurements"]
        if not 1 <= len(items) <= MAX_BATCH:
            raise ValidationError(
                {"measurements": [f"Send 1 to {MAX_BATCH:,} measurements; this batch has {len(items):,}."]}
            )
        return self._store(request, items, source_name=body.get("source"))

    def _store(self, request, items: list, *, source_name, single: bool = False) -> Response:
        """Errors name the field and the reason; in a batch, under the row's number (from 1).
        One transaction: a refusal leaves nothing behind, not even the default source."""
        with transaction.atomic():
            return self._store_checked(request, items, source_name=source_name, single=single)

    def _store_checked(self, request, items: list, *, source_name, single: bool) -> Response:
        recorded = measurements_record(
            by=request.user, items=items, source=lambda: push_source(source_name), entered_via="api"
        )
        if recorded.errors:
            # Every row's verdict at once, each under its number.
            raise ValidationError(recorded.errors["1"] if single else {"measurements": recorded.errors})
        return Response(
            {"received": len(items), "stored": recorded.stored, "unchanged": recorded.unchanged},
            status=status.HTTP_201_CREATED,
        )


class SnapshotFilter(filters.FilterSet):
    kpi = filters.CharFilter(field_name="kpi__code")
    initiative = filters.CharFilter(field_name="initiative__code")
    company_wide = filters.BooleanFilter(field_name="initiative", lookup_expr="isnull")

    class Meta:
        model = MonthlySnapshot
        fields = {"month": ["exact", "gte", "lte"], "status": ["exact"]}


class MonthlySnapshotViewSet(RulesViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each KPI's monthly figure (company-wide, and per initiative), as the ExCo page reads it."""

    queryset = MonthlySnapshot.objects.select_related("kpi", "initiative").order_by("-month", "kpi__code", "pk")
    serializer_class = MonthlySnapshotSerializer
    writers = is_admin  # never written through the API: the roll-up computes them
    filterset_class = SnapshotFilter
    ordering_fields = ["month"]
