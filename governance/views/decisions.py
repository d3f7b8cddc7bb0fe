"""The decision log: decisions asked of an executive, with the 24-hour answer target.

- ``/governance/decisions/``: open requests first (the overdue ones marked, with how long),
  then the answered ones (the answer, the note, when, and whether within the due time);
  filtered by executive, initiative and state, in pages. An executive sees what is asked of
  them above it.
- ``ask/``: anyone signed in asks an executive, due in 24 hours unless they choose a time.
- ``<pk>/``: one request and its history; the executive asked answers it there (``<pk>/answer/``).

Read by everyone signed in. Writes go through governance/services/decisions.py (the API's
too). Each page reads a fixed number of queries whatever the size of the log (pinned in
tests/governance/test_decision_log_page.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives.forms import add_refusal, error_summary
from initiatives.models import Initiative
from initiatives.services import stages
from scoreboard import formatting, writes

from .. import selectors
from ..forms import decisions as forms
from ..models import DecisionRequest
from ..services import decisions as services
from ..services import stage_moves

PAGE_SIZE = 50
# What an executive sees first of what waits on them; the filter shows the rest.
ASKED_SHOWN = 20


def _mark(requests: Iterable[DecisionRequest], now: datetime) -> None:
    """How each request stands against its due time, in words for the page."""
    for request in requests:
        if request.answered_at is None:
            request.is_overdue = request.due_at < now
            request.overdue_by = services.how_long(now - request.due_at) if request.is_overdue else ""
            request.due_in = "" if request.is_overdue else services.how_long(request.due_at - now)
        else:
            request.is_overdue = False
            request.took = services.how_long(request.answered_at - request.requested_at)
            request.on_time = request.answered_at <= request.due_at
            request.late_by = "" if request.on_time else services.how_long(request.answered_at - request.due_at)


@require_GET
def decision_log(request):
    now = timezone.now()
    filters = forms.DecisionFilterForm(request.GET)
    context = {"filters": filters, "page": None, "now": now}
    if not filters.is_valid():
        # A filter we cannot apply: say which and why rather than show a list it does not describe.
        return render(request, "governance/decisions.html", context, status=400)
    chosen = filters.cleaned_data
    log = services.decision_log(
        now=now, executive=chosen["executive"], initiative=chosen["initiative"], state=chosen["state"]
    )
    page = Paginator(log, PAGE_SIZE).get_page(request.GET.get("page"))
    _mark(page, now)
    asked_of_you = []
    if request.user.is_executive:
        asked_of_you = list(services.open_requests_to(request.user)[: ASKED_SHOWN + 1])
        _mark(asked_of_you, now)
    context.update(
        page=page,
        filtered=any(chosen.values()),
        asked_of_you=asked_of_you[:ASKED_SHOWN],
        more_asked_of_you=len(asked_of_you) > ASKED_SHOWN,
        totals=DecisionRequest.objects.aggregate(
            open=Count("pk", filter=Q(answered_at__isnull=True)),
            overdue=Count("pk", filter=Q(answered_at__isnull=True, due_at__lt=now)),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            late=Count("pk", filter=Q(answered_at__gt=F("due_at"))),
        ),
    )
    return render(request, "governance/decisions.html", context)


@require_http_methods(["GET", "POST"])
def decision_ask(request):
    if not request.user.has_perm("governance.add_decisionrequest"):
        raise PermissionDenied("Only people signed in ask an executive for a decision.")
    status = 200
    if request.method == "POST":
        form = forms.DecisionAskForm(request.POST)
        if form.is_valid():
            try:
                asked = services.decision_request_create(by=request.user, **form.cleaned_data)
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                return _asked(request, asked, "Asked {who}: the answer is due {due}.")
        status = 400
    else:
        # A link may name the executive and the initiative (?executive=coo&initiative=claims-triage).
        form = forms.DecisionAskForm(
            initial={
                "executive": request.GET.get("executive", ""),
                "initiative": request.GET.get("initiative", ""),
                "due_at": timezone.localtime(timezone.now() + services.ANSWER_WITHIN).replace(second=0, microsecond=0),
            }
        )
    context = {"form": form, "errors": error_summary([("Decision request", form)])}
    return render(request, "governance/decision_ask.html", context, status=status)


def _asked(request, asked: DecisionRequest, said: str):
    """Say whom ``said`` (with {who} and {due}) asked, and show the request."""
    messages.success(request, said.format(who=asked.executive, due=formatting.moment(asked.due_at)))
    return redirect("governance:decision", pk=asked.pk)


@require_http_methods(["GET", "POST"])
def stage_move_ask(request, code: str):
    """Ask an initiative's sponsor to move it into Production or Scaled, or to retire it."""
    initiative = get_object_or_404(Initiative.objects.select_related("sponsor"), code=code)
    if not request.user.has_perm("governance.ask_stage_move", initiative):
        raise PermissionDenied(f"Only the ops leads of {initiative.code} and admins ask its sponsor to move it.")
    status = 200
    if request.method == "POST":
        form = forms.StageMoveForm(request.POST)
        if form.is_valid():
            try:
                asked = stage_moves.stage_move_ask(by=request.user, initiative=initiative, **form.cleaned_data)
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                return _asked(request, asked, "Asked {who} to approve the move, due {due}.")
        status = 400
    else:
        form = forms.StageMoveForm(initial={"stage": stages.next_stage(initiative.stage) or "retired"})
    context = {"form": form, "initiative": initiative, "errors": error_summary([("Stage move", form)])}
    return render(request, "governance/stage_move_ask.html", context, status=status)


@require_GET
def decision_detail(request, pk: int):
    return _detail(request, pk)


def _detail(request, pk: int, *, form=None, refusals: list[str] | None = None, status: int = 200):
    decision_request = get_object_or_404(
        DecisionRequest.objects.select_related("executive", "requested_by", "initiative", "matrix_version"), pk=pk
    )
    now = timezone.now()
    _mark([decision_request], now)
    can_answer = decision_request.answered_at is None and request.user.has_perm(
        "governance.answer_decisionrequest", decision_request
    )
    if can_answer and form is None:
        form = forms.DecisionAnswerForm(approval=decision_request.is_approval)
    context = {
        "decision": decision_request,
        "approves": selectors.what_it_approves(decision_request),
        "can_answer": can_answer,
        "form": form if can_answer else None,
        "errors": [*(refusals or []), *(error_summary([("Answer", form)]) if form is not None else [])],
        "history": decision_request.history.select_related("history_user").order_by("history_date", "history_id"),
        "now": now,
    }
    return render(request, "governance/decision_detail.html", context, status=status)


@require_POST
def decision_answer(request, pk: int):
    decision_request = get_object_or_404(DecisionRequest.objects.select_related("executive"), pk=pk)
    if not request.user.has_perm("governance.answer_decisionrequest", decision_request):
        # The request's page, saying who answers it, rather than a bare "forbidden".
        refusal = f"Only {decision_request.executive}, who was asked, answers this request."
        return _detail(request, pk, refusals=[refusal], status=403)
    form = forms.DecisionAnswerForm(request.POST, approval=decision_request.is_approval)
    if not form.is_valid():
        return _detail(request, pk, form=form, status=400)
    try:
        answered = services.decision_answer(decision_request=decision_request, by=request.user, **form.cleaned_data)
    except writes.Conflict as refusal:
        # Answered already (a second submit, or from another tab): the stored answer stands and is shown.
        return _detail(request, pk, refusals=refusal.messages, status=409)
    except ValidationError as refusal:
        # A refusal of what the answer would do (a gate that no longer holds): nothing stored.
        add_refusal(refusal, form)
        return _detail(request, pk, form=form, status=400)
    messages.success(request, f"Answered: {answered.get_answer_display().lower()}.")
    return redirect("governance:decision", pk=pk)


urlpatterns = [
    path("", decision_log, name="decisions"),
    path("ask/", decision_ask, name="decision-ask"),
    path("<int:pk>/", decision_detail, name="decision"),
    path("<int:pk>/answer/", decision_answer, name="decision-answer"),
    path("stage-move/<str:code>/", stage_move_ask, name="stage-move-ask"),
]
