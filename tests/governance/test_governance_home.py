"""The governance workspace's front page: where each part stands."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from governance.models import DecisionRequest, MatrixVersion, Risk, ShadowAITool, SharedZoneDecision
from initiatives.models import PrioritisationInput, Stage
from tests import factories

pytestmark = pytest.mark.django_db


def _request(asker, executive, *, overdue: bool, answered: bool = False):
    now = timezone.now()
    asked = now - timedelta(hours=30 if overdue else 2)
    return DecisionRequest.objects.create(
        question="Go live in Ghent?",
        requested_by=asker,
        executive=executive,
        requested_at=asked,
        due_at=asked + timedelta(hours=24),
        answered_at=now if answered else None,
        answer="approved" if answered else "",
    )


def _risk(cio, coo, likelihood, impact, status="open"):
    return Risk.objects.create(
        title=f"Risk {likelihood}x{impact} {status}",
        category="cyber",
        preventive_measures="Patch.",
        responsive_measures="Restore.",
        technology_owner=cio,
        operations_owner=coo,
        likelihood=likelihood,
        impact=impact,
        status=status,
    )


def _tool(name, status, sensitivity):
    return ShadowAITool.objects.create(
        tool=name,
        team="Claims",
        use="Drafting",
        why_it_helps="Faster",
        data_sensitivity=sensitivity,
        status=status,
        discovered_on=date(2026, 2, 1),
    )


def _at_idea(initiative):
    initiative.stage = Stage.IDEA
    initiative.save()
    return initiative


def _world(cio, coo, admin_user, ops_lead_a, initiative_a, size: int):
    published = MatrixVersion.objects.create(
        number=1,
        status="published",
        effective_from=date(2026, 1, 1),
        reason="First.",
        created_by=admin_user,
        published_by=admin_user,
        approved_by=coo,
        published_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    for i in range(size):
        factories.MatrixDecisionFactory(version=published, key=f"decision-{i}")
    factories.MatrixVersionFactory(number=2, created_by=admin_user)
    for i in range(size):
        _request(ops_lead_a, coo, overdue=i % 2 == 0)
    _request(ops_lead_a, cio, overdue=True, answered=True)
    _risk(cio, coo, 4, 5)
    _risk(cio, coo, 2, 2)
    _risk(cio, coo, 5, 5, status="closed")
    _tool("ChatGPT", "under_review", "restricted")
    _tool("Copilot", "under_review", "internal")
    _tool("Gemini", "blocked", "restricted")
    SharedZoneDecision.objects.create(topic="timeline", title="Go-live order")
    SharedZoneDecision.objects.create(
        topic="investment_level", title="Budget", joint_decision="EUR 2m", decided_on=date(2026, 3, 1)
    )
    PrioritisationInput.objects.create(
        initiative=_at_idea(initiative_a),
        management_bandwidth=4,
        process_structure=4,
        data_availability=3,
        risk_profile=3,
        roi_clarity=4,
        monthly_volume=1000,
    )


def test_the_front_page_says_where_each_part_stands(client, cio, coo, admin_user, ops_lead_a, initiative_a):
    _world(cio, coo, admin_user, ops_lead_a, initiative_a, size=3)
    factories.InitiativeFactory(stage=Stage.PRODUCTION)  # not a candidate
    factories.InitiativeFactory(stage=Stage.BUILDING)  # nor this
    client.force_login(cio)

    html = client.get("/governance/").content.decode()

    assert "Version 1 in force since 1 Jan 2026: 3 decisions." in html
    assert "Draft version 2 in progress (0 decisions)." in html
    assert "3 decisions waiting on an executive" in html
    assert "2 overdue" in html
    assert "2 open risks" in html
    assert "1 rated 15 or more" in html
    assert "2 tools under review" in html
    assert "1 with restricted data" in html
    assert "1 of 2 decisions awaiting the CEO and COO's joint decision." in html
    assert "1 candidate at Idea or Assessed, 1 scored for priority." in html


def test_with_nothing_published_the_front_page_says_so(client, ops_lead_a):
    client.force_login(ops_lead_a)

    html = client.get("/governance/").content.decode()

    assert "No published version is in force yet." in html


@pytest.mark.parametrize("size", [1, 20])
def test_the_front_page_costs_the_same_queries_whatever_the_size(
    client, cio, coo, admin_user, ops_lead_a, initiative_a, django_assert_max_num_queries, size
):
    _world(cio, coo, admin_user, ops_lead_a, initiative_a, size=size)
    client.force_login(cio)

    # Session, user, their roles, two matrix versions, then one count each for requests, risks,
    # tools, the shared zone and the pipeline.
    with django_assert_max_num_queries(10):
        assert client.get("/governance/").status_code == 200
