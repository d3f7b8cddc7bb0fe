"""The decision-authority matrix's pages, read by everyone signed in, edited by admins:

- ``/governance/matrix/``: the version in force, as a grid grouped by process and initiative,
  each decision outside its bounds marked with its latest figure and the suggested tier;
- ``<n>/``: any version; the draft's cells are editable by admins (a small form per cell,
  posting to ``<n>/decisions/<pk>/`` with the ``updated_at`` it read), with adding and deleting
  a decision; ``draft/`` opens the draft from the latest published version;
- ``<n>/publish/``: the draft takes effect from a date, with a reason and the approving executive;
- ``compare/?old=<n>&new=<n>``, ``history/``, ``<n>/matrix.csv`` and ``<n>/print/`` for auditors.

Thin: writes go through governance/services/matrix.py (the API's and the admin's too), reads
through governance/selectors.py. A stale edit answers 409, invalid input 400, and a refused
write stores nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives.forms import add_refusal, error_summary
from metrics.models import KPI
from scoreboard import csv_writer, formatting

from .. import selectors
from ..forms import matrix as forms
from ..models import AccountableExecutive, AuditTrail, AutonomyTier, BreachWhen, MatrixDecision, MatrixVersion
from ..services import matrix as services

HISTORY_PAGE_SIZE = 50
# Up to this many decisions a version's grid is one page; beyond, one process per page.
WHOLE_GRID_UP_TO = 200


def _version(number: int) -> MatrixVersion:
    version = selectors.version_by_number(number)
    if version is None:
        raise Http404(f"There is no matrix v{number}.")
    return version


def _standing(version: MatrixVersion, effective: MatrixVersion | None, today) -> str:
    """Where a version stands: draft, in force, takes effect later, or superseded."""
    if version.status in (MatrixVersion.Status.DRAFT, MatrixVersion.Status.AWAITING):
        return version.status
    if effective is not None and effective.pk == version.pk:
        return "in_force"
    if version.effective_from > today:
        return "upcoming"
    return "superseded"


# --- The grid -----------------------------------------------------------------------------------------


@require_GET
def matrix(request):
    if "version" in request.GET:  # the version picker, without script
        number = request.GET["version"].strip()
        if not (number.isascii() and number.isdigit()):  # int() would read "-1", "1_0" and "١"
            return _grid(request, None, status=400, errors=["The “version” parameter is a version's number."])
        return redirect("governance:matrix-version", number=int(number))
    return _grid(request, None)


@require_GET
def matrix_version(request, number: int):
    return _grid(request, _version(number))


def _grid(request, version: MatrixVersion | None, *, status: int = 200, errors=()):
    today = timezone.localdate()
    effective = selectors.effective_version(on=today)
    if version is None:
        version = effective
    versions = selectors.version_list()
    draft = next((v for v in versions if v.status == MatrixVersion.Status.DRAFT), None)
    awaiting = next((v for v in versions if v.status == MatrixVersion.Status.AWAITING), None)
    latest_published = next((v for v in versions if v.status == MatrixVersion.Status.PUBLISHED), None)
    upcoming = [v for v in versions if v.status == MatrixVersion.Status.PUBLISHED and v.effective_from > today]
    user = request.user
    can_edit = version is not None and user.has_perm("governance.change_matrixversion", version)
    # A version replaced by a later one is shown against the figures of its own months, as it stood.
    month = selectors.last_month_read(version, versions) if version else None
    listed = next((v for v in versions if version is not None and v.pk == version.pk), None)
    decision_count = listed.decision_count if listed is not None else 0
    # A large version shows one process at a time (its decisions, with an index of the others), so
    # the page stays quick and small at thousands of decisions; a small one shows them all.
    shown, processes = None, []
    if decision_count > WHOLE_GRID_UP_TO:
        processes = selectors.version_processes(version, month=month)
        names = [p.process for p in processes]
        shown = request.GET.get("process") if request.GET.get("process") in names else names[0]
    grid = selectors.version_grid(version, month=month, process=shown) if version else []
    rows = [d for process in grid for group in process.groups for d in group.decisions]
    # Listed: the process shown's (all of them when the grid is one page); the index counts the others.
    outside = [d.bound for d in rows if d.bound is not None and d.bound.outside]
    outside_total = sum(p.outside for p in processes) if shown is not None else len(outside)
    previous = next((v for v in versions if version is not None and v.number < version.number), None)
    context = {
        "version": version,
        "standing": _standing(version, effective, today) if version is not None else None,
        "effective": effective,
        "draft": draft,
        "awaiting": awaiting,
        "latest_published": latest_published,
        "approvals": selectors.approval_rounds(version) if version is not None else [],
        "upcoming": upcoming,
        "versions": versions,
        "previous": previous,
        "grid": grid,
        "processes": processes if shown is not None else [],
        "outside_total": outside_total,
        "shown_process": shown,
        "decision_count": decision_count,
        "outside": outside,
        "can_edit": can_edit,
        "can_open_draft": draft is None and awaiting is None and user.has_perm("governance.add_matrixversion"),
        "can_publish": version is not None and user.has_perm("governance.publish_matrixversion", version),
        "errors": list(errors),
        "history": selectors.version_history(version) if version is not None else None,
    }
    if can_edit:
        context.update(
            tiers=AutonomyTier.choices,
            executives=AccountableExecutive.choices,
            audit_trails=AuditTrail.choices,
            breach_whens=BreachWhen.choices,
            kpis=list(KPI.objects.order_by("name").only("pk", "name", "code")),
            cell_kinds=list(forms.CELLS),
        )
    return render(request, "governance/matrix.html", context, status=status)


# --- Editing the draft ------------------------------------------------------------------------------------


def _editable(request, number: int) -> MatrixVersion:
    version = _version(number)
    if not request.user.has_perm("governance.add_matrixdecision"):
        raise PermissionDenied(services.ONLY_ADMINS)
    if not request.user.has_perm("governance.change_matrixversion", version):
        raise PermissionDenied(
            f"Matrix v{version.number} is published: it is evidence and does not change. Changes go into a new "
            "draft version."
        )
    return version


@require_POST
def draft_open(request):
    if not request.user.has_perm("governance.add_matrixversion"):
        raise PermissionDenied(services.ONLY_ADMINS)
    form = forms.DraftOpenForm(request.POST)
    if form.is_valid():
        try:
            draft = services.matrix_draft_open(by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as refusal:
            return _grid(request, None, status=400, errors=[m for ms in refusal.message_dict.values() for m in ms])
        messages.success(request, f"Draft v{draft.number} opened: edit its cells, then ask for approval to publish it.")
        return redirect("governance:matrix-version", number=draft.number)
    return _grid(request, None, status=400, errors=error_summary([("New draft", form)]))


@require_http_methods(["GET", "POST"])
def decision_add(request, number: int):
    version = _editable(request, number)
    form = forms.DecisionForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                decision = services.matrix_decision_save(by=request.user, version=version, data=form.decision_data())
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"“{decision.decision}” added to v{version.number}.")
                return redirect(f"{_version_url(version)}#decision-{decision.pk}")
        status = 400
    context = {"version": version, "form": form, "decision": None, "errors": error_summary([("Decision", form)])}
    return render(request, "governance/matrix_decision_form.html", context, status=status)


def _version_url(version: MatrixVersion) -> str:
    return reverse("governance:matrix-version", args=[version.number])


@require_http_methods(["GET", "POST"])
def decision_edit(request, number: int, pk: int):
    """The whole row, or one cell of it (``cell`` names it: CELLS)."""
    version = _editable(request, number)
    decision = get_object_or_404(MatrixDecision.objects.select_related("initiative", "monitoring_kpi"), pk=pk)
    if decision.version_id != version.pk:
        raise Http404(f"v{version.number} has no such decision.")
    source = request.POST if request.method == "POST" else request.GET
    cell = source.get("cell", "")
    if cell and cell not in forms.CELLS:
        raise Http404("No such cell.")
    names = forms.CELLS[cell] if cell else services.DECISION_FIELDS
    status = 200
    if request.method == "POST":
        form = forms.DecisionForm(request.POST, names=names)
        if form.is_valid():
            try:
                services.matrix_decision_save(
                    by=request.user, decision=decision, data=form.decision_data(), read_at=form.cleaned_data["read_at"]
                )
            except services.StaleEdit as refusal:
                add_refusal(refusal, form)
                status = 409
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"“{decision.decision}” saved.")
                return redirect(f"{_version_url(version)}#decision-{decision.pk}")
        status = status if status != 200 else 400
    else:
        form = forms.DecisionForm(
            names=names,
            initial={
                "read_at": decision.updated_at.isoformat(),
                **{name: getattr(decision, name) for name in names},
            },
        )
    context = {
        "version": version,
        "decision": decision,
        "form": form,
        "cell": cell,
        "errors": error_summary([("Decision", form)]),
    }
    return render(request, "governance/matrix_decision_form.html", context, status=status)


@require_POST
def decision_delete(request, number: int, pk: int):
    version = _editable(request, number)
    decision = get_object_or_404(MatrixDecision, pk=pk, version=version)
    form = forms.DeleteForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.matrix_decision_delete(by=request.user, decision=decision, read_at=form.cleaned_data["read_at"])
        except services.StaleEdit as refusal:
            add_refusal(refusal, form)
            status = 409
        else:
            messages.success(request, f"“{decision.decision}” removed from v{version.number}.")
            return redirect("governance:matrix-version", number=version.number)
    context = {
        "version": version,
        "decision": decision,
        "form": None,
        "deleting": True,
        "errors": error_summary([("Deleting", form)]),
    }
    return render(request, "governance/matrix_decision_form.html", context, status=status)


# --- Publishing ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def publish(request, number: int):
    """Ask the approving executive to publish the draft: it takes effect when they approve it."""
    version = _version(number)
    if not request.user.has_perm("governance.add_matrixversion"):
        raise PermissionDenied("Only admins ask for the decision-authority matrix to be published.")
    status = 200
    if request.method == "POST":
        form = forms.PublishForm(request.POST)
        if form.is_valid():
            try:
                asked = services.matrix_version_submit(by=request.user, version=version, **form.cleaned_data)
            except services.NotADraft as refusal:
                add_refusal(refusal, form)
                status = 409
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(
                    request,
                    f"Asked {asked.executive} to approve matrix v{version.number}, due "
                    f"{formatting.moment(asked.due_at)}: it takes effect when they approve it.",
                )
                return redirect("governance:matrix-version", number=version.number)
        status = status if status != 200 else 400
    else:
        if version.status != MatrixVersion.Status.DRAFT:
            messages.info(request, services.no_longer_a_draft(version))
            return redirect("governance:matrix-version", number=version.number)
        form = forms.PublishForm(
            initial={
                "effective_from": timezone.localdate(),
                "reason": version.reason,
                "approver": services.default_approver(),
            }
        )
    context = {
        "version": version,
        "form": form,
        "decision_count": version.decisions.count(),
        "approver_title": settings.MATRIX_APPROVER_TITLE,
        "errors": error_summary([("Publishing", form)]),
    }
    return render(request, "governance/matrix_publish.html", context, status=status)


# --- Comparing, history, export -------------------------------------------------------------------------


@require_GET
def compare(request):
    versions = selectors.version_list()
    status, comparison, rows = 200, None, []
    if "old" in request.GET or "new" in request.GET:
        form = forms.CompareForm(request.GET, versions=versions)
        if form.is_valid():
            comparison = services.matrix_compare(old=form.cleaned_data["old"], new=form.cleaned_data["new"])
            rows = _compare_rows(comparison)
        else:
            status = 400
    else:
        # Unasked: the version in force against the draft (or the two newest), as a start.
        newest = versions[:2]
        initial = {"old": newest[-1].number, "new": newest[0].number} if newest else {}
        form = forms.CompareForm(initial=initial, versions=versions)
    context = {
        "form": form,
        "versions": versions,
        "comparison": comparison,
        "rows": rows,
        "errors": error_summary([("Compare", form)]) if form.is_bound else [],
    }
    return render(request, "governance/matrix_compare.html", context, status=status)


def _compare_rows(comparison: services.Comparison) -> list[dict]:
    """Each added, removed or changed decision with every compared field side by side."""
    rows = []
    for state, old, new, changed in (
        *(("added", None, d, set()) for d in comparison.added),
        *(("removed", d, None, set()) for d in comparison.removed),
        *(("changed", c.old, c.new, c.changed_names) for c in comparison.changed),
    ):
        either = new or old
        rows.append(
            {
                "state": state,
                "key": either.key,
                "decision": either,
                "sort": (either.process.lower(), either.key),
                "fields": [
                    {
                        "label": services.label_of(name),
                        "before": services.display_of(old, name) if old else "",
                        "after": services.display_of(new, name) if new else "",
                        "changed": name in changed,
                    }
                    for name in services.COMPARED_FIELDS
                ],
            }
        )
    return sorted(rows, key=lambda row: row["sort"])


@require_GET
def history(request):
    page = selectors.matrix_history(page=request.GET.get("page"), per_page=HISTORY_PAGE_SIZE)
    return render(request, "governance/matrix_history.html", {"page": page})


CSV_HEADER = (
    "version",
    "version_status",
    "effective_from",
    "process",
    "initiative",
    "initiative_name",
    "key",
    "decision",
    "autonomy_tier",
    "confidence_threshold",
    "escalation_owner",
    "accountable_executive",
    "override_protocol",
    "audit_trail",
    "monitoring_kpi",
    "monitoring_kpi_name",
    "breach_when",
    "breach_threshold",
)


def _csv_rows(version: MatrixVersion, decisions: list[MatrixDecision]):
    yield CSV_HEADER
    for d in decisions:
        cells = (
            version.number,
            version.get_status_display(),
            version.effective_from,
            d.process,
            d.initiative.code if d.initiative else "",
            d.initiative.name if d.initiative else "",
            d.key,
            d.decision,
            d.get_autonomy_tier_display(),
            d.confidence_threshold,
            d.escalation_owner,
            d.get_accountable_executive_display(),
            d.override_protocol,
            d.get_audit_trail_display(),
            d.monitoring_kpi.code if d.monitoring_kpi else "",
            d.monitoring_kpi.name if d.monitoring_kpi else "",
            d.get_breach_when_display() if d.breach_when else "",
            d.breach_threshold,
        )
        yield [csv_writer.csv_cell(cell) for cell in cells]


@require_GET
def export_csv(request, number: int):
    version = _version(number)
    rows = _csv_rows(version, selectors.version_decisions(version))
    response = StreamingHttpResponse(csv_writer.csv_lines(rows), content_type="text/csv; charset=utf-8")
    state = "draft" if version.status == MatrixVersion.Status.DRAFT else f"effective-{version.effective_from}"
    response["Content-Disposition"] = f'attachment; filename="decision-matrix-v{version.number}-{state}.csv"'
    return response


@require_GET
def print_view(request, number: int):
    version = _version(number)
    today = timezone.localdate()
    context = {
        "version": version,
        "standing": _standing(version, selectors.effective_version(on=today), today),
        "decisions": selectors.version_decisions(version),
        "printed_at": timezone.now(),
    }
    return render(request, "governance/matrix_print.html", context)


urlpatterns = [
    path("", matrix, name="matrix"),
    path("draft/", draft_open, name="matrix-draft-open"),
    path("compare/", compare, name="matrix-compare"),
    path("history/", history, name="matrix-history"),
    path("<int:number>/", matrix_version, name="matrix-version"),
    path("<int:number>/decisions/add/", decision_add, name="matrix-decision-add"),
    path("<int:number>/decisions/<int:pk>/", decision_edit, name="matrix-decision-edit"),
    path("<int:number>/decisions/<int:pk>/delete/", decision_delete, name="matrix-decision-delete"),
    path("<int:number>/publish/", publish, name="matrix-publish"),
    path("<int:number>/matrix.csv", export_csv, name="matrix-csv"),
    path("<int:number>/print/", print_view, name="matrix-print"),
]
