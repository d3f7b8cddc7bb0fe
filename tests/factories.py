"""Test data with factory-boy. Every factory makes a valid object by default."""

from datetime import UTC, date, datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from governance import models as gov
from initiatives import models as ini
from metrics import models as met
from scoreboard.models import Role, User

PASSWORD = "correct-horse-battery"


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


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.Measurement

    kpi = factory.SubFactory(KPIFactory)
    source = factory.SubFactory(MetricSourceFactory)
    observed_at = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    value = Decimal("50")
    entered_via = "form"


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = met.Target

    kpi = factory.SubFactory(KPIFactory)
    effective_from = date(2025, 1, 1)
    target = Decimal("80")
    amber_threshold = Decimal("70")
    red_threshold = Decimal("60")


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
