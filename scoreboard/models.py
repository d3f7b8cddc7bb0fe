"""People, roles and the monthly review.

The user model lives here because every app refers to people (owners, accountable
executives, signers); roles are Django groups so an admin can manage them in the admin.
"""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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
    """One month at the ExCo: the CIO and the COO each sign it off with a comment.

    When both have signed, the month is frozen: its snapshots no longer change.
    """

    month = models.DateField(unique=True, help_text="First day of the month reviewed.")
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
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="review_month_is_first_day",
                violation_error_message="A review's month is stored as the first day of its month.",
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


class MonthlyPack(models.Model):
    """The printed pack of a frozen month, rendered once and kept: the ExCo's record reads
    the same whenever it is downloaded again."""

    month = models.DateField(unique=True)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    rendered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="pack_month_is_first_day"),
        ]

    def __str__(self):
        return f"ExCo pack {self.month:%B %Y}"


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
