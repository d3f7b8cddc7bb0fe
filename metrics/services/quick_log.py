"""The quick log form of the ops-lead workspace: one value, typed by a person, read in the
KPI's unit, then checked and stored through the same ingestion as every other path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from initiatives.models import Initiative

from ..models import KPI, Measurement, SourceKind
from .ingest import add_rejections, measurements_ingest, people_source, read_rows

# The unit a person may write after (or, for money, before) a number, and what it means.
_UNIT_WORDS = {
    "%": "percent",
    "€": "currency",
    "eur": "currency",
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
}
_TYPED_VALUE = re.compile(r"(?P<pre>€)?\s*(?P<number>[+-]?(\d+(\.\d*)?|\.\d+))\s*(?P<unit>[^\d\s.+-]*)")


def value_in_unit(text: str, kpi: KPI) -> Decimal:
    """A number as a person types it, with or without the KPI's unit ("85", "85 %", "€1200",
    "36.5 h"). A unit that is not the KPI's is refused, naming both: that is the mistake of
    logging the wrong figure, not a typing slip (ValidationError on "value")."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"value": "Enter the value."})
    if "," in text:
        raise ValidationError({"value": f"{text!r}: write decimals with a point and no thousands separator."})
    typed = _TYPED_VALUE.fullmatch(text)
    if typed is None:
        raise ValidationError({"value": f"{text!r} is not a number."})
    unit = typed["unit"].lower()
    if typed["pre"]:
        unit = unit or "€"
    if unit and _UNIT_WORDS.get(unit) != kpi.unit:
        expected = kpi.get_unit_display()
        raise ValidationError({"value": f"{kpi.name} is measured in {expected}, not {typed['unit'] or unit}."})
    return Decimal(typed["number"])


@dataclass(frozen=True)
class Logged:
    kpi: KPI
    observed_at: datetime
    value: Decimal
    previous: Decimal | None  # the value this replaced, if the same KPI and period had one
    stored: bool  # False: the same value was already there, nothing changed


# The form's names for the parts of a measurement.
_FORM_FIELDS = {"observed_at": "period", "initiative": "kpi", "non_field_errors": "__all__"}


def measurement_log(*, user, initiative: Initiative, kpi_code: str, period, value: str, note: str = "") -> Logged:
    """One value logged through the quick form: checked, then stored through the same
    ingestion as every other path. Logging the same KPI and period again replaces the value,
    and the replaced one stays in history. Refusals: PermissionDenied, or ValidationError
    naming the form's field (kpi, period, value, note) and the reason."""
    if not user.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not lead {initiative.name}: only its ops leads and admins log its values.")
    kpi = KPI.objects.filter(code=kpi_code).first()
    if kpi is None:
        raise ValidationError({"kpi": "Choose one of the initiative's KPIs."})
    number = value_in_unit(value, kpi)
    day = period.isoformat() if isinstance(period, date) else str(period or "")
    item = {"kpi": kpi.code, "initiative": initiative.code, "observed_at": day, "value": str(number), "note": note}
    numbered, errors = read_rows([item], plain_dates=True)
    rows = [row for _, row in numbered]
    with transaction.atomic():
        if not errors:
            source = people_source(SourceKind.MANUAL)
            row = rows[0]
            previous = (
                Measurement.objects.filter(
                    kpi=kpi, initiative=initiative, source=source, observed_at=row.observed_at
                ).values_list("value", flat=True)
            ).first()
            result = measurements_ingest(
                rows=rows, source=source, entered_by=user, entered_via="form", all_or_nothing=True
            )
            add_rejections(errors, result.rejected, numbered)
        if errors:
            raise ValidationError({_FORM_FIELDS.get(name, name): reasons for name, reasons in errors["1"].items()})
    return Logged(kpi=kpi, observed_at=row.observed_at, value=number, previous=previous, stored=result.stored > 0)
