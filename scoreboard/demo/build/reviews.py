"""The monthly reviews: who signed each month, and which months are frozen; and late data in
the latest frozen month, so that the demo shows a restatement waiting to be applied."""

from datetime import datetime, time
from decimal import Decimal

from django.db.models import F

from metrics.models import FrozenMonth, Measurement
from metrics.services.rollup import snapshot_roll_up
from scoreboard.models import MonthlyReview
from scoreboard.months import last_day

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


def build_late_data(ctx: Context) -> None:
    """A corrected figure re-sent for the latest frozen month after it was signed: the roll-up keeps
    it as a pending restatement, which the CIO or the COO can apply on that month's page."""
    # Each value entered when it was observed, as in real use: a value stored at seed time would
    # read as changed after every sign-off, and the restatement would list them all.
    # Only the rows that need it: the benchmarks' XL company writes millions already so.
    Measurement.objects.exclude(created_at=F("observed_at"), updated_at=F("observed_at")).update(
        created_at=F("observed_at"), updated_at=F("observed_at")
    )
    frozen = FrozenMonth.objects.order_by("-month").values_list("month", flat=True).first()
    if frozen is None:
        return
    start = datetime.combine(frozen, time(0), tzinfo=ctx.tz)
    end = datetime.combine(last_day(frozen), time(23, 59), tzinfo=ctx.tz)
    # One an ops lead entered by the form: the late correction comes from the same person, as a CSV.
    entered = (
        Measurement.objects.filter(observed_at__range=(start, end), initiative__isnull=False, entered_by__isnull=False)
        .select_related("initiative", "kpi")
        .order_by("kpi__display_order", "pk")
        .first()
    )
    if entered is None:
        return
    Measurement.objects.create(
        kpi_id=entered.kpi_id,
        initiative=entered.initiative,
        source_id=entered.source_id,
        observed_at=datetime.combine(last_day(frozen), time(16, 30), tzinfo=ctx.tz),
        value=_late_value(entered),
        entered_by_id=entered.entered_by_id,
        entered_via=f"csv:{entered.initiative.code}-{frozen:%Y-%m}-late.csv",
        note="Re-sent after the month was signed: the last week was missing from the first export.",
    )
    snapshot_roll_up(months=[frozen])


def _late_value(entered: Measurement) -> Decimal:
    """The missing week's figure: a little above the entered one, and a percentage never past 100
    (the intake refuses one; the demo is built without it, so keeps the rule by itself)."""
    value = entered.value * Decimal("1.05")
    if entered.kpi.unit == "percent":
        value = min(value, Decimal(99))
    return value.quantize(Decimal("0.01"))
