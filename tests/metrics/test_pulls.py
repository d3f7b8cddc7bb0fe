"""Pulling sources for real: HTTP JSON and Prometheus from a real local HTTP server, SQL from a
real database. Every run is recorded; failures store nothing and say why in plain words."""

import os
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import psycopg2
import pytest
from celery.exceptions import Retry
from django.db import connection

from metrics.models import Measurement, MetricSource, PullRun, SourceMapping
from metrics.services.pulls import TransientPullError, source_pull
from metrics.tasks import pull_source
from tests import factories

pytestmark = pytest.mark.django_db

OBSERVED = "2026-03-14T10:00:00Z"


@pytest.fixture(autouse=True)
def _sources_may_reach_the_fake_server(settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def catalogue(fake_source, kpi, initiative_a, monkeypatch):
    """An HTTP JSON source reading one KPI for one initiative, with a credential header."""
    monkeypatch.setenv("SCOREBOARD_SOURCE_CATALOGUE_TOKEN", "s3cret-token")
    source = MetricSource.objects.create(
        name="Catalogue",
        kind="http_json",
        url=fake_source.url("/quality"),
        headers={"Authorization": {"env": "SCOREBOARD_SOURCE_CATALOGUE_TOKEN"}},
        timestamp_path="$.measured_at",
        timeout_seconds=2,
    )
    SourceMapping.objects.create(source=source, kpi=kpi, initiative=initiative_a, expression="$.summary.score")
    return source


def pull(source, **kwargs):
    return source_pull(source_id=source.pk, **kwargs)


def test_http_json_pull_stores_the_value_at_its_path_and_time(fake_source, catalogue, kpi, initiative_a):
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 87.5}})
    run = pull(catalogue)
    assert (run.status, run.rows_read, run.rows_stored, run.rows_unchanged, run.rows_rejected) == (
        "succeeded",
        1,
        1,
        0,
        0,
    )
    stored = Measurement.objects.get()
    assert (stored.kpi, stored.initiative, stored.value) == (kpi, initiative_a, Decimal("87.5"))
    assert stored.observed_at == datetime(2026, 3, 14, 10, tzinfo=UTC)
    assert stored.entered_via == "pull:Catalogue"


def test_credential_header_comes_from_the_environment(fake_source, catalogue):
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 1}})
    pull(catalogue)
    assert fake_source.requests[0].headers["Authorization"] == "s3cret-token"


def test_a_missing_credential_variable_fails_the_pull_in_plain_words(fake_source, catalogue, monkeypatch):
    monkeypatch.delenv("SCOREBOARD_SOURCE_CATALOGUE_TOKEN")
    run = pull(catalogue)
    assert run.status == "failed"
    assert "SCOREBOARD_SOURCE_CATALOGUE_TOKEN, which is not set" in run.error
    assert fake_source.requests == []


def test_pulling_the_same_data_twice_stores_it_once(fake_source, catalogue):
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 87.5}})
    pull(catalogue)
    second = pull(catalogue)
    assert (second.rows_stored, second.rows_unchanged) == (0, 1)
    assert Measurement.objects.count() == 1


def test_a_corrected_value_at_the_source_updates_the_measurement_with_history(fake_source, catalogue):
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 87.5}})
    pull(catalogue)
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 88}})
    assert pull(catalogue).rows_stored == 1
    measurement = Measurement.objects.get()
    assert measurement.value == Decimal(88)
    assert [h.value for h in measurement.history.order_by("history_date")] == [Decimal("87.5"), Decimal(88)]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"measured_at": OBSERVED, "summary": {"score": "n/a"}}, "not a number"),
        ({"measured_at": OBSERVED, "summary": {}}, "matched nothing"),
        ({"measured_at": OBSERVED, "summary": {"score": True}}, "not a number"),
        ({"measured_at": "yesterday-ish", "summary": {"score": 1}}, "not a date and time"),
    ],
)
def test_a_wrongly_shaped_answer_fails_without_retry_and_stores_nothing(fake_source, catalogue, answer, reason):
    fake_source.json("/quality", answer)
    run = pull(catalogue, last_attempt=False)  # a permanent failure does not raise for a retry
    assert (run.status, run.will_retry) == ("failed", False)
    assert reason in run.error
    assert not Measurement.objects.exists()


def test_garbage_instead_of_json_fails_without_retry(fake_source, catalogue):
    fake_source.text("/quality", b"<html>maintenance</html>", content_type="text/html")
    run = pull(catalogue, last_attempt=False)
    assert (run.status, run.will_retry) == ("failed", False)
    assert "is not JSON" in run.error


def test_a_failed_pull_leaves_earlier_data_intact(fake_source, catalogue):
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 87.5}})
    pull(catalogue)
    fake_source.json("/quality", {"measured_at": "2026-03-15T10:00:00Z", "summary": {"score": "broken"}})
    pull(catalogue)
    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("87.5")]
    catalogue.refresh_from_db()
    assert (catalogue.last_status, catalogue.last_success_at is not None) == ("failed", True)
    assert "not a number" in catalogue.last_error


def test_a_pull_failing_on_its_second_kpi_stores_nothing_of_the_first(fake_source, catalogue, cio, coo):
    other = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo)
    SourceMapping.objects.create(source=catalogue, kpi=other, expression="$.summary.missing")
    fake_source.json("/quality", {"measured_at": OBSERVED, "summary": {"score": 87.5}})
    run = pull(catalogue)
    assert run.status == "failed"
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_transient_and_ask_for_a_retry(fake_source, catalogue, status):
    fake_source.status("/quality", status)
    with pytest.raises(TransientPullError):
        pull(catalogue, last_attempt=False)
    run = PullRun.objects.get()
    assert (run.status, run.will_retry) == ("failed", True)
    assert str(status) in run.error


def test_a_client_error_is_permanent(fake_source, catalogue):
    fake_source.status("/quality", 404)
    run = pull(catalogue, last_attempt=False)
    assert (run.status, run.will_retry) == ("failed", False)
    assert "404" in run.error


def test_a_slow_source_times_out_as_a_transient_failure(fake_source, catalogue):
    fake_source.slow("/quality", 5, {"measured_at": OBSERVED, "summary": {"score": 1}})
    with pytest.raises(TransientPullError, match="timed out"):
        pull(catalogue, last_attempt=False)


def test_the_task_asks_for_a_retry_after_a_transient_failure(fake_source, catalogue, in_process_jobs):
    fake_source.status("/quality", 503)
    with pytest.raises(Retry):
        pull_source.apply(args=[catalogue.pk])
    assert list(PullRun.objects.values_list("attempt", "will_retry")) == [(1, True)]


def test_the_task_does_not_retry_a_permanent_failure(fake_source, catalogue, in_process_jobs):
    fake_source.status("/quality", 404)
    pull_source.apply(args=[catalogue.pk])  # returns: no Retry raised
    assert PullRun.objects.count() == 1


def test_the_last_attempt_records_that_no_retry_follows(fake_source, catalogue):
    fake_source.status("/quality", 503)
    run = pull(catalogue, last_attempt=True)
    assert (run.status, run.will_retry) == ("failed", False)


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap(settings):
    from metrics.tasks import retry_delay

    settings.METRIC_PULL_RETRY_BASE_SECONDS, settings.METRIC_PULL_RETRY_MAX_SECONDS = 30, 900
    assert 15 <= retry_delay(0) <= 30
    assert 120 <= retry_delay(3) <= 240
    assert 450 <= retry_delay(9) <= 900


def test_a_source_url_off_the_allow_list_is_refused(fake_source, catalogue, settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["metrics.example.com"]
    run = pull(catalogue)
    assert run.status == "failed"
    assert "is not on METRIC_SOURCE_ALLOWED_HOSTS" in run.error
    assert fake_source.requests == []


def test_a_disabled_source_is_not_pulled(fake_source, catalogue):
    catalogue.enabled = False
    catalogue.save()
    assert pull(catalogue) is None
    assert fake_source.requests == []


# --- Prometheus --------------------------------------------------------------------------------


@pytest.fixture
def prometheus(fake_source, kpi):
    source = MetricSource.objects.create(name="Prometheus", kind="prometheus", url=fake_source.url("/"))
    SourceMapping.objects.create(
        source=source, kpi=kpi, expression="avg by (initiative) (uptime)", initiative_label="initiative"
    )
    return source


AT = 1_773_482_400  # 2026-03-14 10:00 UTC


def test_prometheus_instant_query_maps_labels_to_initiatives(fake_source, prometheus, initiative_a, initiative_b):
    fake_source.prometheus_vector(
        [({"initiative": initiative_a.code}, 99.5, AT), ({"initiative": initiative_b.code}, 97.25, AT)],
        query="avg by (initiative) (uptime)",
    )
    run = pull(prometheus)
    assert (run.status, run.rows_stored) == ("succeeded", 2)
    assert dict(Measurement.objects.values_list("initiative__code", "value")) == {
        initiative_a.code: Decimal("99.5"),
        initiative_b.code: Decimal("97.25"),
    }
    assert fake_source.requests[0].path == "/api/v1/query"


def test_prometheus_series_for_an_unknown_initiative_are_rejected_with_the_reason(
    fake_source, prometheus, initiative_a
):
    fake_source.prometheus_vector(
        [({"initiative": initiative_a.code}, 99.5, AT), ({"initiative": "ghost"}, 50, AT)],
        query="avg by (initiative) (uptime)",
    )
    run = pull(prometheus)
    assert (run.status, run.rows_stored, run.rows_rejected) == ("succeeded", 1, 1)
    assert run.rejections[0]["reason"] == "fixture-kpi: label initiative names no initiative"


def test_prometheus_not_a_number_samples_are_rejected(fake_source, prometheus, initiative_a):
    fake_source.prometheus_vector(
        [({"initiative": initiative_a.code}, float("nan"), AT)], query="avg by (initiative) (uptime)"
    )
    run = pull(prometheus)
    assert (run.rows_stored, run.rows_rejected) == (0, 1)
    assert "not a" in run.rejections[0]["reason"]


def test_prometheus_range_query_stores_every_step(fake_source, prometheus, initiative_a):
    prometheus.lookback_hours = 3
    prometheus.save()
    points = [(99.0, AT - 7200), (98.0, AT - 3600), (97.0, AT)]
    fake_source.prometheus_matrix([({"initiative": initiative_a.code}, points)], query="avg by (initiative) (uptime)")
    run = pull(prometheus)
    assert run.rows_stored == 3
    assert fake_source.requests[0].path == "/api/v1/query_range"
    assert pull(prometheus).rows_unchanged == 3


def test_prometheus_query_error_fails_the_pull_with_its_message(fake_source, prometheus):
    fake_source.prometheus_error("1:5: parse error: unexpected identifier", query="avg by (initiative) (uptime)")
    run = pull(prometheus, last_attempt=False)
    assert (run.status, run.will_retry) == ("failed", False)
    assert "parse error" in run.error


def test_prometheus_several_series_for_a_company_wide_mapping_fail_clearly(fake_source, prometheus):
    prometheus.mappings.update(initiative_label="")
    fake_source.prometheus_vector([({"a": "1"}, 1, AT), ({"a": "2"}, 2, AT)], query="avg by (initiative) (uptime)")
    run = pull(prometheus)
    assert "returned 2 series" in run.error


# --- SQL ---------------------------------------------------------------------------------------


@pytest.fixture
def warehouse(tmp_path, monkeypatch, kpi, initiative_a):
    """A real database holding the feed: a SQLite file here (the read path is the same for
    PostgreSQL, proven by the next fixture when the suite runs on PostgreSQL)."""
    path = tmp_path / "warehouse.sqlite3"
    db = sqlite3.connect(path)
    db.execute("create table feed (kpi text, initiative text, observed text, value text)")
    db.executemany(
        "insert into feed values (?, ?, ?, ?)",
        [
            (kpi.code, initiative_a.code, "2026-03-14T10:00:00+00:00", "12.5"),
            (kpi.code, "", "2026-03-14T10:00:00+00:00", "30"),
            ("no-such-kpi", "", "2026-03-14T10:00:00+00:00", "1"),
            (kpi.code, initiative_a.code, "2026-03-15T10:00:00+00:00", "lots"),
        ],
    )
    db.commit()
    db.close()
    monkeypatch.setenv("SCOREBOARD_SOURCE_WAREHOUSE_URL", f"sqlite:///{path}")
    return MetricSource.objects.create(
        name="Warehouse", kind="sql", connection_env="SCOREBOARD_SOURCE_WAREHOUSE_URL", query="select * from feed"
    )


def test_sql_source_stores_its_rows_and_rejects_bad_ones_with_reasons(warehouse, kpi, initiative_a):
    run = pull(warehouse)
    assert (run.status, run.rows_read, run.rows_stored, run.rows_rejected) == ("succeeded", 4, 2, 2)
    reasons = [r["reason"] for r in run.rejections]
    assert reasons == ["the KPI code (column 1) names no KPI", "value: not a number"]
    assert set(Measurement.objects.values_list("initiative_id", "value")) == {
        (initiative_a.pk, Decimal("12.5")),
        (None, Decimal(30)),
    }


def test_sql_source_connection_is_read_only(warehouse):
    warehouse.query = "insert into feed values ('x', '', '2026-03-14', '1') returning *"
    warehouse.save()
    run = pull(warehouse)
    assert run.status == "failed"
    assert "readonly" in run.error.replace("-", "").replace(" ", "").lower()


def test_sql_source_without_its_connection_variable_fails_in_plain_words(warehouse, monkeypatch):
    monkeypatch.delenv("SCOREBOARD_SOURCE_WAREHOUSE_URL")
    run = pull(warehouse)
    assert "SCOREBOARD_SOURCE_WAREHOUSE_URL holding the database URL is not set" in run.error


@pytest.fixture
def warehouse_database():
    """Another PostgreSQL database on the test server, with a feed table: what a SQL source reads
    (the app's own database is refused). Made and dropped around the test."""
    if connection.vendor != "postgresql":
        pytest.fail("run the suite on PostgreSQL (make test or .ci/run) to prove the PostgreSQL SQL source")
    s = connection.settings_dict
    server = {"user": s["USER"], "password": s["PASSWORD"] or None, "host": s["HOST"], "port": s["PORT"]}
    name = f"warehouse_{os.getpid()}"
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{name}", server | {"dbname": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_sql_source_reads_a_postgresql_database_read_only(monkeypatch, kpi, initiative_a, warehouse_database):
    url, server = warehouse_database
    feed = psycopg2.connect(**server)
    feed.autocommit = True
    with feed.cursor() as cursor:
        cursor.execute("CREATE TABLE warehouse_feed (kpi text, initiative text, observed timestamptz, value numeric)")
        cursor.execute(
            "INSERT INTO warehouse_feed VALUES (%s, %s, '2026-03-14 10:00+00', 41.5)", [kpi.code, initiative_a.code]
        )
    feed.close()
    monkeypatch.setenv("SCOREBOARD_SOURCE_WAREHOUSE_URL", url)
    source = MetricSource.objects.create(
        name="Warehouse",
        kind="sql",
        connection_env="SCOREBOARD_SOURCE_WAREHOUSE_URL",
        query="SELECT * FROM warehouse_feed",
    )
    assert pull(source).rows_stored == 1
    assert Measurement.objects.get().value == Decimal("41.5")
    source.query = "DELETE FROM warehouse_feed RETURNING kpi, initiative, observed, value"
    source.save()
    refused = pull(source)
    assert refused.status == "failed"
    assert "read-only transaction" in refused.error


def test_prometheus_scalar_answer_fails_the_run_instead_of_leaving_it_running(fake_source, prometheus):
    fake_source.json("/api/v1/query", {"status": "success", "data": {"resultType": "scalar", "result": [AT, "1"]}})
    run = pull(prometheus)
    assert (run.status, run.will_retry) == ("failed", False)
    assert "not a vector or matrix" in run.error


def test_prometheus_malformed_samples_fail_the_run_in_plain_words(fake_source, prometheus):
    fake_source.json(
        "/api/v1/query",
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [AT]}]}},
    )
    run = pull(prometheus)
    assert run.status == "failed"
    assert "not [time, value] pairs" in run.error
    prometheus.refresh_from_db()
    assert prometheus.last_status == "failed"


def test_sql_source_refuses_more_than_one_statement(warehouse):
    warehouse.query = "SET TRANSACTION READ WRITE; DELETE FROM feed; SELECT * FROM feed"
    warehouse.save()
    run = pull(warehouse)
    assert run.status == "failed"
    assert "more than one statement" in run.error
    assert Measurement.objects.count() == 0
