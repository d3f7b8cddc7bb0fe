"""REST endpoints for the ExCo's monthly reviews (/api/v1/reviews/): read by everyone signed
in, signed off and withdrawn, and a frozen month's restatement applied, through
scoreboard/exco/services.py, as the ExCo page does."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..api import IDEMPOTENCY_PARAMETER, RulesViewSetMixin, idempotent
from ..models import MonthlyReview, RestatedFigure, Restatement
from ..months import month_named
from ..rules import is_executive
from .restatements import month_restatements
from .services import SLOTS, PackNotPrinted, restatement_apply, review_sign, review_unsign

# A month in a review's URL: 2026-03, or the first day as the review shows it, 2026-03-01.
MONTH_PATTERN = "[1-9][0-9]{3}-(?:0[1-9]|1[0-2])(?:-01)?"
MONTH_PARAMETER = OpenApiParameter(
    "month",
    type=str,
    location=OpenApiParameter.PATH,
    pattern=f"^{MONTH_PATTERN}$",
    description="The month: 2026-03, or its first day, 2026-03-01.",
)


class PackUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "pack_not_printed"


class RestatedFigureSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    initiative = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Empty for the company-wide figure."
    )

    class Meta:
        model = RestatedFigure
        fields = ["kpi", "initiative", "signed_value", "restated_value"]
        read_only_fields = fields


class RestatementSerializer(serializers.ModelSerializer):
    applied_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    figures = RestatedFigureSerializer(many=True, read_only=True)

    class Meta:
        model = Restatement
        fields = ["applied_by", "applied_at", "reason", "figures"]
        read_only_fields = fields


class MonthlyReviewSerializer(serializers.ModelSerializer):
    cio_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    coo_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_frozen = serializers.BooleanField(read_only=True, help_text="Both have signed: the month's figures are final.")
    restatement = serializers.SerializerMethodField(
        help_text="For a revision after the first: the restatement that opened it (who, when, why, which figures)."
    )

    class Meta:
        model = MonthlyReview
        fields = [
            "id",
            "month",
            "revision",
            "restatement",
            "cio_signed_by",
            "cio_signed_at",
            "cio_comment",
            "coo_signed_by",
            "coo_signed_at",
            "coo_comment",
            "frozen_at",
            "is_frozen",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RestatementSerializer(allow_null=True))
    def get_restatement(self, review) -> dict | None:
        restatement = getattr(review, "restatement_read", None)
        if restatement is None and review.revision > 1:
            try:
                restatement = review.restatement  # read with the review (the viewset's queryset)
            except Restatement.DoesNotExist:
                restatement = None
        return None if restatement is None else RestatementSerializer(restatement).data


class ChangedMeasurementSerializer(serializers.Serializer):
    kpi = serializers.CharField(source="kpi.code")
    initiative = serializers.CharField(source="initiative.code", allow_null=True, default=None)
    observed_at = serializers.DateTimeField()
    value = serializers.DecimalField(max_digits=20, decimal_places=6)
    entered_by = serializers.CharField(source="entered_by.username", allow_null=True, default=None)
    entered_via = serializers.CharField(help_text="What entered it: 'form', 'csv:<file>', 'api', 'pull:<source>'.")
    updated_at = serializers.DateTimeField()


class PendingFigureSerializer(serializers.Serializer):
    kpi = serializers.CharField(source="kpi.code")
    initiative = serializers.CharField(
        source="initiative.code", allow_null=True, default=None, help_text="Empty for the company-wide figure."
    )
    signed_value = serializers.DecimalField(
        source="signed", max_digits=20, decimal_places=6, allow_null=True, help_text="The figure as signed."
    )
    value_now = serializers.DecimalField(
        source="now", max_digits=20, decimal_places=6, help_text="What the data now gives."
    )
    awaiting_signatures = serializers.BooleanField(
        source="awaiting", help_text="Already in the restatement awaiting both signatures, at this value."
    )
    measurements = ChangedMeasurementSerializer(
        many=True, help_text="The latest measurements created or changed since the month was signed."
    )


class RevisionSerializer(MonthlyReviewSerializer):
    pack_url = serializers.SerializerMethodField(help_text="The kept PDF pack of this revision, once printed.")

    class Meta(MonthlyReviewSerializer.Meta):
        fields = [*MonthlyReviewSerializer.Meta.fields, "pack_url"]
        read_only_fields = fields

    def get_pack_url(self, review) -> str | None:
        if not getattr(review, "pack_kept", False):
            return None
        return reverse("exco-revision-pack", args=[review.month, review.revision])


class MonthRestatementsSerializer(serializers.Serializer):
    month = serializers.DateField()
    signed_revision = serializers.IntegerField(
        allow_null=True, help_text="The latest revision both have signed: the figures the page shows."
    )
    awaiting_revision = serializers.IntegerField(
        allow_null=True, help_text="A restated revision awaiting both signatures, if any."
    )
    pending = PendingFigureSerializer(many=True, help_text="Figures late data changed since the month was signed.")
    pending_total = serializers.IntegerField()
    revisions = RevisionSerializer(many=True, help_text="Every revision of the month, the earliest first.")


class RestateSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=Restatement._meta.get_field("reason").max_length,
        help_text="Why the month is restated: what the late data corrects (required).",
    )


class ReviewSignSerializer(serializers.Serializer):
    slot = serializers.ChoiceField(
        choices=SLOTS, help_text="The seat signing: only the CIO signs 'cio', only the COO 'coo'."
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What you are answering for this month (required)."
    )


class ReviewWithdrawSerializer(serializers.Serializer):
    slot = serializers.ChoiceField(choices=SLOTS, help_text="The seat whose sign-off is withdrawn.")


class MonthlyReviewFilter(filters.FilterSet):
    frozen = filters.BooleanFilter(field_name="frozen_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = MonthlyReview
        fields = {"month": ["exact", "gte", "lte"]}


def review_month(text: str) -> date:
    """The first day of the month a URL names (MONTH_PATTERN); a month outside the ones the
    product speaks of (scoreboard.months) is no review: 404."""
    try:
        return month_named(text)
    except ValueError as error:
        raise exceptions.NotFound(f"No such month: {error}.") from error


@extend_schema_view(retrieve=extend_schema(parameters=[MONTH_PARAMETER]))
class MonthlyReviewViewSet(RulesViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The ExCo's monthly reviews, looked up by month: read by everyone signed in; signed
    off by the CIO and the COO, each in their own slot.

    ``POST /reviews/{month}/sign/`` and ``POST /reviews/{month}/withdraw/`` name the month
    in the URL whether or not it has a review yet: the first signature opens the month's
    review, so there is no separate create. Both go through scoreboard/exco/services.py
    (review_sign, review_unsign), as the ExCo page does: signing a slot that is not yours
    is a 403; what is wrong with the request is a 400 naming the field (``month`` when the
    month is frozen or has not started, ``comment`` when there is none).

    A month has a review per revision: the list shows each, ``/reviews/{month}/`` the latest (the
    one signatures go to). ``GET /reviews/{month}/restatements/`` lists what late data changed
    since the month was signed and every revision; ``POST /reviews/{month}/restate/`` applies it
    (the CIO or the COO, with a reason), opening the next revision for both to sign again."""

    queryset = (
        MonthlyReview.objects.select_related("cio_signed_by", "coo_signed_by", "restatement__applied_by")
        .prefetch_related(
            Prefetch("restatement__figures", queryset=RestatedFigure.objects.select_related("kpi", "initiative"))
        )
        .order_by("-month", "-revision")
    )
    serializer_class = MonthlyReviewSerializer
    writers = is_executive  # the CIO and the COO, each for their own slot (the service checks which)
    lookup_field = "month"
    lookup_value_regex = MONTH_PATTERN
    filterset_class = MonthlyReviewFilter
    ordering_fields = ["month", "revision", "frozen_at"]

    def get_object(self):
        month = review_month(self.kwargs["month"])
        review = self.get_queryset().filter(month=month).order_by("-revision").first()
        if review is None:
            raise exceptions.NotFound(f"{month:%B %Y} has no review yet.")
        self.check_object_permissions(self.request, review)
        return review

    @extend_schema(responses={200: MonthRestatementsSerializer}, parameters=[MONTH_PARAMETER])
    @action(detail=True, methods=["get"])
    def restatements(self, request, *args, **kwargs):
        """What late data changed since the month was signed (the figure as signed, the figure
        now, the measurements behind it) and every revision with its restatement and pack. A
        month with no review is a 404."""
        review = self.get_object()
        read = month_restatements(review.month, list(self.get_queryset().filter(month=review.month)))
        body = {
            "month": review.month,
            "signed_revision": read.signed.revision if read.signed else None,
            "awaiting_revision": read.awaiting.revision if read.awaiting else None,
            "pending": read.pending,
            "pending_total": read.pending_total,
            "revisions": read.revisions,
        }
        return Response(MonthRestatementsSerializer(body).data)

    @extend_schema(
        request=RestateSerializer,
        responses={
            200: MonthlyReviewSerializer,
            503: OpenApiResponse(description="The signed revision's pack could not be printed: nothing was restated."),
        },
        parameters=[MONTH_PARAMETER, IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def restate(self, request, *args, **kwargs):
        """Apply the frozen month's pending restatement, with a reason: the CIO or the COO. It
        answers the new revision, awaiting both signatures; applying again with nothing new
        answers the same revision. 400 on ``month`` when the month is not frozen or nothing is
        pending, on ``reason`` when there is none; 409 while a revision awaits its signatures
        and later data arrived."""
        body = RestateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            review = restatement_apply(month=review_month(kwargs["month"]), by=request.user, **body.validated_data)
        except PackNotPrinted as error:
            raise PackUnavailable(str(error)) from error
        return Response(MonthlyReviewSerializer(review).data)

    @extend_schema(
        request=ReviewSignSerializer,
        responses={200: MonthlyReviewSerializer},
        parameters=[MONTH_PARAMETER, IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def sign(self, request, *args, **kwargs):
        """Sign the month off in your slot, with a comment; the second signature freezes
        it. Signing again while it is open changes the comment."""
        body = ReviewSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        month = review_month(kwargs["month"])
        review = review_sign(month=month, by=request.user, **body.validated_data)
        return Response(MonthlyReviewSerializer(review).data)

    @extend_schema(
        request=ReviewWithdrawSerializer, responses={200: MonthlyReviewSerializer}, parameters=[MONTH_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, *args, **kwargs):
        """Withdraw your sign-off while the month is open. Withdrawing one that is not
        there changes nothing; a month with no review at all is a 404."""
        body = ReviewWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        month = review_month(kwargs["month"])
        review = review_unsign(month=month, by=request.user, **body.validated_data)
        if review.pk is None:
            raise exceptions.NotFound(f"{month:%B %Y} has no review yet: there is no sign-off to withdraw.")
        return Response(MonthlyReviewSerializer(review).data)
