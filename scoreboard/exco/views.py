"""The ExCo pages: the month's dashboard, its PDF packs, the two sign-offs, restatements, and
the figure behind each tile with its notes. Thin: reads come from dashboard.py, writes go through
services.py (and metrics' annotations service)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives.models import Initiative
from metrics.models import KPI
from metrics.services.annotations import annotation_add

from ..converters import MonthConverter
from ..forms import add_refusal
from . import cache, dashboard, pack, preread, services
from .forms import PreReadSettingsForm


@require_GET
def home(request):
    """Where each person's work is, and where signing in lands: an ops lead's initiatives (unless
    they also sit on the ExCo), everyone else the latest month's ExCo dashboard."""
    user = request.user
    if user.is_ops_lead and not user.is_executive:
        return redirect("workspace:home")
    return redirect("exco-month", month=dashboard.latest_month())


@require_GET
def exco_pick(request):
    """The month picker's target: ?month=YYYY-MM."""
    try:
        month = MonthConverter().to_python(request.GET.get("month", ""))
    except ValueError:
        messages.error(request, "Month: choose a month written as YYYY-MM, e.g. 2026-03.")
        return redirect("home")
    return redirect("exco-month", month=month)


@require_GET
def exco_month(request, month: date):
    """The month's page, from the cache (cache.py); a repeat request for what the viewer already
    has answers 304, without rendering."""
    page = cache.month_page(month)
    viewer = cache.for_viewer(page, request)
    # A message to show (a refused sign-off) makes this response unlike any other: no validator.
    validators = {} if len(messages.get_messages(request)) else {"etag": cache.etag(page, request, viewer)}
    response = get_conditional_response(request, **validators)
    if response is None:
        response = render(request, "scoreboard/exco.html", {"month": month, "body": cache.body(page, request, viewer)})
    if validators:
        response["ETag"] = validators["etag"]
        response["Last-Modified"] = http_date(page.last_modified.timestamp())
    # Each person's own page: browsers keep it, shared caches never; always asked again (no-cache).
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def exco_pack(request, month: date):
    """The month as a printable PDF; a frozen month's pack is rendered once and kept."""
    pdf = pack.month_pack(month)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exco-pack-{month:%Y-%m}.pdf"'
    return response


@require_GET
def exco_revision_pack(request, month: date, revision: int):
    """The pack kept for one signed revision of the month, as it was printed."""
    pdf = pack.revision_pack(month, revision)
    if pdf is None:
        raise Http404(f"No pack is kept for revision {revision} of {month:%B %Y}.")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exco-pack-{month:%Y-%m}-r{revision}.pdf"'
    return response


@require_POST
def exco_restate(request, month: date):
    """Apply the month's pending restatement: a new revision, for both to sign again."""
    try:
        review = services.restatement_apply(month=month, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(
            request,
            f"Restatement applied as revision {review.revision} of {month:%B %Y}: it awaits the signatures of "
            "both the CIO and the COO. Until then the page shows the revision they signed.",
        )
    except ValidationError as error:
        _tell_refusal(request, error)
    except services.PackNotPrinted as error:
        messages.error(request, str(error))
    return redirect(reverse("exco-month", args=[month]) + "#restatements")


def _tell_refusal(request, error: ValidationError) -> None:
    for field, problems in error.message_dict.items() if hasattr(error, "error_dict") else [("", error.messages)]:
        for problem in problems:
            # The month's own refusals read as a sentence; a field's are named.
            named = field not in ("", "month", "__all__")
            messages.error(request, f"{field.capitalize()}: {problem}" if named else problem)


@require_POST
def exco_sign_off(request, month: date):
    slot = request.POST.get("slot", "")
    try:
        if request.POST.get("action") == "withdraw":
            services.review_unsign(month=month, by=request.user, slot=slot)
            messages.success(request, f"Your {slot.upper()} sign-off of {month:%B %Y} is withdrawn.")
        else:
            review = services.review_sign(month=month, by=request.user, slot=slot, comment=request.POST.get("comment"))
            frozen = " Both have signed: the month is frozen." if review.is_frozen else ""
            messages.success(request, f"{month:%B %Y} signed off as {slot.upper()}.{frozen}")
    except ValidationError as error:
        _tell_refusal(request, error)
    return redirect("exco-month", month=month)


@require_GET
def kpi_drilldown(request, month: date, code: str):
    """The measurements behind one figure: source, time and who entered each."""
    kpi = get_object_or_404(KPI.objects.select_related("accountable_executive", "co_accountable_executive"), code=code)
    initiative = None
    if request.GET.get("initiative"):
        initiative = get_object_or_404(Initiative, code=request.GET["initiative"])
    figure = dashboard.figure_behind(kpi, month, initiative)
    page = Paginator(figure["measurements"], 100).get_page(request.GET.get("page"))
    return render(
        request,
        "scoreboard/drilldown.html",
        {
            **figure,
            "page": page,
            "month": month,
            "can_annotate": request.user.has_perm("metrics.add_annotation", kpi),
        },
    )


@require_POST
def kpi_annotate(request, month: date, code: str):
    kpi = get_object_or_404(KPI, code=code)
    if not request.user.has_perm("metrics.add_annotation", kpi):
        raise PermissionDenied("Only the KPI's accountable executives (or an admin) annotate it.")
    initiative = None
    if request.POST.get("initiative"):
        initiative = Initiative.objects.filter(code=request.POST["initiative"]).first()
        if initiative is None:
            raise Http404("No such initiative.")
    try:
        annotation_add(
            kpi=kpi, month=month, initiative=initiative, text=request.POST.get("text", ""), author=request.user
        )
        messages.success(request, "Note added: it shows on the chart.")
    except ValidationError as error:
        for problem in error.message_dict.get("text", error.messages):
            messages.error(request, f"Text: {problem}")
    url = f"{request.path.rsplit('annotate/', 1)[0]}"
    if initiative:
        url += f"?initiative={initiative.code}"
    return redirect(url)


@require_http_methods(["GET", "POST"])
def preread_settings(request):
    """A member's own pre-read: on or off, HTML or plain text, and the ones they were sent."""
    if not request.user.is_executive:
        raise PermissionDenied(preread.ONLY_MEMBERS)
    form = PreReadSettingsForm(request.POST or None, initial=preread.subscription_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            preread.preread_subscription_set(
                by=request.user, enabled=form.cleaned_data["enabled"], mail_format=form.cleaned_data["format"]
            )
        except ValidationError as refusal:
            add_refusal(refusal, form)
        else:
            messages.success(request, "Your pre-read settings are saved.")
            return redirect("preread-settings")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "scoreboard/preread_settings.html",
        {"form": form, "sent": preread.sent_to(request.user), "schedule": preread.schedule_words()},
        status=status,
    )
