"""Test data with factory-boy: one factory for every model of the four apps (scoreboard,
initiatives, metrics, governance), each making a valid object by default, one that passes
``full_clean()`` (tests/project/test_factories.py checks both by introspection). The bench/ scripts
use them too, where they make objects one at a time.

A factory's defaults are the least a valid row needs: a test names what it is about.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils.dateparse import parse_datetime

from governance import models as gov
from initiatives import models as ini
from metrics import models as met
from metrics.periods import period_start
from metrics.services.ingest import PEOPLE_KINDS
from scoreboard import models as sb
from scoreboard.models import Role, User
from scoreboard.services import token_hash

PASSWORD = "correct-horse-battery"


def _month(n: int) -> date:
    """The n-th month from January 2001: distinct months for rows unique by month, far from
    the months tests write on purpose."""
    years, month = divmod(n, 12)
    return date(2001 + years, month + 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


def _with_role(user: User, role: Role) -> User:
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def executive(*, title: str, **kwargs) -> User:
    return _with_role(UserFactory(executive_title=title, **kwargs), Role.EXECUTIVE)


def ops_lead(**kwargs) -> User:
    return _with_role(UserFactory(**kwargs), Role.OPS_LEAD)


def admin(**kwargs) -> User:
    return _with_role(UserFactory(is_staff=True, **kwargs), Role.ADMIN)


class MonthlyReviewFactory(factory.django.DjangoModelFactory):
    """A month at the ExCo, not signed yet."""

    class Meta:
        model = sb.MonthlyReview

    month = factory.Sequence(_month)


class DataVersionFactory(factory.django.DjangoModelFactory):
    """A month's version row, as versions.bump makes it (tests bump through the services)."""

    class Meta:
        model = sb.DataVersion

    scope = factory.Sequence(lambda n: f"{2001 + n // 12}-{n % 12 + 1:02d}")
    version = 1
    changed_at = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


class MonthlyPackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sb.MonthlyPack

    month = factory.Sequence(_month)
    pdf = b"%PDF-1.7\n%%EOF\n"
    sha256 = factory.LazyAttribute(lambda p: hashlib.sha256(p.pdf).hexdigest())
    rendered_at = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


class RestatementFactory(factory.django.DjangoModelFactory):
    """The restatement that opened revision 2 of a signed month, awaiting both signatures."""

    class Meta:
        model = sb.Restatement

    revision = factory.SubFactory(MonthlyReviewFactory, revision=2)
    applied_by = factory.LazyFunction(lambda: executive(title="CIO"))
    applied_at = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    reason = "The claims warehouse re-sent the month after an outage."


class RestatedFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sb.RestatedFigure

    restatement = factory.SubFactory(RestatementFactory)
    kpi = factory.SubFactory("tests.factories.KPIFactory")
    initiative = None
    signed_value = Decimal("65")
    restated_value = Decimal("80")


class IntegrationTokenFactory(factory.django.DjangoModelFactory):
    """A token whose key is ``key`` (pass one to sign in with it): only its hash is stored,
    as token_issue does."""

    class Meta:
        model = sb.IntegrationToken

    class Params:
        key = factory.Sequence(lambda n: f"test-integration-key-{n:08d}")

    name = "Claims warehouse loader"
    user = factory.SubFactory(UserFactory)
    key_hash = factory.LazyAttribute(lambda t: token_hash(t.key))
    key_prefix = factory.LazyAttribute(lambda t: t.key[:8])


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sb.IdempotencyRecord

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"idempotency-key-{n}")
    request_hash = factory.LazyAttribute(lambda r: hashlib.sha256(r.key.encode()).hexdigest())
    status_code = 201
    response = factory.LazyFunction(lambda: {"stored": 1})


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.Initiative

    code = factory.Sequence(lambda n: f"initiative-{n}")
    name = factory.Sequence(lambda n: f"Initiative {n}")
    business_unit = "Claims"
    process = "Claims intake"
    stage = ini.Stage.PILOT
    sourcing = ini.Sourcing.BUILD
    technology_owner = factory.SubFactory(UserFactory)
    operations_owner = factory.SubFactory(UserFactory)
    technology_owner_description = "Classifies incoming claims documents to route them."
    operations_owner_description = "Routes incoming claims documents to the right handler."
    investment = Decimal("250000")
    expected_annual_benefit = Decimal("400000")
    started_on = date(2025, 1, 6)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    title = "Pilot with the first team"
    due_on = date(2025, 6, 2)


class BacklogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.BacklogItem

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Backlog item {n}")


class WorkflowChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.WorkflowChange

    initiative = factory.SubFactory(InitiativeFactory)
    process_name = factory.SelfAttribute("initiative.process")
    adoption_target_percent = Decimal("60")


class WorkflowStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.WorkflowStep

    workflow_change = factory.SubFactory(WorkflowChangeFactory)
    phase = ini.StepPhase.AFTER
    # Unique within a workflow change's phase, so that several steps can share one.
    order = factory.Sequence(lambda n: n + 1)
    name = "Model sorts incoming claims documents"
    treatment = ini.StepTreatment.NEW


class AffectedRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.AffectedRole

    workflow_change = factory.SubFactory(WorkflowChangeFactory)
    role = factory.Sequence(lambda n: f"Claims handler {n}")
    headcount = 12


class DeploymentBriefFactory(factory.django.DjangoModelFactory):
    """A draft brief: signed by nobody yet."""

    class Meta:
        model = ini.DeploymentBrief

    initiative = factory.SubFactory(InitiativeFactory)
    scope = "Route incoming claims documents."
    investment = Decimal("250000")
    governance = "Per the published matrix."
    timeline = "Pilot in spring, live in summer."


class PrioritisationInputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ini.PrioritisationInput

    initiative = factory.SubFactory(InitiativeFactory)
    management_bandwidth = 3
    process_structure = 3
    data_availability = 3
    risk_profile = 3
    roi_clarity = 3
    monthly_volume = 1000


class ShadowAIToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gov.ShadowAITool

    tool = factory.Sequence(lambda n: f"Writing assistant {n}")
    team = "Customer service"
    use = "Drafting replies to long emails."
    why_it_helps = "Replies go out sooner."
    data_sensitivity = gov.DataSensitivity.INTERNAL
    discovered_on = date(2025, 9, 1)


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.KPI

    code = factory.Sequence(lambda n: f"kpi-{n}")
    name = factory.Sequence(lambda n: f"KPI {n}")
    family = met.Family.COO_OPERATIONS
    unit = met.Unit.PERCENT
    direction = met.Direction.HIGHER_IS_BETTER
    aggregation = met.Aggregation.MEAN
    scope = met.Scope.INITIATIVE
    accountable_executive = factory.SubFactory(UserFactory)
    co_accountable_executive = factory.SubFactory(UserFactory)


class MetricSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.MetricSource
        django_get_or_create = ("name",)

    name = "Manual entry"
    kind = met.SourceKind.MANUAL


def _period_of(kpi, source, observed_at) -> date | None:
    if source.kind not in PEOPLE_KINDS:
        return None
    return period_start(kpi.period, parse_datetime(observed_at) if isinstance(observed_at, str) else observed_at)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.Measurement

    kpi = factory.SubFactory(KPIFactory)
    source = factory.SubFactory(MetricSourceFactory)
    observed_at = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    value = Decimal("50")
    entered_via = "form"
    # A value people entered stands for its KPI's period, as the intake stores it; a pulled one has none.
    period_start = factory.LazyAttribute(lambda m: _period_of(m.kpi, m.source, m.observed_at))


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.Target

    kpi = factory.SubFactory(KPIFactory)
    effective_from = date(2025, 1, 1)
    target = Decimal("80")
    red_threshold = Decimal("60")


class HttpJsonSourceFactory(MetricSourceFactory):
    """A pulled source: an HTTP JSON endpoint (not reached unless a test pulls it)."""

    name = factory.Sequence(lambda n: f"HTTP JSON source {n}")
    kind = met.SourceKind.HTTP_JSON
    url = "https://metrics.example.com/api/summary"


class SourceMappingFactory(factory.django.DjangoModelFactory):
    """What an HTTP JSON source reads for a KPI."""

    class Meta:
        model = met.SourceMapping

    source = factory.SubFactory(HttpJsonSourceFactory)
    kpi = factory.SubFactory(KPIFactory)
    expression = "$.summary.value"


class PullRunFactory(factory.django.DjangoModelFactory):
    """A pull still running (the model's default status)."""

    class Meta:
        model = met.PullRun

    source = factory.SubFactory(HttpJsonSourceFactory)
    started_at = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


class RollUpDueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.RollUpDue

    kpi = factory.SubFactory(KPIFactory)
    month = date(2026, 3, 1)
    requested_at = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


class MonthlySnapshotFactory(factory.django.DjangoModelFactory):
    """A company-wide figure for a month, with no target."""

    class Meta:
        model = met.MonthlySnapshot

    kpi = factory.SubFactory(KPIFactory)
    month = date(2026, 3, 1)
    value = Decimal("50")
    measurement_count = 1
    computed_at = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


class FrozenMonthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.FrozenMonth

    month = factory.Sequence(_month)
    frozen_at = factory.LazyAttribute(
        lambda f: datetime(f.month.year, f.month.month, 1, tzinfo=UTC) + timedelta(days=40)
    )


class AlertDigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.AlertDigest

    recipient = factory.SubFactory(UserFactory)
    day = date(2026, 3, 16)
    sent_at = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
    # A digest is sent only with something to say, in alert_digests_send's shape.
    lines = factory.LazyFunction(
        lambda: [{"key": "off:1:2026-02-01:red", "text": "Cycle time was red in February 2026."}]
    )


class AnnotationFactory(factory.django.DjangoModelFactory):
    """A note by the KPI's accountable executive, as the service allows."""

    class Meta:
        model = met.Annotation

    kpi = factory.SubFactory(KPIFactory)
    month = date(2026, 3, 1)
    text = "Claims volume doubled after the March storms."
    author = factory.SelfAttribute("kpi.accountable_executive")


class CsvImportFactory(factory.django.DjangoModelFactory):
    """An uploaded file waiting to be checked."""

    class Meta:
        model = met.CsvImport

    initiative = factory.SubFactory(InitiativeFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    file_name = "measurements.csv"
    content = "kpi,date,value,note\n"
    sha256 = factory.LazyAttribute(lambda c: hashlib.sha256(c.content.encode()).hexdigest())


class MatrixVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gov.MatrixVersion

    number = factory.Sequence(lambda n: n + 1)
    created_by = factory.SubFactory(UserFactory)


class MatrixDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gov.MatrixDecision

    version = factory.SubFactory(MatrixVersionFactory)
    key = factory.Sequence(lambda n: f"decision-{n}")
    process = "Claims"
    decision = "Approve a low-value claim"
    autonomy_tier = gov.AutonomyTier.HUMAN_APPROVES
    confidence_threshold = Decimal("0.85")
    escalation_owner = "Claims team lead"
    accountable_executive = gov.AccountableExecutive.COO
    override_protocol = "Team lead reverses the decision in the claims system and logs why."
    audit_trail = gov.AuditTrail.FULL


class SharedZoneDecisionFactory(factory.django.DjangoModelFactory):
    """A shared-zone question before either executive has given input."""

    class Meta:
        model = gov.SharedZoneDecision

    topic = gov.SharedZoneTopic.INVESTMENT_LEVEL
    title = factory.Sequence(lambda n: f"Shared-zone decision {n}")


class GovernanceGateFactory(factory.django.DjangoModelFactory):
    """A gate not done yet."""

    class Meta:
        model = gov.GovernanceGate

    initiative = factory.SubFactory(InitiativeFactory)
    kind = gov.GateKind.TESTING


class DecisionRequestFactory(factory.django.DjangoModelFactory):
    """An open request, due 24 hours after it was asked."""

    class Meta:
        model = gov.DecisionRequest

    question = "May the pilot extend to the fleet book?"
    requested_by = factory.SubFactory(UserFactory)
    executive = factory.SubFactory(UserFactory)
    requested_at = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
    due_at = factory.LazyAttribute(lambda r: r.requested_at + timedelta(hours=24))


class DecisionDigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gov.DecisionDigest

    class Params:
        # A digest lists at least one overdue request asked of its recipient.
        overdue = factory.SubFactory(DecisionRequestFactory, executive=factory.SelfAttribute("..recipient"))

    recipient = factory.SubFactory(UserFactory)
    day = date(2026, 3, 17)  # the day after the request fell due
    sent_at = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)
    request_ids = factory.LazyAttribute(lambda d: [d.overdue.pk])


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = gov.Risk

    title = factory.Sequence(lambda n: f"Risk {n}")
    category = gov.RiskCategory.PRIVACY
    preventive_measures = "Personal data is masked before it leaves our network."
    responsive_measures = "Tell the data protection officer within 24 hours."
    technology_owner = factory.SubFactory(UserFactory)
    operations_owner = factory.SubFactory(UserFactory)
    likelihood = 2
    impact = 4


def clear_the_way_to_production(initiative: ini.Initiative, *, sponsor: User, coo: User, admin: User) -> None:
    """Everything the stage gates ask before production: a workflow change, a deployment brief
    signed by the sponsor and the COO, and testing, monitoring and fallback recorded done."""
    now = datetime.now(UTC)
    initiative.sponsor = sponsor
    initiative.save(update_fields=["sponsor"])
    ini.WorkflowChange.objects.get_or_create(
        initiative=initiative, defaults={"process_name": initiative.process, "adoption_target_percent": 60}
    )
    ini.DeploymentBrief.objects.update_or_create(
        initiative=initiative,
        defaults={
            "scope": "Route incoming claims documents.",
            "investment": Decimal("250000"),
            "governance": "Per the published matrix.",
            "timeline": "Pilot in spring, live in summer.",
            "revised_at": now,
            "sponsor_signed_by": sponsor,
            "sponsor_signed_at": now,
            "coo_signed_by": coo,
            "coo_signed_at": now,
        },
    )
    for kind in gov.GateKind.values:
        gov.GovernanceGate.objects.update_or_create(
            initiative=initiative, kind=kind, defaults={"done_by": admin, "done_at": now}
        )


class ExcoScheduleFactory(factory.django.DjangoModelFactory):
    """The ExCo meets on the second Tuesday; its pre-read goes three working days before, at 07:00."""

    class Meta:
        model = sb.ExcoSchedule
        django_get_or_create = ("id",)

    id = 1  # the one schedule
    week = sb.MeetingWeek.SECOND
    weekday = sb.Weekday.TUESDAY
    preread_working_days = 3
    send_hour = 7
    updated_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class PreReadSubscriptionFactory(factory.django.DjangoModelFactory):
    """An executive who wants the pre-read as plain text."""

    class Meta:
        model = sb.PreReadSubscription

    member = factory.LazyFunction(lambda: executive(title="CEO"))
    enabled = True
    format = sb.PreReadFormat.TEXT
    updated_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class PreReadFactory(factory.django.DjangoModelFactory):
    """A month's pre-read as prepared: a pack and a summary with nothing to say."""

    class Meta:
        model = sb.PreRead

    month = factory.Sequence(_month)
    meeting_on = factory.LazyAttribute(lambda p: date(p.month.year + p.month.month // 12, p.month.month % 12 + 1, 10))
    pdf = b"%PDF-1.7\n%%EOF\n"
    sha256 = factory.LazyAttribute(lambda p: hashlib.sha256(p.pdf).hexdigest())
    summary = factory.LazyFunction(lambda: {"sections": [], "changes": [], "statuses": {}, "raised": []})
    prepared_at = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


class PreReadDeliveryFactory(factory.django.DjangoModelFactory):
    """A member's pre-read, owed now."""

    class Meta:
        model = sb.PreReadDelivery

    preread = factory.SubFactory(PreReadFactory)
    recipient = factory.LazyFunction(lambda: executive(title="CIO"))
    address = factory.LazyAttribute(lambda d: d.recipient.email)
    format = sb.PreReadFormat.HTML
    next_attempt_at = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    created_at = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


class ChatDestinationFactory(factory.django.DjangoModelFactory):
    """A Slack channel hearing about every event, its URL in a variable that is not set."""

    class Meta:
        model = sb.ChatDestination

    name = factory.Sequence(lambda n: f"Channel {n}")
    kind = sb.ChatKind.SLACK
    url_env = factory.Sequence(lambda n: f"SCOREBOARD_CHAT_CHANNEL_{n}")
    events = factory.LazyFunction(lambda: list(sb.ChatEvent.values))


class ChatNotificationFactory(factory.django.DjangoModelFactory):
    """An event owed to a channel, due now."""

    class Meta:
        model = sb.ChatNotification

    destination = factory.SubFactory(ChatDestinationFactory)
    event = sb.ChatEvent.MONTH_READY
    event_key = factory.Sequence(lambda n: f"month-ready:event-{n}")
    text = "February 2026 is ready to sign."
    link = "http://127.0.0.1:8000/exco/2026-02/"
    next_attempt_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    created_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
