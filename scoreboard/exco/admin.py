"""The ExCo pre-read's admins: the meeting schedule (an admin's, through the service), each
month's pre-read as prepared, members' choices (theirs to make, on their page) and the delivery
log, with "send again". Registered by scoreboard/urls.py, the wiring: the shared base's admin
module may not import the dashboard."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ..models import ExcoSchedule, PreRead, PreReadDelivery, PreReadSubscription
from ..service_admin import RecordOnlyAdmin, ServiceAdmin, words_of
from . import preread
from .tasks import send_preread


@admin.register(ExcoSchedule)
class ExcoScheduleAdmin(ServiceAdmin):
    """When the ExCo meets and when its pre-read goes: one row, written by
    scoreboard.exco.preread.exco_schedule_save. Not deleted: a member turns their own pre-read off."""

    list_display = ("__str__", "send_hour", "updated_at")
    fields = ("week", "weekday", "preread_working_days", "send_hour")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ExcoSchedule.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, obj, form, formsets, change):
        return preread.exco_schedule_save(by=request.user, **{name: form.cleaned_data[name] for name in self.fields})


@admin.register(PreRead)
class PreReadAdmin(RecordOnlyAdmin):
    """Each month's pre-read as prepared: the pack's hash (what every member was sent) and the
    summary's lines."""

    list_display = ("month", "meeting_on", "prepared_at", "sha256")
    fields = ("month", "meeting_on", "prepared_at", "sha256", "summary")
    readonly_fields = fields


@admin.register(PreReadSubscription)
class PreReadSubscriptionAdmin(RecordOnlyAdmin):
    """Members set their own, on their pre-read page."""

    list_display = ("member", "enabled", "format", "updated_at")
    fields = list_display
    readonly_fields = fields


@admin.register(PreReadDelivery)
class PreReadDeliveryAdmin(RecordOnlyAdmin):
    """The delivery log: who got which month's pack, when, or why not."""

    list_display = ("preread", "pack", "recipient", "address", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "preread")
    list_select_related = ("preread", "recipient")
    fields = (
        "preread", "recipient", "address", "format", "status", "attempts", "created_at", "last_attempt_at",
        "next_attempt_at", "sent_at", "last_error",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="pack (sha256)")
    def pack(self, delivery):
        return delivery.preread.sha256[:12]

    def has_send_again_permission(self, request):
        return request.user.has_perm("scoreboard.change_prereaddelivery")

    @admin.action(description="Send the selected pre-reads again", permissions=["send_again"])
    def send_again(self, request, queryset):
        again = []
        for delivery in queryset.select_related("recipient"):
            try:
                again.append(preread.preread_resend(by=request.user, delivery=delivery))
            except (PermissionDenied, ValidationError) as refusal:
                self.message_user(request, f"{delivery}: {words_of(refusal)}", messages.ERROR)
        if again:
            for delivery in again:
                transaction.on_commit(lambda pk=delivery.pk: send_preread.delay(pk))
            self.message_user(request, f"{len(again)} pre-read(s) will be sent again.")
