"""A metric source reads only the environment variables meant for sources, never the app's own
secrets nor its own database, and its run's record never echoes what the source answered
(issue 15, defect 7). Each is refused on save (by field) and again at pull time."""

import sqlite3

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from metrics.models import Measurement, MetricSource, SourceMapping
from metrics.services.pulls import source_pull
from metrics.services.sources import metric_source_save

pytestmark = pytest.mark.django_db

OBSERVED = "2026-03-14T10:00:00+00:00"


def _http_source(fake_source, variable: str) -> dict:
    return {
        "name": "Catalogue",
        "kind": "http_json",
        "url": fake_source.url("/quality"),
        "headers": {"Authorization": {"env": variable}},
        "timestamp_path": "$.measured_at",
        "timeout_seconds": 2,
    }


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "HOME"])
def test_a_credential_header_naming_a_server_variable_is_refused_on_save(admin_user, fake_source, variable):
    with pytest.raises(ValidationError) as refused:
        metric_source_save(by=admin_user, data=_http_source(fake_source, variable))

    assert f"{variable} is not a variable metric sources may read" in refused.value.message_dict["headers"][0]
    assert not MetricSource.objects.exists()


def test_a_sql_source_reading_the_apps_database_url_is_refused_on_save(admin_user):
    data = {"name": "Own", "kind": "sql", "connection_env": "DATABASE_URL", "query": "select 1"}

    with pytest.raises(ValidationError) as refused:
        metric_source_save(by=admin_user, data=data)

    assert "DATABASE_URL is not a variable metric sources may read" in refused.value.message_dict["connection_env"][0]


@override_settings(METRIC_SOURCE_ENV_ALLOWED=["LEGACY_REPORTING_TOKEN"])
def test_a_variable_the_operator_lists_may_be_read(admin_user, fake_source):
    source = metric_source_save(by=admin_user, data=_http_source(fake_source, "LEGACY_REPORTING_TOKEN"))

    assert source.headers == {"Authorization": {"env": "LEGACY_REPORTING_TOKEN"}}


@pytest.mark.parametrize("kind", ["http_json", "prometheus"])
def test_a_source_stored_before_the_rule_sends_nothing_and_fails_in_words(
    fake_source, kpi, initiative_a, monkeypatch, kind
):
    # Written straight to the table, as a source saved before the rule existed would be.
    monkeypatch.setenv("SECRET_KEY", "the-servers-own-secret")
    source = MetricSource.objects.create(**_http_source(fake_source, "SECRET_KEY") | {"kind": kind})
    SourceMapping.objects.create(source=source, kpi=kpi, initiative=initiative_a, expression="$.score")
    fake_source.json("/quality", {"measured_at": OBSERVED, "score": 1})

    run = source_pull(source_id=source.pk)

    assert run.status == "failed"
    assert "SECRET_KEY is not a variable metric sources may read" in run.error
    assert fake_source.requests == []


def test_a_sql_source_pointing_at_the_apps_own_database_is_refused(monkeypatch, settings, tmp_path):
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        own = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        own = f"sqlite:///{s['NAME']}"
    monkeypatch.setenv("SCOREBOARD_SOURCE_SELF", own)
    source = MetricSource.objects.create(
        name="Self", kind="sql", connection_env="SCOREBOARD_SOURCE_SELF", query="select username from scoreboard_user"
    )

    run = source_pull(source_id=source.pk)

    assert run.status == "failed"
    assert "the scoreboard's own database" in run.error
    assert run.rows_read == 0


def test_a_rejected_row_is_recorded_by_column_and_reason_never_by_its_contents(monkeypatch, tmp_path, kpi):
    path = tmp_path / "feed.sqlite3"
    feed = sqlite3.connect(path)
    secret = "pbkdf2_sha256$870000$salt$hash-of-someones-password"
    feed.execute("create table feed (kpi text, initiative text, observed text, value text)")
    feed.executemany(
        "insert into feed values (?, ?, ?, ?)",
        [
            (secret, "", OBSERVED, "1"),
            (kpi.code, secret, OBSERVED, "1"),
            (kpi.code, "", secret, "1"),
            (kpi.code, "", OBSERVED, secret),
        ],
    )
    feed.commit()
    feed.close()
    monkeypatch.setenv("SCOREBOARD_SOURCE_FEED", f"sqlite:///{path}")
    source = MetricSource.objects.create(
        name="Feed", kind="sql", connection_env="SCOREBOARD_SOURCE_FEED", query="select * from feed"
    )

    run = source_pull(source_id=source.pk)

    assert run.rows_rejected == 4
    assert not Measurement.objects.exists()
    assert "pbkdf2" not in str(run.rejections)
    assert [r["reason"] for r in run.rejections] == [
        "the KPI code (column 1) names no KPI",
        "the initiative code (column 2) names no initiative",
        "observed time: not a date and time",
        "value: not a number",
    ]
