"""The REST API's common parts (/api/v1/): token sign-in for machines, the permission check
every endpoint shares with the web pages (scoreboard/rules.py), idempotent writes, pages of
results, and the error responses the OpenAPI schema documents. Each app's api.py holds its
own endpoints; scoreboard/urls.py routes them.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, timedelta
from functools import wraps

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .models import IdempotencyRecord, IntegrationToken
from .services import TOKEN_ROLES, token_hash
from .writes import text_problem

# --- Signing in -------------------------------------------------------------------------------

# A token's last use is written at most this often: reads stay reads.
_LAST_USED_EVERY = timedelta(minutes=1)


class IntegrationTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>``, for machine clients. The browser uses its session."""

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as 'Authorization: Token <key>'.")
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as error:
            raise AuthenticationFailed("The token is not valid.") from error
        token = (
            IntegrationToken.objects.select_related("user")
            .filter(key_hash=token_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise AuthenticationFailed("The token is not valid or has been revoked.")
        user = token.user
        # Roles can change after a token is issued; it acts with the roles its user has now.
        if not user.is_active or not any(user.has_role(role) for role in TOKEN_ROLES):
            raise AuthenticationFailed("The token's user is no longer an active ops lead or admin.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_EVERY:
            IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request):
        # Makes an unauthenticated request a 401 (with this challenge) rather than a 403.
        return self.keyword


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "scoreboard.api.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a key issued to a service user with the ops-lead or admin role.",
        }


# --- Permissions: the same rules as the pages -------------------------------------------------


class RulesPermission(BasePermission):
    """Reads need ``<app>.view_<model>``. A write is refused up front (403, before the body
    is even validated) to anyone the view's ``writers`` predicate does not admit. Then, for a
    view whose writes go through a service (``service_judges_objects``), the service judges the
    object, the data and the person, in its own words; for any other view, each object the
    write touches is checked here with ``has_perm(<app>.<action>_<model>, obj)``."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, "permission_name"):
            # Views over no model (the API root's list of endpoints): read by anyone signed in.
            return request.method in SAFE_METHODS
        if request.method in SAFE_METHODS:
            return user.has_perm(view.permission_name("view"))
        return bool(view.writers.test(user))

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True  # has_permission already asked: everyone signed in reads the scoreboard
        if getattr(view, "service_judges_objects", False):
            return True  # its service asks with the object and the data, and says who may
        action = "delete" if request.method == "DELETE" else "change"
        allowed = request.user.has_perm(view.permission_name(action), obj)
        if not allowed and hasattr(view, "refusal"):
            self.message = view.refusal(obj, action)  # who may, in the 403's words
        return allowed


class RulesViewSetMixin:
    """For viewsets over one model: the permission names of that model."""

    permission_classes = [RulesPermission]
    writers = None  # a rules predicate: who may write at all
    who_writes = "admins"  # who may, in the words of a 403

    def permission_name(self, action: str) -> str:
        meta = self.get_queryset().model._meta
        return f"{meta.app_label}.{action}_{meta.model_name}"

    def refusal(self, obj, action: str) -> str:
        """Why this person may not ``action`` ``obj``: who may (the words of a 403)."""
        return f"Nothing was stored: only {self.who_writes} {action} a {obj._meta.verbose_name}."


class InstantField(IsoDateTimeField):
    """A moment in a query, read in UTC: an offset that pushes it past the calendar's edge
    (9999-12-31T23:59-01:00) is refused on the parameter that sent it."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and timezone.is_aware(moment):
            try:
                moment = moment.astimezone(UTC)
            except OverflowError as error:
                raise DjangoValidationError("That date and time is out of range.", code="invalid") from error
        return moment


class InstantFilter(filters.IsoDateTimeFilter):
    """A moment in a query (?observed_at__gte=...), sent to the database in UTC."""

    field_class = InstantField


# For a FilterSet's Meta-generated filters on moments: ``filter_overrides = INSTANT_FILTERS``.
INSTANT_FILTERS = {models.DateTimeField: {"filter_class": InstantFilter}}


class Pages(PageNumberPagination):
    """Pages of 100 (``page_size``, up to 1000). A page or a size that is not a whole number in
    plain digits is a 400 naming the parameter; a page past the last, a 404."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param)
        if number is not None and number not in self.last_page_strings and not _WHOLE.fullmatch(number):
            raise ValidationError({self.page_query_param: ["A page is a whole number from 1, e.g. page=2."]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        _check_page_size(self, request)
        return super().get_page_size(request)


def _check_page_size(pages, request) -> None:
    size = request.query_params.get(pages.page_size_query_param)
    if size is not None and not _WHOLE.fullmatch(size):
        raise ValidationError(
            {pages.page_size_query_param: [f"A page size is a whole number from 1 to {pages.max_page_size:,}."]}
        )


class Cursor(CursorPagination):
    """Pages for a list too long to count: millions of measurements at a large company, where
    counting them and finding page 2,000 cost a scan each. Newest first (or in the ``ordering``
    asked), 100 to a page (``page_size``, up to 1000), each page linking the next and previous by
    an opaque ``cursor``; no ``count``. Ties in the ordering's field are broken by id, so a page
    never repeats or skips a row. A cursor that is not one of ours is a 400 naming it."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-observed_at", "-pk")

    def get_page_size(self, request):
        _check_page_size(self, request)
        return super().get_page_size(request)

    def get_ordering(self, request, queryset, view):
        ordering = tuple(super().get_ordering(request, queryset, view))
        tie = "-pk" if ordering[0].startswith("-") else "pk"
        return ordering if ordering[-1].lstrip("-") in ("pk", "id") else (*ordering, tie)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise self._not_ours() from error

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as error:
            # A cursor made by hand: its position is no value of the ordering's field.
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise self._not_ours() from error

    def _not_ours(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: ["Not a cursor this API gave: follow next or previous."]})


_WHOLE = re.compile(r"[1-9][0-9]*", re.ASCII)


# --- Idempotent writes -------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # The bounds idempotent() holds it to, so a client reading the schema is not refused by surprise.
    type={"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 255 characters. A retry with the same key and body stores nothing "
    "again and gets the first answer back; the same key with another body is refused with 409.",
)


def idempotent(handler):
    """Wrap a write action: with an Idempotency-Key header, its first successful answer is
    kept (in the write's own transaction) and replayed for a retry with the same key."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255:
            return Response(
                {"detail": f"{IDEMPOTENCY_HEADER} must be 1 to 255 characters."}, status=status.HTTP_400_BAD_REQUEST
            )
        if problem := text_problem(key):
            # The key is looked up and kept in PostgreSQL, which refuses such text mid-request (a 500).
            return Response({"detail": f"{IDEMPOTENCY_HEADER} {problem}."}, status=status.HTTP_400_BAD_REQUEST)
        # Read before the body is parsed; the parser then reads this copy.
        body = request._request.body
        digest = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), body])).hexdigest()
        earlier = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if earlier is not None:
            return _replay(earlier, digest)
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        request_hash=digest,
                        status_code=response.status_code,
                        response=json.loads(JSONRenderer().render(response.data) or b"null"),
                    )
        except IntegrityError:
            # The same key sent twice at once: the other request committed first.
            earlier = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if earlier is None:
                raise
            return _replay(earlier, digest)
        return response

    return wrapper


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        return Response(
            {"detail": f"This {IDEMPOTENCY_HEADER} was already used with a different request."},
            status=status.HTTP_409_CONFLICT,
        )
    return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})


# --- The schema's error responses -------------------------------------------------------------

_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_VALIDATION_ERROR = {
    "type": "object",
    "description": "Each field (or, in a batch, each row number) names what is wrong with it.",
    "additionalProperties": True,
}
_ERRORS = {
    "400": ("The request is not valid: the body names each field and the reason.", "ValidationError"),
    "401": ("No valid session or token.", "Error"),
    "403": ("Signed in, but this role or person may not do this.", "Error"),
    "404": ("No such object.", "Error"),
    "409": ("It changed since you read it (or the Idempotency-Key was used with another request).", "Error"),
    "413": ("The body is larger than the server reads (MAX_REQUEST_BODY_BYTES); the answer says the limit.", "Error"),
    "415": ("The body is not in a media type the API reads (its Content-Type is missing or another).", "Error"),
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation lists the errors it can answer."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _ERROR
    schemas["ValidationError"] = _VALIDATION_ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ["401", "403"]
            if "{" in path or any(p.get("name") == "page" for p in operation.get("parameters", [])):
                codes.append("404")  # no such object, or a page past the last
            queries = [p for p in operation.get("parameters", []) if p.get("in") == "query" and p["name"] != "page"]
            if method in ("post", "put", "patch") or queries:
                codes.append("400")  # a bad body, or a filter value that is not valid
            if any(p.get("name") == IDEMPOTENCY_HEADER for p in operation.get("parameters", [])):
                codes += ["400", "409"]
            if method in ("put", "patch", "delete"):
                codes.append("409")  # changed since it was read, or still needed by other records
            if "requestBody" in operation:
                codes.append("413")  # a body over the limit (scoreboard/middleware.py)
                codes.append("415")  # DRF picks a parser by Content-Type: none, or one it lacks, is refused
            responses = operation.setdefault("responses", {})
            for code in codes:
                description, schema = _ERRORS[code]
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    },
                )
    return result
