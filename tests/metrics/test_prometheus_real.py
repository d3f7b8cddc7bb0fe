"""A Prometheus source against a real Prometheus server (Debian's package), started by the test and
scraping an exposition served on loopback (issue 15, defect 2): a pull reads the gauge's value
at the pull's own time, so a later pull in the same period corrects it; a query that matches
nothing fails the run in plain words instead of "succeeding" with no rows forever."""

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest

from metrics.models import Measurement, MetricSource, SourceMapping
from metrics.services.pulls import source_pull
from tests.fake_sources import unused_port

pytestmark = pytest.mark.django_db


def _wait(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class RealPrometheus:
    def __init__(self, url: str):
        self.url = url

    def query(self, expression: str) -> list:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"
        with urllib.request.urlopen(address, timeout=5) as answer:  # noqa: S310 - loopback, our own server
            return json.load(answer)["data"]["result"]


@pytest.fixture
def gauge(fake_source, initiative_a):
    """The exposition Prometheus scrapes: one gauge per initiative, its value set by the test."""
    state = {"value": 99.5}

    def respond(handler):
        body = f'uptime_ratio{{initiative="{initiative_a.code}"}} {state["value"]}\n'.encode()
        handler.answer(200, body, "text/plain; version=0.0.4")

    fake_source.route("/metrics", respond)
    return state


@pytest.fixture
def real_prometheus(fake_source, gauge, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("Prometheus is not installed: apt-get install prometheus (make test and .ci/run do)")
    port = unused_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: scoreboard-test\n"
        f"    static_configs:\n      - targets: ['{fake_source.host}:{fake_source.port}']\n"
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RealPrometheus(f"http://127.0.0.1:{port}")
    try:
        _wait(lambda: _answers(server, "uptime_ratio"), "Prometheus to scrape the gauge")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(server: RealPrometheus, expression: str) -> list:
    try:
        return server.query(expression)
    except OSError:
        return []


@pytest.fixture
def source(real_prometheus, kpi, settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]
    source = MetricSource.objects.create(
        name="Prometheus", kind="prometheus", url=real_prometheus.url, undated_period="day", timeout_seconds=5
    )
    SourceMapping.objects.create(
        source=source, kpi=kpi, expression="avg by (initiative) (uptime_ratio)", initiative_label="initiative"
    )
    return source


def test_a_pull_reads_the_current_value_and_a_later_pull_corrects_the_period(source, real_prometheus, gauge):
    first = source_pull(source_id=source.pk)
    assert (first.status, first.rows_stored) == ("succeeded", 1)
    assert Measurement.objects.get().value == Decimal("99.5")

    gauge["value"] = 97.25
    _wait(
        lambda: any(r["value"][1] == "97.25" for r in _answers(real_prometheus, "uptime_ratio")),
        "Prometheus to scrape the new value",
    )
    second = source_pull(source_id=source.pk)

    assert (second.status, second.rows_stored) == ("succeeded", 1)
    measurement = Measurement.objects.get()  # the day's value, corrected: not a second one
    assert measurement.value == Decimal("97.25")
    assert [h.value for h in measurement.history.order_by("history_date")] == [Decimal("99.5"), Decimal("97.25")]


def test_a_query_that_matches_nothing_fails_the_run_in_plain_words(source):
    source.mappings.update(expression="avg by (initiative) (uptme_ratio)")  # misspelled

    run = source_pull(source_id=source.pk)

    assert run.status == "failed"
    assert "matched no series" in run.error
    source.refresh_from_db()
    assert source.last_status == "failed"
    assert not Measurement.objects.exists()
