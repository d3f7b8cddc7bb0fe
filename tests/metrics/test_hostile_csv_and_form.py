"""Hostile text through the people's paths (issue 15, defect 3): a NUL character in a CSV file
or in the quick form is refused in words, never a 500, and nothing is stored."""

import html
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from metrics.models import Measurement

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    "content",
    [
        f"kpi,date,value,note\nfixture-kpi,{DAY},80,nul\x00here\n".encode(),
        f"kpi,date,value,note\nfixture\x00kpi,{DAY},80,\n".encode(),
        b"kpi,date,value,note\n\xff\xfe broken bytes\n",
    ],
)
def test_a_csv_file_with_hostile_bytes_is_refused_in_words(client, ops_lead_a, initiative_a, kpi, content):
    client.force_login(ops_lead_a)
    url = reverse("workspace:csv-upload", args=[initiative_a.code])

    response = client.post(url, {"file": SimpleUploadedFile("values.csv", content, content_type="text/csv")})

    assert response.status_code < 500
    assert not Measurement.objects.exists()


def test_a_nul_character_in_the_quick_form_is_refused_on_its_field(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    url = reverse("workspace:log", args=[initiative_a.code])

    response = client.post(url, {"kpi": "fixture-kpi", "period": DAY, "value": "64", "note": "nul\x00here"})

    assert response.status_code == 400
    assert "Null characters are not allowed" in html.unescape(response.content.decode())
    assert not Measurement.objects.exists()
