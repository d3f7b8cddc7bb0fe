"""Governance's events for chat (scoreboard/chat.py): a matrix version awaiting its approver,
recorded by ``matrix_version_submit`` in its own transaction, and decision requests gone past
their due time, found by the periodic detector (time passing is no write). Event keys make
detecting an event again a no-op.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from scoreboard import chat, formatting
from scoreboard.models import ChatEvent

from ..models import DecisionRequest, MatrixVersion
from .decisions import how_long, overdue_requests


def matrix_awaiting(*, version: MatrixVersion, request: DecisionRequest) -> None:
    """A matrix version was submitted: its approver is asked, once per submission."""
    chat.notify(
        event=ChatEvent.MATRIX_AWAITING,
        key=f"matrix-awaiting:{version.pk}:{request.pk}",
        text=(
            f"Decision-authority matrix v{version.number} awaits {request.executive}'s approval, "
            f"effective {formatting.day(version.effective_from)}."
        ),
        path=reverse("governance:decision", args=[request.pk]),
        now=request.requested_at,
    )


def decisions_overdue(*, now: datetime | None = None) -> int:
    """Each unanswered request past its due time is told once (the e-mail digest reminds the
    executive every morning; the channel hears of the breach)."""
    now = now or timezone.now()
    found = 0
    for request in overdue_requests(now=now):
        chat.notify(
            event=ChatEvent.DECISION_OVERDUE,
            key=f"decision-overdue:{request.pk}",
            text=(
                f"A decision asked of {request.executive} is overdue by {how_long(now - request.due_at)}: "
                f"{request.question}"
            )[:600],
            path=reverse("governance:decision", args=[request.pk]),
            now=now,
        )
        found += 1
    return found
