"""What the gates' and the brief's tests share: an initiative put at a stage in the database, its
workflow change, its brief (signed or not) and its governance gates.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from governance.models import GateKind, GovernanceGate
from initiatives.models import DeploymentBrief, Initiative, WorkflowChange

NO_WORKFLOW = "cannot leave Assessed without a workflow-change definition"


def _at(initiative, stage):
    Initiative.objects.filter(pk=initiative.pk).update(stage=stage)
    initiative.refresh_from_db()
    return initiative


def _workflow(initiative):
    return WorkflowChange.objects.create(
        initiative=initiative, process_name="Claims intake", adoption_target_percent=60
    )


def _brief(initiative, *, sponsor=None, coo=None):
    now = timezone.now()
    return DeploymentBrief.objects.create(
        initiative=initiative,
        scope="Route claims documents.",
        investment=Decimal("250000"),
        governance="Per the matrix.",
        timeline="Pilot in spring.",
        revised_at=now - timedelta(hours=1),
        sponsor_signed_by=sponsor,
        sponsor_signed_at=now if sponsor else None,
        coo_signed_by=coo,
        coo_signed_at=now if coo else None,
    )


def _gates(initiative, by, kinds=GateKind.values, done=True):
    for kind in kinds:
        GovernanceGate.objects.create(
            initiative=initiative, kind=kind, done_by=by if done else None, done_at=timezone.now() if done else None
        )
