"""What every service shares when it writes (the shared base: any app may import it).

A service refuses in one of three ways, and every door turns each into the same answer:

- ``ValidationError`` (Django's), keyed by field: the request is wrong. A page or an admin form
  shows it on the field; the API answers 400 naming each field.
- ``PermissionDenied`` (Django's), saying who may: this person may not. The API answers 403.
- ``Conflict`` (a ``ValidationError``): the state changed under the request: a stale edit, a
  second publish. It says who changed it, and when. The API answers 409; a form shows it at the top.

The helpers below are written once here: the history's who and why, the permission check with
its words, the model's own validation keyed by field, the stale-edit message. ``save`` and
``delete`` also bump the version of what the ExCo page shows (``versions.py``), in the write's
own transaction, so its cached months are read afresh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from . import formatting, versions
from .months import FIRST_MONTH, LAST_MONTH, last_day

# django-simple-history keeps a change reason of at most 100 characters.
REASON_MAX = 100


class Conflict(ValidationError):
    """The object changed (or was acted on) after the request's author read it: nothing was stored."""


class StaleEdit(Conflict):
    """An edit made on a copy older than the stored one: nothing was stored."""


@dataclass(frozen=True)
class Row:
    """One row of a list edited on a page (a step, a role, a milestone, a backlog item).

    ``ref`` says where it came from (e.g. the form's prefix, "after-2"), so that a refusal
    can name the row: errors are keyed ``"<ref>.<field>"``. ``id`` is None for a new row."""

    ref: str
    id: int | None
    values: dict = field(default_factory=dict)
    delete: bool = False


def refuse_unless(by, perm: str, obj, message: str) -> None:
    """Refuse (PermissionDenied, with ``message`` saying who may) unless ``by`` has ``perm`` on ``obj``."""
    if by is None or not by.has_perm(perm, obj):
        raise PermissionDenied(message)


def reason(text: str) -> str:
    """A history change reason, cut to what django-simple-history keeps (never refusing the write)."""
    text = " ".join(str(text).split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def save(obj: models.Model, *, by, why: str, many: dict | None = None, **save_kwargs) -> bool:
    """Save ``obj`` with its history row saying who (``by``) and why; ``many`` sets its
    many-to-many fields (name → the related objects) in the same row. Returns whether it wrote.

    The history says what people did, so it gets one row per change and none for a save that
    changes nothing, whichever door called: a stored object whose fields and many-to-many sets
    equal what is stored is not saved at all. django-simple-history would otherwise write a row
    for the save and one more for each many-to-many set (the first showing "Kpis: [] → […]")."""
    obj._history_user = by
    obj._change_reason = reason(why)
    many = {name: list(values) for name, values in (many or {}).items()}
    adding = obj._state.adding
    with _together():
        wrote = _save(obj, many, save_kwargs)
        if wrote:
            versions.bump(*_scopes(obj, adding=adding))
    return wrote


def _together():
    """The write and its version bump commit together: in the service's transaction when there
    is one (untouched: no savepoint, nothing marked), else in one of their own."""
    return nullcontext() if transaction.get_connection().in_atomic_block else transaction.atomic()


def _scopes(obj: models.Model, *, adding: bool) -> tuple:
    """The months whose page ``obj`` shows on: its own month for a month's note or figure when
    added or removed (an edit might have moved it from another month), every month otherwise."""
    month = getattr(obj, "month", None)
    if adding and obj._meta.label_lower in MONTH_SCOPED and month is not None:
        return (month,)
    return ()


# Rows that show only on the pages of their own month (and the months after it, which read it).
MONTH_SCOPED = frozenset({"metrics.annotation", "metrics.monthlysnapshot"})


def _save(obj: models.Model, many: dict, save_kwargs: dict) -> bool:
    if obj._state.adding:
        if not many:
            obj.save(**save_kwargs)
            return True
        with _no_history(obj):
            obj.save(**save_kwargs)
            _set_many(obj, many)
        # The row for the addition, with the many-to-many sets as they now stand.
        models.signals.post_save.send(
            sender=type(obj), instance=obj, created=True, update_fields=None, raw=False, using=obj._state.db
        )
        return True
    many = {name: values for name, values in many.items() if _many_differ(obj, name, values)}
    if not many and not _fields_differ(obj, save_kwargs.get("update_fields")):
        return False
    with _no_history(obj):
        _set_many(obj, many)  # first, so that the one row of this save holds them
    obj.save(**save_kwargs)
    return True


class _no_history:
    """No history rows while inside: the caller writes the one row itself."""

    def __init__(self, obj: models.Model):
        self.obj = obj

    def __enter__(self):
        self.obj.skip_history_when_saving = True

    def __exit__(self, *exc):
        del self.obj.skip_history_when_saving


def _set_many(obj: models.Model, many: dict) -> None:
    for name, values in many.items():
        getattr(obj, name).set(values)


def _many_differ(obj: models.Model, name: str, values) -> bool:
    return set(getattr(obj, name).values_list("pk", flat=True)) != {getattr(v, "pk", v) for v in values}


def _fields_differ(obj: models.Model, names=None) -> bool:
    """Whether any field of ``obj`` a person writes differs from the stored row (each side read
    as the field reads it: "2026-01-05" is the date, Decimal("1.0") is Decimal("1.00"))."""
    fields = [
        f
        for f in obj._meta.concrete_fields
        if not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) or f.primary_key)
        and (names is None or f.name in names or f.attname in names)
    ]
    stored = type(obj)._base_manager.filter(pk=obj.pk).values(*(f.attname for f in fields)).first()
    if stored is None:
        return True
    for f in fields:
        try:
            mine = f.to_python(getattr(obj, f.attname))
        except ValidationError:
            return True  # not a value the field keeps: let the save say so
        if mine != stored[f.attname]:
            return True
    return False


def delete(obj: models.Model, *, by, why: str) -> None:
    """Delete ``obj`` with its history row saying who and why."""
    obj._history_user = by
    obj._change_reason = reason(why)
    with _together():
        obj.delete()
        versions.bump(*_scopes(obj, adding=True))


def unknown_fields(data: dict, allowed: Iterable[str]) -> None:
    """A programming error, not a user's: a caller passed a field this service does not write."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Not written here: {', '.join(sorted(unknown))}")


def add_error(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key or "__all__", []).append(str(message))


def collect_errors(errors: dict[str, list[str]], obj: models.Model, *, prefix: str = "", exclude=None) -> None:
    """The model's own field and ``clean()`` checks, keyed by field (``"<prefix>.<field>"`` for a
    row of a list), and what no field keeps (``value_errors``). Table constraints back them up,
    and would only speak of the row."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            key = name if not prefix else prefix if name == "__all__" else f"{prefix}.{name}"
            for message in messages:
                add_error(errors, key, message)
    for name, messages in value_errors(obj, exclude=exclude).items():
        key = f"{prefix}.{name}" if prefix else name
        if key not in errors:  # one reason per field: the model's own comes first
            for message in messages:
                add_error(errors, key, message)


def value_errors(obj: models.Model, *, exclude=None) -> dict[str, list[str]]:
    """What no field of ``obj`` keeps, keyed by field, whatever door it came through: text no one
    types (``text_problem``), and a date outside the years the product speaks of (``date_problem``).
    For a service that runs the model's own checks itself: ``raise_if(value_errors(obj))``."""
    errors: dict[str, list[str]] = {}
    for model_field in obj._meta.concrete_fields:
        if exclude and model_field.name in exclude:
            continue
        value = getattr(obj, model_field.attname)
        if isinstance(value, str) and (problem := text_problem(value)):
            add_error(errors, model_field.name, f"This text {problem}.")
        elif (
            isinstance(model_field, models.DateField)
            and isinstance(value, date)
            and not (model_field.auto_now or model_field.auto_now_add)
            and (problem := date_problem(value))
        ):
            add_error(errors, model_field.name, problem)
    return errors


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# Control characters no one types: C0 and C1, and DEL. Tab, line feed and carriage return are text.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(text: str) -> str:
    """Why ``text`` cannot be stored, or is not text a person means; "" when it is fine."""
    if text.isascii() and text.isprintable():  # the usual text, at once: a batch has ~10 per row
        return ""
    if "\x00" in text:
        return "contains a NUL character, which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text: it holds a lone surrogate (half of a character)"
    if control := _CONTROL.search(text):
        return f"holds a control character (U+{ord(control.group()):04X}), which is not text anyone types"
    return ""


# The days the product speaks of (scoreboard.months): a date outside them is no one's.
FIRST_DAY, LAST_DAY = FIRST_MONTH, last_day(LAST_MONTH)


def date_problem(value: date | datetime) -> str:
    """Why a date or a moment someone gave is not one the product speaks of (before 2000, after
    2099: year 1 and 9999 are typing slips or probes), or "" when it is."""
    try:  # a moment's day in the site's time zone, as its month is counted
        day = timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value
        day = day.date() if isinstance(day, datetime) else day
    except OverflowError:  # an offset pushed it past the calendar's edge
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        return (
            f"{value.isoformat()} is outside the years the scoreboard speaks of: "
            f"give a date from {FIRST_DAY.year} to {LAST_DAY.year}."
        )
    return ""


def person(user) -> str:
    """A person as the product names them: their full name (and seat), or their username."""
    return str(user) if user is not None else "someone"


def when(moment: datetime) -> str:
    """A moment as every page says it: "5 Dec 2026 14:05", in the site's time zone."""
    return formatting.moment(moment)


def last_changed_by(obj: models.Model) -> str:
    """Who made the latest change to ``obj``, from its history."""
    last = obj.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    return person(last.history_user if last is not None else None)


def stale_message(
    current: models.Model,
    *,
    what: str,
    field: str = "updated_at",
    nothing: str = "Nothing was saved",
    then: str = "Reload it to see their change, then make yours again.",
) -> str:
    """Why an edit made on an older copy is refused: who changed ``what``, and when."""
    changed_at = getattr(current, field)
    return f"{nothing}: {last_changed_by(current)} changed {what} on {when(changed_at)} after you opened it. {then}"


def check_fresh(
    current: models.Model,
    read_at: datetime | None,
    *,
    what: str,
    field: str = "updated_at",
    error: type[StaleEdit] = StaleEdit,
    **words,
) -> None:
    """Refuse (StaleEdit, or ``error``) an edit made on a copy read before ``current`` last
    changed, naming who changed it and when (``words``: see stale_message). ``read_at`` None
    means the caller read no copy (an API client that sent no ``updated_at``): nothing to compare."""
    stored = getattr(current, field)
    if read_at is None or stored is None or stored == read_at:
        return
    raise error({"__all__": stale_message(current, what=what, field=field, **words)})


def changed_fields(obj: models.Model, data: dict) -> list[str]:
    """The names in ``data`` whose value differs from ``obj``'s (many-to-many compared as sets)."""
    changed = []
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            before = set(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else set()
            if before != {getattr(v, "pk", v) for v in value}:
                changed.append(name)
        elif getattr(obj, field.attname if field.is_relation else name) != (
            getattr(value, "pk", value) if field.is_relation else value
        ):
            changed.append(name)
    return changed
