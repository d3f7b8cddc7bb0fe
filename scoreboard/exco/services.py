"""The monthly review: the CIO and the COO each sign the month off; the second signature
freezes it. Every path (page, API, admin) signs through here."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from metrics.services.rollup import month_freeze

from .. import formatting
from ..models import MonthlyReview
from ..months import first_of_month, has_ended, month_in_progress, next_month
from ..writes import text_problem

SLOTS = ("cio", "coo")


def review_sign(*, month: date, by, slot: str, comment: str) -> MonthlyReview:
    """Sign the month off in the CIO's or the COO's slot, with a comment. Signing again
    while the month is open updates the comment; once both have signed, the month is
    frozen and nothing in the review changes any more."""
    month = _checked_month(month)
    _check_slot(by, slot)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "A sign-off needs a comment: what you are answering for this month."})
    if problem := text_problem(comment):
        raise ValidationError({"comment": f"This comment {problem}."})
    with transaction.atomic():
        _open_review(month)
        # Locked, so the two executives signing at the same moment both land and freeze once.
        review = MonthlyReview.objects.select_for_update().get(month=month)
        if review.is_frozen:
            raise ValidationError({"month": f"{month:%B %Y} is frozen: both executives have signed it off."})
        now = timezone.now()
        already = getattr(review, f"{slot}_signed_by_id") == by.pk
        if already and getattr(review, f"{slot}_comment") == comment:
            return review  # a retried sign-off changes nothing
        setattr(review, f"{slot}_signed_by", by)
        setattr(review, f"{slot}_comment", comment)
        if not already:
            setattr(review, f"{slot}_signed_at", now)
        reason = f"{slot.upper()} {'changed the sign-off comment' if already else 'signed off'}"
        if review.cio_signed_at and review.coo_signed_at:
            review.frozen_at = now
            month_freeze(month=month)
            reason += "; both have signed: the month is frozen"
        review._change_reason = reason
        review.save()
    return review


def review_unsign(*, month: date, by, slot: str) -> MonthlyReview:
    """Withdraw a sign-off while the month is still open (the other has not signed yet), even
    one given to a month under way before such months were closed to signing."""
    month = first_of_month(month)
    _check_slot(by, slot)
    with transaction.atomic():
        review = MonthlyReview.objects.select_for_update().filter(month=month).first()
        if review is None or getattr(review, f"{slot}_signed_at") is None:
            return review or MonthlyReview(month=month)  # nothing to withdraw: a retry is a no-op
        if review.is_frozen:
            raise ValidationError({"month": f"{month:%B %Y} is frozen: a sign-off can no longer be withdrawn."})
        setattr(review, f"{slot}_signed_by", None)
        setattr(review, f"{slot}_signed_at", None)
        setattr(review, f"{slot}_comment", "")
        review._change_reason = f"{slot.upper()} withdrew the sign-off"
        review.save()
    return review


def _open_review(month: date) -> None:
    if MonthlyReview.objects.filter(month=month).exists():
        return
    opened = MonthlyReview(month=month)
    opened._change_reason = "Review opened"
    try:
        with transaction.atomic():
            opened.save()
    except IntegrityError:
        pass  # the other executive opened it at the same moment


def _check_slot(user, slot: str) -> None:
    if slot not in SLOTS:
        raise ValidationError({"slot": f"No sign-off slot {slot!r}: it is 'cio' or 'coo'."})
    if not user.has_perm(f"scoreboard.sign_off_as_{slot}"):
        raise PermissionDenied(f"Only the {slot.upper()} signs the {slot.upper()} slot.")


def _checked_month(month: date) -> date:
    month = first_of_month(month)
    if not has_ended(month):
        raise ValidationError({"month": sign_off_opens(month)})
    return month


def sign_off_opens(month: date) -> str:
    """Why a month that has not ended cannot be signed yet, and when it can: signing freezes
    the figures, and a month under way has only some of them."""
    opens = formatting.day(next_month(month))
    if month == month_in_progress():
        return f"{month:%B %Y} is still in progress: it can be signed off from {opens}, once it has ended."
    return f"{month:%B %Y} has not started: it can be signed off from {opens}, once it has ended."
