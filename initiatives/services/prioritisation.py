"""The expansion pipeline's prioritisation inputs of an initiative (management bandwidth,
feasibility, ROI clarity, volume): set by admins. Pages: governance/views/registers.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from scoreboard import writes

from ..models import Initiative, PrioritisationInput

PRIORITISATION_LABELS = {
    "management_bandwidth": "Management bandwidth",
    "process_structure": "Process structure",
    "data_availability": "Data availability",
    "risk_profile": "Risk profile",
    "roi_clarity": "ROI clarity",
    "monthly_volume": "Monthly volume",
}
PRIORITISATION_SCORES = tuple(name for name in PRIORITISATION_LABELS if name != "monthly_volume")


def prioritisation_input_save(*, initiative: Initiative, by, data: dict) -> PrioritisationInput:
    """Set or change what ranks an initiative in the expansion pipeline: admins only.

    Each score (PRIORITISATION_SCORES) is a whole number from 1 to 5 and the monthly volume a
    whole number from 0; each refusal names its field, and nothing is stored."""
    writes.unknown_fields(data, PRIORITISATION_LABELS)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        current = PrioritisationInput.objects.filter(initiative=locked).first()
        perm = "initiatives.change_prioritisationinput" if current else "initiatives.add_prioritisationinput"
        writes.refuse_unless(by, perm, current or locked, "Only admins set an initiative's prioritisation inputs.")
        if current is None:
            current, reason = PrioritisationInput(initiative=locked), "Prioritisation inputs set on the pipeline"
        else:
            reason = "Prioritisation inputs changed on the pipeline"
        for name, value in data.items():
            setattr(current, name, value)
        errors: dict[str, list[str]] = {}
        for name in PRIORITISATION_SCORES:
            value = getattr(current, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                writes.add_error(errors, name, f"{PRIORITISATION_LABELS[name]} is scored from 1 to 5.")
        volume = current.monthly_volume
        if not isinstance(volume, int) or isinstance(volume, bool) or volume < 0:
            writes.add_error(errors, "monthly_volume", "Monthly volume is a whole number of cases a month, 0 or more.")
        if errors:
            raise ValidationError(errors)
        writes.save(current, by=by, why=reason)
    return current


def prioritisation_input_delete(*, prioritisation: PrioritisationInput, by) -> None:
    """Remove an initiative's prioritisation inputs (admins): it goes back among the unscored."""
    with transaction.atomic():
        current = PrioritisationInput.objects.select_for_update().get(pk=prioritisation.pk)
        writes.refuse_unless(
            by, "initiatives.delete_prioritisationinput", current, "Only admins remove prioritisation inputs."
        )
        writes.delete(current, by=by, why="Prioritisation inputs removed")
