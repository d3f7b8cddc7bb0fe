"""An initiative itself: added and deleted by admins, changed by its ops leads (what they keep),
its two owners (each their own description) and admins (everything), every stage change through
the way to production (stages.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from scoreboard import formatting, writes

from ..models import (
    Initiative,
    Stage,
    WorkflowChange,
)
from .stages import label, needs_sponsor, sponsor_refusal, stage_change_check

StaleEdit = writes.StaleEdit  # the pages catch it by this name

# What an initiative's ops leads keep; owners, sponsor, ops leads and KPIs are set by admins, and
# each owner's description is written by that owner (OWNER_DESCRIPTIONS).
INITIATIVE_EDITABLE_FIELDS = (
    "name",
    "business_unit",
    "process",
    "sourcing",
    "stage",
    "investment",
    "expected_annual_benefit",
    "payback_months",
    "started_on",
    "planned_go_live",
    "actual_go_live",
)


@dataclass(frozen=True)
class OwnerDescription:
    """An owner's description of the initiative: written by that owner, or corrected by an admin."""

    perm: str
    owner: str  # the Initiative field naming the owner
    seat: str  # the owner's seat, in words

    def who_may(self, initiative: Initiative) -> str:
        owner = getattr(initiative, self.owner)
        return (
            f"Only the {self.seat} ({owner.get_full_name() or owner.username}) or an admin "
            f"changes the {self.seat}'s description."
        )


# The vocabulary check compares these two: it means something only if each is its owner's words.
OWNER_DESCRIPTIONS = {
    "technology_owner_description": OwnerDescription(
        "initiatives.change_technology_owner_description", "technology_owner", "technology owner"
    ),
    "operations_owner_description": OwnerDescription(
        "initiatives.change_operations_owner_description", "operations_owner", "operations owner"
    ),
}


# Every field of an initiative a person writes (the rest is computed or stamped).
INITIATIVE_FIELDS = (
    "code",
    *INITIATIVE_EDITABLE_FIELDS,
    *OWNER_DESCRIPTIONS,
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


def who_changes(initiative: Initiative) -> str:
    """Who may change an initiative at all, in the words of a refusal."""
    return f"Only the ops leads of {initiative.code} and admins change it; its owners, each their own description."


def initiative_fields_for(*, by, initiative: Initiative) -> tuple[str, ...]:
    """What ``by`` may change of ``initiative`` on its edit page: what its ops leads keep (to its
    ops leads and admins), and each owner's description (to that owner and admins). Empty: nothing."""
    fields = INITIATIVE_EDITABLE_FIELDS if by.has_perm("initiatives.change_initiative", initiative) else ()
    return (*fields, *(name for name, d in OWNER_DESCRIPTIONS.items() if by.has_perm(d.perm, initiative)))


def initiative_create(*, by, data: dict) -> Initiative:
    """Add an initiative (admins), with its owners, ops leads and KPIs. The stage it starts at
    passes the gates as a move from "idea" would; every problem is named by field."""
    writes.unknown_fields(data, INITIATIVE_FIELDS)
    writes.refuse_unless(by, "initiatives.add_initiative", None, "Only admins add initiatives.")
    with transaction.atomic():
        initiative = Initiative()
        _apply_initiative(initiative, data, by=by, from_stage=None)
        writes.save(initiative, by=by, why="Initiative added", many=_many(data))
    return initiative


def initiative_update(*, initiative: Initiative, by, data: dict, read_at: datetime | None) -> Initiative:
    """Change an initiative. Its ops leads change what they keep (INITIATIVE_EDITABLE_FIELDS);
    the code, the owners, the sponsor, the ops leads and the KPIs it reports are changed by
    admins only: a change to any of them by anyone else is refused (PermissionDenied, naming
    them), whatever else the request changes.

    Each owner writes their own words: the technology owner's description is changed by the
    technology owner and the operations owner's by the operations owner, and by nobody else but an
    admin, whose correction the history records as theirs ("… corrected by <admin>"). An owner who
    does not also lead it changes nothing else of it. Each refusal names the field and who may.

    Refused (StaleEdit) when it changed after ``read_at``, the ``updated_at`` the editor read,
    naming who changed it and when, so that one person's edit never silently overwrites
    another's. A stage change passes the gates (governance/services/gates.py). An edit that
    changes nothing writes nothing, not even a history row."""
    writes.unknown_fields(data, INITIATIVE_FIELDS)
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        runs_it = by is not None and by.has_perm("initiatives.change_initiative", current)
        if not (runs_it or initiative_fields_for(by=by, initiative=current)):
            raise PermissionDenied(who_changes(current))
        writes.check_fresh(current, read_at, what="this initiative")
        changed = writes.changed_fields(current, data)
        for name in changed:
            if name in OWNER_DESCRIPTIONS:
                description = OWNER_DESCRIPTIONS[name]
                writes.refuse_unless(by, description.perm, current, description.who_may(current))
        others = [name for name in changed if name not in OWNER_DESCRIPTIONS]
        if others and not runs_it:
            raise PermissionDenied(
                f"Nothing was stored: an owner of {current.code} changes only their own description; "
                "its ops leads and admins change the rest."
            )
        admin_only = [name for name in changed if name in ADMIN_ONLY_LABELS]
        if admin_only and not by.has_perm("initiatives.add_initiative"):
            raise PermissionDenied(
                f"Nothing was stored: only admins change {_and(ADMIN_ONLY_LABELS[n] for n in admin_only)} "
                f"of an initiative; its ops leads keep the rest."
            )
        if not changed:
            return current
        before_stage = current.stage
        corrections = _corrections(current, changed, by=by)
        _apply_initiative(current, {n: data[n] for n in changed}, by=by, from_stage=before_stage)
        edited = [str(Initiative._meta.get_field(n).verbose_name) for n in changed if n not in corrections]
        if current.stage != before_stage:
            edit = f"Stage: {Stage(before_stage).label} → {Stage(current.stage).label}"
        else:
            edit = f"Edited: {', '.join(edited)}" if edited else ""
        why = "; ".join(part for part in [*corrections.values(), edit] if part)
        writes.save(current, by=by, why=why, many=_many(data, changed))
    return current


def _corrections(initiative: Initiative, changed, *, by) -> dict[str, str]:
    """Each owner's description changed by someone other than that owner (an admin: the rules
    allow no one else), with the history's words for it: the correction is recorded as the admin's."""
    admin = by.get_full_name() or by.username
    return {
        name: f"{description.seat.capitalize()}'s description corrected by {admin}"
        for name, description in OWNER_DESCRIPTIONS.items()
        if name in changed and getattr(initiative, f"{description.owner}_id") != by.pk
    }


def stage_move_approved(*, initiative: Initiative, to_stage: str, by, asked_by, words: str) -> Initiative:
    """Move ``initiative`` into ``to_stage`` as its sponsor ``by`` approved, asked by ``asked_by``:
    the one path into a late stage, called by governance's decision log when the sponsor approves
    (governance/services/stage_moves.py judges who answers). The gates apply first: one that no
    longer holds refuses the move (ValidationError on ``stage``), and nothing is stored."""
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        before = current.stage
        if not needs_sponsor(from_stage=before, to_stage=to_stage):
            raise ValidationError(
                {"stage": f"{current.name} is in {label(before)}: a move into {label(to_stage)} asks nothing now."}
            )
        _apply_initiative(current, {"stage": to_stage}, by=by, from_stage=before, approved=True)
        why = f"Stage: {label(before)} → {label(to_stage)}, asked by {asked_by}, approved by {by}: {words}"
        writes.save(current, by=by, why=why)
    return current


def initiative_delete(*, initiative: Initiative, by) -> None:
    """Delete an initiative (admins). What other records keep as evidence (measurements,
    snapshots, decisions) protects it: the refusal names them (ProtectedError)."""
    with transaction.atomic():
        current = Initiative.objects.select_for_update().get(pk=initiative.pk)
        writes.refuse_unless(by, "initiatives.delete_initiative", current, "Only admins delete initiatives.")
        writes.delete(current, by=by, why="Initiative deleted")


def _apply_initiative(
    initiative: Initiative, data: dict, *, by, from_stage: str | None, approved: bool = False
) -> None:
    """Write ``data`` onto ``initiative`` (not saved) and validate it as a whole, with the gates."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in _MANY:
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
    writes.collect_errors(errors, initiative)
    if initiative.code and (taken := code_taken(initiative.code, other_than=initiative.pk)):
        writes.add_error(errors, "code", taken)
    if initiative.pk and initiative.started_on and "started_on" in data and "started_on" not in errors:
        _judge_start(errors, initiative)
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
    if initiative.stage and needs_sponsor(from_stage=from_stage, to_stage=initiative.stage) and not approved:
        writes.add_error(errors, "stage", sponsor_refusal(initiative, initiative.stage))
    elif initiative.stage and initiative.stage != from_stage:
        try:
            stage_change_check(initiative=initiative, to_stage=initiative.stage, from_stage=from_stage)
        except ValidationError as refusal:
            for key, messages in refusal.message_dict.items():
                for message in messages:
                    writes.add_error(errors, key, message)
    writes.raise_if(errors)


def _judge_start(errors: dict[str, list[str]], initiative: Initiative) -> None:
    """An initiative's start never leaves its stored measurements before it: the rule that refuses
    a value observed before the start (metrics' intake) holds for what is already stored too."""
    first = initiative.measurements.order_by("observed_at").values_list("observed_at", flat=True).first()
    if first is not None and timezone.localtime(first).date() < initiative.started_on:
        writes.add_error(
            errors,
            "started_on",
            f"Measurements of this initiative are stored from {formatting.day(first)}: "
            "it cannot have started after them.",
        )


def _many(data: dict, changed=None) -> dict:
    # Many-to-many in the same history row as the rest, with the same who and why.
    return {name: data[name] for name in _MANY if name in data and (changed is None or name in changed)}


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def code_taken(code: str, *, other_than: int | None = None) -> str:
    """Why an initiative cannot have this code (another has it), or "" when it can."""
    taken = Initiative.objects.filter(code=code).exclude(pk=other_than).only("name").first()
    return f"{taken.name} already has the code {code}: choose another." if taken else ""
