"""An initiative's roadmap and backlog: the page's whole list at once, or one milestone or backlog
item at a time (the API and the admin), by its ops leads and admins."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from scoreboard import writes
from scoreboard.writes import Row

from ..models import (
    BacklogItem,
    Initiative,
    Milestone,
)
from .rows import rows_apply, rows_plan


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
        milestone_plan = rows_plan(errors, milestones, existing_milestones, Milestone, parent=("initiative", locked))
        existing_items = {b.pk: b for b in locked.backlog_items.all()}
        backlog_plan = rows_plan(errors, backlog, existing_items, BacklogItem, parent=("initiative", locked))
        if errors:
            raise ValidationError(errors)
        rows_apply(milestone_plan, existing_milestones, by, "Roadmap edited", parent=("initiative", locked))
        rows_apply(backlog_plan, existing_items, by, "Backlog edited", parent=("initiative", locked))


def _actions(rows: Sequence[Row]) -> set[str]:
    actions = set()
    for row in rows:
        actions.add("delete" if row.delete else "add" if row.id is None else "change")
    return actions


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
