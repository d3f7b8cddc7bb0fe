"""The way to production, in one place: the initiative pages, the API and the admin all ask
here before an initiative changes stage, and write the brief, its signatures and the gates here.

- An initiative cannot leave "assessed" without a workflow-change definition.
- It cannot reach "brief signed" or start building without a deployment brief signed by both
  the sponsoring executive and the COO. Editing what a signed brief says voids both signatures.
- It cannot enter production until testing, monitoring and a fallback procedure are each
  recorded done, by whom and when.

The rules hold on the way forward. Moving back a stage, or retiring, is always allowed: it
takes nothing further from the checks.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.models import DeploymentBrief, Initiative, Stage, WorkflowChange
from scoreboard import writes

from ..models import GateKind, GovernanceGate

ORDER = [Stage.IDEA, Stage.ASSESSED, Stage.BRIEF_SIGNED, Stage.BUILDING, Stage.PILOT, Stage.PRODUCTION, Stage.SCALED]
# From this stage on, each rule must hold.
NEEDS_WORKFLOW_CHANGE = ORDER.index(Stage.BRIEF_SIGNED)
NEEDS_SIGNED_BRIEF = ORDER.index(Stage.BRIEF_SIGNED)
NEEDS_GATES = ORDER.index(Stage.PRODUCTION)

# What a signature is given to: changing any of these after signing voids both signatures.
BRIEF_CONTENT = ("scope", "investment", "governance", "timeline")
SLOTS = {"sponsor": "the sponsoring executive", "coo": "the COO"}


class StaleBrief(writes.StaleEdit):
    """The brief changed after the signer read it: nothing was signed."""


def _rank(stage: str) -> int | None:
    return ORDER.index(stage) if stage in ORDER else None


def _label(stage: str) -> str:
    return Stage(stage).label


# --- Stage changes ----------------------------------------------------------------------------------


def stage_change_refusals(*, initiative: Initiative, to_stage: str, from_stage: str | None = None) -> list[str]:
    """Why ``initiative`` may not move from ``from_stage`` (its stored stage, or "idea" when it
    is new) to ``to_stage``, one sentence per missing gate; empty when nothing stops it.
    Reads the initiative's workflow change, brief and gates from the database."""
    known = initiative.pk is not None
    return refusals_for(
        initiative,
        to_stage=to_stage,
        from_stage=from_stage,
        has_workflow=known and WorkflowChange.objects.filter(initiative_id=initiative.pk).exists(),
        brief=DeploymentBrief.objects.filter(initiative_id=initiative.pk).first() if known else None,
        gates=list(GovernanceGate.objects.filter(initiative_id=initiative.pk)) if known else [],
    )


def refusals_for(
    initiative: Initiative,
    *,
    to_stage: str,
    from_stage: str | None,
    has_workflow: bool,
    brief: DeploymentBrief | None,
    gates: list[GovernanceGate],
) -> list[str]:
    """The rules themselves, on facts already read (the initiative page has them at hand)."""
    if from_stage is None:
        from_stage = Stage.IDEA if initiative.pk is None else initiative.stage
    to_rank, from_rank = _rank(to_stage), _rank(from_stage)
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
                to_stage, f"move to {_label(to_stage)}"
            )
            refusals.append(
                f"{name} cannot {verb} without a deployment brief signed by both the sponsoring executive "
                f"and the COO: {missing}."
            )
    if to_rank >= NEEDS_GATES:
        missing = _gates_missing(gates)
        if missing:
            refusals.append(
                f"{name} cannot enter {_label(to_stage)} until its governance gates are recorded done: "
                f"{'; '.join(missing)}."
            )
    return refusals


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` on the way to production (None after scaled, or retired)."""
    rank = _rank(stage)
    return ORDER[rank + 1] if rank is not None and rank + 1 < len(ORDER) else None


def stage_change_check(*, initiative: Initiative, to_stage: str, from_stage: str | None = None) -> None:
    """Raise ValidationError on ``stage`` naming every missing gate; return when none is."""
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


def _gates_missing(gates: list[GovernanceGate]) -> list[str]:
    by_kind = {g.kind: g for g in gates}
    missing = []
    for kind, label in GateKind.choices:
        gate = by_kind.get(kind)
        if gate is None:
            missing.append(f"{label.lower()} (not defined)")
        elif not gate.is_done:
            missing.append(f"{label.lower()} (defined, not recorded done)")
    return missing


# --- The deployment brief ----------------------------------------------------------------------------------


def brief_save(*, initiative: Initiative, by, data: dict, read_at: datetime | None = None) -> DeploymentBrief:
    """Write the initiative's deployment brief (scope, investment, governance, timeline).

    Its ops leads and admins write it. A change to what a signed brief says voids both
    signatures (history says whose). ``read_at`` is the ``revised_at`` the editor read: a save
    over a newer revision is refused (StaleBrief), storing nothing. Saving what is already
    there changes nothing and keeps the signatures."""
    unknown = set(data) - set(BRIEF_CONTENT)
    if unknown:
        raise ValueError(f"Not part of the brief: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        brief = DeploymentBrief.objects.select_for_update().filter(initiative=locked).first()
        perm = "initiatives.change_deploymentbrief" if brief else "initiatives.add_deploymentbrief"
        if not by.has_perm(perm, brief or locked):
            raise PermissionDenied(f"Only the ops leads of {locked.code} and admins write its deployment brief.")
        if brief is None:
            brief = DeploymentBrief(initiative=locked)
        else:
            writes.check_fresh(brief, read_at, **_STALE_BRIEF)
        changed = [name for name in BRIEF_CONTENT if getattr(brief, name) != data.get(name, getattr(brief, name))]
        if brief.pk is not None and not changed:
            return brief
        for name, value in data.items():
            setattr(brief, name, value)
        brief.full_clean(exclude=["initiative"])
        # History keeps a change reason of at most 100 characters: the fields, not the names.
        reason = "Brief written" if brief.pk is None else f"Brief edited ({', '.join(changed)})"
        if brief.sponsor_signed_at or brief.coo_signed_at:
            brief.sponsor_signed_by = brief.sponsor_signed_at = brief.coo_signed_by = brief.coo_signed_at = None
            reason += ": signatures voided"
        brief.revised_at = timezone.now()
        brief._history_user = by
        brief._change_reason = reason
        brief.save()
    return brief


def brief_delete(*, brief: DeploymentBrief, by) -> None:
    """Remove a deployment brief (admins): one whose signatures let the initiative move on is
    evidence of that, so it stays while the initiative is past "brief signed" (``initiative``)."""
    with transaction.atomic():
        current = DeploymentBrief.objects.select_for_update().select_related("initiative").get(pk=brief.pk)
        if not by.has_perm("initiatives.delete_deploymentbrief", current):
            raise PermissionDenied("Only admins remove a deployment brief.")
        initiative = current.initiative
        if _rank(initiative.stage) is not None and _rank(initiative.stage) >= NEEDS_SIGNED_BRIEF:
            raise ValidationError(
                {
                    "initiative": f"{initiative.code} is at stage {_label(initiative.stage)}: its signed brief is "
                    "what let it get there, so it stays."
                }
            )
        writes.delete(current, by=by, why="Brief removed")


def brief_sign(*, brief: DeploymentBrief, by, slot: str, read_at: datetime) -> DeploymentBrief:
    """Sign the brief as the sponsoring executive (``slot="sponsor"``) or as the COO.

    Only the initiative's sponsor signs the sponsor's slot and only the COO the COO's
    (scoreboard/rules.py). ``read_at`` is the ``revised_at`` the signer read: a brief edited
    since is refused (StaleBrief), so nobody signs words they have not seen. Signing a slot
    one already holds changes nothing; a slot someone else holds is refused."""
    if slot not in SLOTS:
        raise ValidationError({"slot": f"Sign as one of: {', '.join(SLOTS)}."})
    with transaction.atomic():
        current = (
            # Only the brief's row is locked: the signers it joins may be missing (an outer join).
            DeploymentBrief.objects.select_for_update(of=("self",))
            .select_related("initiative__sponsor", "sponsor_signed_by", "coo_signed_by")
            .get(pk=brief.pk)
        )
        if not by.has_perm(f"initiatives.sign_deploymentbrief_as_{slot}", current):
            who = (
                f"{current.initiative.name}'s sponsoring executive ({current.initiative.sponsor or 'none named'})"
                if slot == "sponsor"
                else "the COO"
            )
            raise PermissionDenied(f"Only {who} signs this slot of the brief.")
        writes.check_fresh(
            current,
            read_at,
            nothing="Nothing was signed",
            then="Reload the page and read it again before you sign it.",
            **_STALE_BRIEF,
        )
        signer = getattr(current, f"{slot}_signed_by")
        if signer is not None:
            if signer.pk == by.pk:
                return current  # signed already: a repeated click signs nothing twice
            when = timezone.localtime(getattr(current, f"{slot}_signed_at"))
            raise ValidationError({"slot": f"{signer} already signed as {SLOTS[slot]} on {when:%Y-%m-%d at %H:%M}."})
        setattr(current, f"{slot}_signed_by", by)
        setattr(current, f"{slot}_signed_at", timezone.now())
        current._history_user = by
        current._change_reason = f"Signed as {SLOTS[slot]}"
        current.save()
    return current


_STALE_BRIEF = {"what": "this brief", "field": "revised_at", "error": StaleBrief}


# --- Governance gates ----------------------------------------------------------------------------------------


def gate_record(*, initiative: Initiative, kind: str, by, description: str | None = None) -> GovernanceGate:
    """Record the initiative's ``kind`` gate (testing, monitoring, fallback) as done by ``by``,
    now, defining it first if need be. Admins certify gates, not the team they hold back.
    A gate already done keeps who did it and when: recording it again changes nothing."""
    if kind not in GateKind.values:
        raise ValidationError({"kind": f"A gate is one of: {', '.join(GateKind.values)}."})
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        gate = GovernanceGate.objects.select_for_update().filter(initiative=locked, kind=kind).first()
        perm = "governance.change_governancegate" if gate else "governance.add_governancegate"
        if not by.has_perm(perm, gate):
            raise PermissionDenied("Only admins record governance gates.")
        if gate is None:
            gate = GovernanceGate(initiative=locked, kind=kind)
        elif gate.is_done:
            return gate
        if description is not None and description.strip():
            gate.description = description.strip()
        gate.done_by, gate.done_at = by, timezone.now()
        gate.full_clean(exclude=["initiative"])
        gate._history_user = by
        gate._change_reason = f"{GateKind(kind).label} recorded done"
        gate.save()
    return gate


GATE_FIELDS = ("initiative", "kind", "description")


def gate_define(*, by, data: dict, gate: GovernanceGate | None = None) -> GovernanceGate:
    """Define an initiative's gate (``kind``: testing, monitoring, fallback) with what it checks,
    or change that description: admins only. A gate stays with its initiative and kind, and a
    gate recorded done keeps the words it was checked against (``description``)."""
    writes.unknown_fields(data, GATE_FIELDS)
    with transaction.atomic():
        if gate is None:
            if not by.has_perm("governance.add_governancegate"):
                raise PermissionDenied("Only admins define governance gates.")
            current = GovernanceGate()
        else:
            current = GovernanceGate.objects.select_for_update().get(pk=gate.pk)
            if not by.has_perm("governance.change_governancegate", current):
                raise PermissionDenied("Only admins define governance gates.")
        errors: dict[str, list[str]] = {}
        if gate is not None:
            for name in ("initiative", "kind"):
                if name in data and writes.changed_fields(current, {name: data[name]}):
                    writes.add_error(errors, name, "A gate stays with its initiative and kind: define another one.")
            if current.is_done and writes.changed_fields(current, {"description": data.get("description")}):
                writes.add_error(
                    errors,
                    "description",
                    f"Recorded done by {current.done_by} on {writes.when(current.done_at)}: it keeps the words "
                    "it was checked against.",
                )
        writes.raise_if(errors)
        if gate is not None and not writes.changed_fields(current, data):
            return current
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        writes.collect_errors(errors, current)
        taken = GovernanceGate.objects.filter(initiative_id=current.initiative_id, kind=current.kind)
        if gate is None and current.initiative_id and current.kind and taken.exists():
            writes.add_error(errors, "kind", f"{current.initiative.code} already has this gate: change that one.")
        writes.raise_if(errors)
        writes.save(current, by=by, why=f"{GateKind(current.kind).label} gate defined")
    return current


def gate_delete(*, by, gate: GovernanceGate) -> None:
    """Remove a gate not yet recorded done (admins). A gate done is evidence: refused."""
    with transaction.atomic():
        current = GovernanceGate.objects.select_for_update().get(pk=gate.pk)
        if not by.has_perm("governance.delete_governancegate", current):
            raise PermissionDenied("Only admins define governance gates.")
        if current.is_done:
            raise ValidationError(
                {"__all__": f"Recorded done by {current.done_by} on {writes.when(current.done_at)}: a gate done stays."}
            )
        writes.delete(current, by=by, why=f"{GateKind(current.kind).label} gate removed")
