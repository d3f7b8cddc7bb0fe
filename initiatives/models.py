"""AI initiatives as durable products: owners, stage, business case, roadmap, backlog,
the workflow change they make, their deployment brief, prioritisation and shadow-AI tools.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone
from simple_history.models import HistoricalRecords

from scoreboard import formatting
from scoreboard.fields import LONG_TEXT, NOTE, LimitedTextField

from .vocabulary import shared_vocabulary


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    ASSESSED = "assessed", "Assessed"
    BRIEF_SIGNED = "brief_signed", "Brief signed"
    BUILDING = "building", "Building"
    PILOT = "pilot", "Pilot"
    PRODUCTION = "production", "Production"
    SCALED = "scaled", "Scaled"
    RETIRED = "retired", "Retired"


# The way to production, in order (retired stands apart: an initiative may retire from any stage).
STAGE_ORDER = (
    Stage.IDEA,
    Stage.ASSESSED,
    Stage.BRIEF_SIGNED,
    Stage.BUILDING,
    Stage.PILOT,
    Stage.PRODUCTION,
    Stage.SCALED,
)
# Moving into these is asked by the initiative's ops leads or an admin and approved by its sponsor.
SPONSOR_APPROVED_STAGES = (Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED)
# Candidates of the expansion pipeline: not yet committed to (no brief signed).
PIPELINE_STAGES = (Stage.IDEA, Stage.ASSESSED)
# Stages in which the AI does real work for the business.
LIVE_STAGES = (Stage.PRODUCTION, Stage.SCALED)


class Sourcing(models.TextChoices):
    BUILD = "build", "Build"
    BUY = "buy", "Buy"
    PARTNER = "partner", "Partner"


class InitiativeQuerySet(models.QuerySet):
    def live(self):
        return self.filter(stage__in=LIVE_STAGES)

    def led_by(self, user):
        return self.filter(ops_leads=user)


class Initiative(models.Model):
    """An AI initiative, run as a product with a technology owner (CIO side) and an
    operations owner (COO side), each describing it in their own words."""

    code = models.SlugField(max_length=40, unique=True, help_text="Short stable identifier, e.g. claims-triage.")
    name = models.CharField(max_length=200)
    business_unit = models.CharField(max_length=100)
    process = models.CharField(max_length=200, help_text="The business process whose work it changes.")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEA)
    sourcing = models.CharField("build / buy / partner", max_length=10, choices=Sourcing.choices)

    technology_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="technology_owned_initiatives"
    )
    operations_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="operations_owned_initiatives"
    )
    technology_owner_description = LimitedTextField(
        max_length=LONG_TEXT, help_text="The initiative in the technology owner's words."
    )
    operations_owner_description = LimitedTextField(
        max_length=LONG_TEXT, help_text="The initiative in the operations owner's words."
    )
    # Measured on save from the two descriptions (see vocabulary.py), so that the ExCo page
    # reads one number per initiative, not two texts. Empty when either has no meaningful word.
    description_overlap = models.FloatField(
        null=True,
        editable=False,
        help_text="Share of meaningful words the two owners' descriptions have in common, 0 to 1.",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsored_initiatives",
        help_text="The sponsoring executive, who signs the deployment brief with the COO.",
    )
    ops_leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="led_initiatives",
        help_text="Ops leads who log values for this initiative's KPIs and keep its workflow change current.",
    )
    kpis = models.ManyToManyField(
        "metrics.KPI",
        blank=True,
        related_name="initiatives",
        limit_choices_to={"scope": "initiative"},
        help_text="The KPIs this initiative reports: its ops leads log these, and no other, for it.",
    )

    # Business case
    investment = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    expected_annual_benefit = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    payback_months = models.PositiveIntegerField(null=True, blank=True)

    # Time to value runs from the start of work to the actual go-live.
    started_on = models.DateField(null=True, blank=True)
    planned_go_live = models.DateField(null=True, blank=True)
    actual_go_live = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[ops_leads, kpis])

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="initiative_stage_valid"),
            models.CheckConstraint(condition=Q(sourcing__in=Sourcing.values), name="initiative_sourcing_valid"),
            models.CheckConstraint(
                condition=Q(investment__gte=0),
                name="initiative_investment_non_negative",
                violation_error_message="Investment cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(expected_annual_benefit__gte=0),
                name="initiative_benefit_non_negative",
                violation_error_message="Expected annual benefit cannot be negative.",
            ),
            # The point of the product: two sides own it, not one person wearing both hats.
            models.CheckConstraint(
                condition=~Q(technology_owner=F("operations_owner")),
                name="initiative_owners_differ",
                violation_error_message="The operations owner must be a different person from the technology owner.",
            ),
            models.CheckConstraint(
                condition=Q(description_overlap__range=(0, 1)) | Q(description_overlap__isnull=True),
                name="initiative_description_overlap_share",
            ),
        ]
        indexes = [
            # Portfolio by stage on the ExCo page and the initiative list filter.
            models.Index(fields=["stage"], name="initiative_stage_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.measure_description_overlap()
        elif _DESCRIPTIONS & set(update_fields):
            self.measure_description_overlap()
            kwargs["update_fields"] = {*update_fields, "description_overlap"}
        super().save(*args, **kwargs)

    def measure_description_overlap(self) -> None:
        """Bring `description_overlap` up to date; save() does it, bulk writers must call it."""
        self.description_overlap = shared_vocabulary(
            self.technology_owner_description, self.operations_owner_description
        )

    def clean(self):
        errors = {}
        if self.technology_owner_id and self.technology_owner_id == self.operations_owner_id:
            errors["operations_owner"] = "The operations owner must be a different person from the technology owner."
        if self.investment is not None and self.investment < 0:
            errors["investment"] = "Investment cannot be negative."
        if self.expected_annual_benefit is not None and self.expected_annual_benefit < 0:
            errors["expected_annual_benefit"] = "Expected annual benefit cannot be negative."
        if self.started_on and self.actual_go_live and self.actual_go_live < self.started_on:
            errors["actual_go_live"] = "Go-live cannot be before the start of work."
        elif self.actual_go_live and self.actual_go_live > timezone.localdate():
            errors["actual_go_live"] = (
                "The actual go-live is the day it went live, today or earlier, not "
                f"{formatting.day(self.actual_go_live)}: a date ahead is the planned go-live."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def time_to_value_days(self) -> int | None:
        # A go-live ahead (stored before the rule above) has delivered no value yet.
        if self.started_on and self.actual_go_live and self.actual_go_live <= timezone.localdate():
            return (self.actual_go_live - self.started_on).days
        return None


_DESCRIPTIONS = frozenset({"technology_owner_description", "operations_owner_description"})


class Milestone(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self):
        return self.title


class BacklogStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class BacklogItem(models.Model):
    Status = BacklogStatus

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="backlog_items")
    title = models.CharField(max_length=200)
    description = LimitedTextField(max_length=LONG_TEXT, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(default=3, help_text="1 is the most urgent.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BacklogStatus.values), name="backlog_status_valid"),
        ]

    def __str__(self):
        return self.title


class WorkflowChange(models.Model):
    """How the work itself changes: begin with the work, not the model."""

    initiative = models.OneToOneField(Initiative, on_delete=models.PROTECT, related_name="workflow_change")
    process_name = models.CharField(max_length=200)
    summary = LimitedTextField(max_length=LONG_TEXT, blank=True)
    adoption_target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of the work expected to run the new way.",
    )
    adoption_kpi = models.ForeignKey(
        "metrics.KPI",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The KPI that measures adoption of the new way of working.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(adoption_target_percent__gte=0, adoption_target_percent__lte=100),
                name="workflow_adoption_target_percent_range",
                violation_error_message="The adoption target is a percentage from 0 to 100.",
            ),
        ]

    def __str__(self):
        return f"Workflow change: {self.process_name}"


class StepPhase(models.TextChoices):
    BEFORE = "before", "Before"
    AFTER = "after", "After"


class StepTreatment(models.TextChoices):
    REPLACED = "replaced", "Replaced by AI"
    AI_ASSISTED = "ai_assisted", "AI-assisted"
    UNCHANGED = "unchanged", "Unchanged"
    NEW = "new", "New step"


class WorkflowStep(models.Model):
    Phase = StepPhase

    Treatment = StepTreatment

    workflow_change = models.ForeignKey(WorkflowChange, on_delete=models.CASCADE, related_name="steps")
    phase = models.CharField(max_length=6, choices=Phase.choices)
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    treatment = models.CharField(max_length=12, choices=Treatment.choices)
    performed_by = models.CharField(max_length=100, blank=True, help_text="Role or system doing the step.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["workflow_change", "phase", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow_change", "phase", "order"],
                name="workflow_step_order_unique",
                violation_error_message="Another step already has this position in this phase.",
            ),
            models.CheckConstraint(condition=Q(phase__in=StepPhase.values), name="workflow_step_phase_valid"),
            models.CheckConstraint(
                condition=Q(treatment__in=StepTreatment.values), name="workflow_step_treatment_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_phase_display()} {self.order}: {self.name}"


class AffectedRole(models.Model):
    workflow_change = models.ForeignKey(WorkflowChange, on_delete=models.CASCADE, related_name="affected_roles")
    role = models.CharField(max_length=120)
    headcount = models.PositiveIntegerField()
    reskilling = LimitedTextField(
        max_length=NOTE, blank=True, help_text="What the people in this role learn to work the new way."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow_change", "role"],
                name="affected_role_unique",
                violation_error_message="This role is already listed for the workflow change.",
            ),
        ]

    def __str__(self):
        return f"{self.role} ({self.headcount})"


class DeploymentBrief(models.Model):
    """Scope, investment, governance and timeline, signed by the sponsoring executive and
    the COO before building starts. Editing a signed brief voids both signatures: that rule
    is initiatives.services.brief.brief_save's, not save()'s."""

    # Signed evidence: deleting the initiative must not silently take the brief with it.
    initiative = models.OneToOneField(Initiative, on_delete=models.PROTECT, related_name="deployment_brief")
    scope = LimitedTextField(max_length=LONG_TEXT)
    investment = models.DecimalField(max_digits=14, decimal_places=2)
    governance = LimitedTextField(max_length=LONG_TEXT)
    timeline = LimitedTextField(max_length=LONG_TEXT)
    sponsor_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sponsor_signed_at = models.DateTimeField(null=True, blank=True)
    coo_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coo_signed_at = models.DateTimeField(null=True, blank=True)
    # When what is signed (scope, investment, governance, timeline) last changed: a signature
    # is given to this revision, and signing must not look like an edit to the other signer.
    revised_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(investment__gte=0),
                name="brief_investment_non_negative",
                violation_error_message="Investment cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(sponsor_signed_by__isnull=True, sponsor_signed_at__isnull=True)
                | Q(sponsor_signed_by__isnull=False, sponsor_signed_at__isnull=False),
                name="brief_sponsor_signature_complete",
                violation_error_message="A sponsor signature needs both the signer and the time.",
            ),
            models.CheckConstraint(
                condition=Q(coo_signed_by__isnull=True, coo_signed_at__isnull=True)
                | Q(coo_signed_by__isnull=False, coo_signed_at__isnull=False),
                name="brief_coo_signature_complete",
                violation_error_message="A COO signature needs both the signer and the time.",
            ),
        ]

    def __str__(self):
        return f"Deployment brief: {self.initiative}"

    def clean(self):
        if self.investment is not None and self.investment < 0:
            raise ValidationError({"investment": "Investment cannot be negative."})

    @property
    def is_signed(self) -> bool:
        return self.sponsor_signed_at is not None and self.coo_signed_at is not None


# The score is kept as an exact integer multiple of 1 / SCORE_SCALE: the thirds, quarters
# and ten-thousandths in it all divide 120 000, so Python and SQL rank candidates alike.
SCORE_SCALE = 120_000


def _score_field(help_text: str):
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=f"1 to 5: {help_text}"
    )


class PrioritisationInput(models.Model):
    """What ranks a candidate in the expansion pipeline: the management bandwidth it
    would free, times how feasible it is, nudged by volume and ROI clarity."""

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="prioritisation")
    management_bandwidth = _score_field("management attention the work consumes today (5 = a lot)")
    process_structure = _score_field("how structured and repeatable the process is (5 = fully)")
    data_availability = _score_field("how available and clean the data is (5 = ready)")
    risk_profile = _score_field("how contained the risk is (5 = low risk)")
    roi_clarity = _score_field("how clearly the return can be measured (5 = clear)")
    monthly_volume = models.PositiveIntegerField(help_text="Cases, transactions or documents a month.")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(management_bandwidth__range=(1, 5))
                & Q(process_structure__range=(1, 5))
                & Q(data_availability__range=(1, 5))
                & Q(risk_profile__range=(1, 5))
                & Q(roi_clarity__range=(1, 5)),
                name="prioritisation_scores_1_to_5",
                violation_error_message="Each prioritisation score is from 1 to 5.",
            ),
        ]

    def __str__(self):
        return f"Prioritisation: {self.initiative}"

    @property
    def feasibility(self) -> Decimal:
        return Decimal(self.process_structure + self.data_availability + self.risk_profile) / 3

    @property
    def priority(self) -> int:
        """The score × SCORE_SCALE, an exact integer: what the pipeline is ranked by, here
        and in SQL (priority_score)."""
        feasibility_sum = self.process_structure + self.data_availability + self.risk_profile
        return (
            self.management_bandwidth * feasibility_sum * (SCORE_SCALE // 3)
            + (self.roi_clarity - 1) * (SCORE_SCALE // 4)
            + min(self.monthly_volume, 10_000) * (SCORE_SCALE // 10_000)
        )

    @property
    def score(self) -> Decimal:
        """Bandwidth × feasibility (1–25), plus up to one point each for ROI clarity and
        volume, so that ties break towards the clearer and bigger case."""
        return (Decimal(self.priority) / SCORE_SCALE).quantize(Decimal("0.01"))


def priority_score(prefix: str = "") -> models.Expression:
    """PrioritisationInput.priority in SQL, for the one at `prefix` (e.g. "prioritisation__")."""

    def field(name):
        return F(f"{prefix}{name}")

    return ExpressionWrapper(
        field("management_bandwidth")
        * (field("process_structure") + field("data_availability") + field("risk_profile"))
        * (SCORE_SCALE // 3)
        + (field("roi_clarity") - 1) * (SCORE_SCALE // 4)
        + Least(field("monthly_volume"), Value(10_000)) * (SCORE_SCALE // 10_000),
        output_field=models.BigIntegerField(),
    )
