"""Alerts: what each accountable executive should hear about (KPIs off-target or stale,
sources stale or failed), and the daily digest email that tells them what is new.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from scoreboard import formatting, links
from scoreboard.months import latest_complete_month, month_of
from scoreboard.templatetags.scoreboard import figure, thresholds_in_words

from ..models import KPI, AlertDigest, Measurement, MetricSource, MonthlySnapshot, RunStatus, SourceMapping, Status
from ..selectors import kpi_freshness, source_freshness


@dataclass(frozen=True)
class DigestLine:
    key: str  # stable, so the next digest leaves out what this one already said
    text: str
    url: str = ""  # the page the line speaks of, absolute (SITE_URL): an e-mail is read elsewhere


def alert_lines(*, now: datetime | None = None) -> dict[int, list[DigestLine]]:
    """What each accountable executive should hear about: their KPIs that are off-target in
    the latest month that has ended, stale, or fed by a source whose last pull failed.

    Off-target is judged on a whole month, the one the ExCo reviews: on the 5th, five days of a
    sum against its month's target would read red whatever the month becomes."""
    now = now or timezone.now()
    judged = latest_complete_month(timezone.localdate(now))
    # A stale KPI's line opens the month under way, where its next value will count.
    under_way = month_of(now)
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    kpis = {k.pk: k for k in KPI.objects.all()}

    def tell(kpi: KPI, line: DigestLine) -> None:
        for executive_id in (kpi.accountable_executive_id, kpi.co_accountable_executive_id):
            if executive_id:
                lines[executive_id].append(line)

    off_target = MonthlySnapshot.objects.filter(
        month=judged, initiative__isnull=True, status__in=[Status.AMBER, Status.RED]
    ).order_by("kpi_id")
    for snap in off_target:
        kpi = kpis[snap.kpi_id]
        # The status the roll-up stored, with the target and thresholds said as every tile says them.
        text = (
            f"{kpi.name} is {snap.get_status_display().lower()} for {formatting.month(judged)}: "
            f"{figure(snap.value, kpi)} ({thresholds_in_words(snap.target, snap.red_threshold, kpi)})."
        )
        url = links.absolute_url("kpi-drilldown", judged, kpi.code)
        tell(kpi, DigestLine(f"off:{kpi.pk}:{judged}:{snap.status}", text, url))

    for fresh in kpi_freshness(now=now):
        if fresh.stale:
            last = fresh.last_observed_at
            since = f"since {formatting.day(last)}" if last else "ever"
            text = f"{fresh.kpi.name} has had no measurement {since} " + ngettext(
                "(expected every day).", "(expected every %(n)s days).", fresh.kpi.expected_interval_days
            ) % {"n": fresh.kpi.expected_interval_days}
            url = links.absolute_url("kpi-drilldown", under_way, fresh.kpi.code)
            tell(fresh.kpi, DigestLine(f"stale:{fresh.kpi.pk}:{fresh.last_observed_at}", text, url))

    stale_sources = [f.source for f in source_freshness(now=now) if f.stale and not f.failed]
    failed = {s.pk: s for s in MetricSource.objects.filter(enabled=True, last_status=RunStatus.FAILED)}
    for source in stale_sources:
        last = f"since {formatting.moment(source.last_success_at)}" if source.last_success_at else "ever"
        text = f"The source {source.name} has not delivered {last} (expected every {source.expected_interval_hours} h)."
        for kpi_id in sorted(_kpis_fed_by([source.pk], now=now).get(source.pk, ())):
            line = DigestLine(f"stale-source:{source.pk}:{source.last_success_at}", text, _kpi_url(kpis[kpi_id]))
            tell(kpis[kpi_id], line)
    fed = _kpis_fed_by(list(failed), now=now) if failed else {}
    for source_id, kpi_ids in sorted(fed.items()):
        source = failed[source_id]
        when = f" at {formatting.moment(source.last_run_at)}" if source.last_run_at else ""
        text = f"The source {source.name} failed{when}: {source.last_error}"
        for kpi_id in sorted(kpi_ids):
            line = DigestLine(f"failed:{source_id}:{source.last_run_at}", text, _kpi_url(kpis[kpi_id]))
            tell(kpis[kpi_id], line)

    # One line per key per person, however many of their KPIs it concerns.
    return {who: list({line.key: line for line in said}.values()) for who, said in lines.items()}


def _kpi_url(kpi: KPI) -> str:
    # The executives told are not admins: the KPI's own page, never the admin's source page.
    return links.absolute_url("kpis:detail", kpi.code)


def _kpis_fed_by(source_ids: list[int], *, now: datetime) -> dict[int, set[int]]:
    """Which KPIs each source feeds: its mappings, and what it measured in the last 90 days."""
    fed: dict[int, set[int]] = defaultdict(set)
    pairs = set(SourceMapping.objects.filter(source__in=source_ids).values_list("source_id", "kpi_id"))
    pairs |= set(
        Measurement.objects.filter(source__in=source_ids, observed_at__gte=now - timedelta(days=90))
        .values_list("source_id", "kpi_id")
        .distinct()
    )
    for source_id, kpi_id in pairs:
        fed[source_id].add(kpi_id)
    return fed


def alert_digests_send(*, now: datetime | None = None) -> int:
    """Email each accountable executive what went off-target, stale or failed since their
    last digest. Nothing new, no email. One digest per person per day: a retried run sends
    nothing twice. Returns the number of emails sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    to_tell = alert_lines(now=now)
    recipients = get_user_model().objects.in_bulk(list(to_tell))
    for user_id, lines in to_tell.items():
        person = recipients[user_id]
        if not person.email or not person.is_active:
            continue
        previous = AlertDigest.objects.filter(recipient_id=user_id, day__lt=today).order_by("-day").first()
        said_before = {line["key"] for line in previous.lines} if previous else set()
        news = [line for line in lines if line.key not in said_before]
        if not news:
            continue
        with transaction.atomic():
            _, created = AlertDigest.objects.get_or_create(
                recipient_id=user_id,
                day=today,
                defaults={
                    "sent_at": now,
                    "lines": [{"key": ln.key, "text": ln.text, "url": ln.url} for ln in lines],
                },
            )
            if not created:
                continue
            body = "\n".join(f"- {line.text}\n  {line.url}" if line.url else f"- {line.text}" for line in news)
            dashboard = links.absolute_url("exco-month", latest_complete_month(today))
            send_mail(
                subject=ngettext(
                    "AI scoreboard: %(n)s thing to look at", "AI scoreboard: %(n)s things to look at", len(news)
                )
                % {"n": len(news)},
                message=f"Since your last digest:\n\n{body}\n\nThe ExCo dashboard: {dashboard}",
                from_email=None,
                recipient_list=[person.email],
            )
        sent += 1
    return sent
