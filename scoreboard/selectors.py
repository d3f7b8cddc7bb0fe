"""Reads for the scoreboard's pages, each a fixed number of queries whatever the data size."""

from django.db.models import Count, Max, Q
from django.utils import timezone

from governance.models import DecisionRequest
from initiatives.models import Initiative, Stage
from metrics.models import KPI, MonthlySnapshot
from metrics.selectors import kpi_freshness, source_freshness


def home_overview() -> dict:
    """The programme at a glance: portfolio by stage, headline KPIs for the latest month,
    decisions waiting and data freshness. Seven queries, whatever the data size."""
    stage_counts = dict(Initiative.objects.values_list("stage").annotate(n=Count("id")).order_by())
    portfolio = [{"stage": label, "code": value, "count": stage_counts.get(value, 0)} for value, label in Stage.choices]
    latest_month = MonthlySnapshot.objects.filter(initiative__isnull=True).aggregate(m=Max("month"))["m"]
    snapshots = {s.kpi_id: s for s in MonthlySnapshot.objects.filter(initiative__isnull=True, month=latest_month)}
    kpis = list(
        KPI.objects.select_related("accountable_executive", "co_accountable_executive").order_by(
            "-is_primary", "display_order", "name"
        )
    )
    now = timezone.now()
    open_requests = DecisionRequest.objects.filter(answered_at__isnull=True).aggregate(
        waiting=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now))
    )
    return {
        "portfolio": portfolio,
        "initiative_count": sum(stage_counts.values()),
        "latest_month": latest_month,
        "kpi_rows": [{"kpi": k, "snapshot": snapshots.get(k.pk)} for k in kpis],
        "decisions_waiting": open_requests["waiting"],
        "decisions_overdue": open_requests["overdue"],
        "stale_kpis": [f for f in kpi_freshness(now=now) if f.stale],
        "troubled_sources": [f for f in source_freshness(now=now) if f.stale or f.failed],
    }
