"""The search box: what was typed, and which kind to list a page of."""

from django import forms

from .selectors import KINDS, MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        error_messages={
            "max_length": f"Search for at most {MAX_QUERY_LENGTH} characters: a few words find more than a paragraph."
        },
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Every kind"), *((kind.slug, kind.label) for kind in KINDS.values())],
        error_messages={"invalid_choice": "“%(value)s” is not a kind of result: choose one of the groups below."},
    )
