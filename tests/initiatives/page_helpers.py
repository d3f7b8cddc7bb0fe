"""What the initiative pages' tests share: the pages' addresses, the bodies their edit forms post
(formsets included), an initiative with a workflow change, and a fingerprint of everything the edit
pages could write, to show a refusal changed nothing. The gates' tests post the same edit form.
"""

from decimal import Decimal

from initiatives.models import AffectedRole, BacklogItem, Initiative, Milestone, WorkflowChange, WorkflowStep


def _url(initiative, page=""):
    return f"/initiatives/{initiative.code}/{page + '/' if page else ''}"


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """POST data for a Django formset: its management form and each row's fields."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def workflow_body(*, before=(), after=(), roles=(), initial=(0, 0, 0), **fields) -> dict:
    body = {"process_name": "Claims intake", "summary": "Triage by AI", "adoption_target_percent": "60"}
    body.update(fields)
    body.update(formset("before", list(before), initial[0]))
    body.update(formset("after", list(after), initial[1]))
    body.update(formset("roles", list(roles), initial[2]))
    return body


def step(order, name, treatment="unchanged", performed_by="", id=""):
    return {"id": id, "order": str(order), "name": name, "treatment": treatment, "performed_by": performed_by}


def edit_body(initiative, **changes) -> dict:
    body = {
        "name": initiative.name,
        "business_unit": initiative.business_unit,
        "process": initiative.process,
        "sourcing": initiative.sourcing,
        "stage": initiative.stage,
        "technology_owner_description": initiative.technology_owner_description,
        "operations_owner_description": initiative.operations_owner_description,
        "investment": str(initiative.investment),
        "expected_annual_benefit": str(initiative.expected_annual_benefit),
        "payback_months": "",
        "started_on": initiative.started_on.isoformat() if initiative.started_on else "",
        "planned_go_live": "",
        "actual_go_live": "",
        "read_at": initiative.updated_at.isoformat(),
    }
    body.update(changes)
    return body


def _workflow_with_steps(initiative):
    workflow = WorkflowChange.objects.create(
        initiative=initiative, process_name="Claims intake", adoption_target_percent=Decimal("60")
    )
    for order, name in enumerate(["Open the mail", "Read the claim", "Route it"], start=1):
        WorkflowStep.objects.create(
            workflow_change=workflow, phase="before", order=order, name=name, treatment="unchanged"
        )
    WorkflowStep.objects.create(
        workflow_change=workflow, phase="after", order=1, name="AI reads and routes", treatment="replaced"
    )
    WorkflowStep.objects.create(
        workflow_change=workflow, phase="after", order=2, name="Handler checks edge cases", treatment="ai_assisted"
    )
    AffectedRole.objects.create(
        workflow_change=workflow, role="Claims handler", headcount=42, reskilling="Reviewing AI routing"
    )
    return workflow


def _fingerprint():
    """Everything the edit pages could write, to show a refusal changed nothing."""
    return (
        list(Initiative.objects.order_by("pk").values()),
        list(WorkflowChange.objects.order_by("pk").values()),
        list(WorkflowStep.objects.order_by("pk").values()),
        list(AffectedRole.objects.order_by("pk").values()),
        list(Milestone.objects.order_by("pk").values()),
        list(BacklogItem.objects.order_by("pk").values()),
    )
