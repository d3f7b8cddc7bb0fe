"""The quick log form and the KPI catalogue's edit form. Each only reads what was typed: the rules
(for a value: unit, range, a future period, a KPI the initiative does not report) are the services',
and their reasons are shown on the field they are about."""

from django import forms
from django.contrib.auth import get_user_model

from .models import KPI
from .services.kpis import KPI_FIELDS


class LogForm(forms.Form):
    # Free text behind a select: a KPI sent that the initiative does not report gets the
    # service's reason, not a generic "not one of the choices".
    kpi = forms.CharField(label="KPI", widget=forms.Select)
    period = forms.DateField(
        label="Period",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),  # what a date input reads
        help_text="The day the value is for. A value stands for its KPI's period (a day, a week or a month): "
        "logging the same KPI for the same period again corrects it.",
    )
    value = forms.CharField(label="Value", max_length=40, help_text="A number, with or without its unit.")
    note = forms.CharField(label="Note", required=False, max_length=500, widget=forms.TextInput)

    def __init__(self, *args, kpis=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].widget.choices = [("", "Choose a KPI")] + [
            (kpi.code, f"{kpi.name} ({kpi.get_unit_display()})") for kpi in kpis
        ]
        self.fields["period"].error_messages["invalid"] = "Enter the day as YYYY-MM-DD."


class KPIForm(forms.ModelForm):
    """A KPI's definition on its page, for admins: what was typed, in shape. The rules (two different
    executives who are executives, one primary KPI, a direction its targets allow, a period that
    merges no stored values) are kpi_save's, and its refusals come back on the field they name."""

    class Meta:
        model = KPI
        # The code is the KPI's address (its page, the API, the CSV files): kept as it is here.
        fields = [name for name in KPI_FIELDS if name != "code"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "measured_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "is_primary": "Primary operational KPI",
            "expected_interval_days": "Expected every (days)",
            "co_accountable_executive": "Second accountable executive",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active person may be chosen: kpi_save says why one who is not an executive cannot answer for it.
        people = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        for name in ("accountable_executive", "co_accountable_executive"):
            self.fields[name].queryset = people
        others = KPI.objects.exclude(pk=self.instance.pk).order_by("name")
        for name in ("ratio_numerator", "ratio_denominator"):
            self.fields[name].queryset = others
