"""The KPIs (in display order, the primary one first), their targets, the metric sources
the numbers come from, what the pulled sources read, and the notes on three charts."""

from dataclasses import dataclass

from metrics.models import Aggregation, Direction, Family, Scope, SourceKind, Unit


@dataclass(frozen=True)
class KpiSpec:
    code: str
    name: str
    description: str
    family: str
    unit: str
    direction: str
    aggregation: str
    scope: str
    accountable: str
    co_accountable: str | None
    interval_days: int
    target: tuple[float, float] | None  # target (amber begins there), red threshold


H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
PRIMARY_KPI = "automated-processing-rate"
ADOPTION_KPI = "workflow-adoption"
STALE_KPI = "margin-impact"
ROI_KPI = "roi-vs-business-case"
STALE_MONTHS = 3

# In display order; the primary KPI first.
KPI_SPECS = (
    KpiSpec(
        PRIMARY_KPI,
        "Automated processing rate",
        "Share of cases, documents and payments processed end to end without anyone touching them, "
        "counted in the operations warehouse.",
        Family.COO_OPERATIONS,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.COMPANY,
        "coo",
        "cio",
        7,
        (55, 40),
    ),
    KpiSpec(
        "time-to-value",
        "Time to value",
        "Days from the start of work to go-live, averaged over initiatives that went live in the last twelve months.",
        Family.SHARED_OUTCOME,
        Unit.DAYS,
        L,
        Aggregation.LAST,
        Scope.COMPANY,
        "cio",
        "coo",
        31,
        (180, 300),
    ),
    KpiSpec(
        ADOPTION_KPI,
        "Workflow adoption",
        "Share of the initiative's work that runs the new way, as its workflow change defines it.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (75, 40),
    ),
    KpiSpec(
        "core-ops-improvement",
        "Core operational improvement",
        "Improvement in the operating cost of the processes AI has changed, against their baseline year.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "coo",
        "ceo",
        31,
        (15, 5),
    ),
    KpiSpec(
        "production-reliability",
        "Reliability in production",
        "Uptime of the initiative's AI service as the users see it, from synthetic probes.",
        Family.SHARED_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "cio",
        "coo",
        7,
        (99.5, 98.0),
    ),
    KpiSpec(
        "ai-health-score",
        "AI system health",
        "One score from drift, confidence, latency and override rate: 100 is a model working as designed.",
        Family.SHARED_OUTCOME,
        Unit.SCORE,
        H,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "cio",
        "coo",
        7,
        (80, 60),
    ),
    KpiSpec(
        "cases-processed",
        "Cases processed",
        "Cases, documents or payments the initiative handled in the week; the exception rate's denominator.",
        Family.COO_OPERATIONS,
        Unit.COUNT,
        H,
        Aggregation.SUM,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        None,
    ),
    KpiSpec(
        "exceptions-raised",
        "Exceptions raised",
        "Cases the AI handed back to a person because it could not finish them; the exception rate's numerator.",
        Family.COO_OPERATIONS,
        Unit.COUNT,
        L,
        Aggregation.SUM,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        None,
    ),
    KpiSpec(
        "exception-rate",
        "Exception rate",
        "Exceptions raised divided by cases processed in the month.",
        Family.COO_OPERATIONS,
        Unit.RATIO,
        L,
        Aggregation.RATIO,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (0.08, 0.14),
    ),
    KpiSpec(
        "cycle-time",
        "Cycle time",
        "Hours from a case arriving to the decision the initiative supports.",
        Family.COO_OPERATIONS,
        Unit.HOURS,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (24, 48),
    ),
    KpiSpec(
        "cost-per-transaction",
        "Cost per transaction",
        "Fully loaded operating cost of one case, including people, licences and hosting.",
        Family.COO_OPERATIONS,
        Unit.CURRENCY,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "ceo",
        31,
        (6, 10),
    ),
    KpiSpec(
        "error-rate",
        "Error rate",
        "Share of processed cases later found wrong by quality sampling or a customer.",
        Family.COO_OPERATIONS,
        Unit.PERCENT,
        L,
        Aggregation.MEAN,
        Scope.INITIATIVE,
        "coo",
        "cio",
        7,
        (2.0, 4.5),
    ),
    KpiSpec(
        "revenue-impact",
        "Revenue impact",
        "Premium retained or won in the month that finance attributes to AI initiatives.",
        Family.CEO_OUTCOME,
        Unit.CURRENCY,
        H,
        Aggregation.SUM,
        Scope.COMPANY,
        "ceo",
        "coo",
        31,
        (300000, 100000),
    ),
    KpiSpec(
        STALE_KPI,
        "Margin impact",
        "Percentage points of operating margin finance attributes to AI initiatives, year to date.",
        Family.CEO_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "ceo",
        "coo",
        31,
        (1.0, 0.3),
    ),
    KpiSpec(
        "roi-vs-business-case",
        "ROI against the business case",
        "Benefit realised so far as a share of the benefit the business case promised by now.",
        Family.CEO_OUTCOME,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.INITIATIVE,
        "ceo",
        "cio",
        31,
        # Under 80 % of what the business cases promised is red: revenue is up, ROI lags them.
        (100, 80),
    ),
    KpiSpec(
        "deployment-frequency",
        "Model deployment frequency",
        "Model and prompt releases that reached production, counted by the release pipeline.",
        Family.BRIDGING_HEALTH,
        Unit.COUNT,
        H,
        Aggregation.SUM,
        Scope.COMPANY,
        "cio",
        "coo",
        14,
        (6, 2),
    ),
    KpiSpec(
        "data-quality-score",
        "Data-quality score",
        "Completeness, validity and freshness of the data the AI systems read, from the data catalogue.",
        Family.BRIDGING_HEALTH,
        Unit.SCORE,
        H,
        Aggregation.MEAN,
        Scope.COMPANY,
        "cio",
        "coo",
        7,
        (85, 75),
    ),
    KpiSpec(
        "talent-retention",
        "Talent retention",
        "Share of data, AI and automation staff still with us twelve months later.",
        Family.BRIDGING_HEALTH,
        Unit.PERCENT,
        H,
        Aggregation.LAST,
        Scope.COMPANY,
        "cio",
        None,  # Left with one accountable executive on purpose: a warning sign to show.
        31,
        (90, 80),
    ),
)

# The primary KPI's target is raised part-way through the period: the story of the programme.
TARGET_CHANGES = {PRIMARY_KPI: (70, 55)}

# Source keys used below; the pulled ones are named the way their pulls sign entries.
MANUAL, CSV, PUSH, PROMETHEUS, WAREHOUSE, CATALOGUE = (
    "manual-entry",
    "csv-upload",
    "platform-push",
    "prometheus-prod",
    "warehouse-ops",
    "catalogue-quality",
)

# How each source is set up, in the order they are created; the builder adds the outcome
# of each one's latest pull.
SOURCES = (
    {"name": MANUAL, "kind": SourceKind.MANUAL, "expected_interval_hours": 24 * 31},
    {"name": CSV, "kind": SourceKind.CSV, "expected_interval_hours": 24 * 31},
    {"name": PUSH, "kind": SourceKind.API_PUSH, "expected_interval_hours": 24 * 7},
    {
        "name": PROMETHEUS,
        "kind": SourceKind.PROMETHEUS,
        "url": "https://prometheus.prod.harbourline.example",
        "headers": {"Authorization": {"env": "SCOREBOARD_SOURCE_PROMETHEUS_TOKEN"}},
        "schedule": "5 * * * *",
        "expected_interval_hours": 2,
    },
    {
        "name": WAREHOUSE,
        "kind": SourceKind.SQL,
        "connection_env": "SCOREBOARD_SOURCE_WAREHOUSE_URL",
        "query": (
            "select kpi_code, initiative_code, observed_at, value\n"
            "from scoreboard_feed.daily_kpis\n"
            "where observed_at >= current_date - 7"
        ),
        "timeout_seconds": 30,
        "schedule": "15 6 * * *",
        "expected_interval_hours": 26,
    },
    {
        "name": CATALOGUE,
        "kind": SourceKind.HTTP_JSON,
        "url": "https://catalogue.harbourline.example/api/v2/quality/summary",
        "headers": {"Authorization": {"env": "SCOREBOARD_SOURCE_CATALOGUE_TOKEN"}, "Accept": "application/json"},
        "timestamp_path": "$.summary.measured_at",
        "schedule": "0 */4 * * *",
        "expected_interval_hours": 24,
    },
)
# The catalogue's pulls have failed since two days and three hours before "now".
CATALOGUE_ERROR = (
    "The data catalogue answered 503 Service Unavailable on the last three tries; "
    "its maintenance window overran. The previous figures still stand."
)


@dataclass(frozen=True)
class SourceMappingSpec:
    source: str
    kpi: str
    expression: str
    initiative_label: str = ""


# What the pulled sources read: a JSONPath for the catalogue, PromQL for Prometheus.
SOURCE_MAPPINGS = (
    SourceMappingSpec(CATALOGUE, "data-quality-score", "$.summary.overall_score"),
    SourceMappingSpec(
        PROMETHEUS,
        "production-reliability",
        '100 * avg by (initiative) (avg_over_time(probe_success{service=~"ai-.+"}[1h]))',
        initiative_label="initiative",
    ),
    SourceMappingSpec(
        PROMETHEUS,
        "ai-health-score",
        'avg by (initiative) (ai_system_health_score{env="prod"})',
        initiative_label="initiative",
    ),
)

# Why three numbers moved, each written by one of its KPI's accountable executives:
# (KPI, when, author, text). The builder turns "when" into a month of the window: where the
# data-quality score starts to slide, where the primary KPI's target is raised, and the last
# month the stale KPI was measured.
ANNOTATIONS = (
    (
        "data-quality-score",
        "slide",
        "cio",
        "The policy administration migration left duplicate customer records; the clean-up is funded but not started.",
    ),
    (
        PRIMARY_KPI,
        "target-raised",
        "coo",
        "Target raised to 70% now that claims triage and call summaries run in every team.",
    ),
    (STALE_KPI, "last-stale", "ceo", "Last figure before the finance feed paused for the ERP cut-over."),
)
