"""The ops-lead workspace. Thin: reads from workspace.py, writes through services.py."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET


def _may_log(user) -> None:
    if not (user.is_ops_lead or user.is_scoreboard_admin):
        raise PermissionDenied("The workspace is for ops leads and admins, who log initiatives' metrics.")


@require_GET
def workspace(request):
    _may_log(request.user)
    return render(request, "metrics/workspace.html", {})
