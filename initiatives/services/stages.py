"""The way to production, in one place: the initiative pages, the API and the admin all ask here
before an initiative changes stage (initiatives.services.initiatives does, on every path).

- An initiative cannot leave "assessed" without a workflow-change definition.
- It cannot reach "brief signed" or start building without a deployment brief signed by both
  the sponsoring executive and the COO (brief.py).
- Other apps add their own requirements with ``@requirement``: governance's gates (testing,
  monitoring and a fallback procedure recorded done before production) are one
  (governance/services/gates.py, registered when governance is loaded). So initiatives owns its
  stages without importing the apps above it.

The rules hold on the way forward. Moving back a stage, or retiring, takes nothing further from
the checks.

Moving into Production or Scaled, or retiring, is more than a check: the initiative's sponsor
approves it (``needs_sponsor``). Its ops leads or an admin ask in the decision log
(governance/services/stage_moves.py); the stage changes when the sponsor approves, through
``stage_move_approved`` in initiatives.py. Every other path refuses the move.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from ..models import SPONSOR_APPROVED_STAGES, STAGE_ORDER, DeploymentBrief, Initiative, Stage, WorkflowChange

# From this stage on, each rule must hold.
NEEDS_WORKFLOW_CHANGE = STAGE_ORDER.index(Stage.BRIEF_SIGNED)
NEEDS_SIGNED_BRIEF = STAGE_ORDER.index(Stage.BRIEF_SIGNED)

# A requirement: (initiative, to_stage, to_rank, facts) → the sentences saying what is missing.
# ``facts`` holds what the caller has already read (the page prefetches); a requirement reads
# what it needs and does not find there.
Requirement = Callable[..., list[str]]
_REQUIREMENTS: list[Requirement] = []


def requirement(check: Requirement) -> Requirement:
    """Add a requirement to the way to production (a decorator; registering twice is once)."""
    if check not in _REQUIREMENTS:
        _REQUIREMENTS.append(check)
    return check


def rank(stage: str) -> int | None:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else None


def label(stage: str) -> str:
    return Stage(stage).label


def stage_change_refusals(*, initiative: Initiative, to_stage: str, from_stage: str | None = None) -> list[str]:
    """Why ``initiative`` may not move from ``from_stage`` (its stored stage, or "idea" when it
    is new) to ``to_stage``, one sentence per missing requirement; empty when nothing stops it.
    Reads the initiative's workflow change and brief (and, through each requirement, what it
    needs) from the database."""
    known = initiative.pk is not None
    facts = {
        "has_workflow": known and WorkflowChange.objects.filter(initiative_id=initiative.pk).exists(),
        "brief": DeploymentBrief.objects.filter(initiative_id=initiative.pk).first() if known else None,
    }
    return refusals_for(initiative, to_stage=to_stage, from_stage=from_stage, **facts)


def refusals_for(
    initiative: Initiative,
    *,
    to_stage: str,
    from_stage: str | None,
    has_workflow: bool,
    brief: DeploymentBrief | None,
    **facts,
) -> list[str]:
    """The rules themselves, on facts already read (the initiative page has them at hand)."""
    if from_stage is None:
        from_stage = Stage.IDEA if initiative.pk is None else initiative.stage
    to_rank, from_rank = rank(to_stage), rank(from_stage)
    if to_rank is None or (from_rank is not None and to_rank <= from_rank):
        return []  # retiring, staying, or moving back
    name = initiative.name or "This initiative"
    refusals = []
    if to_rank >= NEEDS_WORKFLOW_CHANGE and not has_workflow:
        refusals.append(
            f"{name} cannot leave Assessed without a workflow-change definition: describe how the work "
            "changes (steps before and after, roles, adoption target) first."
        )
    if to_rank >= NEEDS_SIGNED_BRIEF:
        missing = _brief_missing(initiative, brief)
        if missing:
            verb = {Stage.BRIEF_SIGNED: "reach Brief signed", Stage.BUILDING: "start building"}.get(
                to_stage, f"move to {label(to_stage)}"
            )
            refusals.append(
                f"{name} cannot {verb} without a deployment brief signed by both the sponsoring executive "
                f"and the COO: {missing}."
            )
    for check in _REQUIREMENTS:
        refusals += check(initiative, to_stage=to_stage, to_rank=to_rank, facts=facts)
    return refusals


def needs_sponsor(*, from_stage: str | None, to_stage: str) -> bool:
    """Whether moving from ``from_stage`` (None: a new initiative) to ``to_stage`` is the
    sponsor's to approve: into Production or Scaled, or retiring; not a step back along the way."""
    if to_stage not in SPONSOR_APPROVED_STAGES or to_stage == from_stage:
        return False
    to_rank, from_rank = rank(to_stage), rank(from_stage) if from_stage else None
    return to_rank is None or from_rank is None or to_rank > from_rank


def sponsor_refusal(initiative: Initiative, to_stage: str) -> str:
    """What a path other than the sponsor's approval says when it is asked to make such a move."""
    sponsor = initiative.sponsor if initiative.sponsor_id else None
    who = f"its sponsor, {sponsor}," if sponsor else "its sponsor"
    verb = "Retiring it" if to_stage == Stage.RETIRED else f"Moving it into {label(to_stage)}"
    return (
        f"{verb} is approved by {who} in the app: ask for it from the initiative's page "
        "(or the API's decision requests, with the stage). The stage changes when they approve."
    )


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` on the way to production (None after scaled, or retired)."""
    position = rank(stage)
    return STAGE_ORDER[position + 1] if position is not None and position + 1 < len(STAGE_ORDER) else None


def stage_change_check(*, initiative: Initiative, to_stage: str, from_stage: str | None = None) -> None:
    """Raise ValidationError on ``stage`` naming every missing requirement; return when none is."""
    refusals = stage_change_refusals(initiative=initiative, to_stage=to_stage, from_stage=from_stage)
    if refusals:
        raise ValidationError({"stage": refusals})


def _brief_missing(initiative: Initiative, brief: DeploymentBrief | None) -> str:
    if brief is None:
        return "there is no brief yet"
    unsigned = []
    if brief.sponsor_signed_at is None:
        unsigned.append("the sponsor" if initiative.sponsor_id else "the sponsor (none is named yet)")
    if brief.coo_signed_at is None:
        unsigned.append("the COO")
    return f"{' and '.join(unsigned)} {'has' if len(unsigned) == 1 else 'have'} not signed it" if unsigned else ""
