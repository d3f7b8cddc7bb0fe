"""Recording a governance gate done, from the initiative's page (admins): the gate is governance's,
the page the initiative's (initiatives.views), shown again with what was refused."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST

from initiatives.forms import GateRecordForm, error_summary
from initiatives.models import Initiative
from initiatives.views import detail_page, detail_url

from ..models import GateKind
from ..services.gates import gate_record


@require_POST
def gate_record_page(request, code: str, kind: str):
    initiative = get_object_or_404(Initiative, code=code)
    if kind not in GateKind.values:
        raise Http404("No such gate.")
    if not request.user.has_perm("governance.change_governancegate"):
        raise PermissionDenied("Only admins record governance gates.")
    form = GateRecordForm(request.POST)
    if not form.is_valid():
        return detail_page(request, code, status=400, action_errors=error_summary([("Gate", form)]))
    gate = gate_record(initiative=initiative, kind=kind, by=request.user, description=form.cleaned_data["description"])
    messages.success(request, f"{initiative.name}: {gate.get_kind_display().lower()} gate recorded done.")
    return redirect(detail_url(initiative.code, "gates"))


urlpatterns = [
    path("gates/<slug:code>/<slug:kind>/", gate_record_page, name="gate-record"),
]
