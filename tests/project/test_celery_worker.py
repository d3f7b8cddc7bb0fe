"""A real Celery worker, fed through the configured broker (Redis in CI), writing to the
configured database (PostgreSQL in CI): no eager mode."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from metrics.models import MonthlySnapshot, RollUpDue
from metrics.services.ingest import measurements_ingest
from metrics.services.upsert import Row
from tests import factories
from tests.worker import wait_for as _wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_logged_values_reach_the_snapshot_through_the_broker_and_a_worker(real_worker, cio, coo):
    kpi = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, aggregation="sum")
    source = factories.MetricSourceFactory()
    rows = [
        Row(kpi.pk, None, datetime(2026, 3, 15, 12, tzinfo=UTC), Decimal("40")),
        Row(kpi.pk, None, datetime(2026, 3, 20, 8, tzinfo=UTC), Decimal("2")),
    ]

    # Stores the values and, once committed, sends the roll-up to the worker.
    measurements_ingest(rows=rows, source=source, entered_via="test")

    assert _wait_for(lambda: MonthlySnapshot.objects.filter(kpi=kpi).exists()), "the worker never wrote a snapshot"
    snapshot = MonthlySnapshot.objects.get(kpi=kpi, initiative=None)
    assert (snapshot.month, snapshot.value, snapshot.measurement_count) == (date(2026, 3, 1), Decimal("42"), 2)
    assert _wait_for(lambda: not RollUpDue.objects.exists()), "the worker left the roll-up owed"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_retries_a_failing_source_with_backoff_until_it_answers(real_worker, fake_source, kpi, settings):
    from metrics.models import MetricSource, PullRun, SourceMapping
    from metrics.tasks import pull_source

    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.METRIC_PULL_RETRY_BASE_SECONDS = 0.2
    answers = iter([503, 503, 200])

    def flaky(handler):
        status = next(answers, 200)
        body = b'{"score": 71}' if status == 200 else b"busy"
        handler.answer(status, body, "application/json")

    fake_source.route("/score", flaky)
    source = MetricSource.objects.create(name="Flaky", kind="http_json", url=fake_source.url("/score"))
    SourceMapping.objects.create(source=source, kpi=kpi, expression="$.score")

    pull_source.delay(source.pk)

    assert _wait_for(lambda: PullRun.objects.filter(status="succeeded").exists()), "the pull never succeeded"
    runs = list(PullRun.objects.order_by("attempt").values_list("attempt", "status", "will_retry"))
    assert runs == [(1, "failed", True), (2, "failed", True), (3, "succeeded", False)]
    assert kpi.measurements.get().value == 71
