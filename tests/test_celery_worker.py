"""A real Celery worker, fed through the configured broker (Redis in CI), writing to the
configured database (PostgreSQL in CI): no eager mode."""

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from metrics.models import MonthlySnapshot, RollUpDue
from metrics.services import measurements_ingest
from metrics.upsert import Row
from scoreboard.celery import app
from tests import factories


@pytest.fixture
def real_worker():
    """A worker thread consuming from the configured broker (in-memory when none is set)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = previous


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


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
