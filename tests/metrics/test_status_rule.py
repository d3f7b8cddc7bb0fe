"""One rule colours every figure (metrics.services.status): green when it meets its target, amber
when it misses it, red past the red threshold, reversed for lower-is-better. The roll-up stores
that status with each snapshot, in SQL on PostgreSQL and in Python on SQLite, and the two agree."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from metrics.models import MonthlySnapshot
from metrics.services import rollup
from metrics.services.rollup import rag_status, snapshot_roll_up
from tests import factories
from tests.hostile import budget

D = Decimal
MARCH = date(2026, 3, 1)


# --- The three figures the demo showed green (issue 16) ----------------------------------------------------


def test_an_automated_processing_rate_of_65_against_a_70_target_is_amber_not_green():
    assert rag_status(value=D("65"), target=D("70"), red_threshold=D("55"), direction="higher") == "amber"


def test_an_error_rate_of_2_3_against_a_2_0_target_is_amber_not_green():
    assert rag_status(value=D("2.3"), target=D("2.0"), red_threshold=D("4.5"), direction="lower") == "amber"


def test_a_cycle_time_of_103_8_hours_against_82_8_is_amber_not_green():
    assert rag_status(value=D("103.8"), target=D("82.8"), red_threshold=D("180"), direction="lower") == "amber"


# --- The rule's edges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "target", "red"), [("higher", D("70"), D("50")), ("lower", D("2.0"), D("3.0"))])
def test_a_figure_exactly_at_its_target_is_green(direction, target, red):
    assert rag_status(value=target, target=target, red_threshold=red, direction=direction) == "green"


@pytest.mark.parametrize(
    ("direction", "value"), [("higher", D("49.99")), ("lower", D("3.01"))], ids=["higher", "lower"]
)
def test_a_figure_past_the_red_threshold_is_red(direction, value):
    target, red = (D("70"), D("50")) if direction == "higher" else (D("2.0"), D("3.0"))
    assert rag_status(value=value, target=target, red_threshold=red, direction=direction) == "red"


@pytest.mark.parametrize(("direction", "target", "red"), [("higher", D("70"), D("50")), ("lower", D("2.0"), D("3.0"))])
def test_a_figure_exactly_at_the_red_threshold_is_amber_not_yet_red(direction, target, red):
    assert rag_status(value=red, target=target, red_threshold=red, direction=direction) == "amber"


def test_lower_is_better_reverses_the_rule():
    judged = {
        value: rag_status(value=D(value), target=D("2.0"), red_threshold=D("3.0"), direction="lower")
        for value in ("1.2", "2.5", "3.5")
    }
    assert judged == {"1.2": "green", "2.5": "amber", "3.5": "red"}


def test_higher_is_better_below_its_target_is_amber_and_above_it_green():
    judged = {
        value: rag_status(value=D(value), target=D("70"), red_threshold=D("50"), direction="higher")
        for value in ("80", "60", "40")
    }
    assert judged == {"80": "green", "60": "amber", "40": "red"}


def test_no_figure_or_no_target_has_no_status():
    assert rag_status(value=None, target=D("70"), red_threshold=D("50"), direction="higher") == "none"
    assert rag_status(value=D("90"), target=None, red_threshold=None, direction="higher") == "none"


# --- What the roll-up stores ------------------------------------------------------------------------------


def _company_kpi(cio, coo, direction):
    # "last": the month's figure is the measurement itself, so no division rounds it near a line.
    people = {"accountable_executive": cio, "co_accountable_executive": coo}
    return factories.KPIFactory(direction=direction, aggregation="last", scope="company", **people)


@pytest.fixture(params=["sql", "python"])
def roll_up_engine(request, monkeypatch):
    monkeypatch.setattr("metrics.services.rollup.ROLL_UP_IN_SQL", request.param == "sql")
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("direction", "value", "target", "red", "status"),
    [
        ("higher", "65", "70", "55", "amber"),  # automated processing 65 % against 70 %
        ("lower", "2.3", "2.0", "4.5", "amber"),  # error rate 2.3 % against 2.0 %
        ("lower", "103.8", "82.8", "180", "amber"),  # cycle time 103.8 h against 82.8 h
        ("higher", "70", "70", "55", "green"),
        ("lower", "4.6", "2.0", "4.5", "red"),
    ],
)
def test_the_stored_snapshot_carries_the_status_of_the_rule(
    roll_up_engine, cio, coo, direction, value, target, red, status
):
    kpi = factories.KPIFactory(
        direction=direction,
        aggregation="last",
        scope="company",
        accountable_executive=cio,
        co_accountable_executive=coo,
    )
    factories.TargetFactory(kpi=kpi, target=D(target), red_threshold=D(red))
    factories.MeasurementFactory(kpi=kpi, value=D(value))
    snapshot_roll_up(months=[MARCH])
    stored = MonthlySnapshot.objects.get(kpi=kpi, initiative=None, month=MARCH)
    assert (stored.target, stored.red_threshold, stored.status) == (D(target), D(red), status)


# --- The SQL roll-up and the Python rule agree ----------------------------------------------------------------

_FOUR_PLACES = st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False, allow_infinity=False)
_NUDGE = st.sampled_from([D("0"), D("0.000001"), D("-0.000001"), D("0.0001"), D("-0.0001"), D("1"), D("-1")])


@st.composite
def _figures(draw):
    """A direction, a target, a red threshold (either side of it: the rule must agree even where a
    target's own rule would refuse one) and a figure, often at or a hair from either line."""
    direction = draw(st.sampled_from(["higher", "lower"]))
    target, red = draw(_FOUR_PLACES), draw(_FOUR_PLACES)
    near = draw(st.sampled_from([target, red]))
    value = draw(st.one_of(st.just(near), _NUDGE.map(lambda nudge: near + nudge), _FOUR_PLACES))
    return direction, value.quantize(D("0.000001")), target, red


@pytest.mark.django_db
@budget(30)
@given(cases=st.lists(_figures(), min_size=1, max_size=12))
def test_the_sql_roll_up_colours_every_figure_as_the_python_rule_does(cio, coo, cases, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("The set-based roll-up runs on PostgreSQL only.")
    monkeypatch.setattr(rollup, "ROLL_UP_IN_SQL", True)
    kpis = []
    for direction, value, target, red in cases:
        kpi = _company_kpi(cio, coo, direction)
        factories.TargetFactory(kpi=kpi, target=target, red_threshold=red)
        factories.MeasurementFactory(kpi=kpi, value=value, observed_at=datetime(2026, 3, 10, tzinfo=UTC))
        kpis.append(kpi)
    snapshot_roll_up(months=[MARCH], kpi_ids=[k.pk for k in kpis])
    stored = dict(
        MonthlySnapshot.objects.filter(kpi__in=kpis, initiative=None, month=MARCH).values_list("kpi_id", "status")
    )
    expected = {
        kpi.pk: rag_status(value=value, target=target, red_threshold=red, direction=direction)
        for kpi, (direction, value, target, red) in zip(kpis, cases, strict=True)
    }
    assert stored == expected
