"""Live bounds: a decision is outside its bounds when the latest figure (the initiative's before the
company's) breaches its threshold, with a suggestion one tier toward human control, shown on the
matrix and the ExCo page, and in the demo company."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance import selectors
from governance.models import AutonomyTier, MatrixVersion
from governance.services import matrix as services
from scoreboard import demo
from tests.governance.matrix_helpers import MARCH, monitored, snapshot

pytestmark = pytest.mark.django_db


# --- Live bounds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "threshold", "value", "outside"),
    [
        ("above", "3", "3.5", True),
        ("above", "3", "3", False),  # at the threshold is within
        ("above", "3", "2.5", False),
        ("below", "70", "65", True),
        ("below", "70", "75", False),
    ],
)
def test_a_decision_is_outside_its_bounds_when_the_latest_figure_breaches_its_threshold(
    v1, kpi, when, threshold, value, outside
):
    d = monitored(v1, kpi, key="watched", threshold=threshold, when=when)
    snapshot(kpi, value)
    found = selectors.decisions_outside_bounds()
    assert [b.decision.pk for b in found] == ([d.pk] if outside else [])


def test_the_latest_figure_counts_not_an_older_breach(v1, kpi):
    monitored(v1, kpi, threshold="3", when="above")
    snapshot(kpi, 9, month=date(2026, 2, 1))
    snapshot(kpi, 1, month=MARCH)
    assert selectors.decisions_outside_bounds() == []
    assert len(selectors.decisions_outside_bounds(month=date(2026, 2, 1))) == 1  # as the ExCo saw February


def test_the_initiatives_own_figure_counts_before_the_company_wide_one(v1, kpi, initiative_a, initiative_b):
    watched_a = monitored(v1, kpi, key="a", initiative=initiative_a, threshold="3", when="above")
    watched_b = monitored(v1, kpi, key="b", initiative=initiative_b, threshold="3", when="above")
    snapshot(kpi, 9)  # company-wide: a breach
    snapshot(kpi, 1, initiative=initiative_a)  # initiative A's own figure: within
    found = {b.decision.pk: b for b in selectors.decisions_outside_bounds()}
    assert set(found) == {watched_b.pk}  # B has no figure of its own: the company-wide one counts
    assert found[watched_b.pk].scope == "company-wide"
    snapshot(kpi, 5, initiative=initiative_a, month=date(2026, 4, 1))
    found = {b.decision.pk: b for b in selectors.decisions_outside_bounds()}
    assert found[watched_a.pk].scope == "initiative"
    assert found[watched_a.pk].value == Decimal(5)


@pytest.mark.parametrize(
    ("tier", "suggested"),
    [
        (AutonomyTier.AI_AUTONOMOUS, AutonomyTier.AI_NOTIFIES),
        (AutonomyTier.AI_NOTIFIES, AutonomyTier.HUMAN_APPROVES),
        (AutonomyTier.HUMAN_APPROVES, AutonomyTier.HUMAN_ONLY),
        (AutonomyTier.HUMAN_ONLY, None),
    ],
)
def test_the_suggestion_is_one_tier_toward_human_control(v1, kpi, tier, suggested):
    monitored(v1, kpi, autonomy_tier=tier)
    snapshot(kpi, 9)
    (bound,) = selectors.decisions_outside_bounds()
    assert bound.suggested_tier == suggested
    if suggested is None:
        assert bound.suggestion.startswith("It is already human only: there is no further tier toward human control.")
    else:
        assert f"to “{suggested.label}”" in bound.suggestion


def test_a_draft_decision_is_not_on_the_exco_page_only_the_version_in_force(client, draft, kpi, cio):
    monitored(draft, kpi, key="draft-only")
    snapshot(kpi, 9)
    assert selectors.decisions_outside_bounds() == []


def test_the_matrix_page_marks_a_decision_outside_its_bounds_with_its_figure_and_suggestion(client, v1, kpi, cio):
    d = monitored(v1, kpi, key="watched", decision="Send a status email", autonomy_tier=AutonomyTier.AI_AUTONOMOUS)
    snapshot(kpi, 4.5)
    client.force_login(cio)
    page = client.get(reverse("governance:matrix")).content.decode()
    row = page[page.index(f'id="decision-{d.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="decision outside"' in row
    assert "Outside its bounds." in row
    assert "Move it one tier toward human control: from “AI executes autonomously” to “AI executes and notifies" in row
    assert "Latest: 4.5" in row
    assert "1 decision outside its bounds" in page


def test_the_exco_page_lists_decisions_outside_their_bounds_with_a_link_to_the_matrix(client, v1, kpi, cio):
    d = monitored(v1, kpi, key="watched", decision="Send a status email", threshold="70", when="below")
    snapshot(kpi, 65)
    client.force_login(cio)
    page = client.get(reverse("exco-month", args=[MARCH])).content.decode()
    section = page[page.index('id="matrix-bounds"') :]
    section = section[: section.index("</section>")]
    assert 'id="outside-watched"' in section
    assert f'href="/governance/matrix/1/#decision-{d.pk}"' in section
    assert "below the" in section
    assert "from “A human approves before execution” to “Human only”" in section
    february = client.get(reverse("exco-month", args=[date(2026, 2, 1)])).content.decode()
    assert 'id="outside-watched"' not in february  # no figure yet in February
    assert "Within bounds" in february


# --- The demo ------------------------------------------------------------------------------------------


def test_the_demo_shows_a_decision_outside_its_bounds_and_a_version_awaiting_approval_to_compare(client):
    demo.build_demo_company(seed=3, initiatives=12, months=13)
    assert selectors.decisions_outside_bounds()
    draft = MatrixVersion.objects.get(status="awaiting")  # asked of the COO, waiting for her answer
    comparison = services.matrix_compare(old=selectors.effective_version(), new=draft)
    assert not comparison.is_same
