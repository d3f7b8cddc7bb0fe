"""The API's one answer to each kind of refusal a service gives (settings.REST_FRAMEWORK's
EXCEPTION_HANDLER). Kept apart from scoreboard/api.py, which DRF imports while its own views
module is still loading."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from .writes import Conflict as ConflictError


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This changed since you read it: nothing was stored."
    default_code = "conflict"


def exception_handler(exc, context):
    """The services' refusals as the API answers them (settings.REST_FRAMEWORK's EXCEPTION_HANDLER),
    so no view needs a try/except of its own:

    - a stale edit or a state that changed under the request (scoreboard.writes.Conflict): 409,
      saying who changed it and when;
    - a broken rule (Django's ValidationError): 400, naming each field and the reason;
    - a refusal to this person (Django's PermissionDenied): 403, saying who may;
    - a delete that other records still need (PROTECT, RESTRICT): 409, naming them.
    """
    if isinstance(exc, ConflictError):
        exc = Conflict(" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied) and str(exc):
        exc = PermissionDenied(str(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.args[1]})
        exc = Conflict(f"Nothing was deleted: {', '.join(kinds)} refer to it.")
    return drf_exception_handler(exc, context)
