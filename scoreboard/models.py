"""People, roles and the monthly review.

The user model lives here because every app refers to people (owners, accountable
executives, signers); roles are Django groups so an admin can manage them in the admin.
"""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .fields import NOTE, LimitedTextField


class Role(models.TextChoices):
    """The three groups a person can belong to; the group name is the value."""

    EXECUTIVE = "executive", "Executive"
    OPS_LEAD = "ops lead", "Ops lead"
    ADMIN = "admin", "Admin"


class ExecutiveTitle(models.TextChoices):
    CEO = "CEO", "CEO"
    CIO = "CIO", "CIO"
    COO = "COO", "COO"
    OTHER = "OTHER", "Other ExCo member"


class User(AbstractUser):
    executive_title = models.CharField(
        max_length=8,
        choices=ExecutiveTitle.choices,
        blank=True,
        help_text="For executives: the seat they hold at the ExCo. The CIO and COO sign off months.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(executive_title__in=[*ExecutiveTitle.values, ""]),
                name="user_executive_title_valid",
            ),
        ]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} ({self.executive_title})" if full and self.executive_title else full or self.username

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's roles, read once per request instead of once per permission check."""
        if not self.pk:
            return frozenset()
        if "role_list" in self.__dict__:  # read with the user (auth_backends.signed_in_user)
            return frozenset(name for name in self.role_list if name is not None)
        return frozenset(self.groups.values_list("name", flat=True))

    @cached_property
    def led_initiative_ids(self) -> frozenset[int]:
        """Initiatives this person leads as an ops lead, read once per request."""
        if not self.pk:
            return frozenset()
        return frozenset(self.led_initiatives.values_list("pk", flat=True))

    def has_role(self, role: Role) -> bool:
        return self.is_active and role.value in self.role_names

    @property
    def is_executive(self) -> bool:
        return self.has_role(Role.EXECUTIVE)

    @property
    def is_ops_lead(self) -> bool:
        return self.has_role(Role.OPS_LEAD)

    @property
    def is_scoreboard_admin(self) -> bool:
        return self.is_active and (self.is_superuser or Role.ADMIN.value in self.role_names)


class SignOffSlot(models.TextChoices):
    CIO = "CIO", "CIO"
    COO = "COO", "COO"


class MonthlyReview(models.Model):
    """One revision of a month at the ExCo: the CIO and the COO each sign it off with a comment.

    Revision 1 is the month's first sign-off; when both have signed it, the month is frozen and
    its snapshots no longer change by themselves. Late data then becomes a restatement: applying
    it opens the next revision (``Restatement``), which both sign again. A revision that both
    have signed is kept as it was: the page shows the latest of them.
    """

    month = models.DateField(help_text="First day of the month reviewed.")
    revision = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the month's first sign-off; each applied restatement opens the next."
    )
    cio_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cio_signed_at = models.DateTimeField(null=True, blank=True)
    cio_comment = LimitedTextField(max_length=NOTE, blank=True)
    coo_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coo_signed_at = models.DateTimeField(null=True, blank=True)
    coo_comment = LimitedTextField(max_length=NOTE, blank=True)
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the second signature lands; snapshots are final."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-month", "-revision"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="review_month_is_first_day",
                violation_error_message="A review's month is stored as the first day of its month.",
            ),
            models.UniqueConstraint(
                fields=["month", "revision"],
                name="review_one_per_month_and_revision",
                violation_error_message="This month already has a review of that revision.",
            ),
            # Only one revision of a month is open to signatures at a time: the latest.
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(frozen_at__isnull=True),
                name="review_one_open_revision_per_month",
                violation_error_message="This month already has a revision awaiting signatures.",
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1),
                name="review_revision_from_one",
                violation_error_message="Revisions start at 1.",
            ),
            # A signature is a signer and a time together, never one without the other.
            models.CheckConstraint(
                condition=Q(cio_signed_by__isnull=True, cio_signed_at__isnull=True)
                | Q(cio_signed_by__isnull=False, cio_signed_at__isnull=False),
                name="review_cio_signature_complete",
                violation_error_message="A CIO sign-off needs both the signer and the time.",
            ),
            models.CheckConstraint(
                condition=Q(coo_signed_by__isnull=True, coo_signed_at__isnull=True)
                | Q(coo_signed_by__isnull=False, coo_signed_at__isnull=False),
                name="review_coo_signature_complete",
                violation_error_message="A COO sign-off needs both the signer and the time.",
            ),
            # Frozen only once both have signed.
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=True) | Q(cio_signed_at__isnull=False, coo_signed_at__isnull=False),
                name="review_frozen_needs_both_signatures",
                violation_error_message="A month is frozen only once both the CIO and the COO have signed.",
            ),
        ]

    def __str__(self):
        if self.revision > 1:
            return f"ExCo review {self.month:%B %Y}, revision {self.revision}"
        return f"ExCo review {self.month:%B %Y}"

    def clean(self):
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "A month is stored as its first day (e.g. 2026-03-01)."})

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def signed_by_one_only(self) -> bool:
        return (self.cio_signed_at is None) != (self.coo_signed_at is None)


class Restatement(models.Model):
    """Late data applied to a frozen month: who applied it, when and why, and the figures it
    restates (``RestatedFigure``). It opens the next revision of the month, which the CIO and
    the COO sign again; until both have, the page shows the revision they signed before."""

    revision = models.OneToOneField(MonthlyReview, on_delete=models.PROTECT, related_name="restatement")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField()
    reason = LimitedTextField(max_length=NOTE, help_text="Why the month is restated: what the late data corrects.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-applied_at"]

    def __str__(self):
        return f"Restatement of {self.revision}"


class RestatedFigure(models.Model):
    """One figure a restatement changes: as signed in the revision before, and as restated
    (the recomputed figure when the restatement was applied)."""

    restatement = models.ForeignKey(Restatement, on_delete=models.PROTECT, related_name="figures")
    kpi = models.ForeignKey("metrics.KPI", on_delete=models.PROTECT, related_name="+")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_value = models.DecimalField(
        max_digits=20, decimal_places=6, null=True, blank=True, help_text="Empty: the signed month had no figure."
    )
    restated_value = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        ordering = ["restatement", "kpi", "initiative"]
        constraints = [
            models.UniqueConstraint(
                fields=["restatement", "kpi", "initiative"], name="restated_figure_once_per_initiative"
            ),
            models.UniqueConstraint(
                fields=["restatement", "kpi"],
                condition=Q(initiative__isnull=True),
                name="restated_figure_once_company_wide",
            ),
            # A restatement changes a figure, or it restates nothing.
            models.CheckConstraint(
                condition=Q(signed_value__isnull=True) | ~Q(signed_value=F("restated_value")),
                name="restated_figure_changes_the_figure",
            ),
        ]

    def __str__(self):
        return f"{self.kpi_id}/{self.initiative_id or 'company'}: {self.signed_value} → {self.restated_value}"


class MonthlyPack(models.Model):
    """The printed pack of a frozen revision of a month, rendered once and kept: the ExCo's
    record reads the same whenever it is downloaded again, an earlier revision's too."""

    month = models.DateField()
    revision = models.PositiveSmallIntegerField(default=1)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    rendered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="pack_month_is_first_day"),
            models.UniqueConstraint(fields=["month", "revision"], name="pack_one_per_month_and_revision"),
        ]

    def __str__(self):
        return f"ExCo pack {self.month:%B %Y}" + (f", revision {self.revision}" if self.revision > 1 else "")


class IntegrationToken(models.Model):
    """A machine client's credential for the REST API, tied to a service user whose roles
    decide what it may do (an ops lead's initiatives, or an admin's reach). Only a hash of
    the key is kept: the key itself is shown once, when it is issued."""

    name = models.CharField(max_length=120, help_text="Which integration uses it, e.g. 'claims warehouse loader'.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        max_length=8, editable=False, help_text="The key's first characters, to tell it apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__username", "name"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` header: a retry with the
    same key and body gets this answer back, and stores nothing again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self):
        return f"{self.key} ({self.user_id})"


class DataVersion(models.Model):
    """How many times the data behind a month's ExCo page changed (scoreboard/versions.py): one
    row for what every month shows (``scope`` "*") and one per month ("2026-03"). A write bumps its
    row in its own transaction, so a reader that sees the write also sees the new version."""

    GLOBAL = "*"

    scope = models.CharField(max_length=7, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="*") | Q(scope__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="data_version_scope_known"
            ),
        ]

    def __str__(self):
        return f"{'Every month' if self.scope == self.GLOBAL else self.scope}: version {self.version}"


# --- The ExCo pre-read (scoreboard/exco/preread.py) ------------------------------------------------


class MeetingWeek(models.IntegerChoices):
    FIRST = 1, "First"
    SECOND = 2, "Second"
    THIRD = 3, "Third"
    FOURTH = 4, "Fourth"
    LAST = 5, "Last"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"


PREREAD_DAYS_MAX = 10
# What a schedule out of range is told, field by field: the same words from the table's constraints
# (the admin's form checks them first) and from the service.
SCHEDULE_WORDS = {
    "week": "Meeting week: choose the first, second, third, fourth or last.",
    "weekday": "Meeting day: the ExCo meets on a working day, Monday to Friday.",
    "preread_working_days": f"Pre-read working days: from 1 to {PREREAD_DAYS_MAX} working days before the meeting.",
    "send_hour": "Send hour: an hour of the day, from 0 to 23.",
}


class ExcoSchedule(models.Model):
    """When the ExCo meets each month ("the second Tuesday") and how many working days before it
    its members get the pre-read. One row, set by an admin; without it, no pre-read is sent."""

    week = models.PositiveSmallIntegerField(choices=MeetingWeek.choices, default=MeetingWeek.SECOND)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.TUESDAY)
    preread_working_days = models.PositiveSmallIntegerField(
        default=3, help_text=f"Working days (Monday to Friday) before the meeting, from 1 to {PREREAD_DAYS_MAX}."
    )
    send_hour = models.PositiveSmallIntegerField(default=7, help_text="The hour of that day it goes, from 0 to 23.")
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ExCo meeting schedule"
        constraints = [
            # One schedule: the row's id is always 1.
            models.CheckConstraint(condition=Q(id=1), name="exco_schedule_single_row"),
            models.CheckConstraint(
                condition=Q(week__gte=1, week__lte=5),
                name="exco_schedule_week_known",
                violation_error_message=SCHEDULE_WORDS["week"],
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=4),
                name="exco_schedule_working_weekday",
                violation_error_message=SCHEDULE_WORDS["weekday"],
            ),
            models.CheckConstraint(
                condition=Q(preread_working_days__gte=1, preread_working_days__lte=PREREAD_DAYS_MAX),
                name="exco_schedule_preread_days_in_range",
                violation_error_message=SCHEDULE_WORDS["preread_working_days"],
            ),
            models.CheckConstraint(
                condition=Q(send_hour__lte=23),
                name="exco_schedule_send_hour_in_day",
                violation_error_message=SCHEDULE_WORDS["send_hour"],
            ),
        ]

    def __str__(self):
        return (
            f"The {self.get_week_display().lower()} {self.get_weekday_display()} of each month; the pre-read "
            f"{self.preread_working_days} working day{'s' if self.preread_working_days != 1 else ''} before"
        )


class PreReadFormat(models.TextChoices):
    HTML = "html", "HTML with a plain-text part"
    TEXT = "text", "Plain text only"


class PreReadSubscription(models.Model):
    """A member's choice about the pre-read. A member with no row gets it, as HTML."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preread")
    enabled = models.BooleanField(default=True)
    format = models.CharField(max_length=4, choices=PreReadFormat.choices, default=PreReadFormat.HTML)
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "pre-read subscription"
        constraints = [
            models.CheckConstraint(condition=Q(format__in=PreReadFormat.values), name="preread_format_known"),
        ]

    def __str__(self):
        return f"{self.member}: {'on' if self.enabled else 'off'}, {self.get_format_display().lower()}"


class PreRead(models.Model):
    """The pre-read of one month's ExCo: the pack as printed for it and the summary's lines, made
    once, so every member gets the same bytes and the log can say which pack each one got."""

    month = models.DateField(unique=True, help_text="The month reviewed (its first day).")
    meeting_on = models.DateField()
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    # The summary's sections and the changes since the last pack, as lines: the e-mails say these.
    summary = models.JSONField(default=dict)
    prepared_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]
        verbose_name = "pre-read"
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="preread_month_is_first_day")]

    def __str__(self):
        return f"Pre-read of {self.month:%B %Y}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class PreReadDelivery(models.Model):
    """One member's copy of one month's pre-read: at most one per member and month, so a second
    run, a retried task or a lost message never sends it twice. Admins read who got which pack
    (its sha256) and when."""

    preread = models.ForeignKey(PreRead, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    address = models.EmailField(blank=True)
    format = models.CharField(max_length=4, choices=PreReadFormat.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "recipient_id"]
        verbose_name = "pre-read delivery"
        verbose_name_plural = "pre-read deliveries"
        constraints = [
            models.UniqueConstraint(fields=["preread", "recipient"], name="preread_once_per_member"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="preread_delivery_status_known"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False), name="preread_sent_has_a_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="preread_delivery_due")]

    def __str__(self):
        return f"{self.preread} to {self.recipient}: {self.get_status_display().lower()}"


# --- Chat notifications (scoreboard/chat.py) ---------------------------------------------------


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class ChatEvent(models.TextChoices):
    """What a chat destination may be told about; each is detected where it happens."""

    KPI_RED = "kpi_red", "A KPI turned red"
    SOURCE_FAILED = "source_failed", "A metric source failed"
    DECISION_OVERDUE = "decision_overdue", "A decision request is overdue"
    MONTH_READY = "month_ready", "A month is ready to sign"
    MATRIX_AWAITING = "matrix_awaiting", "A matrix version awaits approval"


class ChatDestination(models.Model):
    """A Slack or Microsoft Teams channel's incoming webhook, and the events it hears about.

    The webhook URL is a secret (whoever has it posts to the channel), so only the name of the
    environment variable that holds it is stored: admins configure destinations, the operator
    sets the variable."""

    name = models.CharField(max_length=120, unique=True, help_text="e.g. 'ExCo channel'.")
    kind = models.CharField(max_length=8, choices=ChatKind.choices)
    url_env = models.CharField(
        "webhook URL variable",
        max_length=100,
        help_text="The environment variable on the server that holds the webhook's URL, e.g. "
        "SCOREBOARD_CHAT_EXCO. Its host must be on METRIC_SOURCE_ALLOWED_HOSTS.",
    )
    events = models.JSONField(default=list, blank=True, help_text="The events this channel hears about.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChatKind.values), name="chat_destination_kind_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def hears(self, event: str) -> bool:
        return self.enabled and event in (self.events or [])


class ChatStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ChatNotification(models.Model):
    """One event owed to one destination: the outbox and the delivery log in one row.

    Recorded in the transaction of the write that made the event happen; the unique key on
    (destination, event key) makes an event detected again, or a retried task, a no-op."""

    destination = models.ForeignKey(ChatDestination, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=20, choices=ChatEvent.choices)
    event_key = models.CharField(max_length=200, help_text="Names the event: the same event has the same key.")
    text = LimitedTextField(max_length=NOTE)
    link = models.URLField(max_length=500)
    status = models.CharField(max_length=8, choices=ChatStatus.choices, default=ChatStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When it is due (again).")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = LimitedTextField(max_length=NOTE, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["destination", "event_key"], name="chat_notification_once_per_event"),
            models.CheckConstraint(condition=Q(event__in=ChatEvent.values), name="chat_notification_event_valid"),
            models.CheckConstraint(condition=Q(status__in=ChatStatus.values), name="chat_notification_status_valid"),
        ]
        indexes = [
            # The sweeper: what is still owed, and since when.
            models.Index(fields=["status", "next_attempt_at"], name="chat_notification_due"),
        ]

    def __str__(self):
        return f"{self.get_event_display()} to {self.destination_id}: {self.get_status_display()}"
