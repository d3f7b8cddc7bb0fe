"""How an initiative changes the work: its workflow change with the steps before and after and
the roles it affects, all or nothing, from the page, the API and the admin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from scoreboard import writes
from scoreboard.writes import Row

from ..models import (
    AffectedRole,
    Initiative,
    Stage,
    WorkflowChange,
    WorkflowStep,
)
from .rows import rows_apply, rows_no_two_alike, rows_plan
from .stages import NEEDS_WORKFLOW_CHANGE, rank

# A workflow step's position is at most this in a form; while steps swap positions they
# are parked beyond it (see _apply).
STEP_ORDER_MAX = 999
_PARKED = 10_000


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
        step_plan = rows_plan(errors, steps, existing_steps, WorkflowStep, parent=("workflow_change", workflow))
        rows_no_two_alike(
            errors,
            step_plan,
            key=lambda s: (s.phase, s.order),
            field="order",
            message=lambda s: f"Another {s.phase} step already has position {s.order}.",
        )
        existing_roles = {r.pk: r for r in workflow.affected_roles.all()} if workflow.pk else {}
        role_plan = rows_plan(errors, roles, existing_roles, AffectedRole, parent=("workflow_change", workflow))
        rows_no_two_alike(
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
        rows_apply(step_plan, existing_steps, by, reason, parent=parent, park={"order": F("order") + _PARKED})
        # Two roles may swap names; each moving one is parked under a name no person types.
        parked_role = Concat(Value("\u2060moving "), Cast("pk", output_field=CharField()))
        rows_apply(role_plan, existing_roles, by, reason, parent=parent, park={"role": parked_role})
    return workflow


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
        if (position := rank(initiative.stage)) is not None and position >= NEEDS_WORKFLOW_CHANGE:
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
