"""One formatting for numbers, percentages, money and dates wherever a person reads them
(scoreboard/formatting.py), and plain values wherever a program does (CSV, the API)."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from scoreboard import formatting
from scoreboard.csv_writer import csv_cell

UNITS = ("percent", "ratio", "days", "hours", "minutes", "count", "currency", "score")

# A minus before a zero that has only zeros after it: "−0", "-0.000", "−€0.00", "−0.0 %".
NEGATIVE_ZERO = re.compile(r"[−-]\s*€?0(?:[.,]0+)*(?![0-9]|[.,][0-9])")


def unit(name: str, **more):
    return SimpleNamespace(unit=name, **more)


# --- Numbers ----------------------------------------------------------------------------------------


def test_a_ratio_reads_as_a_percentage_beside_the_kpis_measured_in_percent():
    assert formatting.number(Decimal("0.051"), unit("ratio")) == "5.1 %"
    assert formatting.number(Decimal("5.1"), unit("percent")) == "5.1 %"


def test_the_unit_decides_the_decimals_and_the_word_after_the_figure():
    assert formatting.number(Decimal("39.775286"), unit("hours")) == "39.8 hours"
    assert formatting.number(Decimal("1234567"), unit("count")) == "1,234,567"
    assert formatting.number(Decimal("4.25"), unit("score")) == "4.3"
    assert formatting.number(Decimal("2"), unit("days")) == "2.0 days"


def test_a_kpis_own_decimals_win_over_its_units():
    assert formatting.number(Decimal("0.05123"), unit("ratio", decimals=2)) == "5.12 %"


def test_money_carries_its_currency_and_groups_thousands():
    assert formatting.money(Decimal("140000.00")) == "€140,000"
    assert formatting.money(Decimal("260000")) == "€260,000"
    assert formatting.money(Decimal("1234567.891")) == "€1,234,568"
    assert formatting.money(Decimal("6.4")) == "€6.40"
    assert formatting.money(Decimal("-1200")) == "−€1,200"
    assert formatting.number(Decimal("6.4"), unit("currency")) == "€6.40"


def test_nothing_reads_as_a_dash_never_as_zero():
    for name in UNITS:
        assert formatting.number(None, unit(name)) == "–"
    assert formatting.money(None) == "–"


def test_a_change_that_rounds_to_nothing_is_no_change():
    assert formatting.change(Decimal("-0.0003"), unit("ratio")) == "±0.0 %"
    assert formatting.change(Decimal("-0.04"), unit("percent")) == "±0.0 %"
    assert formatting.change(Decimal("-0.001"), unit("currency")) == "±€0.00"
    assert formatting.change(Decimal("-10"), unit("percent")) == "−10.0 %"
    assert formatting.change(Decimal("0.012"), unit("ratio")) == "+1.2 %"
    assert formatting.change(Decimal("-300"), unit("currency")) == "−€300"


_ANY_FIGURE = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=8
)
_NEAR_ZERO = st.decimals(
    min_value=Decimal("-0.0049"), max_value=Decimal("0.0049"), allow_nan=False, allow_infinity=False, places=8
)


@given(value=st.one_of(_ANY_FIGURE, _NEAR_ZERO), name=st.sampled_from(UNITS))
def test_no_figure_or_change_ever_reads_negative_zero(value, name):
    kpi = unit(name)
    for text in (formatting.number(value, kpi), formatting.change(value, kpi), formatting.money(value)):
        assert not NEGATIVE_ZERO.search(text), (value, name, text)


@given(value=_ANY_FIGURE, name=st.sampled_from(UNITS))
def test_a_figure_is_signed_only_when_what_shows_is_below_zero(value, name):
    text = formatting.number(value, unit(name))
    digits = re.sub(r"[^0-9]", "", text)
    assert ("−" in text) == (value < 0 and digits.strip("0") != "")
    assert "-" not in text  # the minus sign, never a hyphen


@given(value=st.integers(min_value=-(10**15), max_value=10**15))
def test_thousands_are_grouped_by_the_locale(value):
    text = formatting.number(value, unit("count"))
    assert text.lstrip("−").replace(",", "") == str(abs(value))
    assert re.fullmatch(r"−?\d{1,3}(,\d{3})*", text), text


def test_a_charts_axis_reads_in_the_kpis_unit():
    assert formatting.chart_axis(unit("ratio")) == {"tickformat": ",~f", "ticksuffix": " %"}
    assert formatting.chart_axis(unit("percent")) == {"tickformat": ",~f", "ticksuffix": " %"}
    assert formatting.plotted(Decimal("0.051"), unit("ratio")) == 5.1
    assert formatting.chart_axis(unit("currency"))["tickprefix"] == "€"


# --- Dates ------------------------------------------------------------------------------------------


def test_a_day_a_moment_and_a_month_each_have_one_form(settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert formatting.day(date(2026, 12, 5)) == "5 Dec 2026"
    assert formatting.moment(datetime(2026, 12, 5, 13, 5, tzinfo=UTC)) == "5 Dec 2026 14:05"
    assert formatting.month(date(2026, 12, 1)) == "December 2026"


def test_templates_named_formats_say_what_the_functions_say():
    moment = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)
    rendered = Template('{{ d|date:"DATE_FORMAT" }}|{{ m|date:"DATETIME_FORMAT" }}|{{ d|date:"YEAR_MONTH_FORMAT" }}')
    assert rendered.render(Context({"d": date(2026, 12, 5), "m": moment})) == (
        f"{formatting.day(date(2026, 12, 5))}|{formatting.moment(moment)}|{formatting.month(date(2026, 12, 5))}"
    )


# --- What programs read stays plain -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-0.000000"), "0"),
        (-0.0, "0.0"),
        (Decimal("140000.00"), "140000"),
        (Decimal("0.051000"), "0.051"),
        (date(2026, 12, 5), "2026-12-05"),
    ],
)
def test_csv_cells_are_plain_numbers_and_iso_dates_never_negative_zero(value, cell):
    assert csv_cell(value) == cell
