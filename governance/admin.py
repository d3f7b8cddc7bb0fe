"""Admin for the decision-authority matrix, shared-zone decisions, governance gates, the
decision log and the risk register.

Every save and delete goes through governance/services/, as on the pages and the API
(scoreboard/service_admin.py). Publishing a matrix version, answering a decision, giving an
executive's input to a shared-zone decision are acts of named people: those fields are
read-only here to everyone but the person whose act it is.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet, construct_instance
from django.utils.text import Truncator
from rules.contrib.admin import ObjectPermissionsModelAdminMixin, ObjectPermissionsStackedInline
from simple_history.admin import SimpleHistoryAdmin

from scoreboard.service_admin import RecordOnlyAdmin, RecordOnlyHistoryAdmin, ServiceAdmin, row_values

from .forms import matrix as matrix_forms
from .models import (
    DecisionDigest,
    DecisionRequest,
    GovernanceGate,
    MatrixDecision,
    MatrixVersion,
    Risk,
    ShadowAITool,
    SharedZoneDecision,
)
from .services import registers, shadow_ai
from .services.gates import GATE_FIELDS, gate_define, gate_delete, gate_record
from .services.matrix import (
    DECISION_FIELDS,
    matrix_decision_check,
    matrix_decision_delete,
    matrix_decision_save,
    matrix_draft_delete,
)

MATRIX_DECISION_FIELDSETS = (
    (None, {"fields": ("key", "process", "initiative", "decision", "read_at")}),
    (
        "Authority",
        {
            "fields": (
                "autonomy_tier",
                "confidence_threshold",
                "escalation_owner",
                "accountable_executive",
                "override_protocol",
                "audit_trail",
            )
        },
    ),
    ("Monitoring signal", {"fields": ("monitoring_kpi", "breach_threshold", "breach_when")}),
)
MATRIX_PAGE_HELP = (
    "Admins open a draft and publish it (effective date, reason, approving executive) from the matrix page, "
    "/governance/matrix/, which also compares versions. A published version does not change."
)


class MatrixDecisionAdminForm(forms.ModelForm):
    """A decision judged by governance.services.matrix, as on the page and through the API: the
    form shows every refusal (admins only, the draft only, a key once per version, a complete
    monitoring signal, a change made since the form was opened) and the admin saves through
    ``matrix_decision_save``. ``by`` and, for an inline, ``version`` are set per request."""

    read_at = forms.CharField(widget=forms.HiddenInput, required=False)
    by = None
    version = None

    class Meta:
        model = MatrixDecision
        fields = ("version", *DECISION_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The version it is stored in, before the form writes what was sent onto the instance.
        self.stored_version_id = self.instance.version_id if self.instance.pk is not None else None
        if self.instance.pk is not None:
            self.initial.setdefault("read_at", self.instance.updated_at.isoformat())

    def clean_read_at(self):
        return matrix_forms.read_at_of(self.cleaned_data["read_at"])

    def decision_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in DECISION_FIELDS if name in self.cleaned_data}

    def target_version(self):
        return self.cleaned_data.get("version") or self.version

    def _post_clean(self):
        # Not the model form's own validation: the service's, once, with its words.
        if self.errors or (self.empty_permitted and not self.has_changed()) or self.cleaned_data.get("DELETE"):
            return
        # What the admin shows and logs once saved (the service writes from cleaned_data).
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        instance = self.instance if self.instance.pk is not None else None
        target = self.target_version()
        try:
            if instance is not None and target is not None and target.pk != self.stored_version_id:
                raise ValidationError({"version": "A decision stays in its version: add it to the other one instead."})
            matrix_decision_check(
                by=self.by,
                version=None if instance is not None else target,
                decision=instance,
                data=self.decision_data(),
                read_at=self.cleaned_data.get("read_at"),
            )
        except PermissionDenied as refusal:
            self.add_error(None, str(refusal))
        except ValidationError as refusal:
            for name, messages in refusal.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)

    def save_through_service(self) -> MatrixDecision:
        instance = self.instance if self.instance.pk is not None else None
        return matrix_decision_save(
            by=self.by,
            version=None if instance is not None else self.target_version(),
            decision=instance,
            data=self.decision_data(),
            read_at=self.cleaned_data.get("read_at"),
        )


class MatrixDecisionInlineFormSet(BaseInlineFormSet):
    """The version's decisions, each added, changed or removed through the service."""

    def save_new(self, form, commit=True):
        return form.save_through_service()

    def save_existing(self, form, obj, commit=True):
        return form.save_through_service()

    def delete_existing(self, obj, commit=True):
        if commit:
            matrix_decision_delete(by=self.by, decision=obj)


class MatrixDecisionInline(ObjectPermissionsStackedInline):
    model = MatrixDecision
    form = MatrixDecisionAdminForm
    formset = MatrixDecisionInlineFormSet
    fieldsets = MATRIX_DECISION_FIELDSETS
    autocomplete_fields = ("initiative", "monitoring_kpi")
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = type("MatrixDecisionInlineForm", (formset.form,), {"by": request.user, "version": obj})
        return type("MatrixDecisionFormSet", (formset,), {"form": form, "by": request.user})


@admin.register(MatrixVersion)
class MatrixVersionAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "number",
        "status",
        "effective_from",
        "created_by",
        "created_at",
        "published_by",
        "approved_by",
        "published_at",
    )
    list_select_related = ("created_by", "published_by", "approved_by")
    list_filter = ("status",)
    search_fields = ("=number", "reason")
    ordering = ("-number",)
    fieldsets = (
        (None, {"fields": ("number", "status", "effective_from", "reason", "created_by", "created_at")}),
        ("Publication", {"fields": ("published_by", "approved_by", "published_at"), "description": MATRIX_PAGE_HELP}),
    )
    # Set by opening the draft and by publishing it (governance.services.matrix), on the matrix page.
    readonly_fields = (
        "number",
        "status",
        "effective_from",
        "reason",
        "created_by",
        "published_by",
        "approved_by",
        "published_at",
        "created_at",
    )
    inlines = (MatrixDecisionInline,)

    def has_add_permission(self, request):
        # A draft is opened from the matrix page, starting from the decisions in force.
        return False

    def save_model(self, request, obj, form, change):
        """Every field of a version is read-only here (set by opening and publishing it): nothing
        of the version itself to save. Its decisions are saved by their inline formset, each
        through governance.services.matrix."""

    def delete_model(self, request, obj):
        matrix_draft_delete(by=request.user, version=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for version in queryset:
                matrix_draft_delete(by=request.user, version=version)


@admin.register(MatrixDecision)
class MatrixDecisionAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    form = MatrixDecisionAdminForm
    list_display = (
        "decision",
        "key",
        "version",
        "process",
        "initiative",
        "autonomy_tier",
        "confidence_threshold",
        "accountable_executive",
        "audit_trail",
    )
    list_select_related = ("version", "initiative")
    list_filter = ("version", "autonomy_tier", "accountable_executive", "audit_trail", "process")
    search_fields = ("key", "decision", "process", "escalation_owner", "initiative__name")
    ordering = ("-version__number", "process", "key")
    autocomplete_fields = ("version", "initiative", "monitoring_kpi")
    fieldsets = (
        ("Matrix version", {"fields": ("version",), "description": MATRIX_PAGE_HELP}),
        *MATRIX_DECISION_FIELDSETS,
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("MatrixDecisionForm", (form,), {"by": request.user})

    def save_model(self, request, obj, form, change):
        saved = form.save_through_service()
        # The admin goes on with the object it holds (its log entry, its redirect).
        obj.pk, obj.updated_at = saved.pk, saved.updated_at

    def delete_model(self, request, obj):
        matrix_decision_delete(by=request.user, decision=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for decision in queryset:
                matrix_decision_delete(by=request.user, decision=decision)


@admin.register(SharedZoneDecision)
class SharedZoneDecisionAdmin(ServiceAdmin):
    """Admins add and correct what is to be decided; the CEO's input, the COO's input and the
    joint decision are each written only by the executive whose act it is (read-only to anyone
    else, as on the page), through governance.services.registers."""

    list_display = ("title", "topic", "initiative", "decided_on")
    list_select_related = ("initiative",)
    list_filter = ("topic", ("decided_on", admin.EmptyFieldListFilter))
    search_fields = ("title", "ceo_input", "coo_input", "joint_decision", "initiative__name")
    ordering = ("-decided_on", "title")
    autocomplete_fields = ("initiative",)
    fields = (*registers.SHARED_ZONE_FIELDS, "ceo_input", "coo_input", "joint_decision", "decided_on")

    def get_readonly_fields(self, request, obj=None):
        user, readonly = request.user, []
        for side in registers.SIDES:
            if not user.has_perm(f"governance.give_{side}_input_sharedzonedecision", obj):
                readonly.append(f"{side}_input")
        if obj is None or not user.has_perm("governance.decide_sharedzonedecision", obj):
            readonly += ["joint_decision", "decided_on"]
        return readonly

    def service_save(self, request, obj, form, formsets, change):
        by, values = request.user, form.cleaned_data
        data = row_values(form, registers.SHARED_ZONE_FIELDS)
        decision = registers.shared_zone_decision_save(by=by, decision=obj if change else None, data=data)
        for side in registers.SIDES:
            text = values.get(f"{side}_input")
            if text is not None and text.strip() != getattr(decision, f"{side}_input"):
                decision = registers.shared_zone_input_give(decision=decision, by=by, side=side, text=text)
        if values.get("joint_decision") and not decision.joint_decision:
            decision = registers.shared_zone_decide(
                decision=decision, by=by, joint_decision=values["joint_decision"], decided_on=values.get("decided_on")
            )
        return decision

    def service_delete(self, request, obj):
        registers.shared_zone_decision_delete(by=request.user, decision=obj)


@admin.register(GovernanceGate)
class GovernanceGateAdmin(ServiceAdmin):
    list_display = ("initiative", "kind", "is_done", "done_by", "done_at")
    list_select_related = ("initiative", "done_by")
    list_filter = ("kind", ("done_at", admin.EmptyFieldListFilter), "initiative__stage")
    search_fields = ("initiative__name", "initiative__code", "description")
    ordering = ("initiative__name", "kind")
    autocomplete_fields = ("initiative",)
    # Done by whom and when is recorded by the action below (governance/services/gates.py), not typed.
    readonly_fields = ("done_by", "done_at")
    actions = ("record_done",)

    @admin.display(description="done", boolean=True, ordering="done_at")
    def is_done(self, obj):
        return obj.is_done

    @admin.action(description="Record the selected gates done (by me, now)", permissions=["change"])
    def record_done(self, request, queryset):
        recorded = 0
        for gate in queryset.select_related("initiative"):
            if not gate.is_done:
                gate_record(initiative=gate.initiative, kind=gate.kind, by=request.user)
                recorded += 1
        self.message_user(request, f"{recorded} gate{'s' if recorded != 1 else ''} recorded done.")

    def service_save(self, request, obj, form, formsets, change):
        return gate_define(by=request.user, data=row_values(form, GATE_FIELDS), gate=obj if change else None)

    def service_delete(self, request, obj):
        gate_delete(by=request.user, gate=obj)


@admin.register(DecisionRequest)
class DecisionRequestAdmin(RecordOnlyHistoryAdmin):
    """Asked on the decision log's pages or through the API, answered by the executive asked:
    the record of who asked what and what was answered, read here."""

    list_display = (
        "short_question",
        "executive",
        "initiative",
        "requested_by",
        "requested_at",
        "due_at",
        "answer",
        "answered_at",
    )
    list_select_related = ("executive", "initiative", "requested_by")
    list_filter = ("answer", ("answered_at", admin.EmptyFieldListFilter), "executive")
    search_fields = ("question", "note", "initiative__name")
    date_hierarchy = "requested_at"
    ordering = ("-requested_at",)
    autocomplete_fields = ("initiative", "requested_by", "executive")
    fieldsets = (
        (None, {"fields": ("question", "initiative", "requested_by", "executive", "requested_at", "due_at")}),
        ("Answer", {"fields": ("answer", "answered_at", "note")}),
    )

    @admin.display(description="question", ordering="question")
    def short_question(self, obj):
        return Truncator(obj.question).chars(80)


@admin.register(DecisionDigest)
class DecisionDigestAdmin(RecordOnlyAdmin):
    """Who was reminded of which overdue requests, and when: written by the daily job
    (governance.services.decisions.decision_digests_send), only looked at here."""

    list_display = ("recipient", "day", "sent_at", "request_count")
    list_select_related = ("recipient",)
    list_filter = ("day",)
    search_fields = ("recipient__username", "recipient__first_name", "recipient__last_name")
    date_hierarchy = "day"
    ordering = ("-day", "recipient__username")
    fields = ("recipient", "day", "sent_at", "request_ids")
    readonly_fields = fields

    @admin.display(description="overdue requests listed")
    def request_count(self, obj):
        return len(obj.request_ids)


@admin.register(Risk)
class RiskAdmin(ServiceAdmin):
    list_display = (
        "title",
        "category",
        "status",
        "likelihood",
        "impact",
        "rating",
        "technology_owner",
        "operations_owner",
    )
    list_select_related = ("technology_owner", "operations_owner")
    list_filter = ("category", "status", "likelihood", "impact")
    search_fields = ("title", "description", "preventive_measures", "responsive_measures")
    ordering = ("title",)
    autocomplete_fields = ("technology_owner", "operations_owner", "initiatives")
    fieldsets = (
        (None, {"fields": ("title", "category", "status", "description", "initiatives")}),
        ("Rating", {"fields": ("likelihood", "impact")}),
        ("Measures", {"fields": ("preventive_measures", "responsive_measures")}),
        ("Joint owners", {"fields": ("technology_owner", "operations_owner")}),
    )

    @admin.display(description="rating")
    def rating(self, obj):
        return obj.rating

    def service_save(self, request, obj, form, formsets, change):
        return registers.risk_save(
            by=request.user,
            risk=obj if change else None,
            data=row_values(form, registers.RISK_FIELDS),
            initiatives=form.cleaned_data.get("initiatives") or [],
        )

    def service_delete(self, request, obj):
        registers.risk_delete(by=request.user, risk=obj)


@admin.register(ShadowAITool)
class ShadowAIToolAdmin(ServiceAdmin):
    list_display = ("tool", "team", "data_sensitivity", "status", "discovered_on", "promoted_to")
    list_select_related = ("promoted_to",)
    list_filter = ("status", "data_sensitivity", "team")
    search_fields = ("tool", "team", "use", "why_it_helps")
    date_hierarchy = "discovered_on"
    ordering = ("tool", "team")
    autocomplete_fields = ("promoted_to",)

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, shadow_ai.SHADOW_AI_TOOL_FIELDS)
        return shadow_ai.shadow_ai_tool_save(by=request.user, tool=obj if change else None, data=data)

    def service_delete(self, request, obj):
        shadow_ai.shadow_ai_tool_delete(tool=obj, by=request.user)
