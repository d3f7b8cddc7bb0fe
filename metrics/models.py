"""KPIs with targets that change over time, the sources numbers come from, the
measurements themselves, the monthly snapshots computed from them, and annotations.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class Family(models.TextChoices):
    SHARED_OUTCOME = "shared_outcome", "Shared outcome"
    COO_OPERATIONS = "coo_operations", "COO operations"
    CEO_OUTCOME = "ceo_outcome", "CEO business outcome"
    BRIDGING_HEALTH = "bridging_health", "Bridging health"


class Unit(models.TextChoices):
    PERCENT = "percent", "%"
    DAYS = "days", "days"
    HOURS = "hours", "hours"
    MINUTES = "minutes", "minutes"
    COUNT = "count", "count"
    CURRENCY = "currency", "€"
    RATIO = "ratio", "ratio"
    SCORE = "score", "score"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    MEAN = "mean", "Mean"
    LAST = "last", "Last value"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    RATIO = "ratio", "Ratio of two KPIs"


class Scope(models.TextChoices):
    COMPANY = "company", "Company-wide"
    INITIATIVE = "initiative", "Per initiative"


class Status(models.TextChoices):
    # The ExCo's own words; the page adds a shape so colour is never the only signal.
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NO_TARGET = "none", "No target"


class KPI(models.Model):
    """A shared outcome both accountable executives answer for."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    family = models.CharField(max_length=20, choices=Family.choices)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    aggregation = models.CharField(max_length=5, choices=Aggregation.choices, help_text="How a month is computed.")
    ratio_numerator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ratio_denominator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    accountable_executive = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accountable_kpis"
    )
    # Nullable so that an executive leaving does not delete the KPI; a KPI left with one
    # accountable executive is an alignment warning sign on the ExCo page.
    co_accountable_executive = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="co_accountable_kpis",
    )
    is_primary = models.BooleanField(
        default=False, help_text="The programme's primary operational KPI: its heartbeat. Only one."
    )
    expected_interval_days = models.PositiveSmallIntegerField(
        default=31, help_text="A KPI with no measurement for longer than this is stale."
    )
    display_order = models.PositiveSmallIntegerField(default=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(condition=Q(family__in=Family.values), name="kpi_family_valid"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="kpi_unit_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="kpi_direction_valid"),
            models.CheckConstraint(condition=Q(aggregation__in=Aggregation.values), name="kpi_aggregation_valid"),
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="kpi_scope_valid"),
            models.CheckConstraint(
                condition=~Q(accountable_executive=F("co_accountable_executive")),
                name="kpi_accountable_executives_differ",
                violation_error_message="The two accountable executives must be different people.",
            ),
            # A ratio names both of its parts; any other aggregation names neither.
            models.CheckConstraint(
                condition=(
                    Q(aggregation="ratio", ratio_numerator__isnull=False, ratio_denominator__isnull=False)
                    | (~Q(aggregation="ratio") & Q(ratio_numerator__isnull=True, ratio_denominator__isnull=True))
                ),
                name="kpi_ratio_parts_iff_ratio",
                violation_error_message="A ratio KPI names a numerator and a denominator; other KPIs name neither.",
            ),
            models.UniqueConstraint(
                fields=["is_primary"],
                condition=Q(is_primary=True),
                name="kpi_one_primary",
                violation_error_message="Another KPI is already the primary operational KPI.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if not self.co_accountable_executive_id:
            errors["co_accountable_executive"] = "A KPI needs two accountable executives."
        elif self.co_accountable_executive_id == self.accountable_executive_id:
            errors["co_accountable_executive"] = "The two accountable executives must be different people."
        if self.aggregation == Aggregation.RATIO:
            if not (self.ratio_numerator_id and self.ratio_denominator_id):
                errors["ratio_numerator"] = "A ratio KPI needs both a numerator and a denominator KPI."
        elif self.ratio_numerator_id or self.ratio_denominator_id:
            errors["aggregation"] = "Only a ratio KPI has a numerator and a denominator."
        if self.is_primary and KPI.objects.filter(is_primary=True).exclude(pk=self.pk).exists():
            errors["is_primary"] = "Another KPI is already the primary operational KPI."
        if errors:
            raise ValidationError(errors)


class Target(models.Model):
    """A KPI's target from a month on, with the values at which it turns amber and red.

    For a higher-is-better KPI: below ``red_threshold`` is red, below ``amber_threshold``
    is amber, otherwise green. For lower-is-better the comparisons flip. A target with no
    initiative is the company-wide one.
    """

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="targets")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_targets"
    )
    effective_from = models.DateField(help_text="First day of the first month this target applies to.")
    target = models.DecimalField(max_digits=16, decimal_places=4)
    amber_threshold = models.DecimalField(max_digits=16, decimal_places=4)
    red_threshold = models.DecimalField(max_digits=16, decimal_places=4)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "initiative", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1),
                name="target_starts_on_first_day",
                violation_error_message="A target's start is stored as the first day of its month.",
            ),
            # Two partial constraints because NULL initiatives (company-wide) are never
            # equal in a plain unique constraint.
            models.UniqueConstraint(
                fields=["kpi", "initiative", "effective_from"],
                name="target_unique_per_initiative",
                violation_error_message="A target for this KPI and initiative already starts that month.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "effective_from"],
                condition=Q(initiative__isnull=True),
                name="target_unique_company_wide",
                violation_error_message="A company-wide target for this KPI already starts that month.",
            ),
        ]

    def __str__(self):
        return f"{self.kpi} from {self.effective_from:%Y-%m}: {self.target}"

    def clean(self):
        errors = {}
        if self.effective_from and self.effective_from.day != 1:
            errors["effective_from"] = "A target takes effect from the first day of a month."
        kpi = self.kpi if self.kpi_id else None
        if kpi and None not in (self.target, self.amber_threshold, self.red_threshold):
            if kpi.direction == Direction.HIGHER_IS_BETTER:
                ordered = self.red_threshold <= self.amber_threshold <= self.target
                rule = "red threshold ≤ amber threshold ≤ target (higher is better)"
            else:
                ordered = self.red_threshold >= self.amber_threshold >= self.target
                rule = "red threshold ≥ amber threshold ≥ target (lower is better)"
            if not ordered:
                errors["amber_threshold"] = f"Thresholds must run {rule}."
        if errors:
            raise ValidationError(errors)


class SourceKind(models.TextChoices):
    MANUAL = "manual", "Manual entry"
    CSV = "csv", "CSV upload"
    API_PUSH = "api_push", "REST push"
    HTTP_JSON = "http_json", "HTTP JSON pull"
    PROMETHEUS = "prometheus", "Prometheus query"
    SQL = "sql", "SQL query"


class RunStatus(models.TextChoices):
    NEVER = "never", "Never run"
    OK = "ok", "Succeeded"
    FAILED = "failed", "Failed"


class MetricSource(models.Model):
    """Where measurements come from. Pulled kinds carry their settings in ``config``;
    secrets are never stored here, only the names of environment variables holding them."""

    Kind = SourceKind

    RunStatus = RunStatus

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    url = models.URLField(blank=True, help_text="For HTTP JSON and Prometheus sources.")
    config = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    expected_interval_hours = models.PositiveIntegerField(
        default=24, help_text="A pulled source that has not succeeded for longer than this is stale."
    )
    last_status = models.CharField(max_length=6, choices=RunStatus.choices, default=RunStatus.NEVER)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid"),
            models.CheckConstraint(condition=Q(last_status__in=RunStatus.values), name="source_last_status_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_pulled(self) -> bool:
        return self.kind in (self.Kind.HTTP_JSON, self.Kind.PROMETHEUS, self.Kind.SQL)


class Measurement(models.Model):
    """One observed value of a KPI, for an initiative or company-wide, from one source.

    Its natural key is (KPI, initiative, source, observed time): re-sending the same
    measurement updates it, never duplicates it.
    """

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="measurements")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="measurements"
    )
    source = models.ForeignKey(MetricSource, on_delete=models.PROTECT, related_name="measurements")
    observed_at = models.DateTimeField()
    value = models.DecimalField(max_digits=20, decimal_places=6)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person who entered it; empty when a machine did.",
    )
    entered_via = models.CharField(
        max_length=120, help_text="What entered it: 'form', 'csv:<file>', 'api', 'pull:<source>'."
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "initiative", "source", "observed_at"],
                name="measurement_unique_per_initiative",
                violation_error_message="This source already has a value for this KPI and initiative at that time.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "source", "observed_at"],
                condition=Q(initiative__isnull=True),
                name="measurement_unique_company_wide",
                violation_error_message="This source already has a company-wide value for this KPI at that time.",
            ),
        ]
        indexes = [
            # Monthly roll-ups and drill-downs: one KPI's measurements over a time range.
            models.Index(fields=["kpi", "observed_at"], name="measurement_kpi_time_idx"),
            # Freshness: the latest measurement of each KPI per initiative.
            models.Index(fields=["initiative", "kpi", "-observed_at"], name="measurement_latest_idx"),
        ]

    def __str__(self):
        return f"{self.kpi.code}={self.value} at {self.observed_at:%Y-%m-%d %H:%M}"


class MonthlySnapshot(models.Model):
    """A KPI's figure for one month, per initiative or company-wide (no initiative),
    computed by the roll-up job and frozen once the month is signed off."""

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="snapshots")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    month = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    amber_threshold = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    red_threshold = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.NO_TARGET)
    measurement_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    # A measurement that arrived after the month was frozen: shown, never applied.
    pending_restatement_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["kpi", "initiative", "month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="snapshot_month_is_first_day",
                violation_error_message="A snapshot's month is stored as the first day of its month.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "initiative", "month"],
                name="snapshot_unique_per_initiative",
                violation_error_message="There is already a snapshot of this KPI for this initiative and month.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "month"],
                condition=Q(initiative__isnull=True),
                name="snapshot_unique_company_wide",
                violation_error_message="There is already a company-wide snapshot of this KPI for that month.",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="snapshot_status_valid"),
        ]
        indexes = [
            # The ExCo page: every snapshot of a run of months.
            models.Index(fields=["month", "kpi"], name="snapshot_month_kpi_idx"),
        ]

    def __str__(self):
        return f"{self.kpi.code} {self.month:%Y-%m}: {self.value}"


class FrozenMonth(models.Model):
    """A month whose snapshots are final because the ExCo signed it off.

    Kept here, beside the snapshots it protects, so the roll-up needs nothing from the
    dashboard; the sign-off service writes it in the same transaction as the review.
    """

    month = models.DateField(unique=True)
    frozen_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="frozen_month_is_first_day",
                violation_error_message="A frozen month is stored as the first day of its month.",
            ),
        ]

    def __str__(self):
        return f"{self.month:%B %Y} (frozen)"


class Annotation(models.Model):
    """Why a metric moved, written by one of the KPI's owners and shown on its chart."""

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="annotations")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    month = models.DateField(help_text="First day of the month the note explains.")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="annotation_month_is_first_day",
                violation_error_message="An annotation's month is stored as the first day of its month.",
            ),
        ]

    def __str__(self):
        return f"{self.kpi.code} {self.month:%Y-%m}: {self.text[:40]}"

    def clean(self):
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "A month is stored as its first day (e.g. 2026-03-01)."})
