"""Admin for people, the monthly ExCo review and chat destinations.

Object permissions come from scoreboard/rules.py: ``ObjectPermissionsModelAdminMixin`` (from
the rules library) makes the admin ask ``user.has_perm(perm, obj)`` with the object, so
rules decide per object. Signatures are read-only here: only the holder of a seat signs.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.translation import ngettext
from rules.contrib.admin import ObjectPermissionsModelAdminMixin

from . import chat, versions
from .models import (
    ChatDestination,
    ChatEvent,
    ChatNotification,
    DataVersion,
    IdempotencyRecord,
    IntegrationToken,
    MonthlyPack,
    MonthlyReview,
    RestatedFigure,
    Restatement,
    User,
)
from .service_admin import RecordOnlyAdmin, RecordOnlyHistoryAdmin, ServiceAdmin, row_values
from .services import token_revoke


@admin.register(User)
class ScoreboardUserAdmin(ObjectPermissionsModelAdminMixin, UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("ExCo seat", {"fields": ("executive_title",)}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (
            "Person and ExCo seat",
            {"classes": ("wide",), "fields": ("first_name", "last_name", "email", "executive_title")},
        ),
    )
    list_display = ("username", "first_name", "last_name", "email", "executive_title", "is_staff", "is_active")
    list_filter = (*UserAdmin.list_filter, "executive_title")
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request, obj=None):
        """Admins manage other people's roles, never their own, and never grant superuser:
        otherwise an admin could give themselves an executive seat and sign off a month."""
        fields = [*super().get_readonly_fields(request, obj)]
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                fields += ["groups", "executive_title", "is_staff", "is_active"]
        return fields

    # People are kept here, outside the services: their names and seats show on every month's
    # ExCo page, so a change gives every month a new version (scoreboard/versions.py).
    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            versions.bump()

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            versions.bump()


@admin.register(MonthlyReview)
class MonthlyReviewAdmin(RecordOnlyHistoryAdmin):
    """Each month's two sign-offs: signed and withdrawn on the ExCo page (or through the API) by
    the holder of each seat, whose comment is theirs. The record is read here."""

    list_display = (
        "month",
        "revision",
        "cio_signed_by",
        "cio_signed_at",
        "coo_signed_by",
        "coo_signed_at",
        "is_frozen",
    )
    list_select_related = ("cio_signed_by", "coo_signed_by")
    list_filter = (("frozen_at", admin.EmptyFieldListFilter),)
    search_fields = ("cio_comment", "coo_comment")
    date_hierarchy = "month"
    ordering = ("-month", "-revision")
    fieldsets = (
        (None, {"fields": ("month", "revision")}),
        ("CIO sign-off", {"fields": ("cio_signed_by", "cio_signed_at", "cio_comment")}),
        ("COO sign-off", {"fields": ("coo_signed_by", "coo_signed_at", "coo_comment")}),
        ("Record", {"fields": ("frozen_at", "created_at")}),
    )

    @admin.display(description="frozen", boolean=True, ordering="frozen_at")
    def is_frozen(self, obj):
        return obj.is_frozen


class RestatedFigureInline(admin.TabularInline):
    model = RestatedFigure
    fields = ("kpi", "initiative", "signed_value", "restated_value")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Restatement)
class RestatementAdmin(RecordOnlyHistoryAdmin):
    """A frozen month's restatement: applied on the ExCo page (or through the API) by the CIO or
    the COO, with their reason, and signed again by both as a new revision. Only shown here: an
    admin who could write one would change a signed month's figures without its signers."""

    list_display = ("revision", "applied_by", "applied_at")
    list_select_related = ("revision", "applied_by")
    fields = ("revision", "applied_by", "applied_at", "reason")
    readonly_fields = fields
    inlines = [RestatedFigureInline]
    ordering = ("-applied_at",)


@admin.register(RestatedFigure)
class RestatedFigureAdmin(RecordOnlyAdmin):
    """Each figure a restatement changed, as signed and as restated: shown, never written."""

    list_display = ("restatement", "kpi", "initiative", "signed_value", "restated_value")
    list_select_related = ("restatement__revision", "kpi", "initiative")
    fields = list_display
    readonly_fields = fields


@admin.register(MonthlyPack)
class MonthlyPackAdmin(RecordOnlyAdmin):
    """A frozen revision's printed pack: the record, kept as first rendered."""

    list_display = ("month", "revision", "rendered_at", "sha256")
    fields = ("month", "revision", "rendered_at", "sha256")
    readonly_fields = fields


@admin.register(DataVersion)
class DataVersionAdmin(RecordOnlyAdmin):
    """How often the data behind each month's ExCo page changed (the cache's keys): shown, for
    checking that a write reached the page; written only by the services."""

    list_display = ("scope", "version", "changed_at")
    fields = list_display
    readonly_fields = fields
    ordering = ("scope",)


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token` (the key is shown once); here admins
    see which exist, when each was last used, and revoke them."""

    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # every field is the record of the token: nothing to edit

    def has_delete_permission(self, request, obj=None):
        # A token is revoked, not deleted: which integration had access, and until when, stays.
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("scoreboard.change_integrationtoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)
        count = queryset.count()
        self.message_user(request, ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", count) % {"n": count})


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(RecordOnlyAdmin):
    """The first answers kept for API writes sent with an Idempotency-Key, to replay retries."""

    list_display = ("key", "user", "status_code", "created_at")
    list_select_related = ("user",)
    search_fields = ("key",)
    fields = ("key", "user", "request_hash", "status_code", "response", "created_at")
    readonly_fields = fields


class ChatDestinationForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=ChatEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What this channel hears about; each event is posted once.",
    )

    class Meta:
        model = ChatDestination
        fields = ("name", "kind", "url_env", "events", "enabled")


@admin.register(ChatDestination)
class ChatDestinationAdmin(ServiceAdmin):
    """Slack and Teams channels told about events (scoreboard/chat.py): admins only. The URL itself
    stays in the server's environment; the page says whether it is set and usable."""

    form = ChatDestinationForm
    list_display = ("name", "kind", "url_env", "events_heard", "enabled", "ready")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "url_env")
    fields = ("name", "kind", "url_env", "readiness", "events", "enabled")
    readonly_fields = ("readiness",)

    def service_save(self, request, obj, form, formsets, change):
        data = row_values(form, chat.DESTINATION_FIELDS)
        return chat.chat_destination_save(by=request.user, data=data, destination=obj if change else None)

    def service_delete(self, request, obj):
        chat.chat_destination_delete(by=request.user, destination=obj)

    @admin.display(description="events")
    def events_heard(self, obj):
        return ", ".join(str(ChatEvent(e).label) for e in obj.events if e in ChatEvent.values) or "none"

    @admin.display(description="ready to post", boolean=True)
    def ready(self, obj):
        return not chat.why_not_ready(obj)

    @admin.display(description="webhook URL")
    def readiness(self, obj):
        if obj is None or not obj.url_env:
            return "Name the variable below; the operator sets it on the server."
        return chat.why_not_ready(obj) or f"{obj.url_env} is set and its address is allowed."


@admin.register(ChatNotification)
class ChatNotificationAdmin(RecordOnlyAdmin):
    """The delivery log: what was owed to which channel, when, and how each post went. Written by
    the services and the jobs; shown here."""

    list_display = ("created_at", "destination", "event", "text", "status", "attempts", "sent_at", "last_error")
    list_select_related = ("destination",)
    list_filter = ("status", "event", "destination")
    search_fields = ("text", "event_key", "last_error")
    date_hierarchy = "created_at"
    fields = (
        "destination",
        "event",
        "event_key",
        "text",
        "link",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
    )
    readonly_fields = fields
