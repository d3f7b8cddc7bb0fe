"""A real Celery worker, fed through the configured broker (Redis in CI), writing to the
configured database (PostgreSQL in CI): no eager mode."""

import time
from datetime import date
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from metrics.models import MonthlySnapshot
from metrics.tasks import roll_up
from scoreboard.celery import app
from tests import factories


@pytest.fixture
def real_worker():
    """A worker thread consuming from the broker; in-memory transport when none is configured."""
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL or "memory://"
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_rolls_up_measurements_sent_through_the_broker(real_worker, cio, coo):
    kpi = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, aggregation="sum")
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=Decimal("40"))
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=Decimal("2"), observed_at="2026-03-20T08:00:00Z")

    roll_up.delay(months=["2026-03-01"], kpi_ids=[kpi.pk])

    assert _wait_for(lambda: MonthlySnapshot.objects.filter(kpi=kpi).exists()), "the worker never wrote a snapshot"
    snapshot = MonthlySnapshot.objects.get(kpi=kpi, initiative=None)
    assert (snapshot.month, snapshot.value, snapshot.measurement_count) == (date(2026, 3, 1), Decimal("42"), 2)
