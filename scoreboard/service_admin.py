"""The Django admin as one more door to the services, like the pages and the API.

``ServiceAdmin`` is the base of every admin that writes: its saves and deletes call the app's
service and nothing else, so a rule the page refuses is refused here too, in the same words:

- While the form is validated, the service is tried on what was sent (the object and its
  inlines together), inside a savepoint that is then rolled back: a refusal shows on the field
  it names, on the inline row it names (``"<row prefix>.<field>"``), or at the top of the form,
  and nothing is stored.
- Saving calls the service again, for real. The admin's own ``form.save()``, ``save_m2m()`` and
  ``formset.save()`` are never called.
- Deleting one object or a selection calls the service for each, all or nothing; a refusal comes
  back as a message on the page it was asked from.

A subclass names its service in ``service_save`` and ``service_delete``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from .forms import add_refusal


class _Tried(Exception):
    """Ends a trial run of a service: its savepoint is rolled back."""


class Refused(Exception):
    """A service refused a delete asked from the admin: said as a message, nothing deleted."""

    def __init__(self, refusal: Exception):
        super().__init__(refusal)
        self.refusal = refusal


def words_of(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(refusal.messages)
    return str(refusal)


class ReadAtForm(forms.ModelForm):
    """An admin form that remembers when its object was read (its ``stamp`` field), so that a
    save made on a stale copy is refused by the service, as on the page."""

    stamp = "updated_at"
    read_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("read_at", getattr(self.instance, self.stamp))


class ServiceJudgedForm:
    """Mixed into the admin's ModelForm: after the form's own checks, the service judges."""

    service_admin = None  # (the ServiceAdmin, the request, whether it is a change), per request

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        model_admin, request, change = self.service_admin
        formsets = getattr(self.instance, "_admin_formsets", ())
        if not all(formset.is_valid() for formset in formsets):
            return  # their own errors show first
        try:
            with transaction.atomic():
                model_admin.service_save(request, self.instance, self, formsets, change)
                raise _Tried
        except _Tried:
            pass
        except PermissionDenied as refusal:
            self.add_error(None, str(refusal))
        except ValidationError as refusal:
            for message in add_refusal(refusal, self, formsets):
                self.add_error(None, message)


class ServiceAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """An admin whose every write is the app's service (see the module's docstring).

    ``ObjectPermissionsModelAdminMixin`` (from the rules library) asks scoreboard/rules.py with
    the object; the service asks again, with the data, and decides."""

    def service_save(self, request, obj, form, formsets, change):
        """Call the service with ``form.cleaned_data`` (and the inlines' rows); return what it saved.
        Runs twice: once to judge the form (rolled back), once to save."""
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    # --- Judging and saving ----------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (ServiceJudgedForm, form), {"service_admin": (self, request, change)})

    def _create_formsets(self, request, obj, change):
        # The inlines are judged and saved with their object, by one service call.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        obj._admin_formsets = formsets
        return formsets, inline_instances

    def save_model(self, request, obj, form, change):
        saved = self.service_save(request, obj, form, getattr(obj, "_admin_formsets", ()), change)
        # The admin goes on with the object it holds: its log entry, its message, its redirect.
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Saved by the service with the object; what each inline row asked for goes to the
        # admin's change message (the history tables hold what was written, and by whom).
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for row in formset.forms:
                if formset._should_delete_form(row):
                    if row.instance.pk is not None:
                        formset.deleted_objects.append(row.instance)
                elif row.has_changed():
                    if row.instance.pk is None:
                        formset.new_objects.append(row.instance)
                    else:
                        formset.changed_objects.append((row.instance, row.changed_data))

    # --- Deleting --------------------------------------------------------------------------------

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except (PermissionDenied, ValidationError) as refusal:
            raise Refused(refusal) from refusal

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            self.message_user(request, f"Nothing was deleted: {words_of(refused.refusal)}", messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])

    def response_action(self, request, queryset):
        # One transaction: "delete selected" logs its deletions before it deletes, so a refusal
        # must take the log entries back with it.
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except Refused as refused:
            self.message_user(request, f"Nothing was deleted: {words_of(refused.refusal)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class RecordOnlyAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """Records the system or a named person writes elsewhere (snapshots, runs, the outbox, a
    signature, an answer): people look here, never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordOnlyHistoryAdmin(RecordOnlyAdmin, SimpleHistoryAdmin):
    """A record-only admin that also shows the object's history."""


def stored(obj):
    """``obj`` as stored: the admin's own copy already carries what the form was sent."""
    return type(obj)._default_manager.get(pk=obj.pk)


def formset_for(formsets, model):
    """The inline formset of ``model`` among the admin's, or None when this person has none."""
    return next((formset for formset in formsets if formset.model is model), None)


def row_values(form, fields) -> dict:
    """What an inline row says, for a service: the named fields of its cleaned data."""
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


def inline_rows(formset):
    """(form, obj or None, delete?) for each row the admin's inline formset was sent with, blank
    extra rows left out: what a service is called with, one row at a time."""
    for form in formset.forms:
        obj = form.instance if form.instance.pk is not None else None
        if obj is None and not form.has_changed():
            continue
        yield form, obj, formset._should_delete_form(form)


def as_row_error(prefix: str, refusal: ValidationError) -> ValidationError:
    """A service's refusal of one row, keyed ``"<prefix>.<field>"`` so the admin shows it on that row."""
    return ValidationError(
        {f"{prefix}.{key}" if key != "__all__" else prefix: messages for key, messages in refusal.message_dict.items()}
    )
