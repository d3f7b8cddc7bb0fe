"""The initiatives' writes and rules: what the pages (and, in time, the API and the admin) call.
A stage change passes the gates of governance/services/gates.py.

Each write checks the permission against the initiative, validates everything before it
writes anything, and saves in one transaction with its history user and change reason, so a
refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from governance.services.gates import stage_change_check

from .models import (
    AffectedRole,
    BacklogItem,
    Initiative,
    Milestone,
    PrioritisationInput,
    ShadowAIStatus,
    ShadowAITool,
    Stage,
    WorkflowChange,
    WorkflowStep,
)

# What an initiative's ops leads keep; owners, sponsor, ops leads and KPIs are set by admins.
INITIATIVE_EDITABLE_FIELDS = (
    "name",
    "business_unit",
    "process",
    "sourcing",
    "stage",
    "technology_owner_description",
    "operations_owner_description",
    "investment",
    "expected_annual_benefit",
    "payback_months",
    "started_on",
    "planned_go_live",
    "actual_go_live",
)

# A workflow step's position is at most this in a form; while steps swap positions they
# are parked beyond it (see _apply).
STEP_ORDER_MAX = 999
_PARKED = 10_000


@dataclass(frozen=True)
class Row:
    """One row of a list edited on a page (a step, a role, a milestone, a backlog item).

    ``ref`` says where it came from (e.g. the form's prefix, "after-2"), so that a refusal
    can name the row: errors are keyed ``"<ref>.<field>"``. ``id`` is None for a new row."""

    ref: str
    id: int | None
    values: dict = field(default_factory=dict)
    delete: bool = False


class StaleEdit(ValidationError):
    """The initiative changed after the editor read it: nothing was stored."""


def _who(user) -> str:
    return str(user) if user is not None else "someone (not signed in)"


def _refuse_unless(user, perm: str, obj, message: str) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(message)


# --- The initiative itself ------------------------------------------------------------------------


def initiative_update(*, initiative: Initiative, by, data: dict, read_at: datetime) -> Initiative:
    """Change what an initiative's ops leads keep (INITIATIVE_EDITABLE_FIELDS).

    Refused (PermissionDenied) unless ``by`` may change this initiative. Refused
    (ValidationError on ``__all__``) when it changed after ``read_at``, the ``updated_at``
    the editor read: naming who changed it and when, storing nothing, so that one person's
    edit never silently overwrites another's."""
    unknown = set(data) - set(INITIATIVE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        _refuse_unless(
            by,
            "initiatives.change_initiative",
            current,
            f"Only the ops leads of {current.code} and admins change it.",
        )
        if current.updated_at != read_at:
            raise StaleEdit({"__all__": _stale_message(current)})
        before_stage = current.stage
        for name, value in data.items():
            setattr(current, name, value)
        if current.stage != before_stage:
            stage_change_check(initiative=current, to_stage=current.stage, from_stage=before_stage)
            reason = f"Stage: {Stage(before_stage).label} → {Stage(current.stage).label}"
        else:
            reason = "Edited on the initiative page"
        current.full_clean()
        current._history_user = by
        current._change_reason = reason
        current.save()
    return current


def _stale_message(current: Initiative) -> str:
    last = current.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    who = _who(last.history_user) if last else "someone"
    when = timezone.localtime(current.updated_at)
    return (
        f"Nothing was saved: {who} changed this initiative on {when:%Y-%m-%d at %H:%M} after you opened "
        "the form. Reload the page to see their changes, then make yours again."
    )


# --- The workflow change --------------------------------------------------------------------------


def workflow_change_save(
    *,
    initiative: Initiative,
    by,
    process_name: str,
    summary: str,
    adoption_target_percent: Decimal,
    adoption_kpi=None,
    steps: Sequence[Row] = (),
    roles: Sequence[Row] = (),
) -> WorkflowChange:
    """Create or change the initiative's workflow change with its before/after steps and
    affected roles, all or nothing.

    Rules: the adoption target is a percentage from 0 to 100; the adoption KPI is one the
    initiative reports; in each phase no two steps share a position; no role is listed
    twice. A step's ``values`` carry its ``phase``. Every problem is reported at once, keyed
    by field (``"<ref>.<field>"`` for a row), and nothing is stored."""
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        workflow = WorkflowChange.objects.filter(initiative=locked).first()
        if workflow is None:
            _refuse_unless(
                by,
                "initiatives.add_workflowchange",
                locked,
                f"Only the ops leads of {locked.code} and admins describe its workflow change.",
            )
            workflow = WorkflowChange(initiative=locked)
        else:
            _refuse_unless(
                by,
                "initiatives.change_workflowchange",
                workflow,
                f"Only the ops leads of {locked.code} and admins change its workflow change.",
            )
        errors: dict[str, list[str]] = {}
        workflow.process_name = process_name
        workflow.summary = summary
        workflow.adoption_target_percent = adoption_target_percent
        workflow.adoption_kpi = adoption_kpi
        if adoption_kpi is not None and not locked.kpis.filter(pk=adoption_kpi.pk).exists():
            _add(errors, "adoption_kpi", f"{adoption_kpi.name} is not one of the KPIs this initiative reports.")
        _collect(errors, "", workflow)

        existing_steps = {s.pk: s for s in workflow.steps.all()} if workflow.pk else {}
        step_plan = _plan(errors, steps, existing_steps, WorkflowStep, parent=("workflow_change", workflow))
        _no_two_alike(
            errors,
            step_plan,
            key=lambda s: (s.phase, s.order),
            field="order",
            message=lambda s: f"Another {s.phase} step already has position {s.order}.",
        )
        existing_roles = {r.pk: r for r in workflow.affected_roles.all()} if workflow.pk else {}
        role_plan = _plan(errors, roles, existing_roles, AffectedRole, parent=("workflow_change", workflow))
        _no_two_alike(
            errors,
            role_plan,
            key=lambda r: r.role.strip().casefold(),
            field="role",
            message=lambda r: f"{r.role} is listed twice: list each role once.",
        )
        if errors:
            raise ValidationError(errors)

        reason = "Workflow change described" if workflow.pk is None else "Workflow change edited"
        _save(workflow, by, reason)
        parent = ("workflow_change", workflow)
        _apply(step_plan, existing_steps, by, reason, parent=parent, park={"order": F("order") + _PARKED})
        # Two roles may swap names; each moving one is parked under a name no person types.
        parked_role = Concat(Value("\u2060moving "), Cast("pk", output_field=CharField()))
        _apply(role_plan, existing_roles, by, reason, parent=parent, park={"role": parked_role})
    return workflow


# --- The roadmap: milestones and backlog ------------------------------------------------------------


def roadmap_save(*, initiative: Initiative, by, milestones: Sequence[Row] = (), backlog: Sequence[Row] = ()) -> None:
    """Add, change and delete the initiative's milestones and backlog items, all or nothing.
    Each kind of change is checked against the rules (add/change/delete_milestone, ...)."""
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        for rows, model in ((milestones, "milestone"), (backlog, "backlogitem")):
            for action in _actions(rows):
                _refuse_unless(
                    by,
                    f"initiatives.{action}_{model}",
                    locked,
                    f"Only the ops leads of {locked.code} and admins keep its roadmap and backlog.",
                )
        errors: dict[str, list[str]] = {}
        existing_milestones = {m.pk: m for m in locked.milestones.all()}
        milestone_plan = _plan(errors, milestones, existing_milestones, Milestone, parent=("initiative", locked))
        existing_items = {b.pk: b for b in locked.backlog_items.all()}
        backlog_plan = _plan(errors, backlog, existing_items, BacklogItem, parent=("initiative", locked))
        if errors:
            raise ValidationError(errors)
        _apply(milestone_plan, existing_milestones, by, "Roadmap edited", parent=("initiative", locked))
        _apply(backlog_plan, existing_items, by, "Backlog edited", parent=("initiative", locked))


def _actions(rows: Sequence[Row]) -> set[str]:
    actions = set()
    for row in rows:
        actions.add("delete" if row.delete else "add" if row.id is None else "change")
    return actions


# --- Shared by the list edits ------------------------------------------------------------------------


def _add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key or "__all__", []).append(message)


def _collect(errors: dict, ref: str, obj: models.Model, exclude=None) -> None:
    """The model's own validation, with its errors keyed for the row."""
    try:
        # Positions and names are checked across the whole list by the caller.
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            key = name if not ref else f"{ref}.{name}" if name != "__all__" else ref
            for message in messages:
                _add(errors, key, message)


def _plan(errors: dict, rows: Sequence[Row], existing: dict, model, *, parent) -> list[tuple[str, models.Model]]:
    """The rows as they would be stored (deleted ones left out), each validated.
    Existing rows are changed on copies, so nothing is touched until the plan is applied."""
    parent_name, parent_obj = parent
    deleted = {row.id for row in rows if row.delete}
    plan = []
    for row in rows:
        if row.id is not None and row.id not in existing:
            _add(errors, row.ref, f"This {model._meta.verbose_name} no longer exists or belongs elsewhere.")
            continue
        if row.delete:
            continue
        if row.id is None:
            obj = model(**row.values)
            setattr(obj, parent_name, parent_obj)
        else:
            original = existing[row.id]
            obj = model(**{f.attname: getattr(original, f.attname) for f in model._meta.concrete_fields})
            for name, value in row.values.items():
                setattr(obj, name, value)
        exclude = [parent_name] if parent_obj.pk is None else None
        _collect(errors, row.ref, obj, exclude=exclude)
        plan.append((row.ref, obj))
    # Rows not sent at all are kept as they are, and still count for positions and names.
    sent = {row.id for row in rows if row.id is not None}
    plan.extend(("", obj) for pk, obj in existing.items() if pk not in sent and pk not in deleted)
    return plan


def _no_two_alike(errors: dict, plan, *, key, field: str, message) -> None:
    seen = set()
    for ref, obj in plan:
        k = key(obj)
        if k in seen:
            _add(errors, f"{ref}.{field}" if ref else field, message(obj))
        seen.add(k)


def _save(obj: models.Model, by, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason
    obj.save()


def _apply(plan, existing: dict, by, reason: str, *, parent, park: dict | None = None) -> None:
    """Delete what the plan drops, then save what is new or changed (only those, so history
    records real changes). ``park`` moves changed rows out of each other's way first: the
    database checks a unique key row by row, so two rows swapping positions would collide."""
    parent_name, parent_obj = parent
    kept = {obj.pk for _, obj in plan if obj.pk is not None}
    for pk, obj in existing.items():
        if pk not in kept:
            obj._history_user = by
            obj._change_reason = reason
            obj.delete()
    changed = []
    for _, obj in plan:
        if obj.pk is None:
            setattr(obj, parent_name, parent_obj)
            changed.append(obj)
        elif _differs(obj, existing[obj.pk]):
            changed.append(obj)
    moving = [obj.pk for obj in changed if obj.pk is not None]
    if park and moving:
        # A plain UPDATE: an intermediate state, not a change history should show.
        type(existing[moving[0]]).objects.filter(pk__in=moving).update(**park)
    # New rows last: one may take the place a moved row left.
    changed.sort(key=lambda obj: obj.pk is None)
    for obj in changed:
        _save(obj, by, reason)


def _differs(obj: models.Model, original: models.Model) -> bool:
    return any(getattr(obj, f.attname) != getattr(original, f.attname) for f in obj._meta.concrete_fields)


# --- The shadow-AI register and the expansion pipeline (pages: governance/views/registers.py) ------------


class AlreadyPromoted(ValidationError):
    """The shadow-AI tool already became an initiative: nothing was created a second time."""


SHADOW_AI_TOOL_FIELDS = (
    "tool",
    "team",
    "use",
    "why_it_helps",
    "data_sensitivity",
    "status",
    "discovered_on",
    "promoted_to",
)
# What the admin completes when a tool becomes an initiative (the ops leads come apart, as a list).
PROMOTION_FIELDS = (
    "code",
    "name",
    "business_unit",
    "process",
    "sourcing",
    "technology_owner",
    "operations_owner",
    "sponsor",
    "technology_owner_description",
    "operations_owner_description",
)
# What became of a promoted tool: it is no longer under review.
PROMOTED_STATUSES = (ShadowAIStatus.ADOPTED, ShadowAIStatus.REPLACED, ShadowAIStatus.BLOCKED)

PRIORITISATION_LABELS = {
    "management_bandwidth": "Management bandwidth",
    "process_structure": "Process structure",
    "data_availability": "Data availability",
    "risk_profile": "Risk profile",
    "roi_clarity": "ROI clarity",
    "monthly_volume": "Monthly volume",
}
PRIORITISATION_SCORES = tuple(name for name in PRIORITISATION_LABELS if name != "monthly_volume")


# History keeps a change reason of at most 100 characters (django-simple-history's column).
REASON_MAX = 100


def _reason(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _unknown(data: dict, allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")


def shadow_ai_tool_save(*, by, tool: ShadowAITool | None = None, data: dict) -> ShadowAITool:
    """Register a shadow-AI tool (``tool=None``) or change one: admins only.

    Refused, naming the field and storing nothing: a tool already registered for the same
    team (``tool``), a discovery date after today (``discovered_on``), and whatever the
    model's own validation refuses (choices, required text)."""
    _unknown(data, SHADOW_AI_TOOL_FIELDS)
    with transaction.atomic():
        if tool is None:
            _refuse_unless(by, "initiatives.add_shadowaitool", None, "Only admins keep the shadow-AI register.")
            current, reason = ShadowAITool(), "Registered on the shadow-AI register"
        else:
            current = ShadowAITool.objects.select_for_update().get(pk=tool.pk)
            _refuse_unless(by, "initiatives.change_shadowaitool", current, "Only admins keep the shadow-AI register.")
            reason = "Edited on the shadow-AI register"
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        _collect(errors, "", current)
        if current.tool and current.team and _same_tool(current).exists():
            _add(errors, "tool", _same_tool_message(current))
        if current.discovered_on and current.discovered_on > timezone.localdate():
            _add(errors, "discovered_on", "A tool is discovered on or before today, not in the future.")
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                _save(current, by, reason)
        except IntegrityError:
            # Registered by someone else between the check and the write.
            if _same_tool(current).exists():
                raise ValidationError({"tool": _same_tool_message(current)}) from None
            raise
    return current


def _same_tool(tool: ShadowAITool):
    return ShadowAITool.objects.filter(tool=tool.tool, team=tool.team).exclude(pk=tool.pk)


def _same_tool_message(tool: ShadowAITool) -> str:
    return f"{tool.tool} is already registered for {tool.team}: edit that entry instead."


def code_taken(code: str) -> str:
    """Why a new initiative cannot have this code (another has it), or "" when it can."""
    taken = Initiative.objects.filter(code=code).only("name").first()
    return f"{taken.name} already has the code {code}: choose another." if taken else ""


def shadow_ai_tool_promote(*, tool: ShadowAITool, by, data: dict, status: str = ShadowAIStatus.ADOPTED) -> Initiative:
    """Make a new initiative, at stage "idea", out of a shadow-AI tool, and link the tool to
    it (``promoted_to``) with the status the admin chose (adopted by default): admins only,
    all or nothing.

    ``data`` holds PROMOTION_FIELDS and, optionally, ``ops_leads`` (a list of people). Refused:
    a tool already promoted (AlreadyPromoted, naming the initiative, so a second submit makes
    nothing twice); a code another initiative has (``code``); the same person as both owners
    (``operations_owner``); a status that leaves the tool under review (``status``); anything
    the initiative's own validation refuses. A refusal stores nothing."""
    data = dict(data)
    ops_leads = list(data.pop("ops_leads", None) or ())
    _unknown(data, PROMOTION_FIELDS)
    with transaction.atomic():
        current = ShadowAITool.objects.select_for_update(of=("self",)).select_related("promoted_to").get(pk=tool.pk)
        _refuse_unless(
            by, "initiatives.promote_shadowaitool", current, "Only admins promote a shadow-AI tool to an initiative."
        )
        if current.promoted_to is not None:
            became = current.promoted_to
            raise AlreadyPromoted(
                {
                    "__all__": f"Nothing was created: {current} was already promoted to the initiative "
                    f"{became.name} ({became.code})."
                }
            )
        errors: dict[str, list[str]] = {}
        if status not in PROMOTED_STATUSES:
            labels = ", ".join(ShadowAIStatus(s).label.lower() for s in PROMOTED_STATUSES)
            _add(errors, "status", f"A promoted tool is no longer under review: choose {labels}.")
        initiative = Initiative(stage=Stage.IDEA)
        for name, value in data.items():
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
        _collect(errors, "", initiative)
        if initiative.code and (taken := code_taken(initiative.code)):
            _add(errors, "code", taken)
        if errors:
            raise ValidationError(errors)
        reason = _reason(f"Promoted from the shadow-AI register: {current.tool} ({current.team})")
        try:
            with transaction.atomic():
                _save(initiative, by, reason)
        except IntegrityError:
            if Initiative.objects.filter(code=initiative.code).exists():
                raise ValidationError(
                    {"code": f"The code {initiative.code} was just taken by another initiative: choose another."}
                ) from None
            raise
        if ops_leads:
            initiative.ops_leads.set(ops_leads)  # recorded in its history with the same who and why
        current.promoted_to = initiative
        current.status = status
        became = f"Promoted to the initiative {initiative.code}; status: {ShadowAIStatus(status).label}"
        _save(current, by, _reason(became))
    return initiative


def prioritisation_input_save(*, initiative: Initiative, by, data: dict) -> PrioritisationInput:
    """Set or change what ranks an initiative in the expansion pipeline: admins only.

    Each score (PRIORITISATION_SCORES) is a whole number from 1 to 5 and the monthly volume a
    whole number from 0; each refusal names its field, and nothing is stored."""
    _unknown(data, PRIORITISATION_LABELS)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        current = PrioritisationInput.objects.filter(initiative=locked).first()
        perm = "initiatives.change_prioritisationinput" if current else "initiatives.add_prioritisationinput"
        _refuse_unless(by, perm, current or locked, "Only admins set an initiative's prioritisation inputs.")
        if current is None:
            current, reason = PrioritisationInput(initiative=locked), "Prioritisation inputs set on the pipeline"
        else:
            reason = "Prioritisation inputs changed on the pipeline"
        for name, value in data.items():
            setattr(current, name, value)
        errors: dict[str, list[str]] = {}
        for name in PRIORITISATION_SCORES:
            value = getattr(current, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                _add(errors, name, f"{PRIORITISATION_LABELS[name]} is scored from 1 to 5.")
        volume = current.monthly_volume
        if not isinstance(volume, int) or isinstance(volume, bool) or volume < 0:
            _add(errors, "monthly_volume", "Monthly volume is a whole number of cases a month, 0 or more.")
        if errors:
            raise ValidationError(errors)
        _save(current, by, reason)
    return current
