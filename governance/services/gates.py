"""Governance gates: testing, monitoring and a fallback procedure, each defined and recorded
done by an admin (who, when and how it was checked). An initiative cannot enter production until
all three are done: that requirement is added to the initiatives' way to production
(initiatives.services.stages) here, when governance is loaded (governance.apps).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.models import STAGE_ORDER, Initiative, Stage
from initiatives.services import stages
from scoreboard import writes

from ..models import GateKind, GovernanceGate

NEEDS_GATES = STAGE_ORDER.index(Stage.PRODUCTION)


@stages.requirement
def production_gates(initiative: Initiative, *, to_stage: str, to_rank: int, facts: dict) -> list[str]:
    """Production needs testing, monitoring and fallback recorded done. ``facts["gates"]``: the
    initiative's gates when the caller has them (the page prefetches); read here otherwise."""
    if to_rank < NEEDS_GATES:
        return []
    gates = facts.get("gates")
    if gates is None:
        gates = list(GovernanceGate.objects.filter(initiative_id=initiative.pk)) if initiative.pk else []
    missing = _gates_missing(gates)
    if not missing:
        return []
    name = initiative.name or "This initiative"
    return [
        f"{name} cannot enter {stages.label(to_stage)} until its governance gates are recorded done: "
        f"{'; '.join(missing)}."
    ]


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
        writes.raise_if(writes.value_errors(gate))
        writes.save(gate, by=by, why=f"{GateKind(kind).label} recorded done")
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
            if current.is_done and writes.changed_fields(
                current, {"description": data.get("description", current.description)}
            ):
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
