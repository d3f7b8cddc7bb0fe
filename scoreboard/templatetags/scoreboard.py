"""Formatting the ExCo reads: a figure in its KPI's unit, a status in words and shape, and a
target with its thresholds in words."""

from django import template
from django.utils.html import format_html

from scoreboard import formatting

register = template.Library()

_STATUS_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No target", "missing": "No figure yet"}


@register.filter
def figure(value, kpi):
    """A value in its KPI's unit: 64.2 %, 5.1 % (a ratio), €1,234, 36.5 hours (scoreboard.formatting)."""
    return formatting.number(value, kpi)


@register.filter
def change(value, kpi):
    """A month-on-month change with its sign, in the KPI's unit; ±0 when it rounds to nothing."""
    return formatting.change(value, kpi)


@register.filter
def money(amount, currency=formatting.CURRENCY_SIGN):
    """An amount of money with its currency's sign: €260,000, €6.40."""
    return formatting.money(amount, currency)


def _is_lower_better(kpi) -> bool:
    # The direction's stored value (metrics.models.Direction): the shared base imports no app.
    return kpi.direction == "lower"


def target_in_words(target, kpi) -> str:
    """A target as the side of it that meets it: "≥ 70.0 %", or "≤ 2.0 %" for lower-is-better."""
    return f"{'≤' if _is_lower_better(kpi) else '≥'} {figure(target, kpi)}"


def thresholds_in_words(target, red_threshold, kpi) -> str:
    """A target and where amber and red begin, in the KPI's unit: "Target ≥ 70.0 % · amber below
    70.0 % · red below 50.0 %" (above, for lower-is-better). The rule of metrics.services.status:
    amber begins at the target. Empty without a target."""
    if target is None or target == "" or red_threshold is None:
        return ""
    side = "above" if _is_lower_better(kpi) else "below"
    return (
        f"Target {target_in_words(target, kpi)} · amber {side} {figure(target, kpi)} · "
        f"red {side} {figure(red_threshold, kpi)}"
    )


@register.filter
def thresholds(figure_with_target, kpi) -> str:
    """``thresholds_in_words`` of anything that carries a ``target`` and a ``red_threshold`` (a
    monthly snapshot): every tile, drill-down and e-mail says them the same way."""
    if figure_with_target is None:
        return ""
    return thresholds_in_words(figure_with_target.target, figure_with_target.red_threshold, kpi)


@register.simple_tag
def rag(status):
    """The status as a word and a shape, coloured too: never colour alone."""
    status = status or "none"
    shape = "none" if status == "missing" else status
    return format_html('<span class="rag rag-{}">{}</span>', shape, _STATUS_WORDS.get(status, status))


@register.filter
def percent(value, decimals=1):
    """A percentage given in percent, in the one form: 64.2 %."""
    return formatting.percent(value, int(decimals))
