"""The monthly review: the CIO and the COO each sign the month off; the second signature
freezes it. Late data in a frozen month is applied as a restatement, which opens the month's
next revision for both to sign again. Every path (page, API, admin) writes through here."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from metrics.models import MonthlySnapshot
from metrics.services.rollup import month_freeze, month_restate

from .. import formatting, versions
from ..models import MonthlyReview, RestatedFigure, Restatement
from ..months import first_of_month, has_ended, month_in_progress, next_month
from ..writes import Conflict, person, save, text_problem, when
from .pack import revision_pack_keep
from .pdf import PdfRenderError

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
        review = _latest(month, lock=True)
        if review.is_frozen:
            raise ValidationError({"month": f"{month:%B %Y} is frozen: both executives have signed it off."})
        now = timezone.now()
        was_half_signed = review.signed_by_one_only
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
            if review.revision == 1:
                month_freeze(month=month)
                reason += "; both have signed: the month is frozen"
            else:
                # The restated figures become the month's, as they were when the restatement was applied.
                figures = review.restatement.figures.values_list("kpi_id", "initiative_id", "restated_value")
                month_restate(month=month, figures=list(figures))
                reason += f"; both have signed revision {review.revision}: its restated figures stand"
        review._change_reason = reason
        review.save()
        _bump(review, was_half_signed)
    return review


def _bump(review: MonthlyReview, was_half_signed: bool) -> None:
    """The month's page shows its signatures; every month's lists the months signed by one
    executive only (scoreboard/versions.py)."""
    versions.bump(review.month, *([None] if review.signed_by_one_only != was_half_signed else []))


def review_unsign(*, month: date, by, slot: str) -> MonthlyReview:
    """Withdraw a sign-off while the month is still open (the other has not signed yet), even
    one given to a month under way before such months were closed to signing."""
    month = first_of_month(month)
    _check_slot(by, slot)
    with transaction.atomic():
        review = _latest(month, lock=True)
        if review is None or getattr(review, f"{slot}_signed_at") is None:
            return review or MonthlyReview(month=month)  # nothing to withdraw: a retry is a no-op
        if review.is_frozen:
            raise ValidationError({"month": f"{month:%B %Y} is frozen: a sign-off can no longer be withdrawn."})
        was_half_signed = review.signed_by_one_only
        setattr(review, f"{slot}_signed_by", None)
        setattr(review, f"{slot}_signed_at", None)
        setattr(review, f"{slot}_comment", "")
        review._change_reason = f"{slot.upper()} withdrew the sign-off"
        review.save()
        _bump(review, was_half_signed)
    return review


def _latest(month: date, *, lock: bool = False) -> MonthlyReview | None:
    """The month's latest revision: the one signatures go to."""
    reviews = MonthlyReview.objects.filter(month=month).order_by("-revision")
    return (reviews.select_for_update() if lock else reviews).first()


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


# --- Restatements ---------------------------------------------------------------------------------------


def restatement_apply(*, month: date, by, reason: str) -> MonthlyReview:
    """Apply the pending restatement of a frozen month: the figures the data now gives, where they
    differ from the signed ones, are recorded with who applied them and why, and open the month's
    next revision. Nothing on the page changes until the CIO and the COO have both signed that
    revision, each with a comment (review_sign); the revision they signed before, and its pack,
    are kept.

    Only the CIO and the COO apply one. Refused when the month is not frozen, when nothing is
    pending, and without a reason. Applying again while the revision awaits its signatures, with
    nothing new pending, returns that revision; later data waits until it is signed (409)."""
    month = first_of_month(month)
    if not by.has_perm("scoreboard.apply_restatement"):
        raise PermissionDenied("Only the CIO or the COO applies a restatement: they are the ones who sign it again.")
    reason = _checked_reason(reason)
    _keep_signed_pack(month)  # before anything is locked: Chromium takes seconds
    with transaction.atomic():
        # Two applies at once make one revision: the second waits for the first's lock, then reads
        # again, since only a new query sees the revision the first one added.
        list(MonthlyReview.objects.select_for_update().filter(month=month).values_list("pk", flat=True))
        reviews = list(MonthlyReview.objects.filter(month=month).order_by("-revision"))
        signed = next((r for r in reviews if r.is_frozen), None)
        if signed is None:
            raise ValidationError(
                {
                    "month": f"{month:%B %Y} is not signed off by both executives yet: its figures still follow "
                    "the data, so there is nothing to restate."
                }
            )
        pending = pending_figures(month)
        latest = reviews[0]
        if latest is not signed:
            return _awaiting_again(latest, pending)
        if not pending:
            raise ValidationError({"month": f"{month:%B %Y} has no pending restatement: its figures are as signed."})
        revision_pack_keep(month, signed.revision)  # kept already, unless a revision was signed meanwhile
        revision = MonthlyReview(month=month, revision=signed.revision + 1)
        save(revision, by=by, why=f"Revision {revision.revision} opened by a restatement: awaiting both signatures")
        restatement = Restatement(revision=revision, applied_by=by, applied_at=timezone.now(), reason=reason)
        save(restatement, by=by, why=f"Applied by {person(by)}")
        RestatedFigure.objects.bulk_create(
            RestatedFigure(
                restatement=restatement,
                kpi_id=kpi_id,
                initiative_id=initiative_id,
                signed_value=signed_value,
                restated_value=value,
            )
            for (kpi_id, initiative_id), (signed_value, value) in pending.items()
        )
    return revision


def pending_figures(month: date) -> dict[tuple[int, int | None], tuple]:
    """(KPI id, initiative id or None) -> (the figure as signed, the figure the data now gives),
    for each figure of a frozen month that late data changed (the roll-up keeps it pending)."""
    rows = MonthlySnapshot.objects.filter(month=month, pending_restatement_value__isnull=False).values_list(
        "kpi_id", "initiative_id", "value", "pending_restatement_value"
    )
    return {(kpi_id, initiative_id): (signed, now) for kpi_id, initiative_id, signed, now in rows}


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A restatement needs a reason: what the late data corrects, and why."})
    if problem := text_problem(reason):
        raise ValidationError({"reason": f"This reason {problem}."})
    try:
        Restatement._meta.get_field("reason").run_validators(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from None
    return reason


def _awaiting_again(awaiting: MonthlyReview, pending: dict) -> MonthlyReview:
    """An apply while a revision awaits its signatures: a retry returns it; later data is refused,
    so that what the two sign is what they were shown."""
    restatement = awaiting.restatement
    captured = {(f.kpi_id, f.initiative_id): f.restated_value for f in restatement.figures.all()}
    if {key: now for key, (_, now) in pending.items()} == captured:
        return awaiting
    raise Conflict(
        {
            "month": f"Revision {awaiting.revision} of {awaiting.month:%B %Y}, applied by "
            f"{person(restatement.applied_by)} on {when(restatement.applied_at)}, awaits both signatures. "
            f"Sign it first; the later data can then be applied as revision {awaiting.revision + 1}."
        }
    )


class PackNotPrinted(Exception):
    """The signed revision's pack could not be printed, so nothing was restated: once the next
    revision is signed, that pack could never be printed again."""


def _keep_signed_pack(month: date) -> None:
    """The pack of the month's latest signed revision, printed now if it never was: once the next
    revision is signed its figures are gone from the snapshots, and its pack must still read as it
    was signed. Nothing to do while a revision awaits (its signed one was kept when it opened)."""
    latest = MonthlyReview.objects.filter(month=month).order_by("-revision").first()
    if latest is None or not latest.is_frozen or not pending_figures(month):
        return  # nothing to restate: the service refuses it in its own words
    try:
        revision_pack_keep(month, latest.revision)
    except PdfRenderError as error:
        raise PackNotPrinted(
            f"Nothing was restated: the pack of {formatting.month(month)} as signed (revision {latest.revision}) "
            f"could not be printed, and it must be kept before its figures change ({error}). Try again, or ask an "
            "admin to check PDF_CHROMIUM_PATH."
        ) from error
