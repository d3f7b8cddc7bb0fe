"""The KPI catalogue's pages (/kpis/). Thin: reads come from selectors.py, the one write goes
through services/kpis.py (kpi_save), which also decides who may make it."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from scoreboard.forms import add_refusal, error_summary
from scoreboard.months import latest_complete_month

from .forms import KPIForm
from .selectors import kpi_catalogue, kpi_history, kpi_history_page, kpi_page
from .services.kpis import ONLY_ADMINS_KPIS, kpi_save


def _kpi_or_404(code: str):
    kpi = kpi_page(code)
    if kpi is None:
        raise Http404(f"No KPI has the code {code}.")
    return kpi


@require_GET
def kpi_list(request):
    """Every KPI: what it measures, who answers for it and the company-wide target in force."""
    return render(request, "metrics/kpi_list.html", {"kpis": kpi_catalogue()})


@require_GET
def kpi_detail(request, code: str):
    """One KPI: its definition, its targets over time, the initiatives that report it and a way
    to its figure for the latest complete month."""
    kpi = _kpi_or_404(code)
    context = {
        "kpi": kpi,
        "month": latest_complete_month(),
        "can_edit": request.user.has_perm("metrics.change_kpi", kpi),
        "history": kpi_history(kpi),
    }
    return render(request, "metrics/kpi_detail.html", context)


@require_GET
def kpi_history_view(request, code: str):
    """Every change to a KPI's definition and targets, read by whoever reads its page."""
    kpi = _kpi_or_404(code)
    if not request.user.has_perm("metrics.view_kpi", kpi):
        raise PermissionDenied("Only people signed in to the scoreboard read a KPI's history.")
    context = {
        "title": kpi.name,
        "covers": "The KPI's definition and its targets.",
        "back_url": reverse("kpis:detail", args=[kpi.code]),
        "back_label": kpi.name,
        "page": kpi_history_page(kpi, page=request.GET.get("page")),
    }
    return render(request, "history.html", context)


@require_http_methods(["GET", "POST"])
def kpi_edit(request, code: str):
    """A KPI's definition, edited by admins; everyone else is refused before any form is read."""
    kpi = _kpi_or_404(code)
    if not request.user.has_perm("metrics.change_kpi", kpi):
        raise PermissionDenied(ONLY_ADMINS_KPIS)
    status = 200
    if request.method == "POST":
        # A copy: the form writes what was sent onto its instance, and the page's title is the stored name.
        form = KPIForm(request.POST, instance=copy(kpi))
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                kpi_save(by=request.user, kpi=kpi, data=data)
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"{data['name']}: saved.")
                return redirect("kpis:detail", code=kpi.code)
        status = 400
    else:
        form = KPIForm(instance=kpi)
    context = {"kpi": kpi, "form": form, "errors": error_summary([("KPI", form)])}
    return render(request, "metrics/kpi_edit.html", context, status=status)
