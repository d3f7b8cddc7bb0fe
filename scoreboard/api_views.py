"""Viewset bases every app's api.py shares (kept apart from scoreboard/api.py, which DRF
imports for its settings before its own views module is loaded)."""

from __future__ import annotations

import copy

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied

from .api import RulesViewSetMixin


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be deleted: other records refer to it."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """The shape of scoreboard.api's "Error" component, for the answers it does not add itself."""

    detail = serializers.CharField()


def as_stored(serializer) -> object:
    """The object as the validated request would store it, unsaved: what the rules judge."""
    model = serializer.Meta.model
    obj = copy.copy(serializer.instance) if serializer.instance is not None else model()
    many = {field.name for field in model._meta.many_to_many}
    for name, value in serializer.validated_data.items():
        if name not in many:
            setattr(obj, name, value)
    return obj


class CheckedWritesMixin(RulesViewSetMixin):
    """Each write is judged on the object as it would be stored; nothing is stored when the
    rules refuse it (403). A delete that other records still need is refused with 409."""

    # Who may write, in the words of the 403 answer.
    who_writes = "admins"

    def perform_create(self, serializer):
        self.check_may_store(serializer, "add")
        serializer.save()

    def perform_update(self, serializer):
        self.check_may_store(serializer, "change")
        serializer.save()

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except (ProtectedError, RestrictedError) as error:
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.args[1]})
            raise Conflict(
                f"This {instance._meta.verbose_name} cannot be deleted: {', '.join(kinds)} refer to it."
            ) from error

    def check_may_store(self, serializer, action: str) -> None:
        obj = as_stored(serializer)
        if not self.request.user.has_perm(self.permission_name(action), obj):
            raise PermissionDenied(self.refusal(obj, action))

    def refusal(self, obj, action: str) -> str:
        return f"Nothing was stored: only {self.who_writes} {action} a {obj._meta.verbose_name}."


class CheckedModelViewSet(CheckedWritesMixin, viewsets.ModelViewSet):
    """Read, add, change and delete one model, every write checked as above."""

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(ErrorSerializer, description="Other records still refer to it: nothing deleted."),
        }
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)
