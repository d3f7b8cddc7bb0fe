"""The risk register and the shared-zone decisions: their writes and rules.

Risks are kept by admins. A shared-zone decision is added (and its topic, title and
initiative corrected) by admins; the CEO gives the CEO input, the COO the COO input, and
either of them records the joint decision once both inputs are in. Each write checks the
permission (scoreboard/rules.py) on the locked row, validates everything before it writes,
and records who and why in the history; a refusal stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.models import Initiative
from scoreboard import formatting, writes

from ..models import Risk, SharedZoneDecision

RISK_FIELDS = (
    "title",
    "category",
    "description",
    "preventive_measures",
    "responsive_measures",
    "technology_owner",
    "operations_owner",
    "likelihood",
    "impact",
    "status",
)
SHARED_ZONE_FIELDS = ("topic", "title", "initiative")
# The two inputs, each given by the holder of one seat.
SIDES = {"ceo": "CEO", "coo": "COO"}


# --- Risks -------------------------------------------------------------------------------------------


def risk_save(*, by, risk: Risk | None = None, data: dict, initiatives: Iterable[Initiative]) -> Risk:
    """Add a risk (``risk=None``) or change one, with the initiatives it concerns: admins only.

    Refused, naming the field and storing nothing: likelihood or impact outside 1 to 5, the
    same person as technology and operations owner (a joint owner is two people, one on each
    side of the CIO–COO line), a category or status that does not exist, missing measures."""
    writes.unknown_fields(data, RISK_FIELDS)
    with transaction.atomic():
        if risk is None:
            writes.refuse_unless(by, "governance.add_risk", None, "Only admins keep the risk register.")
            current, reason = Risk(), "Added to the risk register"
        else:
            current = Risk.objects.select_for_update().get(pk=risk.pk)
            writes.refuse_unless(by, "governance.change_risk", current, "Only admins keep the risk register.")
            reason = "Edited on the risk register"
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        rated = ("likelihood", "impact")
        for name in rated:
            value = getattr(current, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                errors.setdefault(name, []).append(f"{name.capitalize()} is rated from 1 to 5.")
        writes.collect_errors(errors, current, exclude=[name for name in rated if name in errors])
        if errors:
            raise ValidationError(errors)
        # One history row with the initiatives it concerns; none when nothing changed.
        writes.save(current, by=by, why=reason, many={"initiatives": initiatives})
    return current


def risk_delete(*, by, risk: Risk) -> None:
    """Remove a risk from the register (admins): for an entry made by mistake. A risk that was
    real is closed (its status), not deleted; history keeps what it said either way."""
    with transaction.atomic():
        current = Risk.objects.select_for_update().get(pk=risk.pk)
        writes.refuse_unless(by, "governance.delete_risk", current, "Only admins keep the risk register.")
        current.initiatives.clear()
        writes.delete(current, by=by, why="Removed from the risk register")


# --- Shared-zone decisions --------------------------------------------------------------------------------


def shared_zone_decision_save(*, by, decision: SharedZoneDecision | None = None, data: dict) -> SharedZoneDecision:
    """Add a shared-zone decision for the CEO and the COO to take (topic, title and, if it
    concerns one, an initiative), or correct those: admins only. The inputs and the joint
    decision are the executives' own and are not written here."""
    writes.unknown_fields(data, SHARED_ZONE_FIELDS)
    with transaction.atomic():
        if decision is None:
            writes.refuse_unless(
                by, "governance.add_sharedzonedecision", None, "Only admins add shared-zone decisions."
            )
            current, reason = SharedZoneDecision(), "Added to the shared zone"
        else:
            current = SharedZoneDecision.objects.select_for_update().get(pk=decision.pk)
            writes.refuse_unless(
                by, "governance.change_sharedzonedecision", current, "Only admins correct shared-zone decisions."
            )
            reason = f"Corrected by {writes.person(by)}"
            if not writes.changed_fields(current, data):
                return current  # nothing corrected: no history row
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if errors:
            raise ValidationError(errors)
        writes.save(current, by=by, why=reason)
    return current


def shared_zone_input_give(*, decision: SharedZoneDecision, by, side: str, text: str) -> SharedZoneDecision:
    """Give (or revise) one side's input to a shared-zone decision: the CEO the ``ceo``
    input, the COO the ``coo`` input, nobody else either.

    Refused: an empty input (``<side>_input``); any input once the joint decision is recorded
    (the record shows what each said before it was taken)."""
    if side not in SIDES:
        raise ValueError(f"No such side: {side}")
    seat, field = SIDES[side], f"{side}_input"
    with transaction.atomic():
        current = SharedZoneDecision.objects.select_for_update().get(pk=decision.pk)
        writes.refuse_unless(
            by,
            f"governance.give_{side}_input_sharedzonedecision",
            current,
            f"Only the {seat} gives the {seat} input to a shared-zone decision.",
        )
        text = text.strip()
        if current.joint_decision:
            raise ValidationError(
                {
                    field: f"The joint decision was recorded on {formatting.day(current.decided_on)}: "
                    "the inputs it was taken on are kept as they were."
                }
            )
        if not text:
            raise ValidationError({field: f"Write the {seat} input: it cannot be empty."})
        revised = bool(getattr(current, field))
        setattr(current, field, text)
        writes.save(current, by=by, why=f"{seat} input {'revised' if revised else 'given'} by {writes.person(by)}")
    return current


def shared_zone_decide(
    *, decision: SharedZoneDecision, by, joint_decision: str, decided_on: date | None = None
) -> SharedZoneDecision:
    """Record the joint decision and its date (today by default): the CEO or the COO, once
    both have given their input.

    Refused: before both inputs are in (``joint_decision``, naming the missing one); an
    empty decision; a date after today (``decided_on``); a second recording (a decision
    taken is the record, kept as it was said)."""
    with transaction.atomic():
        current = SharedZoneDecision.objects.select_for_update().get(pk=decision.pk)
        writes.refuse_unless(
            by,
            "governance.decide_sharedzonedecision",
            current,
            "Only the CEO or the COO records the joint decision of a shared-zone decision.",
        )
        if current.joint_decision:
            raise ValidationError(
                {"joint_decision": f"The joint decision was already recorded on {formatting.day(current.decided_on)}."}
            )
        missing = [seat for side, seat in SIDES.items() if not getattr(current, f"{side}_input")]
        if missing:
            raise ValidationError(
                {
                    "joint_decision": f"The {' and the '.join(missing)} input{'s are' if len(missing) > 1 else ' is'} "
                    "missing: the joint decision is recorded once both the CEO and the COO have given theirs."
                }
            )
        errors: dict[str, list[str]] = {}
        text = joint_decision.strip()
        if not text:
            errors["joint_decision"] = ["Write the joint decision: it cannot be empty."]
        today = timezone.localdate()
        decided_on = decided_on or today
        if decided_on > today:
            errors["decided_on"] = ["A decision is dated the day it was taken, today or earlier."]
        if errors:
            raise ValidationError(errors)
        current.joint_decision = text
        current.decided_on = decided_on
        writes.save(current, by=by, why=f"Joint decision recorded by {writes.person(by)}")
    return current


def shared_zone_decision_delete(*, by, decision: SharedZoneDecision) -> None:
    """Remove a shared-zone decision still to take (admins). One the CEO and the COO have taken
    is the record of it: refused (``joint_decision``)."""
    with transaction.atomic():
        current = SharedZoneDecision.objects.select_for_update().get(pk=decision.pk)
        writes.refuse_unless(
            by, "governance.delete_sharedzonedecision", current, "Only admins remove shared-zone decisions."
        )
        if current.joint_decision:
            raise ValidationError(
                {
                    "joint_decision": f"The joint decision was recorded on {formatting.day(current.decided_on)}: "
                    "it is the record of what the CEO and the COO decided, and stays."
                }
            )
        writes.delete(current, by=by, why="Removed from the shared zone")
