"""CSV in and out for an initiative's measurements (/my/...). Thin: the reading is csv_io's, the
writes services/csv_import.py's.

Who: an initiative's ops leads and admins download the template, upload, preview and store;
executives (and they) download the export. Anyone else gets 403 and nothing is stored.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives.models import Initiative
from scoreboard.csv_writer import csv_lines

from . import csv_io
from .models import CsvImport
from .services import csv_import as csv_imports

PAGE_ROWS = 200


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file")


def _initiative(request, code: str, perm: str) -> Initiative:
    initiative = get_object_or_404(Initiative, code=code)
    if not request.user.has_perm(perm, initiative):
        raise PermissionDenied(f"You may not do this for {initiative.name}.")
    return initiative


def _import(request, uuid) -> CsvImport:
    csv_import = CsvImport.objects.select_related("initiative", "uploaded_by", "stored_by").filter(uuid=uuid).first()
    if csv_import is None:
        raise Http404("No such upload.")
    if not request.user.has_perm("metrics.record_measurement", csv_import):
        raise PermissionDenied(f"You do not record measurements for {csv_import.initiative.name}.")
    return csv_import


def _csv_response(rows, file_name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@require_GET
def csv_template(request, code: str):
    initiative = _initiative(request, code, "metrics.record_measurement")
    return _csv_response(csv_io.template_rows(initiative), f"{initiative.code}-template.csv")


@require_GET
def measurements_export(request, code: str):
    initiative = _initiative(request, code, "metrics.export_measurements")
    return _csv_response(csv_io.export_rows(initiative), f"{initiative.code}-measurements.csv")


@require_http_methods(["GET", "POST"])
def csv_upload(request, code: str):
    initiative = _initiative(request, code, "metrics.record_measurement")
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # One byte past the limit is enough to know it is too big.
                data = upload.read(csv_io.MAX_BYTES + 1)
                csv_import = csv_imports.csv_import_create(
                    initiative=initiative, by=request.user, file_name=upload.name, data=data
                )
            except csv_io.CsvRefused as refusal:
                form.add_error("file", str(refusal))
            else:
                return redirect("workspace:csv-preview", uuid=csv_import.uuid)
        status = 400
    context = {
        "initiative": initiative,
        "form": form,
        "kpis": csv_io.template_kpis(initiative),
        "limits": {"rows": csv_io.MAX_ROWS, "megabytes": csv_io.MAX_BYTES // (1024 * 1024)},
        "in_request_rows": csv_imports.IN_REQUEST_ROWS,
        "ignored_columns": csv_io.IGNORED_COLUMNS,
        "recent": CsvImport.objects.filter(initiative=initiative).select_related("uploaded_by")[:10],
    }
    return render(request, "metrics/csv_upload.html", context, status=status)


@require_GET
def csv_preview(request, uuid):
    return _render_preview(request, _import(request, uuid))


def _render_preview(request, csv_import: CsvImport, *, error: str = "", status: int = 200) -> HttpResponse:
    problems_only = request.GET.get("only") == "problems"
    rows = csv_io.PreviewRows(csv_import, problems_only=problems_only)
    page = Paginator(rows, PAGE_ROWS).get_page(request.GET.get("page"))
    context = {
        "csv_import": csv_import,
        "initiative": csv_import.initiative,
        "page": page,
        "problems_only": problems_only,
        "invalid": csv_import.rows_checked - csv_import.rows_valid,
        "distinct": csv_import.rows_valid - csv_import.rows_repeated,  # what storing the valid rows stores
        "counts": csv_io.accounted(csv_import),
        "reading": csv_io.reading_rule(csv_import),
        "stored_before": csv_io.stored_before(csv_import),
        "progress": csv_io.progress(csv_import),
        "error": error,
    }
    return render(request, "metrics/csv_preview.html", context, status=status)


@require_POST
def csv_store(request, uuid):
    """POST choice=all (every row valid) or choice=valid with confirm=yes (only the valid rows);
    keep_last=yes to store the last of rows repeating one KPI, initiative and period."""
    csv_import = _import(request, uuid)
    choice = request.POST.get("choice")
    if choice not in ("all", "valid"):
        return _render_preview(
            request, csv_import, error="Choose what to store: all rows, or only the valid ones.", status=400
        )
    if choice == "valid" and request.POST.get("confirm") != "yes":
        error = "Tick the box to confirm that the rows with problems are left out."
        return _render_preview(request, csv_import, error=error, status=400)
    try:
        csv_imports.csv_import_request_store(
            csv_import=csv_import,
            by=request.user,
            valid_only=choice == "valid",
            keep_last=request.POST.get("keep_last") == "yes",
        )
    except csv_imports.StoreRefused as refusal:
        return _render_preview(request, csv_import, error=str(refusal), status=409)
    csv_import.refresh_from_db()
    if csv_import.status == CsvImport.Status.STORED:
        counts = " · ".join(f"{count.words} {count.number:,}" for count in csv_io.accounted(csv_import))
        total = csv_import.rows_total
        read = ngettext("%(n)s row read", "%(n)s rows read", total) % {"n": f"{total:,}"}
        messages.success(request, f"{read}: {counts}.")
    return redirect("workspace:csv-preview", uuid=csv_import.uuid)


@require_GET
def csv_progress(request, uuid):
    return JsonResponse(csv_io.progress(_import(request, uuid)))
