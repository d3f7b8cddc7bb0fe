"""The decision log's forms: its filters, asking an executive, and the executive's answer.
They check the shape of what was sent; the rules live in governance/services/decisions.py,
whose refusals come back here as errors on the field they name."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from initiatives.models import SPONSOR_APPROVED_STAGES, Initiative
from scoreboard.models import Role

from ..models import DecisionAnswer
from ..services.decisions import QUESTION_EMPTY, STATES


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DecisionFilterForm(forms.Form):
    executive = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), to_field_name="username", required=False, empty_label="Anyone"
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(), to_field_name="code", required=False, empty_label="Any initiative"
    )
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *STATES.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Executives, and anyone asked before (an executive who has since left keeps their record).
        self.fields["executive"].queryset = (
            get_user_model()
            .objects.filter(Q(groups__name=Role.EXECUTIVE.value) | Q(decision_requests__isnull=False))
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["executive"].error_messages["invalid_choice"] = (
            "Nobody asked for decisions has the username “%(value)s”: choose one from the list."
        )
        # Only the initiatives some decision was asked about: the others would show nothing.
        self.fields["initiative"].queryset = (
            Initiative.objects.filter(decision_requests__isnull=False).distinct().order_by("name", "pk")
        )
        self.fields["initiative"].error_messages["invalid_choice"] = (
            "No decision was asked about an initiative with the code “%(value)s”: choose one from the list."
        )
        self.fields["state"].error_messages["invalid_choice"] = (
            f"“%(value)s” is not a state: choose one of {', '.join(label.lower() for label in STATES.values())}."
        )


class DecisionAskForm(forms.Form):
    executive = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        empty_label="Choose the executive who decides",
        help_text="The CEO, the CIO, the COO or another ExCo member.",
    )
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": QUESTION_EMPTY},
        help_text="What is to be decided, and what happens without an answer.",
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.order_by("name", "pk"),
        to_field_name="code",
        required=False,
        empty_label="None: a programme-wide question",
        error_messages={"invalid_choice": "No initiative has the code “%(value)s”: choose one from the list."},
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=DateTimeInput(),
        help_text="24 hours from now unless you choose another time.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["executive"].queryset = (
            get_user_model()
            .objects.filter(groups__name=Role.EXECUTIVE.value, is_active=True)
            .order_by("last_name", "first_name", "username")
        )
        self.fields["executive"].error_messages["invalid_choice"] = (
            "“%(value)s” is not an active executive: only executives are asked for decisions."
        )


class DecisionAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=DecisionAnswer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an answer: approved, rejected or deferred."},
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why, in a sentence or two."
    )

    def __init__(self, *args, approval: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if approval:
            # An approval acts at once: approved or rejected, with the approver's words kept beside it.
            self.fields["answer"].choices = [("approved", "Approve"), ("rejected", "Reject")]
            self.fields["answer"].error_messages["required"] = "Choose an answer: approve or reject."
            self.fields["note"].label = "Your words"
            self.fields["note"].help_text = "Required: kept with what you approve or reject, for everyone to read."


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(
        label="Move it into",
        choices=[(stage.value, stage.label) for stage in SPONSOR_APPROVED_STAGES],
        error_messages={"invalid_choice": "“%(value)s” is not a stage the sponsor approves: choose one from the list."},
    )
    why = forms.CharField(
        label="Why now",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the sponsor should know: results so far, what changes for the teams.",
    )
