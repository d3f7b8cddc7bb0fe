"""The registers and the expansion pipeline: the shadow-AI register (and promoting a tool to
an initiative), the risk register with its heat grid, the shared-zone decisions, and the
ranked pipeline of candidates with their prioritisation inputs.

Read by everyone signed in. Written by admins (tools, promotions, risks, decisions to take,
prioritisation inputs), the CEO and the COO (their inputs, the joint decision), each write
through initiatives/services.py or governance/services/registers.py. Each page reads a fixed
number of queries whatever the size of the register (pinned in tests/governance/test_register_query_counts.py).
"""

from __future__ import annotations

from collections import Counter
from copy import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.services.shadow_ai import (
    PROMOTION_FIELDS,
    SHADOW_AI_TOOL_FIELDS,
    AlreadyPromoted,
    shadow_ai_tool_promote,
    shadow_ai_tool_save,
)
from initiatives import selectors as initiative_selectors
from initiatives.forms import add_refusal, error_summary
from initiatives.models import PIPELINE_STAGES, Initiative, PrioritisationInput
from initiatives.services.prioritisation import PRIORITISATION_LABELS, prioritisation_input_save

from .. import selectors
from ..forms import registers as forms
from ..models import Risk, RiskStatus, ShadowAIStatus, ShadowAITool, SharedZoneDecision, SharedZoneTopic
from ..services import registers as services
from .home import SEVERE_RATING

PAGE_SIZE = 50
RATINGS = range(1, 6)


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- The shadow-AI register ------------------------------------------------------------------------


@require_GET
def shadow_ai(request):
    filters = forms.ShadowAIFilterForm(request.GET)
    context = {
        "filters": filters,
        "page": None,
        "can_edit": request.user.has_perm("governance.change_shadowaitool"),
        "history": selectors.register_history("shadow-ai"),
    }
    if not filters.is_valid():
        # A filter we cannot apply: say which and why rather than show a list it does not describe.
        return render(request, "governance/shadow_ai.html", context, status=400)
    tools = ShadowAITool.objects.select_related("promoted_to").order_by("tool", "team", "pk")
    if filters.cleaned_data["status"]:
        tools = tools.filter(status=filters.cleaned_data["status"])
    if filters.cleaned_data["sensitivity"]:
        tools = tools.filter(data_sensitivity=filters.cleaned_data["sensitivity"])
    page = _page(request, tools)
    for tool in page:
        # Restricted data in a tool nobody has decided on yet: the register's most urgent rows.
        tool.needs_attention = (
            tool.status == ShadowAIStatus.UNDER_REVIEW and tool.data_sensitivity == ShadowAITool.Sensitivity.RESTRICTED
        )
    context.update(
        page=page,
        can_promote=request.user.has_perm("governance.promote_shadowaitool"),
        restricted_under_review=ShadowAITool.objects.filter(
            status=ShadowAIStatus.UNDER_REVIEW, data_sensitivity=ShadowAITool.Sensitivity.RESTRICTED
        ).count(),
    )
    return render(request, "governance/shadow_ai.html", context)


@require_http_methods(["GET", "POST"])
def shadow_ai_edit(request, pk: int | None = None):
    tool = get_object_or_404(ShadowAITool, pk=pk) if pk is not None else None
    perm = "governance.change_shadowaitool" if tool else "governance.add_shadowaitool"
    if not request.user.has_perm(perm, tool):
        raise PermissionDenied("Only admins keep the shadow-AI register.")
    status = 200
    if request.method == "POST":
        # A copy: the form writes what was sent onto its instance, and the page's title is the stored name.
        form = forms.ShadowAIToolForm(request.POST, instance=copy(tool) if tool else None)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in SHADOW_AI_TOOL_FIELDS}
            try:
                saved = shadow_ai_tool_save(by=request.user, tool=tool, data=data)
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"{saved}: saved on the shadow-AI register.")
                return redirect(f"{reverse('governance:shadow-ai')}#tool-{saved.pk}")
        status = 400
    else:
        form = forms.ShadowAIToolForm(instance=tool, initial={} if tool else {"discovered_on": timezone.localdate()})
    context = {"tool": tool, "form": form, "errors": error_summary([("Shadow-AI tool", form)])}
    return render(request, "governance/shadow_ai_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def shadow_ai_promote(request, pk: int):
    tool = get_object_or_404(ShadowAITool.objects.select_related("promoted_to"), pk=pk)
    if not request.user.has_perm("governance.promote_shadowaitool", tool):
        raise PermissionDenied("Only admins promote a shadow-AI tool to an initiative.")
    status, refusal_lines = 200, []
    if request.method == "POST":
        form = forms.PromoteForm(request.POST)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in PROMOTION_FIELDS}
            try:
                initiative = shadow_ai_tool_promote(
                    tool=tool,
                    by=request.user,
                    data={**data, "ops_leads": list(form.cleaned_data["ops_leads"])},
                    status=form.cleaned_data["status"],
                )
            except AlreadyPromoted as refusal:
                # A second submit, or someone else was quicker: what exists is shown, nothing is made twice.
                tool.refresh_from_db()
                refusal_lines, status = refusal.messages, 409
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(
                    request, f"{tool}: promoted to the initiative {initiative.name}, at stage Idea. Complete it here."
                )
                return redirect("initiatives:detail", code=initiative.code)
        status = status if status != 200 else 400
    else:
        form = forms.PromoteForm(initial=forms.promotion_initial(tool))
    context = {
        "tool": tool,
        "form": form,
        "errors": [*refusal_lines, *error_summary([("Initiative", form)])] if request.method == "POST" else [],
    }
    return render(request, "governance/shadow_ai_promote.html", context, status=status)


# --- The risk register -----------------------------------------------------------------------------


def _heat_band(rating: int) -> str:
    if rating >= SEVERE_RATING:
        return "severe"
    if rating >= 10:
        return "high"
    if rating >= 5:
        return "medium"
    return "low"


def _heat_grid(risks) -> list[dict]:
    """Rows of impact 5 down to 1, columns of likelihood 1 to 5: how many risks sit in each cell."""
    counts = Counter(
        {
            (row["likelihood"], row["impact"]): row["n"]
            for row in risks.values("likelihood", "impact").annotate(n=Count("pk"))
        }
    )
    return [
        {
            "impact": impact,
            "cells": [
                {
                    "likelihood": likelihood,
                    "rating": likelihood * impact,
                    "band": _heat_band(likelihood * impact),
                    "count": counts[(likelihood, impact)],
                }
                for likelihood in RATINGS
            ],
        }
        for impact in reversed(RATINGS)
    ]


@require_GET
def risks(request):
    concerned = list(
        Initiative.objects.filter(risks__isnull=False).distinct().order_by("name", "code").values_list("code", "name")
    )
    filters = forms.RiskFilterForm(request.GET, initiatives=concerned)
    context = {
        "filters": filters,
        "page": None,
        "can_edit": request.user.has_perm("governance.change_risk"),
        "history": selectors.register_history("risks"),
    }
    if not filters.is_valid():
        return render(request, "governance/risks.html", context, status=400)
    chosen = filters.cleaned_data
    selected = Risk.objects.all()
    if chosen["category"]:
        selected = selected.filter(category=chosen["category"])
    if chosen["initiative"]:
        selected = selected.filter(initiatives__code=chosen["initiative"])
    # The grid shows where the live risks sit: any status but closed, in the category and initiative chosen.
    grid = _heat_grid(selected.exclude(status=RiskStatus.CLOSED).order_by())
    if chosen["status"]:
        selected = selected.filter(status=chosen["status"])
    listed = (
        selected.select_related("technology_owner", "operations_owner")
        .prefetch_related(Prefetch("initiatives", queryset=Initiative.objects.order_by("name").only("code", "name")))
        .annotate(rated=F("likelihood") * F("impact"))
        .order_by("-rated", "title", "pk")
    )
    page = _page(request, listed)
    for risk in page:
        risk.band = _heat_band(risk.rated)
    context.update(page=page, grid=grid, live_count=sum(c["count"] for row in grid for c in row["cells"]))
    return render(request, "governance/risks.html", context)


@require_http_methods(["GET", "POST"])
def risk_edit(request, pk: int | None = None):
    risk = get_object_or_404(Risk, pk=pk) if pk is not None else None
    perm = "governance.change_risk" if risk else "governance.add_risk"
    if not request.user.has_perm(perm, risk):
        raise PermissionDenied("Only admins keep the risk register.")
    status = 200
    if request.method == "POST":
        form = forms.RiskForm(request.POST, instance=copy(risk) if risk else None)
        if form.is_valid():
            try:
                saved = services.risk_save(
                    by=request.user,
                    risk=risk,
                    data={name: form.cleaned_data[name] for name in services.RISK_FIELDS},
                    initiatives=form.cleaned_data["initiatives"],
                )
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"{saved.title}: saved on the risk register.")
                return redirect(f"{reverse('governance:risks')}#risk-{saved.pk}")
        status = 400
    else:
        form = forms.RiskForm(instance=risk)
    context = {"risk": risk, "form": form, "errors": error_summary([("Risk", form)])}
    return render(request, "governance/risk_form.html", context, status=status)


# --- Shared-zone decisions -----------------------------------------------------------------------------


def _shared_zone_page(request, *, status: int = 200, failed: dict | None = None):
    """The decisions grouped by topic, each with the forms the person may use on it. ``failed``
    is a refused write to show again: the decision's pk, the action, its bound form and errors."""
    user = request.user
    may = {
        "ceo": user.has_perm("governance.give_ceo_input_sharedzonedecision"),
        "coo": user.has_perm("governance.give_coo_input_sharedzonedecision"),
        "decide": user.has_perm("governance.decide_sharedzonedecision"),
    }
    failed = failed or {}
    decisions = SharedZoneDecision.objects.select_related("initiative").order_by(
        F("decided_on").desc(nulls_first=True), "title", "pk"
    )
    by_topic: dict[str, list[dict]] = {topic: [] for topic in SharedZoneTopic.values}
    for decision in decisions:
        row = {"decision": decision, "forms": {}, "errors": []}
        open_for_input = not decision.joint_decision
        for side in services.SIDES:
            if may[side] and open_for_input:
                row["forms"][side] = forms.SharedZoneInputForm(
                    initial={"text": getattr(decision, f"{side}_input")}, auto_id=f"id_{side}_{decision.pk}_%s"
                )
        if may["decide"] and open_for_input and decision.ceo_input and decision.coo_input:
            row["forms"]["decide"] = forms.SharedZoneDecideForm(auto_id=f"id_decide_{decision.pk}_%s")
        if failed.get("pk") == decision.pk:
            row["forms"][failed["action"]] = failed["form"]
            row["errors"] = failed["errors"]
        row["waiting_for"] = [seat for side, seat in services.SIDES.items() if not getattr(decision, f"{side}_input")]
        by_topic.setdefault(decision.topic, []).append(row)
    context = {
        "topics": [
            {"code": topic, "label": SharedZoneTopic(topic).label, "rows": by_topic[topic]}
            for topic in SharedZoneTopic.values
        ],
        "can_admin": user.has_perm("governance.change_sharedzonedecision"),
        "may": may,
        "history": selectors.register_history("shared-zone"),
    }
    return render(request, "governance/shared_zone.html", context, status=status)


@require_GET
def shared_zone(request):
    return _shared_zone_page(request)


@require_POST
def shared_zone_input(request, pk: int, side: str):
    if side not in services.SIDES:
        raise Http404("No such input.")
    decision = get_object_or_404(SharedZoneDecision, pk=pk)
    seat = services.SIDES[side]
    if not request.user.has_perm(f"governance.give_{side}_input_sharedzonedecision", decision):
        raise PermissionDenied(f"Only the {seat} gives the {seat} input to a shared-zone decision.")
    form = forms.SharedZoneInputForm(request.POST, auto_id=f"id_{side}_{pk}_%s")
    if form.is_valid():
        try:
            services.shared_zone_input_give(
                decision=decision, by=request.user, side=side, text=form.cleaned_data["text"]
            )
        except ValidationError as refusal:
            for message in refusal.messages:
                form.add_error("text", message)
        else:
            messages.success(request, f"{decision.title}: your input as {seat} is recorded.")
            return redirect(f"{reverse('governance:shared-zone')}#decision-{pk}")
    errors = error_summary([(f"{seat} input", form)])
    return _shared_zone_page(request, status=400, failed={"pk": pk, "action": side, "form": form, "errors": errors})


@require_POST
def shared_zone_decide(request, pk: int):
    decision = get_object_or_404(SharedZoneDecision, pk=pk)
    if not request.user.has_perm("governance.decide_sharedzonedecision", decision):
        raise PermissionDenied("Only the CEO or the COO records the joint decision of a shared-zone decision.")
    form = forms.SharedZoneDecideForm(request.POST, auto_id=f"id_decide_{pk}_%s")
    if form.is_valid():
        try:
            services.shared_zone_decide(decision=decision, by=request.user, **form.cleaned_data)
        except ValidationError as refusal:
            add_refusal(refusal, form)
        else:
            messages.success(request, f"{decision.title}: the joint decision is recorded.")
            return redirect(f"{reverse('governance:shared-zone')}#decision-{pk}")
    errors = error_summary([("Joint decision", form)])
    return _shared_zone_page(request, status=400, failed={"pk": pk, "action": "decide", "form": form, "errors": errors})


@require_http_methods(["GET", "POST"])
def shared_zone_edit(request, pk: int | None = None):
    decision = get_object_or_404(SharedZoneDecision, pk=pk) if pk is not None else None
    perm = "governance.change_sharedzonedecision" if decision else "governance.add_sharedzonedecision"
    if not request.user.has_perm(perm, decision):
        raise PermissionDenied("Only admins add and correct shared-zone decisions.")
    status = 200
    if request.method == "POST":
        form = forms.SharedZoneDecisionForm(request.POST, instance=copy(decision) if decision else None)
        if form.is_valid():
            try:
                saved = services.shared_zone_decision_save(
                    by=request.user,
                    decision=decision,
                    data={name: form.cleaned_data[name] for name in services.SHARED_ZONE_FIELDS},
                )
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"{saved.title}: saved.")
                return redirect(f"{reverse('governance:shared-zone')}#decision-{saved.pk}")
        status = 400
    else:
        form = forms.SharedZoneDecisionForm(instance=decision)
    context = {"decision": decision, "form": form, "errors": error_summary([("Shared-zone decision", form)])}
    return render(request, "governance/shared_zone_form.html", context, status=status)


# --- The registers' histories ----------------------------------------------------------------------------

# Each register's history is read by whoever reads the register.
_REGISTER_READ = {
    "risks": ("governance.view_risk", "governance:risks"),
    "shadow-ai": ("governance.view_shadowaitool", "governance:shadow-ai"),
    "shared-zone": ("governance.view_sharedzonedecision", "governance:shared-zone"),
}


@require_GET
def register_history(request, register: str):
    perm, register_url = _REGISTER_READ[register]
    if not request.user.has_perm(perm):
        raise PermissionDenied("Only people signed in to the scoreboard read the registers' history.")
    title = selectors.REGISTERS[register]
    context = {
        "title": title,
        "covers": f"Every row of {title[0].lower()}{title[1:]}: added, changed and removed.",
        "back_url": reverse(register_url),
        "back_label": title,
        "page": selectors.register_history_page(register, page=request.GET.get("page")),
    }
    return render(request, "history.html", context)


# --- The expansion pipeline ----------------------------------------------------------------------------


@require_GET
def pipeline(request):
    page = _page(request, initiative_selectors.pipeline_candidates())
    for rank, initiative in enumerate(page, start=page.start_index()):
        initiative.rank = rank
        # The reverse one-to-one raises AttributeError's subclass when there are no inputs.
        initiative.inputs = getattr(initiative, "prioritisation", None)
        initiative.score = initiative_selectors.priority_score_of(initiative.priority)
    context = {
        "page": page,
        "stages": [stage.label for stage in PIPELINE_STAGES],
        "can_edit": request.user.has_perm("initiatives.change_prioritisationinput"),
    }
    return render(request, "governance/pipeline.html", context)


@require_http_methods(["GET", "POST"])
def pipeline_inputs(request, code: str):
    initiative = get_object_or_404(Initiative.objects.select_related("prioritisation"), code=code)
    inputs = getattr(initiative, "prioritisation", None)
    perm = "initiatives.change_prioritisationinput" if inputs else "initiatives.add_prioritisationinput"
    if not request.user.has_perm(perm, inputs or initiative):
        raise PermissionDenied("Only admins set an initiative's prioritisation inputs.")
    status = 200
    if request.method == "POST":
        form = forms.PrioritisationForm(request.POST, instance=copy(inputs) if inputs else PrioritisationInput())
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in PRIORITISATION_LABELS}
            try:
                prioritisation_input_save(initiative=initiative, by=request.user, data=data)
            except ValidationError as refusal:
                add_refusal(refusal, form)
            else:
                messages.success(request, f"{initiative.name}: prioritisation inputs saved.")
                return redirect(f"{reverse('governance:pipeline')}#candidate-{initiative.code}")
        status = 400
    else:
        form = forms.PrioritisationForm(instance=inputs)
    context = {"initiative": initiative, "inputs": inputs, "form": form, "errors": error_summary([("Inputs", form)])}
    return render(request, "governance/pipeline_inputs.html", context, status=status)


urlpatterns = [
    path("shadow-ai/", shadow_ai, name="shadow-ai"),
    path("shadow-ai/new/", shadow_ai_edit, name="shadow-ai-add"),
    path("shadow-ai/<int:pk>/edit/", shadow_ai_edit, name="shadow-ai-edit"),
    path("shadow-ai/<int:pk>/promote/", shadow_ai_promote, name="shadow-ai-promote"),
    path("shadow-ai/history/", register_history, {"register": "shadow-ai"}, name="shadow-ai-history"),
    path("risks/", risks, name="risks"),
    path("risks/new/", risk_edit, name="risk-add"),
    path("risks/<int:pk>/edit/", risk_edit, name="risk-edit"),
    path("risks/history/", register_history, {"register": "risks"}, name="risks-history"),
    path("shared-zone/", shared_zone, name="shared-zone"),
    path("shared-zone/new/", shared_zone_edit, name="shared-zone-add"),
    path("shared-zone/<int:pk>/edit/", shared_zone_edit, name="shared-zone-edit"),
    path("shared-zone/<int:pk>/input/<slug:side>/", shared_zone_input, name="shared-zone-input"),
    path("shared-zone/<int:pk>/decide/", shared_zone_decide, name="shared-zone-decide"),
    path("shared-zone/history/", register_history, {"register": "shared-zone"}, name="shared-zone-history"),
    path("pipeline/", pipeline, name="pipeline"),
    path("pipeline/<slug:code>/inputs/", pipeline_inputs, name="pipeline-inputs"),
]
