"""Viewset bases every app's api.py shares (kept apart from scoreboard/api.py, which DRF
imports for its settings before its own views module is loaded)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import MethodNotAllowed, ValidationError

from .api import RulesViewSetMixin


class ErrorSerializer(serializers.Serializer):
    """The shape of scoreboard.api's "Error" component, for the answers it does not add itself."""

    detail = serializers.CharField()


def read_at(request) -> datetime | None:
    """The ``updated_at`` the client read, when it sends it back (in the body, or in the query for
    a delete): the service then refuses the write (409) if the object changed since."""
    sent = request.data.get("updated_at") if hasattr(request.data, "get") else None
    sent = sent or request.query_params.get("updated_at")
    if not sent:
        return None
    moment = parse_datetime(str(sent)) if isinstance(sent, str) else None
    if moment is None or timezone.is_naive(moment):
        raise ValidationError({"updated_at": ["Send back the updated_at you read, as given (with its time zone)."]})
    return moment


class ServiceWritesMixin(RulesViewSetMixin):
    """Every write through the API calls the app's service, as the page and the admin do, and
    nothing else: the service validates, decides what this person may change (down to the
    fields), writes the history and schedules what follows. The serializer only reads the shape
    of the body. Refusals become 400, 403 or 409 in scoreboard.api_errors.exception_handler.

    A viewset names its service in ``service_create``, ``service_update`` and ``service_delete``;
    one that leaves one out does not offer that write."""

    service_judges_objects = True  # scoreboard.api.RulesPermission leaves the object to the service

    def service_create(self, *, by, data: dict):
        raise MethodNotAllowed(self.request.method)

    def service_update(self, *, by, instance, data: dict, read_at: datetime | None):
        raise MethodNotAllowed(self.request.method)

    def service_delete(self, *, by, instance, read_at: datetime | None) -> None:
        raise MethodNotAllowed(self.request.method)

    def perform_create(self, serializer):
        serializer.instance = self.service_create(by=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = self.service_update(
            by=self.request.user,
            instance=serializer.instance,
            data=dict(serializer.validated_data),
            read_at=read_at(self.request),
        )

    def perform_destroy(self, instance):
        self.service_delete(by=self.request.user, instance=instance, read_at=read_at(self.request))


class ServiceModelViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Read, add, change and delete one model, every write through its service."""

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(ErrorSerializer, description="Other records still refer to it: nothing deleted."),
        }
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)
