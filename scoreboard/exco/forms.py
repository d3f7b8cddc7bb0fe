"""The ExCo pages' forms: a member's pre-read settings."""

from django import forms

from ..models import PreReadFormat


class PreReadSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label="Send me the pre-read", required=False, help_text="Before each monthly ExCo, with the pack attached."
    )
    format = forms.ChoiceField(
        label="Format", choices=PreReadFormat.choices, widget=forms.RadioSelect, initial=PreReadFormat.HTML
    )
