"""KPIs with targets that change over time, the sources numbers come from, the
measurements themselves, the monthly snapshots computed from them, and annotations.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from scoreboard.fields import NOTE, LimitedTextField

from .schedules import source_crontab
from .secrets import env_allowed, env_refusal


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


class KPIRole(models.TextChoices):
    # What the ExCo page reads a KPI for, beyond its own tile.
    NONE = "", "None: its own tile only"
    ROI = "roi", "ROI against the business case (the ROI trajectory)"


# A value keeps 6 decimals (Measurement.value): a figure can show no more.
MAX_DECIMALS = 6


class Period(models.TextChoices):
    # What one value a person enters stands for: entering it again for the same period corrects
    # it (metrics.periods). A week is Monday to Sunday, cut at a month's end.
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


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
    description = LimitedTextField(blank=True)
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
    measured_from = models.DateField(
        null=True,
        blank=True,
        help_text="The first day this KPI has figures for: a value observed before it is refused on every path. "
        "Empty: from the scoreboard's earliest date (METRIC_EARLIEST_DATE).",
    )
    period = models.CharField(
        max_length=5,
        choices=Period.choices,
        default=Period.DAY,
        help_text=(
            "What one value entered by a person stands for: entering another for the same initiative and "
            "period corrects it (a week runs Monday to Sunday, cut at a month's end). Pulled values keep their time."
        ),
    )
    decimals = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DECIMALS)],
        help_text="How many decimals its figure shows, on every page, chart, pack and e-mail. Empty: its unit's "
        "(none for a count, one for the rest).",
    )
    display_order = models.PositiveSmallIntegerField(default=100)
    role = models.CharField(
        max_length=10,
        choices=KPIRole.choices,
        default=KPIRole.NONE,
        blank=True,
        help_text="ROI: the per-initiative share of the business case realised, drawn as the ROI trajectory.",
    )
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
            models.CheckConstraint(condition=Q(period__in=Period.values), name="kpi_period_valid"),
            models.CheckConstraint(
                condition=Q(decimals__isnull=True) | Q(decimals__lte=MAX_DECIMALS),
                name="kpi_decimals_at_most_stored",
                violation_error_message="A figure shows at most the 6 decimals a value keeps.",
            ),
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
            models.UniqueConstraint(
                fields=["role"],
                condition=~Q(role=""),
                name="kpi_one_per_role",
                violation_error_message="Another KPI already has this role.",
            ),
            models.CheckConstraint(condition=Q(role__in=KPIRole.values), name="kpi_role_valid"),
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


def threshold_order_problem(direction: str, *, target, red_threshold) -> str:
    """Why a target's red threshold is on the wrong side of it for ``direction`` ("" when it is
    not): red lies beyond the target, where the figure is worse."""
    if direction == Direction.HIGHER_IS_BETTER:
        if red_threshold <= target:
            return ""
        rule = "red threshold ≤ target (higher is better)"
    else:
        if red_threshold >= target:
            return ""
        rule = "red threshold ≥ target (lower is better)"
    return f"Thresholds must run {rule}: amber begins at the target, red further from it."


class Target(models.Model):
    """A KPI's target from a month on, and the value past which a figure is red.

    The target is where amber begins: for a higher-is-better KPI, a figure at or above the
    target is green, below it amber, below ``red_threshold`` red; for lower-is-better the
    comparisons flip (metrics.services.status). A target with no initiative is the company-wide one.
    """

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="targets")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_targets"
    )
    effective_from = models.DateField(help_text="First day of the first month this target applies to.")
    target = models.DecimalField(max_digits=16, decimal_places=4)
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
        if kpi and None not in (self.target, self.red_threshold):
            problem = threshold_order_problem(kpi.direction, target=self.target, red_threshold=self.red_threshold)
            if problem:
                errors["red_threshold"] = problem
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


class HttpMethod(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"


class UndatedPeriod(models.TextChoices):
    HOUR = "hour", "the hour of the pull"
    DAY = "day", "the day of the pull"


# Header names whose values are credentials: they may only name an environment variable.
SECRET_HEADER_WORDS = ("authorization", "token", "key", "secret", "cookie", "password")


class MetricSource(models.Model):
    """Where measurements come from, and for pulled kinds how to fetch them.

    Secrets are never stored here: a header value that is a credential is written as
    ``{"env": "VARIABLE_NAME"}`` and read from the environment at pull time, and a SQL
    source names the environment variable that holds its connection URL.
    """

    Kind = SourceKind

    RunStatus = RunStatus

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    enabled = models.BooleanField(default=True)

    # HTTP JSON and Prometheus
    url = models.URLField(blank=True, help_text="HTTP JSON: the endpoint. Prometheus: the server's base URL.")
    method = models.CharField(max_length=4, choices=HttpMethod.choices, default=HttpMethod.GET)
    headers = models.JSONField(
        default=dict,
        blank=True,
        help_text='Plain values, or {"env": "NAME"} for credentials: {"Authorization": {"env": "API_TOKEN"}}.',
    )
    timestamp_path = models.CharField(
        max_length=300, blank=True, help_text="HTTP JSON: JSONPath of the observation time in the answer (optional)."
    )
    undated_period = models.CharField(
        max_length=4,
        choices=UndatedPeriod.choices,
        default=UndatedPeriod.HOUR,
        help_text="Without a timestamp, a value counts for this period: pulling again in it updates, never adds.",
    )
    lookback_hours = models.PositiveIntegerField(
        default=0, help_text="Prometheus: 0 for an instant query; more to read a range (query_range) this far back."
    )
    step_seconds = models.PositiveIntegerField(default=3600, help_text="Prometheus range queries: the step.")

    # SQL
    connection_env = models.CharField(
        max_length=100, blank=True, help_text="SQL: environment variable holding a read-only database URL."
    )
    query = LimitedTextField(
        blank=True,
        help_text="SQL: returns rows of (kpi code, initiative code or empty, observed time, value).",
    )

    # Bounds and schedule
    timeout_seconds = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Longest wait for the source to answer, in seconds (at most 120).",
    )
    max_response_bytes = models.PositiveIntegerField(default=5_000_000)
    schedule = models.CharField(
        max_length=100,
        default="0 * * * *",
        help_text="When to pull, as a cron line (minute hour day-of-month month day-of-week), in the site's time zone.",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expected_interval_hours = models.PositiveIntegerField(
        default=24, help_text="A pulled source that has not succeeded for longer than this is stale."
    )

    # Outcome of the latest pull (not audited: it changes on every pull).
    last_status = models.CharField(max_length=6, choices=RunStatus.choices, default=RunStatus.NEVER)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = LimitedTextField(max_length=NOTE, blank=True)  # a source's words, cut by pulls._storable
    # A person asked for a pull ("pull now") that has not started yet: the request itself is
    # the promise, so a broker that is down when it is asked loses nothing (the sweeper sends it).
    pull_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["last_status", "last_run_at", "last_success_at", "last_error"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid"),
            models.CheckConstraint(condition=Q(last_status__in=RunStatus.values), name="source_last_status_valid"),
            models.CheckConstraint(condition=Q(method__in=HttpMethod.values), name="source_method_valid"),
            models.CheckConstraint(
                condition=Q(undated_period__in=UndatedPeriod.values), name="source_undated_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1, timeout_seconds__lte=120),
                name="source_timeout_bounded",
                violation_error_message="The time-out is between 1 and 120 seconds.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_pulled(self) -> bool:
        return self.kind in (self.Kind.HTTP_JSON, self.Kind.PROMETHEUS, self.Kind.SQL)

    def clean(self):
        errors = {}
        if self.kind in (SourceKind.HTTP_JSON, SourceKind.PROMETHEUS) and not self.url:
            errors["url"] = "An HTTP JSON or Prometheus source needs a URL."
        if self.kind == SourceKind.SQL:
            if not self.connection_env:
                errors["connection_env"] = "A SQL source names the environment variable holding its database URL."
            elif not env_allowed(self.connection_env):
                errors["connection_env"] = env_refusal(self.connection_env)
            if not self.query.strip():
                errors["query"] = "A SQL source needs a query."
        if not isinstance(self.headers, dict):
            errors["headers"] = 'Headers are a JSON object, e.g. {"Accept": "application/json"}.'
        else:
            for name, value in self.headers.items():
                is_env = isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str)
                if not (is_env or isinstance(value, str)):
                    errors["headers"] = f'Header "{name}": a text value or {{"env": "NAME"}}.'
                elif is_env and not env_allowed(value["env"]):
                    errors["headers"] = f'Header "{name}": {env_refusal(value["env"])}'
                elif not is_env and any(word in name.lower() for word in SECRET_HEADER_WORDS):
                    errors["headers"] = (
                        f'Header "{name}" carries a credential: write {{"env": "NAME"}} and set the variable '
                        "on the servers; secrets are never stored in the database."
                    )
        if self.schedule:
            try:
                source_crontab(self.schedule)
            except ValueError as exc:
                errors["schedule"] = f"Not a valid cron line: {exc}."
        if errors:
            raise ValidationError(errors)


class SourceMapping(models.Model):
    """What a pulled source reads for one KPI: a JSONPath (HTTP JSON) or a PromQL query
    (Prometheus). SQL sources name the KPI in each row instead."""

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="mappings")
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="source_mappings")
    initiative = models.ForeignKey(
        "initiatives.Initiative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_mappings",
        help_text="The initiative the value belongs to; empty for company-wide or when a label names it.",
    )
    expression = models.CharField(max_length=1000, help_text="JSONPath (HTTP JSON) or PromQL query (Prometheus).")
    initiative_label = models.CharField(
        max_length=100,
        blank=True,
        help_text="Prometheus: the label whose value is the initiative's code (e.g. 'initiative').",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "kpi"]

    def __str__(self):
        return f"{self.source} → {self.kpi.code}"

    def clean(self):
        if self.initiative_id and self.initiative_label:
            raise ValidationError({"initiative_label": "Name the initiative either directly or by a label, not both."})


class PullStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (worker lost)"


class PullTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Pull now"
    SWEEPER = "sweeper", "Sweeper (overdue)"


class PullRun(models.Model):
    """One attempt to pull a source: what it read, stored, left unchanged and rejected."""

    Status = PullStatus
    Trigger = PullTrigger

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="pull_runs")
    trigger = models.CharField(max_length=8, choices=PullTrigger.choices, default=PullTrigger.SCHEDULE)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=9, choices=PullStatus.choices, default=PullStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True, help_text="The first rejected rows, with reasons.")
    error = LimitedTextField(max_length=NOTE, blank=True)
    will_retry = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PullStatus.values), name="pull_run_status_valid"),
            models.CheckConstraint(condition=Q(trigger__in=PullTrigger.values), name="pull_run_trigger_valid"),
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | (~Q(status="running") & Q(finished_at__isnull=False)),
                name="pull_run_finished_iff_not_running",
            ),
        ]
        indexes = [
            # The source page and freshness: a source's latest runs.
            models.Index(fields=["source", "-started_at"], name="pull_run_latest_idx"),
        ]

    def __str__(self):
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M}: {self.status}"


class RollUpDue(models.Model):
    """The outbox of months to recompute: written in the same transaction as the
    measurements that make them due, cleared by the roll-up that recomputes them.
    A lost message or a killed worker leaves the row here for the sweeper."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi", "month"], name="rollup_due_unique"),
        ]
        indexes = [
            # The sweeper: owed roll-ups oldest first.
            models.Index(fields=["requested_at"], name="rollup_due_requested_idx"),
        ]

    def __str__(self):
        return f"roll up {self.kpi_id} for {self.month:%Y-%m}"


class Measurement(models.Model):
    """One observed value of a KPI, for an initiative or company-wide, from one source.

    A value a person entered (the quick form, a CSV file, the API) stands for its KPI's period:
    its natural key is (KPI, initiative, period), whichever of those paths brought it, so
    entering the same period again corrects it. A pulled value keeps its exact time: its key is
    (KPI, initiative, source, observed time). Either way re-sending updates, never duplicates.
    """

    # No index of their own: (kpi, observed_at) and the unique keys start with the KPI, and
    # (initiative, kpi, -observed_at) and (initiative, -updated_at, -id) with the initiative; every
    # index on this, the largest table, costs each measurement stored.
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="measurements", db_index=False)
    initiative = models.ForeignKey(
        "initiatives.Initiative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurements",
        db_index=False,
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
    period_start = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="A value a person entered: the first day of its KPI's period (day, week or month) it stands "
        "for, the key a correction finds it by. Empty for a pulled value, keyed by its exact time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_at"]
        # Each pair is two partial constraints because NULL initiatives (company-wide) are never
        # equal in a plain unique constraint. They are the upsert's conflict targets (services/upsert.py).
        constraints = [
            # Pulled values: one per source and exact time.
            models.UniqueConstraint(
                fields=["kpi", "initiative", "source", "observed_at"],
                condition=Q(period_start__isnull=True),
                name="measurement_unique_per_initiative",
                violation_error_message="This source already has a value for this KPI and initiative at that time.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "source", "observed_at"],
                condition=Q(initiative__isnull=True, period_start__isnull=True),
                name="measurement_unique_company_wide",
                violation_error_message="This source already has a company-wide value for this KPI at that time.",
            ),
            # People's values: one per period, whichever path (form, CSV, API) brought it.
            models.UniqueConstraint(
                fields=["kpi", "initiative", "period_start"],
                condition=Q(period_start__isnull=False),
                name="measurement_one_per_period",
                violation_error_message="This KPI already has a value for this initiative and period.",
            ),
            models.UniqueConstraint(
                fields=["kpi", "period_start"],
                condition=Q(initiative__isnull=True, period_start__isnull=False),
                name="measurement_one_company_wide_per_period",
                violation_error_message="This KPI already has a company-wide value for this period.",
            ),
        ]
        indexes = [
            # Monthly roll-ups and drill-downs: one KPI's measurements over a time range.
            models.Index(fields=["kpi", "observed_at"], name="measurement_kpi_time_idx"),
            # Freshness: the latest measurement of each KPI per initiative.
            models.Index(fields=["initiative", "kpi", "-observed_at"], name="measurement_latest_idx"),
            # The initiative workspace's recent entries: its latest written, without sorting all its rows.
            models.Index(fields=["initiative", "-updated_at", "-id"], name="measurement_recent_idx"),
            # The API's list, newest first by cursor: a page without sorting millions of rows.
            models.Index(fields=["-observed_at", "-id"], name="measurement_time_idx"),
        ]

    def __str__(self):
        return f"{self.kpi.code}={self.value} at {self.observed_at:%Y-%m-%d %H:%M}"


class MonthlySnapshot(models.Model):
    """A KPI's figure for one month, per initiative or company-wide (no initiative),
    computed by the roll-up job and frozen once the month is signed off."""

    # No index of its own: the unique (kpi, initiative, month) index starts with it, and
    # every index costs each roll-up's writes.
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="snapshots", db_index=False)
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    month = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
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


class AlertDigest(models.Model):
    """A daily digest sent to one executive: what went off-target, stale or failed since
    the previous one. One row per recipient and day makes a retried send a no-op."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    lines = models.JSONField(default=list)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="digest_once_per_day")]

    def __str__(self):
        return f"digest to {self.recipient} on {self.day}"


class Annotation(models.Model):
    """Why a metric moved, written by one of the KPI's owners and shown on its chart."""

    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="annotations")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    month = models.DateField(help_text="First day of the month the note explains.")
    text = LimitedTextField(max_length=1000)  # as annotation_add says
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


class CsvImportStatus(models.TextChoices):
    CHECKING = "checking", "Checking"  # a large file, checked by a background job
    READY = "ready", "Checked: waiting for a choice"
    STORING = "storing", "Storing"
    STORED = "stored", "Stored"
    FAILED = "failed", "Failed"


class DecimalMark(models.TextChoices):
    # How a CSV file writes decimals, decided for the whole file (metrics.csv_io).
    POINT = ".", "point"
    COMMA = ",", "comma"
    UNSHOWN = "", "not shown by any value"


# A file's text is at most its bytes (metrics.csv_io.MAX_BYTES, 20 MiB): no more is read.
CSV_MAX_CHARACTERS = 20 * 1024 * 1024


class CsvImport(models.Model):
    """One uploaded CSV file of an initiative's measurements: its content, every row's
    verdict, and what storing it did. Nothing reaches the measurements until a person
    chooses to store it (all rows, or explicitly only the valid ones).

    Every row is accounted for: once stored, stored + unchanged + refused (rejected) + repeated
    in the file = the rows read."""

    Status = CsvImportStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.PROTECT, related_name="csv_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, help_text="Of the file's bytes: the same file uploaded again is known.")
    # The text itself, not a path: a worker on another machine reads it from the database.
    content = LimitedTextField(max_length=CSV_MAX_CHARACTERS)
    status = models.CharField(max_length=8, choices=CsvImportStatus.choices, default=CsvImportStatus.CHECKING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_repeated = models.PositiveIntegerField(
        default=0, help_text="Valid rows with the KPI and period of an earlier valid row of the file."
    )
    rows_unchanged = models.PositiveIntegerField(
        default=0, help_text="When checked: valid rows (not repeats) whose value was already stored as it is."
    )
    decimal_mark = models.CharField(
        max_length=1,
        blank=True,
        choices=DecimalMark.choices,
        default=DecimalMark.POINT,
        help_text="How the file writes decimals, decided for the whole file when it is read (metrics.csv_io).",
    )
    verdicts = models.JSONField(
        default=dict,
        blank=True,
        help_text="The rows with problems: row number → column → reasons (the first ones); the repeated rows: "
        "row number → the row it repeats.",
    )
    store_valid_only = models.BooleanField(default=False)
    keep_last = models.BooleanField(
        default=False, help_text="Chosen when storing: of rows repeating one KPI and period, the last one is stored."
    )
    stored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stored_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    repeated_count = models.PositiveIntegerField(
        default=0, help_text="Rows not stored because they repeat (or, keeping the last, were replaced by) another."
    )
    error = LimitedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CsvImportStatus.values), name="csv_import_status_valid"),
            models.CheckConstraint(
                condition=Q(
                    rows_total__gte=0,
                    rows_checked__gte=0,
                    rows_valid__gte=0,
                    stored_count__gte=0,
                    unchanged_count__gte=0,
                    rejected_count__gte=0,
                    rows_repeated__gte=0,
                    rows_unchanged__gte=0,
                    repeated_count__gte=0,
                ),
                name="csv_import_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(rows_checked__lte=F("rows_total"), rows_valid__lte=F("rows_checked")),
                name="csv_import_counts_consistent",
                violation_error_message="Checked rows are at most the file's rows, valid rows at most the checked.",
            ),
            models.CheckConstraint(
                condition=Q(rows_valid__gte=F("rows_repeated") + F("rows_unchanged")),
                name="csv_import_repeats_among_valid",
                violation_error_message="Repeated and unchanged rows are counted among the valid rows.",
            ),
            # No row goes missing: what the issue found was 6,000 rows read and 2,097 stored, unexplained.
            models.CheckConstraint(
                condition=~Q(status="stored")
                | Q(rows_total=F("stored_count") + F("unchanged_count") + F("rejected_count") + F("repeated_count")),
                name="csv_import_stored_rows_add_up",
                violation_error_message="Stored, unchanged, refused and repeated rows add up to the rows read.",
            ),
            models.CheckConstraint(
                condition=Q(decimal_mark__in=DecimalMark.values), name="csv_import_decimal_mark_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["stored", "failed"], finished_at__isnull=False)
                | (~Q(status__in=["stored", "failed"]) & Q(finished_at__isnull=True)),
                name="csv_import_finished_iff_done",
            ),
        ]
        indexes = [
            # The preview: was this initiative's same file stored before?
            models.Index(fields=["initiative", "sha256"], name="csv_import_same_file_idx"),
        ]

    def __str__(self):
        return f"{self.file_name} for {self.initiative_id} ({self.status})"
