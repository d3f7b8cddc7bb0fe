"""A decision outside its bound never sits beside a green figure of the same KPI, month and scope
(governance/services/bounds.py): a bound is never stricter than a target that can colour a figure it
reads, nor on the side where the figure does better. Refused both ways (the draft's decision, the
target, the KPI's direction), and the live bounds show the figure's own status, which the rule keeps
from being green."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from governance import selectors
from governance.services import matrix as services
from governance.services.bounds import agrees
from metrics.models import Target
from metrics.services.kpis import kpi_save, target_save
from metrics.services.rollup import rag_status, snapshot_roll_up
from tests import factories
from tests.db_rows import rows
from tests.governance.matrix_helpers import MARCH, monitored, published
from tests.hostile import budget

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def error_rate(cio, coo, initiative_a, initiative_b):
    """A lower-is-better KPI with a company-wide target of 2.0 % (red above 4.5 %) from January 2026."""
    kpi = factories.KPIFactory(
        code="error-rate", name="Error rate", direction="lower", accountable_executive=cio, co_accountable_executive=coo
    )
    kpi.initiatives.add(initiative_a, initiative_b)
    factories.TargetFactory(kpi=kpi, effective_from=date(2026, 1, 1), target=D("2.0"), red_threshold=D("4.5"))
    return kpi


def _watch(by, version, kpi, *, threshold, when="above", key="watched", **fields):
    data = {
        "key": key,
        "process": "Customer correspondence",
        "decision": "Send a claim status update without review",
        "autonomy_tier": "ai_autonomous",
        "escalation_owner": "Team leader",
        "accountable_executive": "COO",
        "override_protocol": "A team leader stops automatic sending.",
        "audit_trail": "full",
        "monitoring_kpi": kpi,
        "breach_threshold": D(threshold),
        "breach_when": when,
        **fields,
    }
    return services.matrix_decision_save(by=by, version=version, data=data)


# --- The draft's decision ------------------------------------------------------------------------------------


def test_a_bound_stricter_than_the_target_is_refused_on_its_threshold_and_nothing_is_stored(
    admin_user, draft, error_rate
):
    before = rows()
    with pytest.raises(ValidationError) as refused:
        _watch(admin_user, draft, error_rate, threshold="1.5")
    message = refused.value.message_dict["breach_threshold"][0]
    assert "A breach above 1.5 % is stricter than Error rate's target ≤ 2.0 % (company-wide, from January 2026)" in (
        message
    )
    assert "Set the threshold at or above 2.0 %" in message
    assert rows() == before


def test_a_bound_at_the_target_or_beyond_it_is_accepted(admin_user, draft, error_rate):
    _watch(admin_user, draft, error_rate, threshold="2.0", key="at-target")
    _watch(admin_user, draft, error_rate, threshold="3.0", key="beyond")
    assert draft.decisions.filter(monitoring_kpi=error_rate).count() == 2


def test_a_bound_on_the_side_where_the_figure_does_better_is_refused_on_its_direction(admin_user, draft, error_rate):
    with pytest.raises(ValidationError) as refused:
        _watch(admin_user, draft, error_rate, threshold="3.0", when="below")
    assert (
        "Error rate is better lower: a figure below its target meets it and is green"
        in (refused.value.message_dict["breach_when"][0])
    )


def test_a_bound_on_a_kpi_without_a_target_is_accepted_its_figures_are_never_green(admin_user, draft, kpi):
    _watch(admin_user, draft, kpi, threshold="99", when="above")
    assert draft.decisions.filter(monitoring_kpi=kpi).exists()


def test_a_decision_on_an_initiative_is_held_to_its_own_target_as_well(admin_user, draft, error_rate, initiative_a):
    factories.TargetFactory(
        kpi=error_rate, initiative=initiative_a, effective_from=date(2026, 1, 1), target=D("3.0"), red_threshold=D("5")
    )
    with pytest.raises(ValidationError) as refused:
        _watch(admin_user, draft, error_rate, threshold="2.5", initiative=initiative_a)
    assert (
        f"target ≤ 3.0 % (for {initiative_a.name}, from January 2026)"
        in (refused.value.message_dict["breach_threshold"][0])
    )


def test_a_decision_on_the_process_as_a_whole_is_not_held_to_an_initiatives_target(
    admin_user, draft, error_rate, initiative_a
):
    factories.TargetFactory(
        kpi=error_rate, initiative=initiative_a, effective_from=date(2026, 1, 1), target=D("3.0"), red_threshold=D("5")
    )
    _watch(admin_user, draft, error_rate, threshold="2.5")  # reads the company-wide figure only
    assert draft.decisions.filter(monitoring_kpi=error_rate).exists()


# --- The target and the KPI's direction ---------------------------------------------------------------------


def test_a_target_looser_than_a_bound_in_force_is_refused_on_the_target_and_nothing_is_stored(
    admin_user, v1, error_rate
):
    monitored(v1, error_rate, key="complaint-tag", threshold="2.0", when="above", decision="Mark a complaint")
    before = rows()
    with pytest.raises(ValidationError) as refused:
        target_save(
            by=admin_user,
            data={"kpi": error_rate, "effective_from": date(2026, 4, 1), "target": D("2.5"), "red_threshold": D("5")},
        )
    message = refused.value.message_dict["target"][0]
    assert "Matrix v1's decision “Mark a complaint” is outside its bounds above 2.0 %: a target ≤ 2.5 %" in message
    assert "publish a matrix version with another bound" in message
    assert rows() == before


def test_a_target_looser_than_a_draft_bound_is_refused_until_the_draft_changes(admin_user, draft, error_rate):
    _watch(admin_user, draft, error_rate, threshold="2.0")
    target = Target.objects.get(kpi=error_rate)
    with pytest.raises(ValidationError) as refused:
        target_save(by=admin_user, target=target, data={"target": D("2.2")})
    assert "Change the bound in the draft v2 first" in refused.value.message_dict["target"][0]


def test_a_target_from_after_a_version_was_replaced_is_not_held_to_its_bound(admin_user, coo, v1, error_rate):
    monitored(v1, error_rate, key="complaint-tag", threshold="2.0", when="above")
    v2 = published(admin_user, coo, number=2, effective_from=date(2026, 6, 1))
    monitored(v2, error_rate, key="complaint-tag", threshold="3.0", when="above")

    target_save(
        by=admin_user,
        data={"kpi": error_rate, "effective_from": date(2026, 6, 1), "target": D("2.8"), "red_threshold": D("5")},
    )
    with pytest.raises(ValidationError):  # v1 reads May's figures: a looser target from May contradicts it
        target_save(
            by=admin_user,
            data={"kpi": error_rate, "effective_from": date(2026, 5, 1), "target": D("2.8"), "red_threshold": D("5")},
        )


def test_turning_a_watched_kpi_round_is_refused_on_its_direction(admin_user, v1, error_rate):
    monitored(v1, error_rate, threshold="4.5", when="above")
    Target.objects.filter(kpi=error_rate).update(red_threshold=D("2.0"))  # valid both ways round
    with pytest.raises(ValidationError) as refused:
        kpi_save(by=admin_user, kpi=error_rate, data={"direction": "higher"})
    assert "is outside its bounds above 4.5 %" in refused.value.message_dict["direction"][0]
    error_rate.refresh_from_db()
    assert error_rate.direction == "lower"


def test_turning_a_kpi_round_is_refused_while_its_targets_red_thresholds_are_set_for_the_old_direction(
    admin_user, error_rate
):
    with pytest.raises(ValidationError) as refused:
        kpi_save(by=admin_user, kpi=error_rate, data={"direction": "higher"})
    assert "has its red threshold on the other side" in refused.value.message_dict["direction"][0]


# --- The guarantee -----------------------------------------------------------------------------------------

_AMOUNT = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@budget(300)
@given(
    direction=st.sampled_from(["higher", "lower"]),
    target=_AMOUNT,
    red=_AMOUNT,
    threshold=_AMOUNT,
    when=st.sampled_from(["above", "below"]),
    value=_AMOUNT,
)
def test_a_figure_outside_a_bound_the_rule_accepts_is_never_green(direction, target, red, threshold, when, value):
    if not agrees(direction=direction, breach_when=when, threshold=threshold, target=target):
        return  # refused by the services: never stored
    outside = value > threshold if when == "above" else value < threshold
    if outside:
        assert rag_status(value=value, target=target, red_threshold=red, direction=direction) != "green"


def test_the_live_bound_shows_the_figures_status_and_it_is_not_green(client, cio, v1, error_rate):
    d = monitored(v1, error_rate, key="complaint-tag", threshold="2.0", when="above", decision="Mark a complaint")
    factories.MeasurementFactory(kpi=error_rate, value=D("2.3"), observed_at=datetime(2026, 3, 10, tzinfo=UTC))
    snapshot_roll_up(months=[MARCH])

    (bound,) = selectors.decisions_outside_bounds(month=MARCH)
    assert (bound.decision.pk, bound.value, bound.status) == (d.pk, D("2.3"), "amber")

    client.force_login(cio)
    exco = client.get(reverse("exco-month", args=[MARCH])).content.decode()
    listed = exco[exco.index('id="outside-complaint-tag"') :]
    assert '2.3 % <span class="rag rag-amber">Amber</span>' in listed[: listed.index("</li>")]
    tile = exco[exco.index(f'id="kpi-{error_rate.code}"') :]
    assert 'rag-amber">Amber' in tile[: tile.index("</article>")]
    matrix = client.get(reverse("governance:matrix")).content.decode()
    row = matrix[matrix.index(f'id="decision-{d.pk}"') :]
    assert 'Latest: 2.3 % <span class="rag rag-amber">Amber</span>' in row[: row.index("</tr>")]


def test_a_replaced_versions_page_reads_the_figures_of_its_own_months(client, cio, admin_user, coo, v1, error_rate):
    d = monitored(v1, error_rate, key="complaint-tag", threshold="2.0", when="above")
    published(admin_user, coo, number=2, effective_from=date(2026, 4, 1))
    for month, value in ((3, "2.3"), (4, "1.5")):
        factories.MeasurementFactory(kpi=error_rate, value=D(value), observed_at=datetime(2026, month, 10, tzinfo=UTC))
    snapshot_roll_up()

    client.force_login(cio)
    page = client.get(reverse("governance:matrix-version", args=[1])).content.decode()
    row = page[page.index(f'id="decision-{d.pk}"') :]
    assert "Latest: 2.3 %" in row[: row.index("</tr>")]  # March, its last month in force; not April's 1.5
