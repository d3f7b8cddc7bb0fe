"""The ops-lead workspace (/my/). Thin: reads from workspace.py, writes through services/quick_log.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from initiatives.models import Initiative
from scoreboard import formatting
from scoreboard.templatetags.scoreboard import figure

from .forms import LogForm
from .services.quick_log import measurement_log
from .workspace import kpis_due, recent_entries, workspace_initiatives

PER_PAGE = 25


def _may_log(user) -> None:
    if not (user.is_ops_lead or user.is_scoreboard_admin):
        raise PermissionDenied("The workspace is for ops leads and admins, who log initiatives' metrics.")


def _logs_for(user, code: str) -> Initiative:
    _may_log(user)
    initiative = get_object_or_404(Initiative.objects.select_related("workflow_change"), code=code)
    if not user.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not lead {initiative.name}: only its ops leads and admins log its values.")
    return initiative


@require_GET
def workspace(request):
    """My initiatives: what each owes this month, and a quick form to log a value."""
    _may_log(request.user)
    page = Paginator(workspace_initiatives(request.user), PER_PAGE).get_page(request.GET.get("page"))
    entries = kpis_due(list(page.object_list))
    for entry in entries:
        entry.form = LogForm(
            initial={"period": timezone.localdate()}, kpis=entry.loggable, auto_id=f"id_{entry.initiative.code}_%s"
        )
    return render(request, "metrics/workspace.html", {"page": page, "entries": entries})


@require_GET
def initiative_workspace(request, code: str):
    """One initiative: its KPIs' state, the log form (filled from the query to correct an
    entry), its recent entries and what they replaced."""
    initiative = _logs_for(request.user, code)
    (entry,) = kpis_due([initiative])
    initial = {"period": timezone.localdate()}
    initial |= {name: request.GET[name] for name in ("kpi", "period", "value", "note") if name in request.GET}
    return _render_initiative(request, entry, LogForm(initial=initial, kpis=entry.loggable))


@require_POST
def log_value(request, code: str):
    initiative = _logs_for(request.user, code)
    (entry,) = kpis_due([initiative])
    form = LogForm(request.POST, kpis=entry.loggable)
    if form.is_valid():
        try:
            logged = measurement_log(
                by=request.user,
                initiative=initiative,
                kpi_code=form.cleaned_data["kpi"],
                period=form.cleaned_data["period"],
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, _logged_message(logged, initiative))
            back = request.POST.get("next", "")
            if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                return redirect(back)
            return redirect("workspace:initiative", code=initiative.code)
    return _render_initiative(request, entry, form, status=400)


def _logged_message(logged, initiative) -> str:
    kpi, day = logged.kpi, timezone.localtime(logged.observed_at).date()
    what = f"{kpi.name} for {initiative.name} on {formatting.day(day)}"
    if not logged.stored:
        return f"{what} already had {figure(logged.value, kpi)}: nothing changed."
    if logged.previous is not None:
        return f"{what} corrected from {figure(logged.previous, kpi)} to {figure(logged.value, kpi)} (kept in history)."
    return f"Logged {figure(logged.value, kpi)}: {what}."


def _render_initiative(request, entry, form, status=200):
    context = {"entry": entry, "form": form, "recent": recent_entries(entry.initiative)}
    return render(request, "metrics/initiative_workspace.html", context, status=status)
