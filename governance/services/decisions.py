"""The decision log: decisions asked of an executive, their answers, and the overdue digest."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from ..models import DecisionRequest


def decision_answer(*, decision_request: DecisionRequest, user, answer: str, note: str = "") -> DecisionRequest:
    """Record the asked executive's answer. An answer is final: a second one is refused,
    naming when and how the request was answered. Locked, so two answers sent at the same
    moment cannot both land."""
    with transaction.atomic():
        request = DecisionRequest.objects.select_for_update().get(pk=decision_request.pk)
        if not user.has_perm("governance.answer_decisionrequest", request):
            raise DjangoPermissionDenied("Only the executive asked answers this request.")
        if request.answered_at is not None:
            when = timezone.localtime(request.answered_at)
            raise DjangoValidationError(
                {"answer": f"Already answered ({request.answer}) on {when:%Y-%m-%d %H:%M}: an answer is final."}
            )
        request.answer = answer
        request.note = note.strip()
        request.answered_at = timezone.now()
        request.full_clean()
        request._change_reason = f"Answered: {answer}"
        request.save()
    return request
