"""The monthly reviews: who signed each month, and which months are frozen."""

from metrics.models import FrozenMonth
from scoreboard.models import MonthlyReview

from ..data.reviews import CIO_COMMENTS, COO_COMMENTS
from .context import Context, add_months, bulk


def build_reviews(ctx: Context) -> None:
    """Every month signed by both and frozen, except the previous month (CIO only) and
    the current one (not signed yet)."""
    rng, cio, coo = ctx.rng, ctx.people["cio"], ctx.people["coo"]
    previous = add_months(ctx.this_month, -1)
    reviews = []
    for month in ctx.window:
        review = MonthlyReview(month=month)
        meeting = add_months(month, 1).replace(day=rng.randint(6, 12))
        if month < previous:
            review.cio_signed_by, review.cio_comment = cio, rng.choice(CIO_COMMENTS)
            review.cio_signed_at = ctx.at(meeting, 10, rng.choice((5, 20, 40)))
            review.coo_signed_by, review.coo_comment = coo, rng.choice(COO_COMMENTS)
            review.coo_signed_at = ctx.at(meeting, rng.choice((9, 11, 14)), 15)
            review.frozen_at = max(review.cio_signed_at, review.coo_signed_at)
        elif month == previous:
            signed = min(ctx.at(ctx.this_month.replace(day=6), 10), ctx.now)
            review.cio_signed_by, review.cio_signed_at = cio, signed
            review.cio_comment = rng.choice(CIO_COMMENTS)
        reviews.append(review)
    bulk(reviews, MonthlyReview)
    # The roll-up leaves signed-off months alone from now on.
    FrozenMonth.objects.bulk_create(
        [FrozenMonth(month=r.month, frozen_at=r.frozen_at) for r in reviews if r.frozen_at is not None]
    )
