"""The registers' forms: the shadow-AI register (and promoting a tool), the risk register,
the shared-zone decisions and the expansion pipeline's inputs.

They check the shape of what was sent; the rules live in the services
(initiatives/services.py, governance/services/registers.py), whose refusals come back onto
the field they name (initiatives.forms.add_refusal). The model forms leave uniqueness and the
tables' constraints to the services, which name the field where a constraint names the row.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from governance.services.shadow_ai import PROMOTED_STATUSES, PROMOTION_FIELDS, SHADOW_AI_TOOL_FIELDS
from initiatives.forms import DateInput
from initiatives.models import Initiative, PrioritisationInput
from initiatives.services.initiatives import code_taken
from initiatives.services.prioritisation import PRIORITISATION_LABELS
from scoreboard.models import Role

from ..models import DataSensitivity, Risk, RiskCategory, RiskStatus, ShadowAIStatus, ShadowAITool, SharedZoneDecision
from ..services.registers import RISK_FIELDS, SHARED_ZONE_FIELDS


def _choice_filter(label: str, choices, kind: str) -> forms.ChoiceField:
    names = ", ".join(str(name).lower() for _, name in choices)
    return forms.ChoiceField(
        required=False,
        label=label,
        choices=[("", f"Any {label.lower()}"), *choices],
        error_messages={"invalid_choice": f"“%(value)s” is not a {kind}: choose one of {names}."},
    )


class _ServiceRules:
    """Uniqueness, and the table constraints on the fields in ``service_judges``, are the
    service's to judge: it names the field, where the constraint would only name the row (and
    the model's clean() already says it of the field). The form's own fields still check
    their shape; the service checks the rest before anything is written."""

    service_judges: tuple[str, ...] = ()

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), *self.service_judges}

    def validate_unique(self):
        pass


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("username")


# --- The shadow-AI register -------------------------------------------------------------------------


class ShadowAIFilterForm(forms.Form):
    status = _choice_filter("Status", ShadowAIStatus.choices, "status")
    sensitivity = _choice_filter("Data sensitivity", DataSensitivity.choices, "data sensitivity")


class ShadowAIToolForm(_ServiceRules, forms.ModelForm):
    service_judges = ("team",)  # a tool registered twice for one team

    class Meta:
        model = ShadowAITool
        fields = SHADOW_AI_TOOL_FIELDS
        widgets = {
            "use": forms.Textarea(attrs={"rows": 3}),
            "why_it_helps": forms.Textarea(attrs={"rows": 3}),
            "discovered_on": DateInput(),
        }
        labels = {"why_it_helps": "Why it helps", "promoted_to": "What it became", "discovered_on": "Discovered on"}
        help_texts = {"promoted_to": "The initiative it became, if any (promoting a tool sets this)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["promoted_to"].queryset = Initiative.objects.order_by("name")
        self.fields["promoted_to"].error_messages["invalid_choice"] = "Choose one of the initiatives in the list."


def suggested_code(tool: ShadowAITool) -> str:
    """A code for the initiative a tool becomes: its name as a slug, made unique with a number."""
    base = slugify(tool.tool)[:36].strip("-") or "shadow-ai"
    taken = set(Initiative.objects.filter(code__startswith=base).values_list("code", flat=True))
    code, number = base, 2
    while code in taken:
        code, number = f"{base}-{number}", number + 1
    return code


def promotion_initial(tool: ShadowAITool) -> dict:
    """The new initiative, prefilled from the tool's facts: the admin completes the rest."""
    use = tool.use.strip()
    process = use.rstrip(".")
    return {
        "code": suggested_code(tool),
        "name": tool.tool[:200],
        "process": process[:200],
        "business_unit": tool.team[:100],
        "technology_owner_description": (
            f"{use} Today the {tool.team} team does it with {tool.tool}, outside our sanctioned tools "
            f"({tool.get_data_sensitivity_display().lower()} data)."
        ),
        "operations_owner_description": f"{use} Why it helps: {tool.why_it_helps.strip()}",
        "status": ShadowAIStatus.ADOPTED,
    }


class PromoteForm(_ServiceRules, forms.ModelForm):
    service_judges = ("operations_owner",)  # the same person as both owners

    status = forms.ChoiceField(
        label="What becomes of the tool",
        choices=[(s.value, s.label) for s in PROMOTED_STATUSES],
        initial=ShadowAIStatus.ADOPTED,
        help_text="Adopted: the initiative takes it on. Replaced: the initiative does the work another way. "
        "Blocked: its use stops now.",
    )
    ops_leads = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Ops leads",
        help_text="Who logs values for its KPIs and keeps its workflow change current (optional).",
    )

    class Meta:
        model = Initiative
        fields = PROMOTION_FIELDS
        widgets = {
            "technology_owner_description": forms.Textarea(attrs={"rows": 4}),
            "operations_owner_description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("technology_owner", "operations_owner"):
            self.fields[name].queryset = _people()
        self.fields["sponsor"].queryset = _people().filter(groups__name=Role.EXECUTIVE.value)
        self.fields["sponsor"].help_text = "The sponsoring executive (optional now; needed to sign the brief)."
        self.fields["ops_leads"].queryset = _people().filter(groups__name=Role.OPS_LEAD.value)

    def clean_code(self) -> str:
        # Said with the other mistakes at once; shadow_ai_tool_promote checks it again as it writes.
        code = self.cleaned_data["code"]
        if taken := code_taken(code):
            raise forms.ValidationError(taken, code="taken")
        return code


# --- The risk register -----------------------------------------------------------------------------


class RiskFilterForm(forms.Form):
    category = _choice_filter("Category", RiskCategory.choices, "risk category")
    status = _choice_filter("Status", RiskStatus.choices, "risk status")
    initiative = forms.ChoiceField(required=False, label="Initiative")

    def __init__(self, *args, initiatives: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].choices = [("", "Any initiative"), *initiatives]
        self.fields["initiative"].error_messages["invalid_choice"] = (
            "No risk concerns an initiative with the code “%(value)s”: choose one from the list."
        )


_RATING_ERROR = "%(name)s is rated from 1 (%(low)s) to 5 (%(high)s)."


def _rating(name: str, low: str, high: str) -> forms.IntegerField:
    message = _RATING_ERROR % {"name": name, "low": low, "high": high}
    return forms.IntegerField(
        label=name,
        min_value=1,
        max_value=5,
        error_messages={"min_value": message, "max_value": message},
        help_text=f"1 ({low}) to 5 ({high}).",
    )


class RiskForm(_ServiceRules, forms.ModelForm):
    service_judges = ("operations_owner",)  # the same person as both owners

    likelihood = _rating("Likelihood", "rare", "almost certain")
    impact = _rating("Impact", "minor", "severe")
    initiatives = forms.ModelMultipleChoiceField(
        queryset=Initiative.objects.order_by("name"),
        required=False,
        label="Initiatives it concerns",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Risk
        fields = RISK_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "preventive_measures": forms.Textarea(attrs={"rows": 3}),
            "responsive_measures": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "preventive_measures": "What keeps it from happening.",
            "responsive_measures": "What is done when it happens, and by whom.",
            "technology_owner": "The joint owner's technology side (CIO side).",
            "operations_owner": "The joint owner's operations side (COO side): a different person.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("technology_owner", "operations_owner"):
            self.fields[name].queryset = _people()
        if self.instance.pk:
            self.fields["initiatives"].initial = list(self.instance.initiatives.all())


# --- Shared-zone decisions ---------------------------------------------------------------------------


class SharedZoneDecisionForm(_ServiceRules, forms.ModelForm):
    class Meta:
        model = SharedZoneDecision
        fields = SHARED_ZONE_FIELDS
        help_texts = {"initiative": "The initiative it concerns, if it concerns one."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = Initiative.objects.order_by("name")


class SharedZoneInputForm(forms.Form):
    text = forms.CharField(
        label="Your input",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write your input: it cannot be empty."},
    )


class SharedZoneDecideForm(forms.Form):
    joint_decision = forms.CharField(
        label="Joint decision",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write the joint decision: it cannot be empty."},
    )
    decided_on = forms.DateField(
        label="Decided on", required=False, widget=DateInput(), help_text="Today if left empty."
    )


# --- The expansion pipeline ----------------------------------------------------------------------------

_SCORE_HELP = {
    "management_bandwidth": "Management attention the work consumes today (5 = a lot).",
    "process_structure": "How structured and repeatable the process is (5 = fully).",
    "data_availability": "How available and clean the data is (5 = ready).",
    "risk_profile": "How contained the risk is (5 = low risk).",
    "roi_clarity": "How clearly the return can be measured (5 = clear).",
}


def _score(name: str) -> forms.IntegerField:
    message = f"{PRIORITISATION_LABELS[name]} is scored from 1 to 5."
    return forms.IntegerField(
        label=PRIORITISATION_LABELS[name],
        min_value=1,
        max_value=5,
        help_text=_SCORE_HELP[name],
        error_messages={"min_value": message, "max_value": message, "required": message},
    )


class PrioritisationForm(_ServiceRules, forms.ModelForm):
    management_bandwidth = _score("management_bandwidth")
    process_structure = _score("process_structure")
    data_availability = _score("data_availability")
    risk_profile = _score("risk_profile")
    roi_clarity = _score("roi_clarity")
    monthly_volume = forms.IntegerField(
        label=PRIORITISATION_LABELS["monthly_volume"],
        min_value=0,
        help_text="Cases, transactions or documents a month.",
        error_messages={"min_value": "Monthly volume is a whole number of cases a month, 0 or more."},
    )

    class Meta:
        model = PrioritisationInput
        fields = tuple(PRIORITISATION_LABELS)
