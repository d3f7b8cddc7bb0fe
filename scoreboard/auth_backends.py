"""Who a signed-in session is, read in one query, and the admin's app pages for admins.

Every request of a signed-in person reads their user and, for the first permission check or
menu, their roles (``User.role_names``): two queries on every page. ``PasswordBackend`` and the
OpenID Connect backend read both at once (``signed_in_user``), the roles as a JSON array
aggregated with the user's row.

Object and model permissions come from scoreboard/rules.py; Django's admin also asks whether a
user may see an app at all (``has_module_perms``), which rules does not answer.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db import models


class _Names(models.Aggregate):
    """Every name, as one JSON array (a user in no group: [null])."""

    function = "JSONB_AGG"  # PostgreSQL; JSON_GROUP_ARRAY on SQLite
    output_field = models.JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def signed_in_user(user_id):
    """The active user ``user_id`` with their roles, or None: one query."""
    User = get_user_model()
    user = User._default_manager.annotate(role_list=_Names("groups__name")).filter(pk=user_id).first()
    return user if user is not None and user.is_active else None


class PasswordBackend(ModelBackend):
    """Django's password sign-in; a session's user is read with their roles (``signed_in_user``)."""

    def get_user(self, user_id):
        return signed_in_user(user_id)


class AdminRoleModuleBackend(BaseBackend):
    def has_module_perms(self, user_obj, app_label):
        return getattr(user_obj, "is_scoreboard_admin", False)
