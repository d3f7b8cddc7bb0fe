"""How a person reads a number, a sum of money or a date: one form of each, wherever it shows
(pages, charts, the PDF pack, e-mails, messages).

- A KPI's figure reads by its unit and decimals: its own (``KPI.decimals``, set by admins) or
  else its unit's (``UNIT_DECIMALS``); the unit decides the sign after it. A KPI whose unit is
  a ratio (a share of 1, such as exceptions over cases) reads as a percentage: 0.051 is "5.1 %",
  beside the KPIs measured in % from the start.
- Money is the currency's sign before the amount, with thousands grouped: whole units from 100
  up ("€260,000"), cents below it ("€6.40"). A KPI in currency and a business case read alike.
- A figure is rounded first and signed after, so nothing that rounds to zero reads "−0".
  A negative figure takes the minus sign (−), as a change does.
- A day reads "5 Dec 2026", a moment "5 Dec 2026 14:05" (in the site's time zone), a month
  "December 2026": Django's named formats (settings.FORMAT_MODULE_PATH), so templates' ``|date``
  and this module say the same.

Separators and month names come from Django's localisation (``number_format``, ``date_format``),
never written by hand. Machines get plain values instead: the API sends numbers as exact decimal
strings and dates in ISO 8601, and CSV files write numbers with a point and no grouping
(``scoreboard.csv_writer``), so that what a program reads back is what was stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

NOTHING = "–"  # a figure that is not there: an en dash, never "0" or "None"
MINUS = "−"  # U+2212, the minus sign, the same in a figure and in a change

# Decimals a KPI's figure is rounded to, by its unit (a ratio: decimals of its percentage).
UNIT_DECIMALS = {
    "percent": 1,
    "ratio": 1,
    "days": 1,
    "hours": 1,
    "minutes": 1,
    "count": 0,
    "score": 1,
}
# Units whose name follows the figure in words.
_WORDED_UNITS = {"days": "days", "hours": "hours", "minutes": "minutes"}
CURRENCY_SIGN = "€"
# From this amount up, money reads in whole units: cents matter on a unit cost, not on a budget.
WHOLE_MONEY_FROM = Decimal(100)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def rounded(value, decimals: int) -> Decimal | None:
    """``value`` rounded half away from zero to ``decimals`` places, with no negative zero."""
    number = _decimal(value)
    if number is None:
        return None
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number.copy_abs() if number.is_zero() else number


def plain_number(value, decimals: int) -> str:
    """A number rounded to ``decimals`` places, thousands grouped by the locale, signed with −
    only when what shows is below zero: "1,234.5", "−0.4", "0.0" (never "−0.0")."""
    number = rounded(value, decimals)
    if number is None:
        return NOTHING
    text = _grouped(number.copy_abs(), decimals, get_language())
    return f"{MINUS}{text}" if number < 0 else text


@lru_cache(maxsize=8192)
def _grouped(number: Decimal, decimals: int, language: str | None) -> str:
    # Remembered per language: number_format looks the locale's separators up on every call, and a
    # page writes the same figures and targets many times (the ExCo page, ~1 300 of them at XL).
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def money(amount, currency: str = CURRENCY_SIGN) -> str:
    """An amount with its currency's sign: "€260,000", "€6.40", "−€1,200"."""
    number = _decimal(amount)
    if number is None:
        return NOTHING
    decimals = 0 if abs(number) >= WHOLE_MONEY_FROM else 2
    shown = rounded(number, decimals)
    text = plain_number(shown.copy_abs(), decimals)
    return f"{MINUS}{currency}{text}" if shown < 0 else f"{currency}{text}"


def percent(value, decimals: int = 1) -> str:
    """A percentage given in percent: "64.2 %"."""
    text = plain_number(value, decimals)
    return text if text == NOTHING else f"{text} %"


def share(value, decimals: int = 1) -> str:
    """A share of 1 as a percentage: 0.051 reads "5.1 %"."""
    number = _decimal(value)
    return NOTHING if number is None else percent(number * 100, decimals)


def decimals_of(kpi) -> int:
    """How many decimals a KPI's figure shows: its own ``decimals`` if it has one, else its unit's."""
    own = getattr(kpi, "decimals", None)
    return own if isinstance(own, int) else UNIT_DECIMALS.get(kpi.unit, 1)


def number(value, kpi) -> str:
    """A value in its KPI's unit: "64.2 %", "5.1 %" (a ratio of 0.051), "€1,234", "36.5 hours", "1,204"."""
    if _decimal(value) is None:
        return NOTHING
    unit = kpi.unit
    if unit == "currency":
        return money(value)
    decimals = decimals_of(kpi)
    if unit == "percent":
        return percent(value, decimals)
    if unit == "ratio":
        return share(value, decimals)
    text = plain_number(value, decimals)
    return f"{text} {_WORDED_UNITS[unit]}" if unit in _WORDED_UNITS else text


def change(value, kpi) -> str:
    """A change from one month to the next, signed, in the KPI's unit: "+2.1 %", "−€300",
    "±0.0 %" when it rounds to nothing (so never "−0.0")."""
    delta = _decimal(value)
    if delta is None:
        return NOTHING
    # Rounded as the figure shows it: a change too small to show is no change.
    shown = number(abs(delta), kpi)
    if _rounds_to_zero(delta, kpi):
        return f"±{number(0, kpi)}"
    return f"{'+' if delta > 0 else MINUS}{shown}"


def shows_as_no_change(value, kpi) -> bool:
    """Whether a change reads "±0" in its KPI's unit: too small to call better or worse."""
    delta = _decimal(value)
    return delta is None or _rounds_to_zero(delta, kpi)


def _rounds_to_zero(value: Decimal, kpi) -> bool:
    if kpi.unit == "currency":
        return rounded(value, 0 if abs(value) >= WHOLE_MONEY_FROM else 2).is_zero()
    scaled = value * 100 if kpi.unit == "ratio" else value
    return rounded(scaled, decimals_of(kpi)).is_zero()


def plotted(value, kpi) -> float | None:
    """A value as a KPI's chart draws it: in the unit its figure reads in, so a ratio's share of
    0.051 is drawn at 5.1, on a percentage axis."""
    number = _decimal(value)
    if number is None:
        return None
    return float(number * 100 if kpi.unit == "ratio" else number)


def chart_axis(kpi) -> dict:
    """The y-axis of a KPI's chart, in the KPI's unit (plotly's d3 formats): the ticks read as the
    figures beside them do, "5 %", "€1,200", "36.5": grouped thousands, no trailing zeros (a tick is
    a round number, the hover says the figure)."""
    unit = kpi.unit
    if unit in ("percent", "ratio"):
        return {"tickformat": ",~f", "ticksuffix": " %"}
    if unit == "currency":
        return {"tickformat": ",~f", "tickprefix": CURRENCY_SIGN}
    return {"tickformat": ",~f"}


def chart_text(kpi, months, values, targets) -> dict:
    """What a KPI's chart says where a person reads it: each month's name, figure and target as
    the page writes them (the hover text), and the axis in the KPI's unit."""
    return {
        "axis": chart_axis(kpi),
        "x_text": [month(m) for m in months],
        "y_text": [number(v, kpi) for v in values],
        "target_text": [number(t, kpi) for t in targets],
    }


# --- Dates ------------------------------------------------------------------------------------------


def day(value: date | datetime | None) -> str:
    """A day: "5 Dec 2026". A moment reads as its day in the site's time zone."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATE_FORMAT")


def moment(value: datetime | None) -> str:
    """A moment, in the site's time zone: "5 Dec 2026 14:05"."""
    if value is None:
        return NOTHING
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATETIME_FORMAT")


def month(value: date | None) -> str:
    """A month: "December 2026"."""
    return NOTHING if value is None else _month(value, get_language())


@lru_cache(maxsize=1024)
def _month(value: date, language: str | None) -> str:
    # Remembered per language, as _grouped is: each chart names the same twelve months.
    return date_format(value, "YEAR_MONTH_FORMAT")
