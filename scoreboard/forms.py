"""Form helpers every app's pages and admin share (the shared base): a formset's rows for a
service, and a service's refusal put back on the field (or the row) it names."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .writes import Row


def rows_of(formset, **fixed) -> list[Row]:
    """The formset's rows for a service: new, changed, unchanged and deleted (blank extra
    forms left out), each named by its form's prefix. No formset (None): no rows."""
    if formset is None:
        return []
    fields = [name for name in formset.form._meta.fields]
    rows = []
    for form in formset.forms:
        pk = form.instance.pk
        if pk is None and not form.has_changed():
            continue
        if formset._should_delete_form(form):
            if pk is not None:
                rows.append(Row(ref=form.prefix, id=pk, delete=True))
            continue
        rows.append(Row(ref=form.prefix, id=pk, values={**{f: form.cleaned_data[f] for f in fields}, **fixed}))
    return rows


def add_refusal(error: ValidationError, main_form=None, formsets=()) -> list[str]:
    """Put a service's refusal on the field it names: ``field`` on the main form,
    ``<prefix>.<field>`` on the row with that prefix. Returns what belongs to no form (a
    row that was not on the page), for the page to say in words."""
    rows = {form.prefix: form for formset in formsets for form in formset.forms}
    unplaced = []
    for key, messages in error.message_dict.items():
        prefix, _, name = key.partition(".")
        form = rows.get(prefix)
        if form is None:
            form, name = main_form, key
        if form is None:
            unplaced.extend(messages)
            continue
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    return unplaced


def error_summary(sections) -> list[str]:
    """Every error on the page in words that name where it is: ``(title, form)`` pairs, or
    ``(title, formset)`` whose rows are numbered."""
    lines = []
    for title, form_or_set in sections:
        if not form_or_set.is_bound:
            continue
        if hasattr(form_or_set, "forms"):
            lines.extend(f"{title}: {e}" for e in form_or_set.non_form_errors())
            for number, form in enumerate(form_or_set.forms, start=1):
                if not form_or_set._should_delete_form(form):
                    lines.extend(_form_lines(f"{title} row {number}", form))
        else:
            lines.extend(_form_lines(title, form_or_set))
    return lines


def _form_lines(title: str, form) -> list[str]:
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        label = label or (name.replace("_", " ").capitalize() if name != "__all__" else "")
        where = f"{title} · {label}" if label else title
        lines.extend(f"{where}: {e}" for e in errors)
    return lines
