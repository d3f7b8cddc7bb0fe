"""Late stages need the sponsor: moving an initiative into Production or Scaled, or retiring it.

- ``stage_move_ask``: its ops leads or an admin ask its sponsoring executive, in the decision
  log, due in 24 hours. The gates apply first: a move they refuse is not asked at all.
- ``stage_move_decide``: the sponsor's answer (decisions.decision_answer calls it, in its
  transaction). Approved, the initiative moves, the gates judged again; rejected, it stays.

Every other path (the edit page, the API, the admin) refuses such a move and says how to ask
(initiatives.services.stages.needs_sponsor).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.models import SPONSOR_APPROVED_STAGES, Initiative
from initiatives.services import initiatives as initiative_services
from initiatives.services import stages
from scoreboard import formatting

from ..models import DecisionRequest
from .decisions import ask

WHY_MAX = 1_500  # the asker's words, inside the question (a note's length)


def stage_move_ask(*, by, initiative: Initiative, stage: str, why: str = "", now: datetime | None = None):
    """Ask ``initiative``'s sponsor to approve its move into ``stage`` (Production, Scaled or
    Retired), as ``by`` (its ops leads or an admin), with ``why`` in their words.

    Refused (PermissionDenied) for anyone else. Refused (ValidationError on ``stage``) when the
    stage needs no approval, when there is no active sponsor to ask, when a gate refuses the move
    (each missing requirement named), or when a move is already waiting (naming it): a retry never
    asks twice. Returns the decision request."""
    now = now or timezone.now()
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        if by is None or not by.has_perm("governance.ask_stage_move", current):
            raise PermissionDenied(
                f"Only the ops leads of {current.code} and admins ask its sponsor to move it into a late stage."
            )
        if stage not in SPONSOR_APPROVED_STAGES:
            choices = ", ".join(s.label for s in SPONSOR_APPROVED_STAGES)
            raise ValidationError({"stage": f"The sponsor approves a move into {choices}: choose one of them."})
        if not stages.needs_sponsor(from_stage=current.stage, to_stage=stage):
            raise ValidationError(
                {
                    "stage": f"{current.name} is in {stages.label(current.stage)}: moving to "
                    f"{stages.label(stage)} is a step back, which its ops leads make on the edit page."
                }
            )
        # The gates first, then who would approve: every reason it cannot be asked, at once.
        refusals = stages.stage_change_refusals(initiative=current, to_stage=stage)
        sponsor = current.sponsor if current.sponsor_id else None
        if sponsor is None or not sponsor.is_executive:
            who = f"{sponsor}, its sponsor, is not an active executive" if sponsor else "it has no sponsor"
            refusals.append(f"Nobody can approve this move: {who}. An admin names its sponsor first.")
        if refusals:
            raise ValidationError({"stage": refusals})
        waiting = (
            DecisionRequest.objects.filter(initiative=current, answered_at__isnull=True)
            .exclude(stage="")
            .select_related("requested_by")
            .first()
        )
        if waiting is not None:
            raise ValidationError(
                {
                    "stage": f"A move into {waiting.get_stage_display()} was asked by {waiting.requested_by} on "
                    f"{formatting.moment(waiting.requested_at)} and is waiting for {sponsor} (request "
                    f"{waiting.pk}): it was not asked again."
                }
            )
        why = " ".join((why or "").split())
        if len(why) > WHY_MAX:
            raise ValidationError({"why": f"Say why in at most {WHY_MAX:,} characters; this is {len(why):,}."})
        verb = "retire" if stage == "retired" else f"move into {stages.label(stage)}"
        question = f"Approve: {current.name} ({current.code}) to {verb}, from {stages.label(current.stage)}?"
        return ask(
            by=by,
            executive=sponsor,
            question=f"{question} {why}" if why else question,
            initiative=current,
            now=now,
            stage=stage,
        )


def stage_move_decide(*, request: DecisionRequest, by) -> None:
    """Act on the sponsor's answer (judged and locked by decisions.decision_answer): approved, the
    initiative moves, with the sponsor's words in its history; rejected, it stays where it is."""
    if request.answer != "approved":
        return
    initiative_services.stage_move_approved(
        initiative=request.initiative, to_stage=request.stage, by=by, asked_by=request.requested_by, words=request.note
    )
