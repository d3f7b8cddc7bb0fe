"""Annotations: a note on why a KPI moved in a month, shown on its charts."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from scoreboard import versions
from scoreboard.months import first_of_month
from scoreboard.writes import text_problem

from ..models import KPI, Annotation


def annotation_add(*, kpi: KPI, month: date, initiative, text: str, author) -> Annotation:
    """A note on why the KPI moved in a month, shown on its charts. The caller checks the
    author may annotate this KPI (its accountable executives, or an admin)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what moved the figure; an empty note says nothing."})
    if problem := text_problem(text):
        raise ValidationError({"text": f"This note {problem}."})
    if len(text) > 1000:
        raise ValidationError({"text": f"Keep it under 1000 characters (this one has {len(text)})."})
    month = first_of_month(month)
    with transaction.atomic():
        note = Annotation.objects.create(kpi=kpi, month=month, initiative=initiative, text=text, author=author)
        versions.bump(month)  # its chart on this month's page and the eleven after it
    return note
