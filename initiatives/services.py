"""The initiatives' writes and rules: the pages, the API, the admin and the commands all call
these, so each rule exists once. A stage change passes the gates of governance/services/gates.py.

Each write checks the permission against the initiative, validates everything before it
writes anything, and saves in one transaction with its history user and change reason, so a
refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from governance.services.gates import stage_change_check
from scoreboard import writes

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


Row = writes.Row  # a row of a list edited on a page
StaleEdit = writes.StaleEdit  # the pages catch it by this name


# --- The initiative itself ------------------------------------------------------------------------

# Every field of an initiative a person writes (the rest is computed or stamped).
INITIATIVE_FIELDS = (
    "code",
    *INITIATIVE_EDITABLE_FIELDS,
    "technology_owner",
    "operations_owner",
    "sponsor",
    "ops_leads",
    "kpis",
)
_MANY = ("ops_leads", "kpis")
ADMIN_ONLY_LABELS = {
    "code": "the code",
    "technology_owner": "the technology owner",
    "operations_owner": "the operations owner",
    "sponsor": "the sponsor",
    "ops_leads": "the ops leads",
    "kpis": "the KPIs it reports",
}


def initiative_create(*, by, data: dict) -> Initiative:
    """Add an initiative (admins), with its owners, ops leads and KPIs. The stage it starts at
    passes the gates as a move from "idea" would; every problem is named by field."""
    writes.unknown_fields(data, INITIATIVE_FIELDS)
    writes.refuse_unless(by, "initiatives.add_initiative", None, "Only admins add initiatives.")
    with transaction.atomic():
        initiative = Initiative()
        _apply_initiative(initiative, data, by=by, from_stage=None)
        writes.save(initiative, by=by, why="Initiative added")
        _set_many(initiative, data)
    return initiative


def initiative_update(*, initiative: Initiative, by, data: dict, read_at: datetime | None) -> Initiative:
    """Change an initiative. Its ops leads change what they keep (INITIATIVE_EDITABLE_FIELDS);
    the code, the owners, the sponsor, the ops leads and the KPIs it reports are changed by
    admins only: a change to any of them by anyone else is refused (PermissionDenied, naming
    them), whatever else the request changes.

    Refused (StaleEdit) when it changed after ``read_at``, the ``updated_at`` the editor read,
    naming who changed it and when, so that one person's edit never silently overwrites
    another's. A stage change passes the gates (governance/services/gates.py). An edit that
    changes nothing writes nothing, not even a history row."""
    writes.unknown_fields(data, INITIATIVE_FIELDS)
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        writes.refuse_unless(
            by,
            "initiatives.change_initiative",
            current,
            f"Only the ops leads of {current.code} and admins change it.",
        )
        writes.check_fresh(current, read_at, what="this initiative")
        changed = writes.changed_fields(current, data)
        admin_only = [name for name in changed if name in ADMIN_ONLY_LABELS]
        if admin_only and not by.has_perm("initiatives.add_initiative"):
            raise PermissionDenied(
                f"Nothing was stored: only admins change {_and(ADMIN_ONLY_LABELS[n] for n in admin_only)} "
                f"of an initiative; its ops leads keep the rest."
            )
        if not changed:
            return current
        before_stage = current.stage
        _apply_initiative(current, {n: data[n] for n in changed}, by=by, from_stage=before_stage)
        if current.stage != before_stage:
            why = f"Stage: {Stage(before_stage).label} → {Stage(current.stage).label}"
        else:
            why = f"Edited: {', '.join(str(Initiative._meta.get_field(n).verbose_name) for n in changed)}"
        writes.save(current, by=by, why=why)
        _set_many(current, data, changed)
    return current


def initiative_delete(*, initiative: Initiative, by) -> None:
    """Delete an initiative (admins). What other records keep as evidence (measurements,
    snapshots, decisions) protects it: the refusal names them (ProtectedError)."""
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        writes.refuse_unless(by, "initiatives.delete_initiative", current, "Only admins delete initiatives.")
        writes.delete(current, by=by, why="Initiative deleted")


def _apply_initiative(initiative: Initiative, data: dict, *, by, from_stage: str | None) -> None:
    """Write ``data`` onto ``initiative`` (not saved) and validate it as a whole, with the gates."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in _MANY:
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
    writes.collect_errors(errors, initiative)
    if initiative.code and (taken := code_taken(initiative.code, other_than=initiative.pk)):
        writes.add_error(errors, "code", taken)
    kpis = data.get("kpis")
    if kpis is not None:
        for kpi in kpis:
            if kpi.scope != "initiative":
                writes.add_error(errors, "kpis", f"{kpi.name} is a company-wide KPI: an initiative reports its own.")
        adoption = WorkflowChange.objects.filter(initiative_id=initiative.pk).values_list("adoption_kpi", flat=True)
        adoption_kpi = next(iter(adoption), None) if initiative.pk else None
        if adoption_kpi is not None and adoption_kpi not in {k.pk for k in kpis}:
            writes.add_error(
                errors, "kpis", "The adoption KPI of its workflow change must stay among the KPIs it reports."
            )
    if initiative.stage and initiative.stage != from_stage:
        try:
            stage_change_check(initiative=initiative, to_stage=initiative.stage, from_stage=from_stage)
        except ValidationError as refusal:
            for key, messages in refusal.message_dict.items():
                for message in messages:
                    writes.add_error(errors, key, message)
    writes.raise_if(errors)


def _set_many(initiative: Initiative, data: dict, changed=None) -> None:
    # Many-to-many after the row: its history records the same who and why.
    for name in _MANY:
        if name in data and (changed is None or name in changed):
            getattr(initiative, name).set(data[name])


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


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
    read_at: datetime | None = None,
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
            writes.refuse_unless(
                by,
                "initiatives.add_workflowchange",
                locked,
                f"Only the ops leads of {locked.code} and admins describe its workflow change.",
            )
            workflow = WorkflowChange(initiative=locked)
        else:
            writes.refuse_unless(
                by,
                "initiatives.change_workflowchange",
                workflow,
                f"Only the ops leads of {locked.code} and admins change its workflow change.",
            )
            writes.check_fresh(workflow, read_at, what="this workflow change")
        errors: dict[str, list[str]] = {}
        said = {
            "process_name": process_name,
            "summary": summary,
            "adoption_target_percent": adoption_target_percent,
            "adoption_kpi": adoption_kpi,
        }
        # Only what it says changed (or a new one) is written: history records real changes.
        what_it_says_changed = workflow.pk is None or bool(writes.changed_fields(workflow, said))
        for name, value in said.items():
            setattr(workflow, name, value)
        if adoption_kpi is not None and not locked.kpis.filter(pk=adoption_kpi.pk).exists():
            writes.add_error(
                errors, "adoption_kpi", f"{adoption_kpi.name} is not one of the KPIs this initiative reports."
            )
        writes.collect_errors(errors, workflow, prefix="")

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
        if what_it_says_changed:
            writes.save(workflow, by=by, why=reason)
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
                writes.refuse_unless(
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


def _plan(errors: dict, rows: Sequence[Row], existing: dict, model, *, parent) -> list[tuple[str, models.Model]]:
    """The rows as they would be stored (deleted ones left out), each validated.
    Existing rows are changed on copies, so nothing is touched until the plan is applied."""
    parent_name, parent_obj = parent
    deleted = {row.id for row in rows if row.delete}
    plan = []
    for row in rows:
        if row.id is not None and row.id not in existing:
            writes.add_error(errors, row.ref, f"This {model._meta.verbose_name} no longer exists or belongs elsewhere.")
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
        writes.collect_errors(errors, obj, prefix=row.ref, exclude=exclude)
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
            writes.add_error(errors, f"{ref}.{field}" if ref else field, message(obj))
        seen.add(k)


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
        writes.save(obj, by=by, why=reason)


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


def shadow_ai_tool_save(*, by, tool: ShadowAITool | None = None, data: dict) -> ShadowAITool:
    """Register a shadow-AI tool (``tool=None``) or change one: admins only.

    Refused, naming the field and storing nothing: a tool already registered for the same
    team (``tool``), a discovery date after today (``discovered_on``), "adopted" without the
    initiative it became or "under review" with one (``status``), and whatever the model's
    own validation refuses (choices, required text)."""
    writes.unknown_fields(data, SHADOW_AI_TOOL_FIELDS)
    with transaction.atomic():
        if tool is None:
            writes.refuse_unless(by, "initiatives.add_shadowaitool", None, "Only admins keep the shadow-AI register.")
            current, reason = ShadowAITool(), "Registered on the shadow-AI register"
        else:
            current = ShadowAITool.objects.select_for_update().get(pk=tool.pk)
            writes.refuse_unless(
                by, "initiatives.change_shadowaitool", current, "Only admins keep the shadow-AI register."
            )
            reason = "Edited on the shadow-AI register"
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current, prefix="")
        if current.tool and current.team and _same_tool(current).exists():
            writes.add_error(errors, "tool", _same_tool_message(current))
        if current.status == ShadowAIStatus.ADOPTED and current.promoted_to_id is None:
            writes.add_error(
                errors,
                "status",
                "A tool is adopted by becoming an initiative: promote it, or name the initiative it became.",
            )
        elif current.promoted_to_id is not None and current.status == ShadowAIStatus.UNDER_REVIEW:
            writes.add_error(errors, "status", "A tool that became an initiative is no longer under review.")
        if current.discovered_on and current.discovered_on > timezone.localdate():
            writes.add_error(errors, "discovered_on", "A tool is discovered on or before today, not in the future.")
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                writes.save(current, by=by, why=reason)
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


def code_taken(code: str, *, other_than: int | None = None) -> str:
    """Why an initiative cannot have this code (another has it), or "" when it can."""
    taken = Initiative.objects.filter(code=code).exclude(pk=other_than).only("name").first()
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
    writes.unknown_fields(data, PROMOTION_FIELDS)
    with transaction.atomic():
        current = ShadowAITool.objects.select_for_update(of=("self",)).select_related("promoted_to").get(pk=tool.pk)
        writes.refuse_unless(
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
            writes.add_error(errors, "status", f"A promoted tool is no longer under review: choose {labels}.")
        initiative = Initiative(stage=Stage.IDEA)
        for name, value in data.items():
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
        writes.collect_errors(errors, initiative, prefix="")
        if initiative.code and (taken := code_taken(initiative.code)):
            writes.add_error(errors, "code", taken)
        if errors:
            raise ValidationError(errors)
        reason = writes.reason(f"Promoted from the shadow-AI register: {current.tool} ({current.team})")
        try:
            with transaction.atomic():
                writes.save(initiative, by=by, why=reason)
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
        writes.save(current, by=by, why=writes.reason(became))
    return initiative


def prioritisation_input_save(*, initiative: Initiative, by, data: dict) -> PrioritisationInput:
    """Set or change what ranks an initiative in the expansion pipeline: admins only.

    Each score (PRIORITISATION_SCORES) is a whole number from 1 to 5 and the monthly volume a
    whole number from 0; each refusal names its field, and nothing is stored."""
    writes.unknown_fields(data, PRIORITISATION_LABELS)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        current = PrioritisationInput.objects.filter(initiative=locked).first()
        perm = "initiatives.change_prioritisationinput" if current else "initiatives.add_prioritisationinput"
        writes.refuse_unless(by, perm, current or locked, "Only admins set an initiative's prioritisation inputs.")
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
                writes.add_error(errors, name, f"{PRIORITISATION_LABELS[name]} is scored from 1 to 5.")
        volume = current.monthly_volume
        if not isinstance(volume, int) or isinstance(volume, bool) or volume < 0:
            writes.add_error(errors, "monthly_volume", "Monthly volume is a whole number of cases a month, 0 or more.")
        if errors:
            raise ValidationError(errors)
        writes.save(current, by=by, why=reason)
    return current


def prioritisation_input_delete(*, prioritisation: PrioritisationInput, by) -> None:
    """Remove an initiative's prioritisation inputs (admins): it goes back among the unscored."""
    with transaction.atomic():
        current = PrioritisationInput.objects.select_for_update().get(pk=prioritisation.pk)
        writes.refuse_unless(
            by, "initiatives.delete_prioritisationinput", current, "Only admins remove prioritisation inputs."
        )
        writes.delete(current, by=by, why="Prioritisation inputs removed")


def shadow_ai_tool_delete(*, tool: ShadowAITool, by) -> None:
    """Remove a tool from the shadow-AI register (admins). A tool promoted to an initiative is
    where that initiative came from, so it stays (refused on ``promoted_to``)."""
    with transaction.atomic():
        current = ShadowAITool.objects.select_for_update(of=("self",)).select_related("promoted_to").get(pk=tool.pk)
        writes.refuse_unless(by, "initiatives.delete_shadowaitool", current, "Only admins keep the shadow-AI register.")
        if current.promoted_to is not None:
            raise ValidationError(
                {
                    "promoted_to": f"{current} was promoted to the initiative {current.promoted_to.code}: "
                    "it stays on the register as where that initiative came from."
                }
            )
        writes.delete(current, by=by, why="Removed from the shadow-AI register")


# --- One milestone, one backlog item (the API and the admin) ------------------------------------------

MILESTONE_FIELDS = ("initiative", "title", "due_on", "completed_on")
BACKLOG_ITEM_FIELDS = ("initiative", "title", "description", "status", "priority")


def milestone_save(*, by, data: dict, milestone: Milestone | None = None) -> Milestone:
    """Add a milestone to an initiative (``data["initiative"]``) or change one: by the ops leads
    of the initiative it is in (and of the one it moves to) and by admins, as the roadmap page."""
    return _part_save(Milestone, by=by, obj=milestone, data=data, fields=MILESTONE_FIELDS, noun="roadmap")


def milestone_delete(*, by, milestone: Milestone) -> None:
    _part_delete(Milestone, by=by, obj=milestone, noun="roadmap")


def backlog_item_save(*, by, data: dict, item: BacklogItem | None = None) -> BacklogItem:
    """Add a backlog item to an initiative or change one: its ops leads and admins."""
    return _part_save(BacklogItem, by=by, obj=item, data=data, fields=BACKLOG_ITEM_FIELDS, noun="backlog")


def backlog_item_delete(*, by, item: BacklogItem) -> None:
    _part_delete(BacklogItem, by=by, obj=item, noun="backlog")


def _part_save(model, *, by, obj, data: dict, fields, noun: str):
    """One row that belongs to an initiative: permission on the initiative it is in and on the
    one it goes to, the model's own validation by field, history with who and why."""
    writes.unknown_fields(data, fields)
    name = model._meta.model_name
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=obj.pk) if obj is not None else None
        target = data.get("initiative") or (current.initiative if current else None)
        if target is None:
            raise ValidationError({"initiative": "Name the initiative it belongs to."})
        target = Initiative.objects.select_for_update().get(pk=target.pk)
        if current is not None:
            writes.refuse_unless(by, f"initiatives.change_{name}", current, _part_refusal(current.initiative, noun))
        if current is None or current.initiative_id != target.pk:
            writes.refuse_unless(by, f"initiatives.add_{name}", target, _part_refusal(target, noun))
        row = current if current is not None else model()
        before = {f: getattr(row, f.attname) for f in model._meta.concrete_fields} if current else None
        for key, value in data.items():
            setattr(row, key, value.strip() if isinstance(value, str) else value)
        row.initiative = target
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, row)
        writes.raise_if(errors)
        if before is not None and all(getattr(row, f.attname) == v for f, v in before.items()):
            return row
        verb = "added" if current is None else "edited"
        writes.save(row, by=by, why=f"{model._meta.verbose_name.capitalize()} {verb}")
    return row


def _part_delete(model, *, by, obj, noun: str) -> None:
    with transaction.atomic():
        current = model.objects.select_for_update().select_related("initiative").get(pk=obj.pk)
        writes.refuse_unless(
            by, f"initiatives.delete_{model._meta.model_name}", current, _part_refusal(current.initiative, noun)
        )
        writes.delete(current, by=by, why=f"{model._meta.verbose_name.capitalize()} deleted")


def _part_refusal(initiative: Initiative, noun: str) -> str:
    return f"Nothing was stored: only the ops leads of {initiative.code} and admins keep its {noun}."


# --- The workflow change through the API and the admin -------------------------------------------------

WORKFLOW_CHANGE_FIELDS = ("initiative", "process_name", "summary", "adoption_target_percent", "adoption_kpi")


def workflow_change_write(
    *, by, data: dict, workflow: WorkflowChange | None = None, read_at: datetime | None = None
) -> WorkflowChange:
    """Describe an initiative's workflow change (``data["initiative"]``) or change what it says,
    leaving its steps and roles as they are: the same rules as the page (workflow_change_save).
    A workflow change stays with its initiative; an initiative has one."""
    writes.unknown_fields(data, WORKFLOW_CHANGE_FIELDS)
    if workflow is not None:
        workflow = WorkflowChange.objects.select_related("initiative", "adoption_kpi").get(pk=workflow.pk)
    initiative = data.get("initiative") or (workflow.initiative if workflow else None)
    if initiative is None:
        raise ValidationError({"initiative": "Name the initiative whose work it changes."})
    if workflow is not None and initiative.pk != workflow.initiative_id:
        raise ValidationError({"initiative": "A workflow change stays with its initiative."})
    if workflow is None and WorkflowChange.objects.filter(initiative=initiative).exists():
        raise ValidationError(
            {"initiative": f"{initiative.code} already has a workflow change: change that one instead."}
        )
    fields = ("process_name", "summary", "adoption_target_percent", "adoption_kpi")
    values = {name: data[name] if name in data else getattr(workflow, name, None) for name in fields}
    if values["summary"] is None:
        values["summary"] = ""
    return workflow_change_save(initiative=initiative, by=by, read_at=read_at, **values)


def workflow_change_delete(*, by, workflow: WorkflowChange) -> None:
    """Delete a workflow change with its steps and roles: its ops leads and admins, and only
    while the initiative has not left "assessed" (the definition is what let it move on)."""
    with transaction.atomic():
        current = WorkflowChange.objects.select_for_update().select_related("initiative").get(pk=workflow.pk)
        initiative = current.initiative
        writes.refuse_unless(
            by,
            "initiatives.delete_workflowchange",
            current,
            f"Only the ops leads of {initiative.code} and admins keep its workflow change.",
        )
        if initiative.stage not in (Stage.IDEA, Stage.ASSESSED, Stage.RETIRED):
            raise ValidationError(
                {
                    "initiative": f"{initiative.code} is at stage {Stage(initiative.stage).label}: its workflow "
                    "change is what let it leave Assessed, so it stays. Change it instead."
                }
            )
        for part in [*current.steps.all(), *current.affected_roles.all()]:
            writes.delete(part, by=by, why="Workflow change deleted")
        writes.delete(current, by=by, why="Workflow change deleted")


def workflow_parts_save(
    *, by, workflow: WorkflowChange, steps: Sequence[Row] = (), roles: Sequence[Row] = ()
) -> WorkflowChange:
    """Add, change or delete some of a workflow change's steps and roles, leaving the rest and
    what it says as they are: the same rules as the page (positions, names, permissions)."""
    current = WorkflowChange.objects.select_related("initiative").get(pk=workflow.pk)
    return workflow_change_save(
        initiative=current.initiative,
        by=by,
        process_name=current.process_name,
        summary=current.summary,
        adoption_target_percent=current.adoption_target_percent,
        adoption_kpi=current.adoption_kpi,
        steps=steps,
        roles=roles,
    )
