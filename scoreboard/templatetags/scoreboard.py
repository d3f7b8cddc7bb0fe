"""Formatting the ExCo reads: a figure in its KPI's unit, a status in words and shape."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()

_STATUS_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No target", "missing": "No figure yet"}


@register.filter
def figure(value, kpi):
    """A value in its KPI's unit: 64.2 %, €1,234, 0.084, 36.5 hours."""
    if value is None or value == "":
        return "–"
    value = Decimal(value)
    unit = kpi.unit
    if unit == "percent":
        return f"{value:,.1f} %"
    if unit == "currency":
        return f"€{value:,.0f}" if abs(value) >= 100 else f"€{value:,.2f}"
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "count":
        return f"{value:,.0f}"
    text = f"{value:,.1f}"
    return f"{text} {kpi.get_unit_display()}" if unit in ("days", "hours", "minutes") else text


@register.filter
def change(value, kpi):
    """A month-on-month change with its sign, in the KPI's unit."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{figure(abs(value), kpi)}"


@register.simple_tag
def rag(status):
    """The status as a word and a shape, coloured too: never colour alone."""
    status = status or "none"
    shape = "none" if status == "missing" else status
    return format_html('<span class="rag rag-{}">{}</span>', shape, _STATUS_WORDS.get(status, status))
