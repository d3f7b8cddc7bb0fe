"""How the business decides when AI does the work: the versioned decision-authority
matrix, shared-zone decisions, governance gates, the decision log and the risk register.

Governance records are evidence: nothing here is removed by a cascade from an initiative.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from initiatives.models import SPONSOR_APPROVED_STAGES
from scoreboard.fields import LONG_TEXT, NOTE, LimitedTextField


class AccountableExecutive(models.TextChoices):
    CEO = "CEO", "CEO"
    CIO = "CIO", "CIO"
    COO = "COO", "COO"
    JOINT = "joint", "Joint (CIO and COO)"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    # Asked of the approving executive: nothing in it changes until they answer.
    AWAITING = "awaiting", "Awaiting approval"
    PUBLISHED = "published", "Published"


class MatrixVersion(models.Model):
    """One version of the decision-authority matrix. Edits go into the single draft; an admin
    asks the approving executive to publish it (a decision request), and it takes effect, from
    its date, only when that executive approves it. A refusal sends it back to draft."""

    Status = VersionStatus

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(null=True, blank=True)
    reason = LimitedTextField(max_length=NOTE, blank=True, help_text="Why this version changes the matrix.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="asked by",
        help_text="The admin who asked for this version to be published.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name="asked at")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The executive who approved publication (the COO by default), in the decision log.",
    )
    published_at = models.DateTimeField(null=True, blank=True, help_text="When it was approved and published.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=VersionStatus.values), name="matrix_version_status_valid"),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="draft"),
                name="matrix_version_one_draft",
                violation_error_message="There is already a draft version of the matrix: edit that one.",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="awaiting"),
                name="matrix_version_one_awaiting",
                violation_error_message="A version of the matrix is already waiting for approval.",
            ),
            # A version asked for says from when, why and who asked; a published one also who approved it.
            models.CheckConstraint(
                condition=Q(status="draft", approved_by__isnull=True, published_at__isnull=True)
                | Q(
                    status__in=["awaiting", "published"],
                    effective_from__isnull=False,
                    published_by__isnull=False,
                    submitted_at__isnull=False,
                )
                & ~Q(reason="")
                & (
                    Q(status="awaiting", approved_by__isnull=True, published_at__isnull=True)
                    | Q(status="published", approved_by__isnull=False, published_at__isnull=False)
                ),
                name="matrix_version_published_complete",
                violation_error_message=(
                    "A version asked for needs an effective date, a reason and who asked; a published one also "
                    "who approved it and when."
                ),
            ),
        ]

    def __str__(self):
        return f"Matrix v{self.number} ({self.get_status_display()})"

    @property
    def is_awaiting(self) -> bool:
        return self.status == VersionStatus.AWAITING


class AutonomyTier(models.TextChoices):
    AI_AUTONOMOUS = "ai_autonomous", "AI executes autonomously"
    AI_NOTIFIES = "ai_notifies", "AI executes and notifies a human"
    HUMAN_APPROVES = "human_approves", "A human approves before execution"
    HUMAN_ONLY = "human_only", "Human only"


class AuditTrail(models.TextChoices):
    NONE = "none", "None required"
    SUMMARY = "summary", "Summary log of outcomes"
    FULL = "full", "Full log of inputs, output and confidence"
    FULL_WITH_REVIEW = "full_review", "Full log with periodic human review"


class BreachWhen(models.TextChoices):
    ABOVE = "above", "Above the threshold"
    BELOW = "below", "Below the threshold"


class MatrixDecision(models.Model):
    """One operational decision an AI system touches, in one matrix version."""

    version = models.ForeignKey(MatrixVersion, on_delete=models.PROTECT, related_name="decisions")
    key = models.SlugField(max_length=80, help_text="Stable identifier used to compare versions.")
    process = models.CharField(max_length=120)
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="matrix_decisions"
    )
    decision = models.CharField(max_length=200)
    autonomy_tier = models.CharField(max_length=16, choices=AutonomyTier.choices)
    confidence_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Below this model confidence (0–1) the decision escalates.",
    )
    escalation_owner = models.CharField(max_length=120, help_text="Role that receives escalations.")
    accountable_executive = models.CharField(max_length=5, choices=AccountableExecutive.choices)
    override_protocol = LimitedTextField(max_length=LONG_TEXT)
    audit_trail = models.CharField(max_length=12, choices=AuditTrail.choices)
    monitoring_kpi = models.ForeignKey(
        "metrics.KPI", null=True, blank=True, on_delete=models.PROTECT, related_name="monitored_decisions"
    )
    breach_threshold = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    breach_when = models.CharField(max_length=5, choices=BreachWhen.choices, blank=True)
    # What an editor read: a save made on an older copy is refused (governance.services.matrix).
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "process", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"],
                name="matrix_decision_key_unique_in_version",
                violation_error_message="This version already has a decision with that key.",
            ),
            models.CheckConstraint(condition=Q(autonomy_tier__in=AutonomyTier.values), name="matrix_tier_valid"),
            models.CheckConstraint(
                condition=Q(accountable_executive__in=AccountableExecutive.values),
                name="matrix_accountable_executive_valid",
            ),
            models.CheckConstraint(condition=Q(audit_trail__in=AuditTrail.values), name="matrix_audit_trail_valid"),
            models.CheckConstraint(
                condition=Q(confidence_threshold__isnull=True)
                | Q(confidence_threshold__gte=0, confidence_threshold__lte=1),
                name="matrix_confidence_0_to_1",
                violation_error_message="Confidence threshold is a probability between 0 and 1.",
            ),
            # A monitoring signal is a KPI, a threshold and a direction, or nothing.
            models.CheckConstraint(
                condition=Q(monitoring_kpi__isnull=True, breach_threshold__isnull=True, breach_when="")
                | Q(monitoring_kpi__isnull=False, breach_threshold__isnull=False, breach_when__in=BreachWhen.values),
                name="matrix_monitoring_complete",
                violation_error_message=(
                    "A monitoring signal needs a KPI, a breach threshold and whether above or below it is a breach."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.decision} (v{self.version.number})" if self.version_id else self.decision

    def clean(self):
        errors = {}
        if self.confidence_threshold is not None and not 0 <= self.confidence_threshold <= 1:
            errors["confidence_threshold"] = "Confidence threshold is a probability between 0 and 1."
        parts = [self.monitoring_kpi_id is not None, self.breach_threshold is not None, bool(self.breach_when)]
        if any(parts) and not all(parts):
            errors["breach_threshold"] = (
                "A monitoring signal needs a KPI, a breach threshold and whether above or below it is a breach."
            )
        if errors:
            raise ValidationError(errors)


class SharedZoneTopic(models.TextChoices):
    INVESTMENT_LEVEL = "investment_level", "Investment level"
    TIMELINE = "timeline", "Timeline"
    SUCCESS_METRICS = "success_metrics", "Success metrics"
    WORKFORCE_COMMITMENT = "workforce_commitment", "Workforce commitment"


class SharedZoneDecision(models.Model):
    """A decision the CEO and COO make together, each giving input first."""

    Topic = SharedZoneTopic

    topic = models.CharField(max_length=24, choices=Topic.choices)
    title = models.CharField(max_length=200)
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="shared_zone_decisions"
    )
    ceo_input = LimitedTextField(max_length=LONG_TEXT, blank=True)
    coo_input = LimitedTextField(max_length=LONG_TEXT, blank=True)
    joint_decision = LimitedTextField(max_length=LONG_TEXT, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_on", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=SharedZoneTopic.values), name="shared_zone_topic_valid"),
            # A joint decision is dated, and a date means there is a decision.
            models.CheckConstraint(
                condition=Q(joint_decision="", decided_on__isnull=True)
                | (~Q(joint_decision="") & Q(decided_on__isnull=False)),
                name="shared_zone_decision_dated",
                violation_error_message="A joint decision needs its date, and a date needs a decision.",
            ),
        ]

    def __str__(self):
        return self.title


class GateKind(models.TextChoices):
    TESTING = "testing", "Testing"
    MONITORING = "monitoring", "Monitoring"
    FALLBACK = "fallback", "Fallback procedure"


class GovernanceGate(models.Model):
    """Testing, monitoring and a fallback procedure, each checked before production."""

    Kind = GateKind

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.PROTECT, related_name="gates")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = LimitedTextField(max_length=LONG_TEXT, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "kind"],
                name="gate_unique_per_initiative",
                violation_error_message="This initiative already has a gate of that kind.",
            ),
            models.CheckConstraint(condition=Q(kind__in=GateKind.values), name="gate_kind_valid"),
            models.CheckConstraint(
                condition=Q(done_by__isnull=True, done_at__isnull=True)
                | Q(done_by__isnull=False, done_at__isnull=False),
                name="gate_done_by_and_when",
                violation_error_message="A gate is recorded done with both who did it and when.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} gate: {self.initiative}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class DecisionAnswer(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"


# The stages a sponsor approves a move into (named apart from the initiative's stages in the API's schema).
SPONSOR_STAGE_CHOICES = [(stage.value, stage.label) for stage in SPONSOR_APPROVED_STAGES]


class DecisionRequest(models.Model):
    """A decision asked of an executive, answered within 24 hours by default.

    Two kinds are approvals the app acts on when they are answered: publishing a matrix version
    (``matrix_version``), asked of the approving executive, and moving an initiative into a late
    stage (``stage``), asked of its sponsor. The rest are questions, answered in words."""

    Answer = DecisionAnswer

    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="decision_requests"
    )
    question = LimitedTextField(max_length=NOTE)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    executive = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decision_requests")
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    note = LimitedTextField(max_length=NOTE, blank=True)
    matrix_version = models.ForeignKey(
        MatrixVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_requests",
        help_text="The matrix version whose publication is asked for, if that is what is asked.",
    )
    stage = models.CharField(
        max_length=16,
        blank=True,
        choices=SPONSOR_STAGE_CHOICES,
        help_text="The stage the initiative moves into if the sponsor approves, if that is what is asked.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(matrix_version__isnull=True) | Q(stage=""),
                name="decision_one_kind_of_approval",
                violation_error_message="A request approves a matrix version or a stage move, not both.",
            ),
            models.CheckConstraint(
                condition=Q(stage="")
                | Q(stage__in=[s.value for s in SPONSOR_APPROVED_STAGES], initiative__isnull=False),
                name="decision_stage_move_names_initiative",
                violation_error_message="A stage move names its initiative and a stage its sponsor approves.",
            ),
            # An approval is asked once at a time: a retry or a double submit finds the one waiting.
            models.UniqueConstraint(
                fields=["matrix_version"],
                condition=Q(matrix_version__isnull=False, answered_at__isnull=True),
                name="decision_one_open_matrix_approval",
                violation_error_message="This version's approval is already asked and waiting.",
            ),
            models.UniqueConstraint(
                fields=["initiative"],
                condition=~Q(stage="") & Q(answered_at__isnull=True),
                name="decision_one_open_stage_move",
                violation_error_message="A stage move of this initiative is already waiting for its sponsor.",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("requested_at")),
                name="decision_due_after_request",
                violation_error_message="The due time must be after the request time.",
            ),
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True)
                | Q(answer__in=DecisionAnswer.values, answered_at__isnull=False),
                name="decision_answer_and_time_together",
                violation_error_message="An answer needs its time, and a time needs an answer.",
            ),
        ]
        indexes = [
            # Decisions waiting: open requests by due time.
            models.Index(fields=["answered_at", "due_at"], name="decision_open_due_idx"),
        ]

    def __str__(self):
        return self.question[:80]

    @property
    def is_approval(self) -> bool:
        return self.matrix_version_id is not None or bool(self.stage)

    def clean(self):
        if self.requested_at and self.due_at and self.due_at <= self.requested_at:
            raise ValidationError({"due_at": "The due time must be after the request time."})


class DecisionDigest(models.Model):
    """The daily email telling one executive which decisions asked of them are overdue.
    One row per recipient and day makes a retried send a no-op."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    request_ids = models.JSONField(default=list, help_text="The overdue requests the e-mail listed.")

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="decision_digest_once_per_day"),
        ]

    def __str__(self):
        return f"decision digest to {self.recipient} on {self.day}"


class RiskCategory(models.TextChoices):
    CYBER = "cyber", "Cyber"
    PRIVACY = "privacy", "Privacy"
    COMPLIANCE = "compliance", "Compliance"
    OPERATIONAL_DISRUPTION = "operational_disruption", "Operational disruption"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    CLOSED = "closed", "Closed"


class Risk(models.Model):
    Category = RiskCategory

    Status = RiskStatus

    title = models.CharField(max_length=200)
    category = models.CharField(max_length=24, choices=Category.choices)
    description = LimitedTextField(max_length=LONG_TEXT, blank=True)
    preventive_measures = LimitedTextField(max_length=LONG_TEXT)
    responsive_measures = LimitedTextField(max_length=LONG_TEXT)
    # Jointly owned: one owner on each side of the CIO–COO line.
    technology_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operations_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    likelihood = models.PositiveSmallIntegerField(help_text="1 (rare) to 5 (almost certain).")
    impact = models.PositiveSmallIntegerField(help_text="1 (minor) to 5 (severe).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    initiatives = models.ManyToManyField("initiatives.Initiative", blank=True, related_name="risks")
    history = HistoricalRecords(m2m_fields=[initiatives])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=RiskCategory.values), name="risk_category_valid"),
            models.CheckConstraint(condition=Q(status__in=RiskStatus.values), name="risk_status_valid"),
            models.CheckConstraint(
                condition=Q(likelihood__range=(1, 5), impact__range=(1, 5)),
                name="risk_rating_inputs_1_to_5",
                violation_error_message="Likelihood and impact are each rated from 1 to 5.",
            ),
            # A joint owner is two people, one on each side of the CIO–COO line.
            models.CheckConstraint(
                condition=~Q(technology_owner=F("operations_owner")),
                name="risk_owners_differ",
                violation_error_message="The operations owner must be a different person from the technology owner.",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        # Said of the field, where the table's constraint only says it of the row.
        if self.technology_owner_id and self.technology_owner_id == self.operations_owner_id:
            raise ValidationError(
                {"operations_owner": "The operations owner must be a different person from the technology owner."}
            )

    @property
    def rating(self) -> int:
        """Likelihood × impact, 1 to 25."""
        return self.likelihood * self.impact


# --- The shadow-AI register ----------------------------------------------------------------------------


class DataSensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted (personal or regulated data)"


class ShadowAIStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", "Under review"
    ADOPTED = "adopted", "Adopted"
    REPLACED = "replaced", "Replaced"
    BLOCKED = "blocked", "Blocked"


class ShadowAITool(models.Model):
    """An AI tool a team already uses without sanction, and what became of it."""

    Sensitivity = DataSensitivity

    Status = ShadowAIStatus

    tool = models.CharField(max_length=120)
    team = models.CharField(max_length=120)
    use = LimitedTextField(max_length=NOTE, help_text="What the team uses it for.")
    why_it_helps = LimitedTextField(max_length=NOTE)
    data_sensitivity = models.CharField(max_length=12, choices=Sensitivity.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNDER_REVIEW)
    discovered_on = models.DateField()
    promoted_to = models.ForeignKey(
        "initiatives.Initiative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shadow_ai_origins",
        help_text="The initiative this tool was promoted into, if any.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["tool"]
        verbose_name = "shadow-AI tool"
        constraints = [
            models.CheckConstraint(
                condition=Q(data_sensitivity__in=DataSensitivity.values), name="shadow_ai_sensitivity_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=ShadowAIStatus.values), name="shadow_ai_status_valid"),
            models.UniqueConstraint(
                fields=["tool", "team"],
                name="shadow_ai_tool_team_unique",
                violation_error_message="This tool is already registered for this team.",
            ),
        ]

    def __str__(self):
        return f"{self.tool} ({self.team})"
