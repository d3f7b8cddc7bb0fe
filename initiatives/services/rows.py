"""The list edits every form of an initiative's parts shares (steps, roles, milestones, backlog
items): each row validated on a copy, the whole list judged, then only what changed written."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models

from scoreboard import writes
from scoreboard.writes import Row


def rows_plan(errors: dict, rows: Sequence[Row], existing: dict, model, *, parent) -> list[tuple[str, models.Model]]:
    """The rows as they would be stored (deleted ones left out), each validated.
    Existing rows are changed on copies, so nothing is touched until the plan is applied."""
    parent_name, parent_obj = parent
    deleted = {row.id for row in rows if row.delete}
    plan = []
    for row in rows:
        if row.id is not None and row.id not in existing:
            writes.add_error(errors, row.ref, f"This {model._meta.verbose_name} no longer exists or belongs elsewhere.")
            continue
        if row.delete:
            continue
        if row.id is None:
            obj = model(**row.values)
            setattr(obj, parent_name, parent_obj)
        else:
            original = existing[row.id]
            obj = model(**{f.attname: getattr(original, f.attname) for f in model._meta.concrete_fields})
            for name, value in row.values.items():
                setattr(obj, name, value)
        exclude = [parent_name] if parent_obj.pk is None else None
        writes.collect_errors(errors, obj, prefix=row.ref, exclude=exclude)
        plan.append((row.ref, obj))
    # Rows not sent at all are kept as they are, and still count for positions and names.
    sent = {row.id for row in rows if row.id is not None}
    plan.extend(("", obj) for pk, obj in existing.items() if pk not in sent and pk not in deleted)
    return plan


def rows_no_two_alike(errors: dict, plan, *, key, field: str, message) -> None:
    seen = set()
    for ref, obj in plan:
        k = key(obj)
        if k in seen:
            writes.add_error(errors, f"{ref}.{field}" if ref else field, message(obj))
        seen.add(k)


def rows_apply(plan, existing: dict, by, reason: str, *, parent, park: dict | None = None) -> None:
    """Delete what the plan drops, then save what is new or changed (only those, so history
    records real changes). ``park`` moves changed rows out of each other's way first: the
    database checks a unique key row by row, so two rows swapping positions would collide."""
    parent_name, parent_obj = parent
    kept = {obj.pk for _, obj in plan if obj.pk is not None}
    for pk, obj in existing.items():
        if pk not in kept:
            writes.delete(obj, by=by, why=reason)
    changed = []
    for _, obj in plan:
        if obj.pk is None:
            setattr(obj, parent_name, parent_obj)
            changed.append(obj)
        elif rows_differ(obj, existing[obj.pk]):
            changed.append(obj)
    moving = [obj.pk for obj in changed if obj.pk is not None]
    if park and moving:
        # A plain UPDATE: an intermediate state, not a change history should show.
        type(existing[moving[0]]).objects.filter(pk__in=moving).update(**park)
    # New rows last: one may take the place a moved row left.
    changed.sort(key=lambda obj: obj.pk is None)
    for obj in changed:
        writes.save(obj, by=by, why=reason)


def rows_differ(obj: models.Model, original: models.Model) -> bool:
    return any(getattr(obj, f.attname) != getattr(original, f.attname) for f in obj._meta.concrete_fields)
