"""The quick log form. It only reads what was typed: the rules (unit, range, a future
period, a KPI the initiative does not report) are the ingestion service's, and its reasons
are shown on the field they are about."""

from django import forms


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
