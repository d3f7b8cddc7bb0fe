"""Lets admins into the Django admin's app pages.

Object and model permissions come from scoreboard/rules.py; Django's admin also asks
whether a user may see an app at all (``has_module_perms``), which rules does not answer.
"""

from django.contrib.auth.backends import BaseBackend


class AdminRoleModuleBackend(BaseBackend):
    def has_module_perms(self, user_obj, app_label):
        return getattr(user_obj, "is_scoreboard_admin", False)
