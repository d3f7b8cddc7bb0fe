"""The API takes the batch the README promises, refuses a larger body with a JSON 413 that says
the limit, and answers every error under /api/ in JSON (400, 404, 405, 413, 500)."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory, override_settings
from django.utils import timezone

from metrics.models import Measurement
from scoreboard import views
from tests import factories

pytestmark = pytest.mark.django_db

BULK = "/api/v1/measurements/bulk/"


def _batch(initiative, rows: int, note: str, kpis=("fixture-kpi",)) -> str:
    """``rows`` measurements, one a day for each KPI (a person's value stands for its day: two
    for one day in one batch would be refused)."""
    start = timezone.now() - timedelta(days=1)
    return json.dumps(
        {
            "measurements": [
                {
                    "kpi": kpis[n % len(kpis)],
                    "initiative": initiative.code,
                    "observed_at": (start - timedelta(days=n // len(kpis))).isoformat(),
                    "value": 50,
                    "note": note,
                }
                for n in range(rows)
            ]
        }
    )


def test_the_documented_batch_of_ten_thousand_with_full_notes_is_stored(client, ops_lead_a, initiative_a, kpi):
    more = factories.KPIFactory.create_batch(
        9, accountable_executive=kpi.accountable_executive, co_accountable_executive=kpi.co_accountable_executive
    )
    initiative_a.kpis.add(*more)
    # A thousand days a KPI: the initiative started before them, or its early values would be refused.
    initiative_a.started_on = timezone.localdate() - timedelta(days=1_100)
    initiative_a.save(update_fields=["started_on"])
    body = _batch(initiative_a, 10_000, "n" * 500, kpis=[kpi.code, *(k.code for k in more)])
    assert len(body) > 2_621_440  # more than Django's default 2.5 MiB
    client.force_login(ops_lead_a)

    response = client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="batch-1")

    assert response.status_code == 201, response.content[:300]
    assert Measurement.objects.count() == 10_000


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100_000)
def test_a_body_over_the_limit_is_refused_with_a_json_413_saying_the_limit(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    response = client.post(BULK, _batch(initiative_a, 400, "n" * 300), content_type="application/json")

    assert response.status_code == 413
    assert "at most 100,000 bytes" in response.json()["detail"]
    assert not Measurement.objects.exists()


def test_the_schema_documents_the_413_on_every_operation_that_takes_a_body(client, admin_user):
    client.force_login(admin_user)
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    operations = [op for ops in paths.values() for op in ops.values() if "requestBody" in op]

    assert operations
    assert all("MAX_REQUEST_BODY_BYTES" in op["responses"]["413"]["description"] for op in operations)


def test_a_body_too_large_found_while_reading_is_a_json_413_under_the_api():
    request = RequestFactory().post(BULK)

    response = views.bad_request(request, RequestDataTooBig("too big"))

    assert response.status_code == 413
    assert "requests take at most" in json.loads(response.content)["detail"]


@pytest.mark.parametrize(
    ("handler", "status"), [(lambda r: views.bad_request(r, ValueError("x")), 400), (views.server_error, 500)]
)
def test_a_refusal_before_any_view_and_a_server_error_are_json_under_the_api(handler, status):
    response = handler(RequestFactory().get("/api/v1/kpis/"))

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"]


def test_a_method_the_endpoint_does_not_take_and_an_unknown_address_are_json(client, admin_user):
    client.force_login(admin_user)

    for response in (client.delete("/api/v1/measurements/"), client.get("/api/v1/nothing-here/")):
        assert response.status_code in (404, 405)
        assert response["Content-Type"] == "application/json"


def test_the_project_names_its_json_handlers():
    from scoreboard import urls

    assert (urls.handler400, urls.handler500) == ("scoreboard.views.bad_request", "scoreboard.views.server_error")
