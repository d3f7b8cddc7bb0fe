"""Initiative pages. Thin: reads come from selectors.py, writes go through services.py, and
who may do what is asked of scoreboard/rules.py."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms, selectors
from .models import AffectedRole, DeploymentBrief, Initiative, StepPhase, WorkflowStep
from .services import brief as briefs
from .services.initiatives import StaleEdit, initiative_fields_for, initiative_update, who_changes
from .services.roadmap import roadmap_save
from .services.workflow import workflow_change_save

PAGE_SIZE = 50


@require_GET
def initiative_list(request):
    filters = forms.InitiativeFilterForm(
        request.GET, business_units=selectors.business_units(), owners=selectors.initiative_owners()
    )
    if not filters.is_valid():
        # A filter we cannot apply: say which and why rather than show a list it does not describe.
        return render(request, "initiatives/list.html", {"filters": filters, "page": None}, status=400)
    initiatives = selectors.initiative_list(**{k: v for k, v in filters.cleaned_data.items() if v})
    page = Paginator(initiatives, PAGE_SIZE).get_page(request.GET.get("page"))
    for initiative in page:
        initiative.priority_score = selectors.priority_score_of(initiative.priority)
    return render(request, "initiatives/list.html", {"filters": filters, "page": page})


@require_GET
def initiative_detail(request, code: str):
    return detail_page(request, code)


def detail_page(request, code: str, *, status: int = 200, action_errors: list[str] | None = None):
    """The initiative's page, with what an action on it refused (governance's gate recording uses it too)."""
    try:
        initiative = selectors.initiative_for_page(code)
    except Initiative.DoesNotExist:
        raise Http404("No such initiative.") from None
    user = request.user
    workflow_perm = "initiatives.change_workflowchange" if initiative.workflow else "initiatives.add_workflowchange"
    brief = initiative.brief
    context = {
        "initiative": initiative,
        "can_edit": user.has_perm("initiatives.change_initiative", initiative),
        # An owner who does not lead it edits only their own description, on the same page.
        "can_edit_description": bool(initiative_fields_for(by=user, initiative=initiative)),
        "can_edit_workflow": user.has_perm(workflow_perm, initiative.workflow or initiative),
        "can_edit_roadmap": user.has_perm("initiatives.change_milestone", initiative),
        "can_edit_brief": user.has_perm(
            "initiatives.change_deploymentbrief" if brief else "initiatives.add_deploymentbrief", brief or initiative
        ),
        # The slots this person may sign and that are still empty.
        "sign_slots": [
            (slot, label)
            for slot, label in (("sponsor", "the sponsoring executive"), ("coo", "the COO"))
            if brief is not None
            and getattr(brief, f"{slot}_signed_at") is None
            and user.has_perm(f"initiatives.sign_deploymentbrief_as_{slot}", brief)
        ],
        "can_record_gates": user.has_perm("governance.change_governancegate"),
        "can_ask_stage_move": user.has_perm("governance.ask_stage_move", initiative),
        "action_errors": action_errors or [],
        "history": selectors.initiative_history(initiative),
    }
    return render(request, "initiatives/detail.html", context, status=status)


def _initiative_for(request, code: str, perm: str, refusal: str) -> Initiative:
    initiative = get_object_or_404(Initiative, code=code)
    if not request.user.has_perm(perm, initiative):
        raise PermissionDenied(refusal.format(code=initiative.code))
    return initiative


@require_http_methods(["GET", "POST"])
def initiative_edit(request, code: str):
    """The initiative's edit form, showing each person only what they may change
    (initiative_fields_for): its ops leads what they keep, each owner their own description,
    admins both; what is sent for any other field is not read."""
    initiative = get_object_or_404(Initiative, code=code)
    fields = initiative_fields_for(by=request.user, initiative=initiative)
    if not fields:
        raise PermissionDenied(who_changes(initiative))
    status = 200
    if request.method == "POST":
        # A copy: the form writes what was sent onto its instance, and the page's title is the stored name.
        form = forms.InitiativeForm(request.POST, instance=copy(initiative), fields=fields)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in fields}
            try:
                initiative_update(
                    initiative=initiative, by=request.user, data=data, read_at=form.cleaned_data["read_at"]
                )
            except StaleEdit as refusal:
                forms.add_refusal(refusal, form)
                status = 409
            except ValidationError as refusal:
                forms.add_refusal(refusal, form)
            else:
                messages.success(request, f"{data.get('name', initiative.name)}: saved.")
                return redirect("initiatives:detail", code=initiative.code)
        status = status if status != 200 else 400
    else:
        form = forms.InitiativeForm(
            instance=initiative, initial={"read_at": initiative.updated_at.isoformat()}, fields=fields
        )
    context = {
        "initiative": initiative,
        "form": form,
        "runs_it": "name" in fields,
        "errors": forms.error_summary([("Initiative", form)]),
    }
    return render(request, "initiatives/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def workflow_edit(request, code: str):
    initiative = get_object_or_404(Initiative.objects.select_related("workflow_change"), code=code)
    workflow = selectors.workflow_change_of(initiative)
    perm = "initiatives.change_workflowchange" if workflow else "initiatives.add_workflowchange"
    if not request.user.has_perm(perm, workflow or initiative):
        raise PermissionDenied(f"Only the ops leads of {initiative.code} and admins keep its workflow change.")
    steps = workflow.steps.all() if workflow else WorkflowStep.objects.none()
    data = request.POST if request.method == "POST" else None
    form = forms.WorkflowChangeForm(data, instance=workflow, initiative=initiative)
    before = forms.StepFormSet(data, queryset=steps.filter(phase=StepPhase.BEFORE), prefix="before")
    after = forms.StepFormSet(data, queryset=steps.filter(phase=StepPhase.AFTER), prefix="after")
    roles = forms.AffectedRoleFormSet(
        data,
        queryset=workflow.affected_roles.all() if workflow else AffectedRole.objects.none(),
        prefix="roles",
    )
    status = 200
    if data is not None:
        if all([form.is_valid(), before.is_valid(), after.is_valid(), roles.is_valid()]):
            try:
                workflow_change_save(
                    initiative=initiative,
                    by=request.user,
                    **{name: form.cleaned_data[name] for name in form.Meta.fields},
                    steps=[
                        *forms.rows_of(before, phase=StepPhase.BEFORE),
                        *forms.rows_of(after, phase=StepPhase.AFTER),
                    ],
                    roles=forms.rows_of(roles),
                )
            except ValidationError as refusal:
                forms.add_refusal(refusal, form, [before, after, roles])
            else:
                messages.success(request, f"{initiative.name}: workflow change saved.")
                return redirect("initiatives:detail", code=initiative.code)
        status = 400
    sections = [("Workflow change", form), ("Before", before), ("After", after), ("Affected roles", roles)]
    context = {
        "initiative": initiative,
        "workflow": workflow,
        "form": form,
        "before": before,
        "after": after,
        "roles": roles,
        "errors": forms.error_summary(sections),
    }
    return render(request, "initiatives/workflow_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def roadmap_edit(request, code: str):
    initiative = _initiative_for(
        request, code, "initiatives.change_milestone", "Only the ops leads of {code} and admins keep its roadmap."
    )
    data = request.POST if request.method == "POST" else None
    milestones = forms.MilestoneFormSet(data, queryset=initiative.milestones.all(), prefix="milestones")
    backlog = forms.BacklogItemFormSet(data, queryset=initiative.backlog_items.all(), prefix="backlog")
    status, unplaced = 200, []
    if data is not None:
        if all([milestones.is_valid(), backlog.is_valid()]):
            try:
                roadmap_save(
                    initiative=initiative,
                    by=request.user,
                    milestones=forms.rows_of(milestones),
                    backlog=forms.rows_of(backlog),
                )
            except ValidationError as refusal:
                unplaced = forms.add_refusal(refusal, None, [milestones, backlog])
            else:
                messages.success(request, f"{initiative.name}: roadmap and backlog saved.")
                return redirect("initiatives:detail", code=initiative.code)
        status = 400
    context = {
        "initiative": initiative,
        "milestones": milestones,
        "backlog": backlog,
        "errors": [*unplaced, *forms.error_summary([("Milestones", milestones), ("Backlog", backlog)])],
    }
    return render(request, "initiatives/roadmap_edit.html", context, status=status)


# --- The deployment brief, its signatures and the gates (rules: services/brief.py, governance/services/gates.py) ---


@require_http_methods(["GET", "POST"])
def brief_edit(request, code: str):
    initiative = get_object_or_404(Initiative, code=code)
    brief = DeploymentBrief.objects.filter(initiative=initiative).first()
    perm = "initiatives.change_deploymentbrief" if brief else "initiatives.add_deploymentbrief"
    if not request.user.has_perm(perm, brief or initiative):
        raise PermissionDenied(f"Only the ops leads of {initiative.code} and admins write its deployment brief.")
    status = 200
    if request.method == "POST":
        form = forms.BriefForm(request.POST, instance=copy(brief) if brief else None)
        if form.is_valid():
            signed_before = brief is not None and (brief.sponsor_signed_at or brief.coo_signed_at)
            try:
                saved = briefs.brief_save(
                    initiative=initiative,
                    by=request.user,
                    data={name: form.cleaned_data[name] for name in briefs.BRIEF_CONTENT},
                    read_at=form.cleaned_data["read_at"],
                )
            except briefs.StaleBrief as refusal:
                forms.add_refusal(refusal, form)
                status = 409
            except ValidationError as refusal:
                forms.add_refusal(refusal, form)
            else:
                voided = signed_before and saved.sponsor_signed_at is None and saved.coo_signed_at is None
                messages.success(
                    request,
                    f"{initiative.name}: brief saved."
                    + (" Its signatures were voided: the sponsor and the COO sign again." if voided else ""),
                )
                return redirect(detail_url(initiative.code, "brief"))
        status = status if status != 200 else 400
    else:
        form = forms.BriefForm(instance=brief, initial={"read_at": brief.revised_at.isoformat() if brief else ""})
    context = {
        "initiative": initiative,
        "brief": brief,
        "form": form,
        "errors": forms.error_summary([("Deployment brief", form)]),
    }
    return render(request, "initiatives/brief_edit.html", context, status=status)


@require_POST
def brief_sign(request, code: str):
    brief = get_object_or_404(DeploymentBrief.objects.select_related("initiative"), initiative__code=code)
    form = forms.BriefSignForm(request.POST)
    if not form.is_valid():
        return detail_page(request, code, status=400, action_errors=forms.error_summary([("Signature", form)]))
    try:
        briefs.brief_sign(
            brief=brief, by=request.user, slot=form.cleaned_data["slot"], read_at=form.cleaned_data["read_at"]
        )
    except briefs.StaleBrief as refusal:
        return detail_page(request, code, status=409, action_errors=refusal.messages)
    except ValidationError as refusal:
        return detail_page(request, code, status=400, action_errors=refusal.messages)
    messages.success(request, f"{brief.initiative.name}: you signed the deployment brief.")
    return redirect(detail_url(brief.initiative.code, "brief"))


def detail_url(code: str, section: str) -> str:
    return f"{reverse('initiatives:detail', args=[code])}#{section}"


@require_GET
def initiative_history(request, code: str):
    """Every change to the initiative and to what its page shows, read by whoever reads the page."""
    initiative = get_object_or_404(Initiative, code=code)
    if not request.user.has_perm("initiatives.view_initiative", initiative):
        raise PermissionDenied("Only people signed in to the scoreboard read an initiative's history.")
    context = {
        "title": initiative.name,
        "covers": "The initiative, its workflow change, deployment brief, roadmap, backlog and gates.",
        "back_url": reverse("initiatives:detail", args=[initiative.code]),
        "back_label": initiative.name,
        "page": selectors.initiative_history_page(initiative, page=request.GET.get("page")),
    }
    return render(request, "history.html", context)
