"""The initiative pages' forms. They check the shape of what was sent; the rules live in
services.py, whose refusals come back here as errors on the field they name."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms import modelformset_factory

from scoreboard.forms import add_refusal, error_summary, rows_of  # noqa: F401 - the pages use them from here

from .models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    Stage,
    WorkflowChange,
    WorkflowStep,
)
from .services.brief import BRIEF_CONTENT
from .services.initiatives import INITIATIVE_EDITABLE_FIELDS, OWNER_DESCRIPTIONS
from .services.workflow import STEP_ORDER_MAX

SORTS = [("name", "Name"), ("priority", "Priority score, highest first")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# --- The list's filters ----------------------------------------------------------------------------


class InitiativeFilterForm(forms.Form):
    stage = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Stage.choices])
    # A picker by name whose values are usernames, so ?owner=<username> links keep working.
    owner = forms.ChoiceField(required=False, label="Owner", help_text="The technology or the operations owner.")
    business_unit = forms.ChoiceField(required=False, label="Business unit")
    sort = forms.ChoiceField(required=False, choices=SORTS, label="Sort by")

    def __init__(self, *args, business_units: list[str], owners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Anyone"), *owners]
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Nobody who owns an initiative has the username “%(value)s”: choose a name from the list."
        )
        self.fields["business_unit"].choices = [("", "Any business unit"), *((bu, bu) for bu in business_units)]
        stages = ", ".join(label for _, label in Stage.choices)
        self.fields["stage"].error_messages["invalid_choice"] = f"“%(value)s” is not a stage: choose one of {stages}."
        self.fields["business_unit"].error_messages["invalid_choice"] = (
            "No initiative is in a business unit called “%(value)s”: choose one from the list."
        )
        self.fields["sort"].error_messages["invalid_choice"] = "Sort by name or by priority score."


# --- The initiative ---------------------------------------------------------------------------------


class InitiativeForm(forms.ModelForm):
    """The initiative's edit form, with only the ``fields`` this person may change
    (services.initiatives.initiative_fields_for): a field not shown is not read."""

    # The updated_at the editor read: a stale edit is refused by initiative_update.
    read_at = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Initiative
        fields = (*INITIATIVE_EDITABLE_FIELDS, *OWNER_DESCRIPTIONS)
        widgets = {
            "technology_owner_description": forms.Textarea(attrs={"rows": 4}),
            "operations_owner_description": forms.Textarea(attrs={"rows": 4}),
            "started_on": DateInput(),
            "planned_go_live": DateInput(),
            "actual_go_live": DateInput(),
        }
        # As the initiative's page names them (the model's field names would read "Actual go live").
        labels = {
            "started_on": "Work started",
            "planned_go_live": "Planned go-live",
            "actual_go_live": "Actual go-live",
            "payback_months": "Payback (months)",
        }

    def __init__(self, *args, fields: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        for name in [name for name in self.fields if name != "read_at" and name not in fields]:
            del self.fields[name]
        if "stage" in self.fields:
            self.fields[
                "stage"
            ].help_text = "Production, Scaled and Retired are approved by the sponsor: ask from the initiative's page."

    def clean_read_at(self) -> datetime:
        return _read_at(self.cleaned_data["read_at"])


# --- The workflow change ----------------------------------------------------------------------------

_PERCENT_ERROR = "The adoption target is a percentage from 0 to 100."


class WorkflowChangeForm(forms.ModelForm):
    adoption_target_percent = forms.DecimalField(
        label="Adoption target (%)",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        error_messages={"min_value": _PERCENT_ERROR, "max_value": _PERCENT_ERROR},
        help_text="Share of the work expected to run the new way.",
    )

    class Meta:
        model = WorkflowChange
        fields = ["process_name", "summary", "adoption_target_percent", "adoption_kpi"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}
        labels = {"process_name": "Process", "adoption_kpi": "Adoption KPI"}

    def __init__(self, *args, initiative: Initiative, **kwargs):
        super().__init__(*args, **kwargs)
        kpi_field = self.fields["adoption_kpi"]
        kpi_field.queryset = initiative.kpis.all()
        kpi_field.help_text = "The KPI that measures adoption: one of the KPIs this initiative reports."
        kpi_field.error_messages["invalid_choice"] = "Choose one of the KPIs this initiative reports."


class WorkflowStepForm(forms.ModelForm):
    order = forms.IntegerField(
        label="Position",
        min_value=1,
        max_value=STEP_ORDER_MAX,
        error_messages={
            "min_value": f"A position is from 1 to {STEP_ORDER_MAX}.",
            "max_value": f"A position is from 1 to {STEP_ORDER_MAX}.",
        },
    )

    class Meta:
        model = WorkflowStep
        fields = ["order", "name", "treatment", "performed_by"]
        labels = {"name": "Step", "performed_by": "Performed by"}


class AffectedRoleForm(forms.ModelForm):
    class Meta:
        model = AffectedRole
        fields = ["role", "headcount", "reskilling"]
        widgets = {"reskilling": forms.Textarea(attrs={"rows": 2})}


StepFormSet = modelformset_factory(WorkflowStep, form=WorkflowStepForm, extra=2, can_delete=True)
AffectedRoleFormSet = modelformset_factory(AffectedRole, form=AffectedRoleForm, extra=1, can_delete=True)


# --- The roadmap ------------------------------------------------------------------------------------


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "completed_on"]
        widgets = {"due_on": DateInput(), "completed_on": DateInput()}


class BacklogItemForm(forms.ModelForm):
    class Meta:
        model = BacklogItem
        fields = ["title", "description", "status", "priority"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


MilestoneFormSet = modelformset_factory(Milestone, form=MilestoneForm, extra=2, can_delete=True)
BacklogItemFormSet = modelformset_factory(BacklogItem, form=BacklogItemForm, extra=2, can_delete=True)


# --- From forms to the services' rows, and the services' refusals back onto the forms --------------


# --- The deployment brief and the gates --------------------------------------------------------------------


def _read_at(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("The form lost track of when it was opened: reload the page.") from None


class BriefForm(forms.ModelForm):
    # The brief's revised_at the editor read (empty for a new brief): a stale edit is refused.
    read_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DeploymentBrief
        fields = BRIEF_CONTENT
        widgets = {
            "scope": forms.Textarea(attrs={"rows": 4}),
            "governance": forms.Textarea(attrs={"rows": 4}),
            "timeline": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "scope": "What the initiative will and will not do.",
            "investment": "What building and running it costs, in the company's currency.",
            "governance": "How its decisions are governed: the matrix, the gates, who reviews.",
            "timeline": "Start of work, pilot, go-live.",
        }

    def clean_read_at(self) -> datetime | None:
        value = self.cleaned_data["read_at"]
        return _read_at(value) if value else None


class BriefSignForm(forms.Form):
    slot = forms.ChoiceField(choices=[("sponsor", "Sponsoring executive"), ("coo", "COO")])
    # The revised_at the signer read: nobody signs words they have not seen.
    read_at = forms.CharField(widget=forms.HiddenInput)

    def clean_read_at(self) -> datetime:
        return _read_at(self.cleaned_data["read_at"])


class GateRecordForm(forms.Form):
    description = forms.CharField(
        required=False, max_length=2000, help_text="How it was checked (optional; kept with the gate)."
    )
