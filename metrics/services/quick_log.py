"""The quick log form of the ops-lead workspace: one value, typed by a person, read in the
KPI's unit and stored through the one intake, ingest.measurements_record, as every other path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from initiatives.models import Initiative

from ..models import KPI, Measurement, SourceKind
from ..periods import period_start
from .ingest import _start_of_day, measurements_record, people_source


@dataclass(frozen=True)
class Logged:
    kpi: KPI
    observed_at: datetime
    value: Decimal
    previous: Decimal | None  # the value this replaced, if the same KPI, initiative and period had one
    stored: bool  # False: the same value was already there, nothing changed


# The form's names for the parts of a measurement.
_FORM_FIELDS = {"observed_at": "period", "initiative": "kpi", "non_field_errors": "__all__"}


def measurement_log(*, by, initiative: Initiative, kpi_code: str, period, value: str, note: str = "") -> Logged:
    """One value logged through the quick form, through the one intake (ingest.measurements_record)
    as every other path: the value may carry its unit ("85 %"). Logging the same KPI and period
    again (the KPI's period: the same day, week or month) replaces the value, whichever path
    brought it, and the replaced one stays in history. Refusals: PermissionDenied, or
    ValidationError naming the form's field (kpi, period, value, note) and the reason."""
    if not by.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not lead {initiative.name}: only its ops leads and admins log its values.")
    kpi = KPI.objects.filter(code=kpi_code).first()
    if kpi is None:
        raise ValidationError({"kpi": "Choose one of the initiative's KPIs."})
    if not (value or "").strip():
        raise ValidationError({"value": "Enter the value."})
    day = period.isoformat() if isinstance(period, date) else str(period or "")
    item = {"kpi": kpi.code, "initiative": initiative.code, "observed_at": day, "value": value, "note": note}
    with transaction.atomic():
        source = people_source(SourceKind.MANUAL)
        observed_at = _start_of_day(day)
        previous = _stored_for_period(kpi, initiative, observed_at) if observed_at else None
        recorded = measurements_record(
            by=by, items=[item], source=source, entered_via="form", plain_dates=True, all_or_nothing=True
        )
        if recorded.errors:
            errors = recorded.errors["1"]
            raise ValidationError({_FORM_FIELDS.get(name, name): reasons for name, reasons in errors.items()})
    row = recorded.numbered[0][1]
    return Logged(kpi=kpi, observed_at=row.observed_at, value=row.value, previous=previous, stored=recorded.stored > 0)


def _stored_for_period(kpi: KPI, initiative: Initiative, observed_at: datetime) -> Decimal | None:
    """The value stored for the KPI, initiative and period ``observed_at`` falls in, whichever path
    brought it: the one a new value replaces."""
    try:
        stands_for = period_start(kpi.period, observed_at)
    except OverflowError:  # a day at the calendar's edge, which the rules refuse anyway
        return None
    return (
        Measurement.objects.filter(kpi=kpi, initiative=initiative, period_start=stands_for)
        .values_list("value", flat=True)
        .first()
    )
