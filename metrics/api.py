"""REST endpoints for KPIs, targets, measurements and monthly snapshots (/api/v1/).

Measurements go through the one ingestion service (services.measurements_ingest) that the
forms, CSV uploads and pulls use. A batch of up to 10 000 is read by a plain row reader,
not a serializer per row (which would cost more than storing it), and stored all or none.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from initiatives.models import Initiative
from scoreboard.api import IDEMPOTENCY_PARAMETER, RulesViewSetMixin, idempotent
from scoreboard.api_views import CheckedModelViewSet
from scoreboard.rules import is_admin, is_ops_lead

from .models import KPI, Measurement, MetricSource, MonthlySnapshot, SourceKind, Target
from .serializers import (
    BatchInSerializer,
    BatchOutSerializer,
    KPISerializer,
    MeasurementInSerializer,
    MeasurementSerializer,
    MonthlySnapshotSerializer,
    TargetSerializer,
)
from .services import measurements_ingest, measurements_validate
from .upsert import Row

MAX_BATCH = 10_000
DEFAULT_SOURCE = "REST API"
_ROW_FIELDS = frozenset({"kpi", "initiative", "observed_at", "value", "note"})
_NOTE_LIMIT = Measurement._meta.get_field("note").max_length


class KPIViewSet(CheckedModelViewSet):
    """KPI definitions: read by everyone signed in, kept by admins."""

    queryset = KPI.objects.select_related(
        "accountable_executive", "co_accountable_executive", "ratio_numerator", "ratio_denominator"
    ).order_by("display_order", "name")
    serializer_class = KPISerializer
    writers = is_admin
    lookup_field = "code"
    filterset_fields = ["family", "scope", "unit", "is_primary"]
    ordering_fields = ["code", "name", "display_order"]


class TargetFilter(filters.FilterSet):
    kpi = filters.CharFilter(field_name="kpi__code")
    initiative = filters.CharFilter(field_name="initiative__code")

    class Meta:
        model = Target
        fields = {"effective_from": ["exact", "gte", "lte"]}


class TargetViewSet(CheckedModelViewSet):
    """Targets and RAG thresholds, from a month on: read by everyone signed in, set by admins."""

    queryset = Target.objects.select_related("kpi", "initiative").order_by("kpi__code", "effective_from", "pk")
    serializer_class = TargetSerializer
    writers = is_admin
    filterset_class = TargetFilter
    ordering_fields = ["effective_from"]


class InstantFilter(filters.IsoDateTimeFilter):
    """A moment in a query (?observed_at__gte=...), sent to the database in UTC."""

    def filter(self, qs, value):
        if value is not None and timezone.is_aware(value):
            try:
                value = value.astimezone(UTC)
            except OverflowError as error:
                raise ValidationError({self.field_name: ["That date and time is out of range."]}) from error
        return super().filter(qs, value)


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
    that initiative) and by admins (any, and company-wide ones). Storing is idempotent: a
    measurement is keyed by KPI, initiative, source and observed time, and a resent key
    stores nothing (or, with a new value, replaces the old one in history)."""

    queryset = Measurement.objects.select_related("kpi", "initiative", "source", "entered_by").order_by(
        "-observed_at", "-pk"
    )
    serializer_class = MeasurementSerializer
    writers = is_admin | is_ops_lead
    filterset_class = MeasurementFilter
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
        numbered, errors = read_rows(items)
        rows = [r for _, r in numbered]
        _check_may_record(request.user, rows)
        source = _push_source(source_name)
        if errors:
            # Every row's verdict at once: also what is wrong with the rows that did read.
            _, rejected = measurements_validate(rows)
            _add_rejections(errors, rejected, numbered)
            raise ValidationError(errors["1"] if single else {"measurements": errors})
        result = measurements_ingest(
            rows=rows, source=source, entered_by=request.user, entered_via="api", all_or_nothing=True
        )
        if result.rejected:
            _add_rejections(errors, result.rejected, numbered)
            raise ValidationError(errors["1"] if single else {"measurements": errors})
        return Response(
            {"received": len(items), "stored": result.stored, "unchanged": result.unchanged},
            status=status.HTTP_201_CREATED,
        )


def _add_rejections(errors: dict, rejections, numbered: list[tuple[int, Row]]) -> None:
    for rejection in rejections:
        number = numbered[rejection.row - 1][0]  # a rejection counts only the rows that were read
        field_errors = errors.setdefault(str(number), {})
        field_errors.setdefault(rejection.field or "non_field_errors", []).append(rejection.reason)


def _push_source(name) -> MetricSource:
    if name is None:
        source, _ = MetricSource.objects.get_or_create(name=DEFAULT_SOURCE, defaults={"kind": SourceKind.API_PUSH})
        return source
    source = MetricSource.objects.filter(name=name).first() if isinstance(name, str) else None
    if source is None or source.kind != SourceKind.API_PUSH:
        raise ValidationError({"source": [f"{name!r} is not the name of a REST push source."]})
    return source


def read_rows(items: list) -> tuple[list[tuple[int, Row]], dict[str, dict[str, list[str]]]]:
    """The rows of a batch that read, each with its number (from 1), and for each that did
    not, each field at fault and why. KPIs and initiatives are looked up once per batch."""
    codes = {"kpi": set(), "initiative": set()}
    for item in items:
        if isinstance(item, dict):
            for name, found in codes.items():
                if isinstance(item.get(name), str):
                    found.add(item[name])
    kpis = {k.code: k.pk for k in KPI.objects.filter(code__in=codes["kpi"]).only("pk", "code")}
    initiatives = dict(Initiative.objects.filter(code__in=codes["initiative"]).values_list("code", "pk"))
    rows, errors = [], {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors[str(number)] = {"non_field_errors": ["Each measurement is an object."]}
            continue
        problems, row = _read_row(item, kpis, initiatives)
        if problems:
            errors[str(number)] = problems
        else:
            rows.append((number, row))
    return rows, errors


def _read_row(item: dict, kpis: dict, initiatives: dict) -> tuple[dict, Row | None]:
    problems = {}
    if not _ROW_FIELDS.issuperset(item):  # no set built for the usual, well-formed row
        problems = {name: ["Not a field of a measurement."] for name in item.keys() - _ROW_FIELDS}
    kpi = item.get("kpi")
    if kpi is None:
        problems["kpi"] = ["This field is required: the KPI's code."]
    elif kpi not in kpis:
        problems["kpi"] = [f"No KPI has the code {kpi!r}."]
    initiative = item.get("initiative")
    if initiative is not None and initiative not in initiatives:
        problems["initiative"] = [f"No initiative has the code {initiative!r}."]
    observed_at = item.get("observed_at")
    parsed = _instant(observed_at) if isinstance(observed_at, str) else None
    if observed_at is None:
        problems["observed_at"] = ["This field is required: when the value was observed."]
    elif parsed is None:
        problems["observed_at"] = [f"{observed_at!r} is not a date and time (ISO 8601, e.g. 2026-03-31T17:00:00Z)."]
    elif parsed is _NAIVE:
        problems["observed_at"] = ["Give the time zone, e.g. 2026-03-31T17:00:00+02:00."]
    value = item.get("value")
    number = None
    if value is None:
        problems["value"] = ["This field is required."]
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        problems["value"] = [f"{value!r} is not a number."]
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            problems["value"] = [f"{value!r} is not a number."]
    note = item.get("note", "")
    if not isinstance(note, str):
        problems["note"] = ["A note is text."]
    elif len(note) > _NOTE_LIMIT:
        problems["note"] = [f"A note is at most {_NOTE_LIMIT} characters; this one has {len(note)}."]
    if problems:
        return problems, None
    return {}, Row(
        kpi_id=kpis[kpi],
        initiative_id=initiatives.get(initiative),
        observed_at=parsed,
        value=number,
        note=note,
    )


_NAIVE = object()  # a date and time without its time zone


@lru_cache(maxsize=65_536)  # a batch repeats its observation times: parse each once
def _instant(text: str):
    """The moment an ISO 8601 text names, in UTC; _NAIVE without a time zone; None when it
    names no moment (bad text, 12:99, an offset beyond a day, a year out of range). In UTC
    because PostgreSQL refuses offsets that Python accepts (beyond ±15:59)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            return None
        return _NAIVE if timezone.is_naive(moment) else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _check_may_record(user, rows: list[Row]) -> None:
    """An ops lead records only for the initiatives they lead; company-wide figures and
    everyone else's initiatives are refused (403), and then nothing is stored."""
    if user.is_scoreboard_admin:
        return
    led = user.led_initiative_ids if user.is_ops_lead else frozenset()
    refused = sorted({r.initiative_id for r in rows if r.initiative_id not in led}, key=lambda i: (i is None, i))
    if not refused:
        return
    codes = dict(Initiative.objects.filter(pk__in=[i for i in refused if i]).values_list("pk", "code"))
    named = [codes[i] for i in refused if i is not None]
    reasons = []
    if named:
        reasons.append(f"you do not lead {', '.join(named)}")
    if None in refused:
        reasons.append("company-wide figures are recorded by admins")
    raise PermissionDenied(f"Nothing was stored: {'; '.join(reasons)}.")


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
