"""Nothing lost, nothing doubled, whatever happens to the worker or the broker.

These start real Celery worker processes against the configured PostgreSQL and Redis (the
ones `.ci/run` and `make test` start), kill them with SIGKILL, and stop Redis itself.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.models import Measurement, MetricSource, MonthlySnapshot, PullRun, RollUpDue, SourceMapping
from metrics.services.ingest import measurements_ingest
from metrics.services.outbox import sweep
from metrics.services.pulls import source_pull_now
from metrics.services.upsert import Row
from metrics.tasks import pull_source
from scoreboard.celery import app
from tests.worker import shared_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _real_stack_only():
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("these tests need PostgreSQL and Redis: run `make test` or `bash .ci/run`")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


class Worker:
    """A `celery worker` process with one pool child, as in production but smaller."""

    def __init__(self, name: str):
        env = {
            **os.environ,
            "DATABASE_URL": shared_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "METRIC_SOURCE_ALLOWED_HOSTS": "127.0.0.1",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "scoreboard",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                f"--hostname={name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the whole worker, parent and pool child: no chance to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(condition, timeout=30.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def slow_then_fast_source(fake_source, kpi, initiative_a):
    """A source that hangs (so a worker can be killed mid-pull) until the test says otherwise."""
    state = {"hang": True}

    def respond(handler):
        if state["hang"]:
            time.sleep(30)
        handler.answer(200, b'{"measured_at": "2026-03-14T10:00:00Z", "score": 64}', "application/json")

    fake_source.route("/score", respond)
    source = MetricSource.objects.create(
        name="Slow",
        kind="http_json",
        url=fake_source.url("/score"),
        timestamp_path="$.measured_at",
        timeout_seconds=60,
        schedule="0 * * * *",
    )
    SourceMapping.objects.create(source=source, kpi=kpi, initiative=initiative_a, expression="$.score")
    return source, state


def test_a_worker_killed_mid_pull_stores_nothing_and_the_sweeper_completes_the_pull_once(
    workers, slow_then_fast_source, fake_source, settings
):
    source, state = slow_then_fast_source
    first = workers("first")
    pull_source.delay(source.pk)
    wait_for(lambda: fake_source.requests_to("/score"), what="the pull to reach the source")
    wait_for(lambda: PullRun.objects.filter(status="running").exists(), what="the run to be recorded")

    first.kill()
    assert not Measurement.objects.exists()

    state["hang"] = False
    workers("second")
    settings.METRIC_PULL_STALE_AFTER_SECONDS = 1
    time.sleep(1.5)
    result = sweep(now=timezone.now())

    assert result.abandoned == 1
    assert result.pulls_enqueued == [source.pk]
    wait_for(lambda: PullRun.objects.filter(status="succeeded").exists(), what="the pull to complete")
    assert Measurement.objects.get().value == Decimal(64)
    statuses = sorted(PullRun.objects.values_list("status", "trigger"))
    assert statuses == [("abandoned", "schedule"), ("succeeded", "sweeper")]


def test_a_pool_child_killed_mid_pull_is_redelivered_and_completes_once(workers, slow_then_fast_source, fake_source):
    source, state = slow_then_fast_source
    worker = workers("solo")
    pull_source.delay(source.pk)
    wait_for(lambda: fake_source.requests_to("/score"), what="the pull to reach the source")
    [child] = worker.children()

    state["hang"] = False
    os.kill(child, signal.SIGKILL)  # acks_late + reject_on_worker_lost: the message goes back

    wait_for(lambda: PullRun.objects.filter(status="succeeded").exists(), what="the redelivered pull")
    assert Measurement.objects.count() == 1
    assert PullRun.objects.filter(status="succeeded").count() == 1


def _redis_port() -> int:
    return urlsplit(settings.CELERY_BROKER_URL).port or 6379


def _stop_redis() -> None:
    subprocess.run(["redis-cli", "-p", str(_redis_port()), "shutdown", "nosave"], capture_output=True, check=False)


def _start_redis() -> None:
    port = str(_redis_port())
    subprocess.run(
        [
            "redis-server",
            "--port",
            port,
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            os.environ.get("SERVICES_DIR", tempfile.gettempdir()),
        ],
        check=True,
        capture_output=True,
    )
    wait_for(
        lambda: subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True, check=False).returncode == 0,
        what="Redis to come back",
    )


def test_values_logged_while_redis_is_down_are_stored_and_rolled_up_once_it_returns(workers, kpi, settings):
    workers("steady")
    _stop_redis()
    try:
        started = time.monotonic()
        result = measurements_ingest(
            rows=[Row(kpi.pk, None, datetime(2026, 3, 10, tzinfo=UTC), Decimal(12))],
            source=MetricSource.objects.create(name="Form", kind="manual"),
            entered_via="form",
        )
        took = time.monotonic() - started
        assert result.stored == 1
        assert took < 10, f"logging a value waited {took:.1f} s on a dead broker"
        assert Measurement.objects.count() == 1
        assert RollUpDue.objects.filter(kpi=kpi).exists()
        assert not MonthlySnapshot.objects.exists()
    finally:
        _start_redis()

    settings.METRIC_ROLLUP_GRACE_SECONDS = 0
    sweep(now=timezone.now() + timedelta(seconds=1))
    wait_for(lambda: MonthlySnapshot.objects.filter(kpi=kpi, initiative=None).exists(), what="the caught-up roll-up")
    assert MonthlySnapshot.objects.get(kpi=kpi, initiative=None).value == Decimal(12)
    wait_for(lambda: not RollUpDue.objects.exists(), what="the owed roll-up to be cleared")


def test_pull_now_while_redis_is_down_answers_at_once_and_the_sweeper_pulls_once_it_returns(
    workers, slow_then_fast_source, fake_source, admin_user, settings
):
    # Issue 15, defect 6: "pull now" answered 500 with Redis down, and the request was lost.
    source, state = slow_then_fast_source
    state["hang"] = False
    workers("steady")
    _stop_redis()
    try:
        started = time.monotonic()
        source_pull_now(source=source, by=admin_user)  # no transaction here: on_commit runs at once
        took = time.monotonic() - started
        assert took < 10, f"asking for a pull waited {took:.1f} s on a dead broker"
        source.refresh_from_db()
        assert source.pull_requested_at is not None
        assert not PullRun.objects.exists()
    finally:
        _start_redis()

    settings.METRIC_PULL_GRACE_SECONDS = 0
    result = sweep(now=timezone.now() + timedelta(seconds=1))

    assert result.pulls_enqueued == [source.pk]
    wait_for(lambda: PullRun.objects.filter(status="succeeded").exists(), what="the asked-for pull to complete")
    assert list(PullRun.objects.values_list("trigger", flat=True)) == ["manual"]
    assert Measurement.objects.get().value == Decimal(64)
    source.refresh_from_db()
    assert source.pull_requested_at is None
    assert sweep(now=timezone.now() + timedelta(seconds=1)).pulls_enqueued == []  # asked once, pulled once


def _writing_measurements() -> bool:
    """Whether another backend is inside the pull's storing transaction right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active' "
            "AND query ILIKE 'INSERT INTO metrics_measurement %%'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_while_storing_a_pull_leaves_no_partial_data(workers, cio, coo, monkeypatch, settings):
    from tests import factories

    kpi = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo, unit="count", code="cases")
    rows = 150_000  # enough that storing them takes seconds, so the kill lands inside the transaction
    # Another database on the same server (the app's own is refused as a source): the query needs no table.
    monkeypatch.setenv("SCOREBOARD_SOURCE_FEED_URL", shared_database_url().rsplit("/", 1)[0] + "/postgres")
    source = MetricSource.objects.create(
        name="Feed",
        kind="sql",
        connection_env="SCOREBOARD_SOURCE_FEED_URL",
        query="SELECT 'cases', '', now() - make_interval(mins => g), g FROM generate_series(1, 150000) AS g",
        timeout_seconds=60,
    )
    first = workers("first")
    pull_source.delay(source.pk)
    wait_for(_writing_measurements, timeout=60, what="the worker to start storing the pull")

    first.kill()
    assert Measurement.objects.count() == 0, "a killed pull left part of its rows behind"

    workers("second")
    settings.METRIC_PULL_STALE_AFTER_SECONDS = 1
    time.sleep(1.5)
    assert sweep(now=timezone.now()).pulls_enqueued == [source.pk]
    wait_for(lambda: PullRun.objects.filter(status="succeeded").exists(), timeout=90, what="the pull to complete")
    assert Measurement.objects.filter(kpi=kpi).count() == rows
