"""One intake for measurements (metrics.services.ingest.measurements_record): the quick form, a
CSV file and the API read a value the same way, unit and all, and refuse the same mistake with
the same reason."""

import html
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from metrics.models import CsvImport, Measurement

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - timedelta(days=3)).isoformat()


def _by_form(client, initiative, value):
    url = reverse("workspace:log", args=[initiative.code])
    response = client.post(url, {"kpi": "fixture-kpi", "period": DAY, "value": value, "note": ""})
    return html.unescape(response.content.decode())


def _by_csv(client, initiative, value):
    data = f'kpi,date,value,note\nfixture-kpi,{DAY},"{value}",\n'.encode()
    url = reverse("workspace:csv-upload", args=[initiative.code])
    client.post(url, {"file": SimpleUploadedFile("values.csv", data, content_type="text/csv")})
    csv_import = CsvImport.objects.latest("created_at")
    preview = client.get(reverse("workspace:csv-preview", args=[csv_import.uuid]))
    client.post(reverse("workspace:csv-store", args=[csv_import.uuid]), {"choice": "all"})
    return html.unescape(preview.content.decode())


def _by_api(client, initiative, value):
    body = {"kpi": "fixture-kpi", "initiative": initiative.code, "observed_at": f"{DAY}T00:00:00Z", "value": value}
    response = client.post("/api/v1/measurements/", json.dumps(body), content_type="application/json")
    return response.content.decode()


PATHS = {"form": _by_form, "csv": _by_csv, "api": _by_api}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("typed", ["85 %", "85%", "85"])
def test_a_value_typed_with_its_unit_is_stored_the_same_on_every_path(
    client, ops_lead_a, initiative_a, kpi, path, typed
):
    client.force_login(ops_lead_a)

    PATHS[path](client, initiative_a, typed)

    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("85")]


@pytest.mark.parametrize("path", PATHS)
def test_a_unit_that_is_not_the_kpis_is_refused_with_the_same_reason_on_every_path(
    client, ops_lead_a, initiative_a, kpi, path
):
    client.force_login(ops_lead_a)

    answer = PATHS[path](client, initiative_a, "12 h")

    assert f"{kpi.name} is measured in %, not h." in answer
    assert not Measurement.objects.exists()
