"""The governance workspace's front page: where each part stands, with a way into it."""

from django.db.models import Count, F, Q
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from initiatives.models import PIPELINE_STAGES, Initiative

from ..models import DecisionRequest, MatrixVersion, Risk, RiskStatus, ShadowAITool, SharedZoneDecision, VersionStatus

# A risk rated this high (likelihood × impact, out of 25) is counted as severe.
SEVERE_RATING = 15


@require_GET
def governance_home(request):
    now = timezone.now()
    today = timezone.localdate(now)
    versions = MatrixVersion.objects.annotate(decision_count=Count("decisions"))
    context = {
        "effective": versions.filter(status=VersionStatus.PUBLISHED, effective_from__lte=today)
        .order_by("-effective_from", "-number")
        .first(),
        "draft": versions.filter(status=VersionStatus.DRAFT).first(),
        "requests": DecisionRequest.objects.aggregate(
            open=Count("pk", filter=Q(answered_at__isnull=True)),
            overdue=Count("pk", filter=Q(answered_at__isnull=True, due_at__lt=now)),
        ),
        "risks": Risk.objects.exclude(status=RiskStatus.CLOSED)
        .annotate(rating=F("likelihood") * F("impact"))
        .aggregate(open=Count("pk"), severe=Count("pk", filter=Q(rating__gte=SEVERE_RATING))),
        "shadow": ShadowAITool.objects.aggregate(
            under_review=Count("pk", filter=Q(status=ShadowAITool.Status.UNDER_REVIEW)),
            restricted=Count(
                "pk",
                filter=Q(status=ShadowAITool.Status.UNDER_REVIEW, data_sensitivity=ShadowAITool.Sensitivity.RESTRICTED),
            ),
        ),
        "shared_zone": SharedZoneDecision.objects.aggregate(
            total=Count("pk"), waiting=Count("pk", filter=Q(joint_decision=""))
        ),
        "pipeline": Initiative.objects.filter(stage__in=PIPELINE_STAGES).aggregate(
            candidates=Count("pk"), scored=Count("prioritisation")
        ),
        "severe_rating": SEVERE_RATING,
    }
    return render(request, "governance/home.html", context)


urlpatterns = [path("", governance_home, name="home")]
