"""REST endpoints for the ExCo's monthly reviews (/api/v1/reviews/): read by everyone signed
in, signed off and withdrawn through scoreboard/exco/services.py, as the ExCo page does."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..api import IDEMPOTENCY_PARAMETER, RulesViewSetMixin, idempotent
from ..models import MonthlyReview
from ..months import month_named
from ..rules import is_executive
from .services import SLOTS, review_sign, review_unsign

# A month in a review's URL: 2026-03, or the first day as the review shows it, 2026-03-01.
MONTH_PATTERN = "[1-9][0-9]{3}-(?:0[1-9]|1[0-2])(?:-01)?"
MONTH_PARAMETER = OpenApiParameter(
    "month",
    type=str,
    location=OpenApiParameter.PATH,
    pattern=f"^{MONTH_PATTERN}$",
    description="The month: 2026-03, or its first day, 2026-03-01.",
)


class MonthlyReviewSerializer(serializers.ModelSerializer):
    cio_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    coo_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_frozen = serializers.BooleanField(read_only=True, help_text="Both have signed: the month's figures are final.")

    class Meta:
        model = MonthlyReview
        fields = [
            "id",
            "month",
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
    month is frozen or has not started, ``comment`` when there is none)."""

    queryset = MonthlyReview.objects.select_related("cio_signed_by", "coo_signed_by").order_by("-month")
    serializer_class = MonthlyReviewSerializer
    writers = is_executive  # the CIO and the COO, each for their own slot (the service checks which)
    lookup_field = "month"
    lookup_value_regex = MONTH_PATTERN
    filterset_class = MonthlyReviewFilter
    ordering_fields = ["month", "frozen_at"]

    def get_object(self):
        review = get_object_or_404(self.get_queryset(), month=review_month(self.kwargs["month"]))
        self.check_object_permissions(self.request, review)
        return review

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
