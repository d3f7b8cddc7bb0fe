"""The matrix pages' forms. They check the shape of what was sent; the rules (admins, the draft
only, a key once per version, a complete monitoring signal, a date not before the version in
force, an executive approving) live in governance/services/matrix.py, whose refusals come back
here as errors on the field they name."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from initiatives.forms import DateInput
from initiatives.models import Initiative
from metrics.models import KPI
from scoreboard.models import Role

from ..models import MatrixDecision, MatrixVersion
from ..services.matrix import DECISION_FIELDS

# The cells of a grid row an admin edits one at a time; the monitoring signal is one cell of three fields.
CELLS = {
    "decision": ("decision",),
    "autonomy_tier": ("autonomy_tier",),
    "confidence_threshold": ("confidence_threshold",),
    "escalation_owner": ("escalation_owner",),
    "accountable_executive": ("accountable_executive",),
    "override_protocol": ("override_protocol",),
    "audit_trail": ("audit_trail",),
    "monitoring": ("monitoring_kpi", "breach_threshold", "breach_when"),
}
_CONFIDENCE = "Confidence threshold is a probability between 0 and 1."


def read_at_of(value: str) -> datetime | None:
    """The ``updated_at`` an editor read, sent back by the form; None when not sent."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("The form lost track of when it was opened: reload the page.") from None
    return moment if timezone.is_aware(moment) else None


class DecisionForm(forms.Form):
    """A decision's fields (all of them, or one cell's), as the model describes them. Plain
    form fields, not a model form: the service judges the whole decision, once."""

    # The decision's updated_at the editor read: a save over a newer change is refused.
    read_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, names=DECISION_FIELDS, **kwargs):
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            MatrixDecision,
            fields=names,
            widgets={"override_protocol": forms.Textarea(attrs={"rows": 3})},
            labels={"monitoring_kpi": "Monitoring KPI", "breach_when": "Breach when the figure is"},
        )
        for name, form_field in fields.items():
            self.fields[name] = form_field
        if "initiative" in self.fields:
            self.fields["initiative"].queryset = Initiative.objects.order_by("name")
            self.fields["initiative"].empty_label = "(the process as a whole)"
            self.fields["initiative"].error_messages["invalid_choice"] = "Choose an initiative from the list."
        if "monitoring_kpi" in self.fields:
            self.fields["monitoring_kpi"].queryset = KPI.objects.order_by("name")
            self.fields["monitoring_kpi"].empty_label = "(no monitoring signal)"
            self.fields["monitoring_kpi"].error_messages["invalid_choice"] = "Choose a KPI from the list."
        if "confidence_threshold" in self.fields:
            field = self.fields["confidence_threshold"]
            field.widget.attrs.update(step="0.001", min="0", max="1")
            field.error_messages.update(max_whole_digits=_CONFIDENCE, max_digits=_CONFIDENCE)
        if "breach_when" in self.fields:
            self.fields["breach_when"].choices = [
                ("", "(no monitoring signal)"),
                *self.fields["breach_when"].choices[1:],
            ]

    def clean_read_at(self) -> datetime | None:
        return read_at_of(self.cleaned_data["read_at"])

    def decision_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "read_at"}


class DeleteForm(forms.Form):
    read_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_read_at(self) -> datetime | None:
        return read_at_of(self.cleaned_data["read_at"])


class DraftOpenForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=2000, help_text="Why a new version (it can be said when publishing, too)."
    )


def executives():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.EXECUTIVE.value)
        .order_by("executive_title", "last_name", "username")
    )


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label="Takes effect on", widget=DateInput(), help_text="Not earlier than the version in force."
    )
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), help_text="Why this version changes the matrix."
    )
    approver = forms.ModelChoiceField(
        queryset=None,
        label="Approving executive",
        required=False,
        empty_label="(the default approver)",
        error_messages={"invalid_choice": "Choose an executive from the list."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = executives()
        self.fields["effective_from"].error_messages["invalid"] = "Give the date as YYYY-MM-DD."
        # An empty reason is refused by the service, in the same words as through the API.
        self.fields["reason"].required = False


class CompareForm(forms.Form):
    """?old=<n>&new=<n>: two version numbers, each naming an existing version."""

    old = forms.IntegerField(min_value=1)
    new = forms.IntegerField(min_value=1)

    def __init__(self, *args, versions: list[MatrixVersion], **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {v.number: v for v in versions}
        for name in ("old", "new"):
            message = f"The “{name}” parameter is a matrix version's number, such as {name}=1."
            self.fields[name].error_messages.update(required=message, invalid=message, min_value=message)

    def _version(self, name: str) -> MatrixVersion:
        number = self.cleaned_data[name]
        version = self.versions.get(number)
        if version is None:
            raise ValidationError(f"The “{name}” parameter names version {number}, and there is no matrix v{number}.")
        return version

    def clean_old(self) -> MatrixVersion:
        return self._version("old")

    def clean_new(self) -> MatrixVersion:
        return self._version("new")
