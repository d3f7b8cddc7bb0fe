"""A readable history of what people changed (the shared base: any app may import it).

django-simple-history keeps a row per save (``scoreboard.writes.save`` writes none for a save that
changes nothing). This module turns those rows into what a reader wants to know: who, when,
created, changed or deleted, why (the change reason), and for each changed field its label, what
it was and what it became, as the pages say it: a choice as its label, a person or an initiative
by name, many-to-many as names, dates and numbers through ``scoreboard.formatting``, long text
cut short. Bookkeeping (ids, ``updated_at``, computed caches) is never shown.

A page names what its history covers as ``Source``s: one model's rows, filtered (an initiative,
its workflow change, the steps of that workflow change...). ``recent`` reads the latest entries for
a section of the page, ``page`` a paged full history. Each costs a fixed number of queries
whatever the length of the history: one for the page of rows across every source (``page`` one
more to count them), then per source shown one for its records and one per many-to-many field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, IntegerField, Value, Window
from django.db.models.functions import Lag
from django.utils.text import Truncator, capfirst
from simple_history.models import HistoricalRecords
from simple_history.utils import get_m2m_reverse_field_name

from . import formatting

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY = "—"  # a field with no value, as the matrix history has always said it
TEXT_SHOWN = 120  # characters of a long text shown before and after a change
RECENT = 10  # entries a page's history section shows; the rest are on its full history page
# Never a change a person made: keys, stamps and caches the code keeps.
BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "last_status", "last_run_at", "last_success_at"})


@dataclass(frozen=True)
class FieldChange:
    """One field of one change, as a person reads it."""

    name: str
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One change: who made it and when, what it did to which object, why, and each field changed."""

    when: datetime
    who: object  # the user, or None (a job, the demo generator)
    action: str  # created, changed, deleted
    subject: str
    reason: str
    changes: list[FieldChange]
    kind: str  # the Source's kind: which part of the page's object it is about
    record: object  # the historical record, for what a caller adds (e.g. the matrix's version number)


@dataclass
class Recent:
    """A page's history section: the latest entries, and whether there are older ones."""

    entries: list[Entry]
    more: bool


@dataclass(frozen=True)
class Source:
    """The history rows of one model that a page shows, and how to read them.

    ``where`` filters the historical rows (``{"id": 5}``, ``{"initiative_id": 5}``); the fields it
    names are not shown (the page already says whose rows they are). ``fields`` are the fields
    shown (by default every field a person edits, but ``skip`` and the bookkeeping). ``subject``
    names the object of one row (by default the model's name); ``labels`` or ``label`` a field (by
    default its verbose name); ``formats`` reads a field's stored value (by default as its kind of field is read)."""

    model: type[models.Model]
    where: dict = field(default_factory=dict)
    subject: Callable[[Any], str] | None = None
    fields: Sequence[str] | None = None
    skip: Sequence[str] = ()
    label: Callable[[str], str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    formats: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    kind: str = ""

    @property
    def kind_name(self) -> str:
        return self.kind or self.model._meta.model_name

    def shown_fields(self) -> list[str]:
        if self.fields is not None:
            return list(self.fields)
        tracked = {f.name for f in self.model.history.model._meta.get_fields()}
        filtered = {key.split("__")[0].removesuffix("_id") for key in self.where}
        skipped = BOOKKEEPING | set(self.skip) | filtered
        names = [
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable
            and not f.primary_key
            and not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
            and f.name in tracked
            and f.name not in skipped
        ]
        return [*names, *(f.name for f in self.m2m_fields() if f.name not in skipped)]

    def m2m_fields(self) -> list[models.ManyToManyField]:
        """The many-to-many fields whose sets the history keeps with each row."""
        return list(getattr(self.model.history.model, "_history_m2m_fields", []))

    def label_of(self, name: str) -> str:
        if name in self.labels:
            return self.labels[name]
        if self.label is not None:
            return self.label(name)
        return capfirst(str(self.model._meta.get_field(name).verbose_name))

    def subject_of(self, record) -> str:
        return self.subject(record) if self.subject is not None else capfirst(str(self.model._meta.verbose_name))


# --- Reading one value --------------------------------------------------------------------------------------


def shown(record, name: str, formats: dict[str, Callable[[Any], str]] | None = None) -> str:
    """The value of ``name`` in a historical (or live) record, as a page says it."""
    model_field = record._meta.get_field(name)
    value = getattr(record, model_field.attname)
    if value is None or value == "":
        return EMPTY
    if formats and name in formats:
        return formats[name](value)
    if model_field.is_relation:
        related = getattr(record, name, None)  # read with the record (select_related)
        return str(related) if related is not None else f"a removed one (#{value})"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return readable(value, decimals=getattr(model_field, "decimal_places", None))


def readable(value, *, decimals: int | None = None) -> str:
    """A stored value as a person reads it: "5 Dec 2026", "1,250.00", "Yes", a text cut short."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return formatting.moment(value)
    if isinstance(value, date):
        return formatting.day(value)
    if isinstance(value, Decimal):
        return formatting.plain_number(value, decimals if decimals is not None else max(0, -value.as_tuple().exponent))
    if isinstance(value, int):
        return formatting.plain_number(value, 0)
    return Truncator(" ".join(str(value).split())).chars(TEXT_SHOWN)


def field_changes(
    previous,
    record,
    names: Sequence[str],
    label: Callable[[str], str],
    formats: dict[str, Callable[[Any], str]] | None = None,
) -> list[FieldChange]:
    """The fields among ``names`` that differ between two records of one object, each read as a
    page says it. Nothing when there is no earlier record to compare with."""
    if previous is None:
        return []
    changes = []
    for name in names:
        attname = record._meta.get_field(name).attname
        if getattr(previous, attname) != getattr(record, attname):
            changes.append(FieldChange(name, label(name), shown(previous, name, formats), shown(record, name, formats)))
    return changes


# --- Reading many rows in a fixed number of queries ---------------------------------------------------------


def _rows(sources: Sequence[Source]):
    """Every history row of the sources, newest first, as (history_id, history_date, source index,
    the history_id of the same object's previous row or None): one compound query."""
    parts = []
    for index, source in enumerate(sources):
        parts.append(
            source.model.history.filter(**source.where)
            .order_by()  # each part unordered: a compound statement is ordered once, as a whole
            # Named apart from any model's own fields (a measurement has a ``source``).
            .annotate(
                history_part=Value(index, output_field=IntegerField()),
                history_previous_id=Window(
                    Lag("history_id"), partition_by=[F("id")], order_by=[F("history_date").asc(), F("history_id").asc()]
                ),
            )
            .values_list("history_id", "history_date", "history_part", "history_previous_id")
        )
    first, *others = parts
    combined = first.union(*others, all=True) if others else first
    return combined.order_by("-history_date", "-history_id")


def _m2m_names(source: Source, history_ids: set[int]) -> dict[tuple[str, int], tuple[frozenset, str]]:
    """Each many-to-many field's set in each record: (field, history_id) → (the ids, the names)."""
    sets: dict[tuple[str, int], tuple[frozenset, str]] = {}
    shown_names = set(source.shown_fields())
    for m2m in source.m2m_fields():
        if m2m.name not in shown_names:
            continue
        target = get_m2m_reverse_field_name(m2m)
        members: dict[int, list] = defaultdict(list)
        for row in HistoricalRecords.m2m_models[m2m].objects.filter(history_id__in=history_ids).select_related(target):
            members[row.history_id].append(getattr(row, target))
        for history_id in history_ids:
            related = members.get(history_id, [])
            names = ", ".join(sorted(str(obj) for obj in related if obj is not None)) or EMPTY
            sets[(m2m.name, history_id)] = (frozenset(obj.pk for obj in related if obj is not None), names)
    return sets


def _is_foreign_key(source: Source, name: str) -> bool:
    model_field = source.model._meta.get_field(name)
    return model_field.is_relation and not model_field.many_to_many


def _entries(sources: Sequence[Source], rows) -> list[Entry]:
    wanted: dict[int, set[int]] = defaultdict(set)
    for history_id, _, index, previous in rows:
        wanted[index].add(history_id)
        if previous is not None:
            wanted[index].add(previous)
    records: dict[tuple[int, int], Any] = {}
    m2m: dict[int, dict] = {}
    for index, ids in wanted.items():
        source = sources[index]
        related = [name for name in source.shown_fields() if _is_foreign_key(source, name)]
        for record in source.model.history.filter(history_id__in=ids).select_related("history_user", *related):
            records[(index, record.history_id)] = record
        m2m[index] = _m2m_names(source, ids)
    entries = []
    for history_id, _, index, previous_id in rows:
        source = sources[index]
        record = records[(index, history_id)]
        previous = records.get((index, previous_id)) if previous_id is not None else None
        entry = _entry(source, previous, record, m2m[index])
        # A row whose shown fields are all as before (a save of bookkeeping only, or one made before
        # saves that change nothing stopped writing rows) is a change nobody made: not shown.
        if entry.action == "changed" and previous is not None and not entry.changes:
            continue
        entries.append(entry)
    return entries


def _entry(source: Source, previous, record, m2m: dict) -> Entry:
    action = ACTIONS[record.history_type]
    changes: list[FieldChange] = []
    if action == "changed":
        names = source.shown_fields()
        m2m_names = {f.name for f in source.m2m_fields()}
        changes = field_changes(
            previous, record, [n for n in names if n not in m2m_names], source.label_of, source.formats
        )
        if previous is not None:
            for name in (n for n in names if n in m2m_names):
                before = m2m.get((name, previous.history_id), (frozenset(), EMPTY))
                after = m2m.get((name, record.history_id), (frozenset(), EMPTY))
                if before[0] != after[0]:
                    changes.append(FieldChange(name, source.label_of(name), before[1], after[1]))
    return Entry(
        when=record.history_date,
        who=record.history_user,
        action=action,
        subject=source.subject_of(record),
        reason=record.history_change_reason or "",
        changes=changes,
        kind=source.kind_name,
        record=record,
    )


def recent(*sources: Source, limit: int = RECENT) -> Recent:
    """The latest ``limit`` changes across ``sources``, newest first, for a page's history section."""
    rows = list(_rows(sources)[: limit + 1])
    return Recent(entries=_entries(sources, rows[:limit]), more=len(rows) > limit)


def page(*sources: Source, number: int | str | None, per_page: int = 50) -> Page:
    """One page of every change across ``sources``, newest first (its ``object_list`` the entries)."""
    shown_page = Paginator(_rows(sources), per_page).get_page(number)
    shown_page.object_list = _entries(sources, list(shown_page.object_list))
    return shown_page
