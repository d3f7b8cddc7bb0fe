"""Admins configure sources in the admin: validation, the beat schedule kept in step, pull now."""

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from metrics.models import MetricSource, PullRun
from metrics.services.pulls import source_save

pytestmark = pytest.mark.django_db


def _source(**fields):
    return MetricSource(**{"name": "Catalogue", "kind": "http_json", "url": "https://catalogue.example/q", **fields})


def test_saving_a_source_creates_its_schedule_in_the_database():
    source = source_save(source=_source(schedule="*/15 6-18 * * 1-5"))
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)
    assert task.task == "metrics.tasks.pull_source"
    assert json.loads(task.args) == [source.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("*/15", "6-18", "1-5")
    assert task.enabled
    assert task.expire_seconds == 3600


def test_changing_the_schedule_updates_the_same_periodic_task():
    source = source_save(source=_source(schedule="0 * * * *"))
    source.schedule = "30 2 * * *"
    source_save(source=source)
    assert PeriodicTask.objects.filter(task="metrics.tasks.pull_source").count() == 1
    assert PeriodicTask.objects.get(pk=source.periodic_task_id).crontab.hour == "2"


def test_disabling_a_source_disables_its_schedule():
    source = source_save(source=_source())
    source.enabled = False
    source_save(source=source)
    assert not PeriodicTask.objects.get(pk=source.periodic_task_id).enabled


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"headers": {"Authorization": "Bearer abc"}}, "headers", "secrets are never stored in the database"),
        ({"schedule": "every hour"}, "schedule", "five fields"),
        ({"url": ""}, "url", "needs a URL"),
        ({"timeout_seconds": 500}, "timeout_seconds", "less than or equal to 120"),
        ({"schedule": "99 * * * *"}, "schedule", "Not a valid cron line"),
    ],
)
def test_a_misconfigured_source_is_refused_with_the_field_and_the_reason(fields, field, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        source_save(source=_source(**fields))
    assert field in excinfo.value.message_dict
    assert message in " ".join(excinfo.value.message_dict[field])
    assert not MetricSource.objects.exists()


def test_admin_form_saves_through_the_service_and_schedules_the_source(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:metrics_metricsource_add"),
        {
            "name": "Prometheus",
            "kind": "prometheus",
            "enabled": "on",
            "schedule": "5 * * * *",
            "expected_interval_hours": "2",
            "url": "https://prometheus.example",
            "method": "GET",
            "headers": "{}",
            "undated_period": "hour",
            "lookback_hours": "0",
            "step_seconds": "3600",
            "timeout_seconds": "10",
            "max_response_bytes": "5000000",
            "mappings-TOTAL_FORMS": "0",
            "mappings-INITIAL_FORMS": "0",
            "pull_runs-TOTAL_FORMS": "0",
            "pull_runs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    source = MetricSource.objects.get(name="Prometheus")
    assert PeriodicTask.objects.get(pk=source.periodic_task_id).crontab.minute == "5"


def test_pull_now_queues_a_manual_pull(
    client, admin_user, settings, in_process_jobs, django_capture_on_commit_callbacks
):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = []
    source = source_save(source=_source())
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:metrics_metricsource_changelist"),
            {"action": "pull_now", "_selected_action": [source.pk]},
        )
    run = PullRun.objects.get(source=source)
    assert run.trigger == "manual"
    assert run.status == "failed"  # catalogue.example is not on the allow-list here


def test_ops_lead_cannot_open_the_source_admin(client, ops_lead_a):
    ops_lead_a.is_staff = True
    ops_lead_a.save()
    client.force_login(ops_lead_a)
    assert client.get(reverse("admin:metrics_metricsource_add")).status_code == 403
