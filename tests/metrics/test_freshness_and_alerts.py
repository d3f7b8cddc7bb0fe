"""Staleness of KPIs and sources, the sweeper's recovery, and the daily alert digest."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from metrics.models import AlertDigest, MetricSource, MonthlySnapshot, PullRun, RollUpDue
from metrics.selectors import kpi_freshness, source_freshness
from metrics.services.alerts import alert_digests_send
from metrics.services.ingest import measurements_ingest
from metrics.services.outbox import sweep
from metrics.services.upsert import Row
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)


def _freshness_of(kpi):
    return next(f for f in kpi_freshness(now=NOW) if f.kpi.pk == kpi.pk)


def test_kpi_is_stale_once_it_misses_its_expected_interval(kpi):
    kpi.expected_interval_days = 7
    kpi.save()
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=8))
    assert _freshness_of(kpi).stale


def test_kpi_measured_within_its_interval_is_fresh(kpi):
    kpi.expected_interval_days = 7
    kpi.save()
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=6))
    assert not _freshness_of(kpi).stale


def test_a_kpi_never_measured_is_stale(kpi):
    assert _freshness_of(kpi).stale
    assert _freshness_of(kpi).last_observed_at is None


def test_a_ratio_kpi_is_as_stale_as_its_stalest_part(cio, coo):
    parts = [factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo) for _ in range(2)]
    rate = factories.KPIFactory(
        accountable_executive=cio,
        co_accountable_executive=coo,
        aggregation="ratio",
        ratio_numerator=parts[0],
        ratio_denominator=parts[1],
        expected_interval_days=7,
    )
    factories.MeasurementFactory(kpi=parts[0], observed_at=NOW - timedelta(days=1))
    factories.MeasurementFactory(kpi=parts[1], observed_at=NOW - timedelta(days=30))
    assert _freshness_of(rate).stale


def test_a_source_is_stale_when_no_pull_succeeded_within_its_interval():
    source = MetricSource.objects.create(
        name="Catalogue",
        kind="http_json",
        url="https://catalogue.example/x",
        expected_interval_hours=24,
        last_status="failed",
        last_error="answered 503 Service Unavailable",
        last_success_at=NOW - timedelta(hours=30),
    )
    [state] = source_freshness(now=NOW)
    assert (state.source, state.stale, state.failed) == (source, True, True)


def test_sweeper_marks_a_pull_that_never_finished_as_abandoned(settings):
    settings.METRIC_PULL_STALE_AFTER_SECONDS = 600
    source = MetricSource.objects.create(name="Prom", kind="prometheus", url="https://prom.example", enabled=False)
    lost = PullRun.objects.create(source=source, started_at=NOW - timedelta(hours=1))
    recent = PullRun.objects.create(source=source, started_at=NOW - timedelta(minutes=2))
    assert sweep(now=NOW).abandoned == 1
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.status, recent.status) == ("abandoned", "running")
    assert "nothing of this pull was stored" in lost.error


def test_sweeper_catches_up_roll_ups_whose_message_was_lost(kpi, settings, in_process_jobs):
    settings.METRIC_ROLLUP_GRACE_SECONDS = 60
    source = factories.MetricSourceFactory()
    # Stored, but the roll-up request never reached a worker (no on-commit callback ran).
    measurements_ingest(
        rows=[Row(kpi.pk, None, datetime(2026, 3, 3, tzinfo=UTC), Decimal(8))], source=source, entered_via="t"
    )
    RollUpDue.objects.update(requested_at=NOW - timedelta(minutes=5))
    assert not MonthlySnapshot.objects.exists()

    result = sweep(now=NOW)

    assert result.roll_ups_enqueued == ["2026-03-01"]
    assert MonthlySnapshot.objects.get(kpi=kpi, initiative=None).value == Decimal(8)
    assert not RollUpDue.objects.exists()


def test_sweeper_leaves_recent_owed_roll_ups_to_their_own_message(kpi, settings):
    settings.METRIC_ROLLUP_GRACE_SECONDS = 60
    RollUpDue.objects.create(kpi=kpi, month=date(2026, 3, 1), requested_at=NOW - timedelta(seconds=10))
    assert sweep(now=NOW).roll_ups_enqueued == []


def test_sweeper_pulls_a_source_whose_schedule_fired_without_a_pull(settings, in_process_jobs):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = []
    source = MetricSource.objects.create(
        name="Catalogue", kind="http_json", url="https://catalogue.example/q", schedule="0 * * * *"
    )
    PullRun.objects.create(
        source=source, started_at=NOW - timedelta(hours=3), finished_at=NOW - timedelta(hours=3), status="succeeded"
    )
    result = sweep(now=NOW)
    assert result.pulls_enqueued == [source.pk]
    # The pull ran (in-process) and was refused: the host is not on the allow-list.
    latest = source.pull_runs.order_by("-started_at").first()
    assert (latest.trigger, latest.status) == ("sweeper", "failed")
    assert "allow" in latest.error


def test_sweeper_does_not_pull_a_source_pulled_since_its_schedule_fired():
    source = MetricSource.objects.create(
        name="Catalogue", kind="http_json", url="https://catalogue.example/q", schedule="0 */6 * * *"
    )
    # It fired at 06:00 and was pulled at 06:02; at 09:00 nothing is owed until 12:00.
    pulled = NOW.replace(hour=6, minute=2)
    PullRun.objects.create(source=source, started_at=pulled, finished_at=pulled, status="succeeded")
    assert sweep(now=NOW).pulls_enqueued == []


def _off_target_month(kpi, month=date(2026, 2, 1)):
    """An off-target company-wide figure for February: on NOW (20 March), the latest month that has ended."""
    MonthlySnapshot.objects.create(
        kpi=kpi,
        month=month,
        value=Decimal(40),
        target=Decimal(80),
        red_threshold=Decimal(60),
        status="red",
        computed_at=NOW,
    )


def test_digest_tells_both_accountable_executives_what_went_off_target(kpi, cio, coo):
    _off_target_month(kpi)
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=1))  # fresh, so only off-target
    assert alert_digests_send(now=NOW) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cio.email, coo.email])
    assert (
        f"{kpi.name} is red for February 2026: 40.0 % (Target ≥ 80.0 % · amber below 80.0 % · red below 60.0 %)."
        in mail.outbox[0].body
    )


def test_digest_on_the_fifth_judges_the_month_that_ended_not_the_one_under_way(kpi, cio, settings):
    settings.SITE_URL = "https://scoreboard.example"
    fifth_of_april = datetime(2026, 4, 5, 9, tzinfo=UTC)
    _off_target_month(kpi, month=date(2026, 3, 1))  # March: a whole month, red
    # April: five days of a sum against a whole month's target, red so far; not yet a verdict.
    MonthlySnapshot.objects.create(
        kpi=kpi,
        month=date(2026, 4, 1),
        value=Decimal(5),
        target=Decimal(80),
        red_threshold=Decimal(60),
        status="red",
        computed_at=fifth_of_april,
    )
    factories.MeasurementFactory(kpi=kpi, observed_at=fifth_of_april - timedelta(days=1))  # fresh

    with time_machine.travel(fifth_of_april, tick=False):
        alert_digests_send()

    body = next(m.body for m in mail.outbox if m.to == [cio.email])
    assert f"{kpi.name} is red for March 2026: 40.0 %" in body
    assert "April 2026" not in body
    assert f"https://scoreboard.example/exco/2026-03/kpi/{kpi.code}/" in body
    assert "/exco/2026-04/" not in body
    assert "The ExCo dashboard: https://scoreboard.example/exco/2026-03/" in body


def test_digest_names_stale_kpis_and_failed_sources(kpi, cio):
    source = MetricSource.objects.create(
        name="Catalogue",
        kind="http_json",
        url="https://catalogue.example/q",
        last_status="failed",
        last_run_at=NOW - timedelta(hours=2),
        last_error="answered 503 Service Unavailable",
    )
    factories.MeasurementFactory(kpi=kpi, source=source, observed_at=NOW - timedelta(days=40))
    alert_digests_send(now=NOW)
    body = next(m.body for m in mail.outbox if m.to == [cio.email])
    assert "has had no measurement since" in body
    assert "The source Catalogue failed" in body
    assert "503 Service Unavailable" in body
    # The executives told are not admins: the line leads to the KPI's page, never into the admin.
    assert f"/kpis/{kpi.code}/" in body
    assert "/admin/" not in body


def test_no_digest_when_there_is_nothing_to_say(kpi):
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=1))
    assert alert_digests_send(now=NOW) == 0
    assert mail.outbox == []


def test_a_retried_digest_run_sends_nothing_twice(kpi):
    _off_target_month(kpi)
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=1))
    alert_digests_send(now=NOW)
    assert alert_digests_send(now=NOW + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 2
    assert AlertDigest.objects.count() == 2


def test_next_days_digest_leaves_out_what_was_already_said(kpi):
    _off_target_month(kpi)
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=1))
    alert_digests_send(now=NOW)
    mail.outbox.clear()
    assert alert_digests_send(now=NOW + timedelta(days=1)) == 0


def test_next_days_digest_tells_what_is_new(kpi, cio):
    _off_target_month(kpi)
    factories.MeasurementFactory(kpi=kpi, observed_at=NOW - timedelta(days=1))
    alert_digests_send(now=NOW)
    mail.outbox.clear()
    MetricSource.objects.create(
        name="Catalogue", kind="http_json", url="https://c.example/q", last_status="failed", last_error="answered 500"
    ).mappings.create(kpi=kpi, expression="$.x")
    assert alert_digests_send(now=NOW + timedelta(days=1)) == 2
    body = next(m.body for m in mail.outbox if m.to == [cio.email])
    assert "The source Catalogue failed" in body
    assert "is red for February 2026" not in body  # said yesterday


def test_an_invalid_schedule_does_not_stop_the_sweep(kpi, settings, in_process_jobs):
    settings.METRIC_ROLLUP_GRACE_SECONDS = 0
    MetricSource.objects.create(name="Broken", kind="http_json", url="https://x.example/q", schedule="99 * * * *")
    RollUpDue.objects.create(kpi=kpi, month=date(2026, 3, 1), requested_at=NOW - timedelta(minutes=5))
    assert sweep(now=NOW).roll_ups_enqueued == ["2026-03-01"]


def test_an_abandoned_pull_shows_on_its_source(settings):
    settings.METRIC_PULL_STALE_AFTER_SECONDS = 60
    source = MetricSource.objects.create(name="Prom", kind="prometheus", url="https://prom.example", enabled=False)
    PullRun.objects.create(source=source, started_at=NOW - timedelta(hours=1))
    sweep(now=NOW)
    source.refresh_from_db()
    assert source.last_status == "failed"
    assert "worker stopped before finishing" in source.last_error


def test_sweeper_gives_a_just_fired_schedule_time_before_sending_another_pull(settings):
    settings.METRIC_PULL_GRACE_SECONDS = 300
    source = MetricSource.objects.create(
        name="Catalogue", kind="http_json", url="https://catalogue.example/q", schedule="0 * * * *"
    )
    pulled = NOW - timedelta(minutes=58)  # 08:02; the 09:00 pull is due, its message may be queued
    PullRun.objects.create(source=source, started_at=pulled, finished_at=pulled, status="succeeded")
    assert sweep(now=NOW + timedelta(minutes=2)).pulls_enqueued == []
