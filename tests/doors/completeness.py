"""Every door that writes is in the table, and goes through a service: decided by introspection of
the admin's registry and the API's router, not by a list kept by hand.

- An admin writes when, for a superuser, it may add, change or delete, or has actions other than
  "delete selected". Each must have a row with path "admin" for its model (or be excused below,
  with the reason), and must be a ``scoreboard.service_admin.ServiceAdmin`` or write through its
  own ``save_model``, ``delete_model`` and ``delete_queryset`` (the matrix's admins do).
- An endpoint writes when its router exposes POST, PUT, PATCH or DELETE. Each must have a row with
  path "api" for its queryset's model, and be a ``scoreboard.api_views.ServiceWritesMixin`` (whose
  ``perform_*`` call the services, left as they are) or define each writing method itself (the
  measurements and the reviews endpoints do), never DRF's own, which calls ``serializer.save()``.
"""

from __future__ import annotations

from django.test import RequestFactory

# Admins of Django and of the packages the product uses, writing what the product's rules do not govern.
EXCUSED_ADMINS = {
    "auth": "Django's own: the groups are the roles, assigned in the user admin (tests/project/test_admin.py)",
    "scoreboard.User": (
        "Django's own user admin: people and their roles; who may change whom is tests/project/test_admin.py's"
    ),
    "axes": "django-axes' own: unlocking a person locked out of signing in is what it is for",
    "django_celery_beat": (
        "django-celery-beat's own, open to superusers only (no role of the product has its permissions); the "
        "metric sources' schedules are written by metrics' source service"
    ),
}
# Admins that write, but whose writes no rule can refuse: nothing for a row of the table to try.
NO_RULE_TO_TRY = {
    "scoreboard.IntegrationToken": "its one write is revoking a token (scoreboard.services.token_revoke): allowed",
}
WRITE_METHODS = ("post", "put", "patch", "delete")
# DRF's own methods and the perform_* each calls.
DRF_WRITES = {"create": "perform_create", "update": "perform_update", "partial_update": "perform_update",
              "destroy": "perform_destroy"}  # fmt: skip
FRAMEWORKS = ("django.", "rest_framework", "simple_history", "rules.")


def _superuser_request():
    from scoreboard.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(username="introspection", is_superuser=True, is_staff=True, is_active=True)
    return request


def admin_writes(model_admin, request) -> bool:
    actions = [name for name in model_admin.get_actions(request) if name != "delete_selected"]
    return bool(
        model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request, None)
        or model_admin.has_delete_permission(request, None)
        or actions
    )


def _own(cls, name: str) -> bool:
    """``cls.<name>`` is the product's, not Django's (or another framework's) default."""
    method = getattr(cls, name, None)
    return method is not None and not method.__module__.startswith(FRAMEWORKS)


def _excused(label: str) -> str | None:
    return EXCUSED_ADMINS.get(label) or EXCUSED_ADMINS.get(label.split(".")[0])


def admin_findings(registry, doors) -> list[str]:
    """What is wrong with the admins of ``registry`` (an AdminSite's ``_registry``): each one that
    writes and has no row in ``doors``, or writes without a service."""
    from scoreboard.service_admin import ServiceAdmin

    request = _superuser_request()
    tried = {door.model for door in doors if door.path == "admin"}
    findings = []
    for model, model_admin in registry.items():
        label, name = model._meta.label, type(model_admin).__name__
        if not admin_writes(model_admin, request) or _excused(label):
            continue
        if model not in tried and label not in NO_RULE_TO_TRY:
            findings.append(f"{label}: {name} writes, but no row of the table tries it through the admin")
        if isinstance(model_admin, ServiceAdmin):
            continue
        needed = []
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(request, None):
            needed.append("save_model")
        if model_admin.has_delete_permission(request, None):
            needed += ["delete_model", "delete_queryset"]
        missing = [method for method in needed if not _own(type(model_admin), method)]
        if missing:
            findings.append(
                f"{label}: {name} writes without a service: not a ServiceAdmin, and Django's own "
                f"{', '.join(missing)} writes the object"
            )
    return findings


def endpoints(router) -> dict[type, dict[str, str]]:
    """Each viewset of ``router`` that writes, with its writing methods and the action each calls."""
    found: dict[type, dict[str, str]] = {}
    for pattern in router.urls:
        actions = getattr(pattern.callback, "actions", None) or {}
        written = {method: action for method, action in actions.items() if method in WRITE_METHODS}
        if written:
            found.setdefault(pattern.callback.cls, {}).update(
                {f"{m.upper()} {pattern.name}": a for m, a in written.items()}
            )
    return found


def viewset_findings(router, doors) -> list[str]:
    """What is wrong with the endpoints of ``router``: each one that writes and has no row in
    ``doors``, or writes without its service."""
    from scoreboard.api_views import ServiceWritesMixin

    tried = {door.model for door in doors if door.path == "api"}
    findings = []
    for viewset, written in endpoints(router).items():
        model, name = viewset.queryset.model, viewset.__name__
        if model not in tried:
            findings.append(f"{model._meta.label}: {name} writes, but no row of the table tries it through the API")
        for route, action in sorted(written.items()):
            perform = DRF_WRITES.get(action)
            if issubclass(viewset, ServiceWritesMixin) and perform is not None:
                if getattr(viewset, perform) is not getattr(ServiceWritesMixin, perform):
                    findings.append(f"{name}: {route} ({action}) does not go through {perform} of ServiceWritesMixin")
            elif not _own(viewset, action):
                findings.append(f"{name}: {route} ({action}) is DRF's own, which saves the serializer: no service")
    return findings
