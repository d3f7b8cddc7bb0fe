"""Hostile input through the people's paths (issue 15): in a CSV file or in the quick form, a NUL
character, half a surrogate pair, a control character, a number or a day no one means is refused
in words on its row and column (or its field), never a 500, and nothing is stored. Examples, then
every column and field with values drawn by Hypothesis."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from metrics.models import CsvImport, Measurement
from scoreboard.writes import text_problem
from tests import hostile as h

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


# --- Generated: every column of a CSV file, every field of the quick form (issue 15) ----------------


def _cell_stays_hostile(text: str) -> bool:
    return bool(text_problem(text.strip()))  # cells are read stripped: what surrounds the text goes


CSV_COLUMNS = {
    "kpi": st.one_of(h.hostile_text.filter(_cell_stays_hostile), h.not_a_number_text, st.just("")),
    "date": st.one_of(h.bad_day_text, h.hostile_text.filter(_cell_stays_hostile)),
    "value": st.one_of(h.bad_number_text, h.hostile_text.filter(_cell_stays_hostile), st.just("")),
    "note": st.one_of(h.hostile_text.filter(_cell_stays_hostile), st.integers(501, 2_000).map(lambda n: "x" * n)),
}


def _csv_file(**cells) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kpi", "date", "value", "note"])
    writer.writerow(
        [
            cells.get(name, default)
            for name, default in (("kpi", "fixture-kpi"), ("date", DAY), ("value", "64"), ("note", ""))
        ]
    )
    return out.getvalue().encode("utf-8", errors="surrogatepass")  # half a pair: bytes UTF-8 cannot read


def _upload(client, initiative, data: bytes):
    url = reverse("workspace:csv-upload", args=[initiative.code])
    return client.post(url, {"file": SimpleUploadedFile("values.csv", data, content_type="text/csv")})


@pytest.mark.parametrize("column", CSV_COLUMNS)
def test_a_hostile_cell_is_named_by_row_and_column_and_nothing_is_stored(client, ops_lead_a, initiative_a, kpi, column):
    client.force_login(ops_lead_a)

    @h.budget(15)
    @given(cell=CSV_COLUMNS[column])
    def check(cell):
        response = _upload(client, initiative_a, _csv_file(**{column: cell}))

        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:  # the file cannot be read at all: said with where
            assert f"Row 2 · {column}" in html.unescape(response.content.decode())
        else:
            upload = CsvImport.objects.latest("created_at")
            assert column in upload.verdicts["problems"]["2"], upload.verdicts
            preview = client.get(response["Location"])
            assert f"Row 2 · {column}" in html.unescape(preview.content.decode())
            stored = client.post(reverse("workspace:csv-store", args=[upload.uuid]), {"choice": "all"})
            assert stored.status_code == 409
        assert not Measurement.objects.exists()

    check()


FORM_FIELDS = {
    "kpi": st.one_of(h.with_nul, h.with_control, h.not_a_number_text),
    "period": st.one_of(h.bad_day_text, h.with_nul, h.with_control),
    "value": st.one_of(h.bad_number_text, h.with_nul, h.with_control),
    "note": st.one_of(h.with_nul, h.with_control, st.integers(501, 2_000).map(lambda n: "x" * n)),
}


def _form_body(**fields) -> str:
    body = {"kpi": "fixture-kpi", "period": DAY, "value": "64", "note": ""} | fields
    return "&".join(f"{name}={h.query_value(value)}" for name, value in body.items())


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_a_hostile_field_of_the_quick_form_is_refused_on_it(client, ops_lead_a, initiative_a, kpi, field):
    client.force_login(ops_lead_a)
    url = reverse("workspace:log", args=[initiative_a.code])

    @h.budget(20)
    @given(text=FORM_FIELDS[field])
    def check(text):
        response = client.post(url, _form_body(**{field: text}), content_type="application/x-www-form-urlencoded")

        assert response.status_code == 400
        assert field in response.context["form"].errors, response.context["form"].errors
        assert not Measurement.objects.exists()

    check()


# --- What the suite found ------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Brussels", "Pacific/Kiritimati", "America/Los_Angeles"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_day_at_the_calendars_edge_is_refused_on_the_form_in_any_time_zone(
    client, settings, ops_lead_a, initiative_a, kpi, zone, day
):
    settings.TIME_ZONE = zone  # year 1 at midnight east of Greenwich is year 0 in UTC: it was a 500
    client.force_login(ops_lead_a)

    response = client.post(
        reverse("workspace:log", args=[initiative_a.code]), {"kpi": kpi.code, "period": day, "value": "64"}
    )

    assert response.status_code == 400
    assert "period" in response.context["form"].errors
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("zone", ["Europe/Brussels", "Pacific/Kiritimati", "America/Los_Angeles"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_day_at_the_calendars_edge_is_named_in_a_csv_file_in_any_time_zone(
    client, settings, ops_lead_a, initiative_a, kpi, zone, day
):
    settings.TIME_ZONE = zone
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv_file(date=day))

    assert "date" in CsvImport.objects.get().verdicts["problems"]["2"]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"kpi,date,value,note\nfixture-kpi,2026-03-01,80,fine\nfixture-kpi,2026-03-02,81,nul\x00\n", "Row 3 · note"),
        (b"kpi,date,value,note\nfixture-kpi,2026-03-01,8\xed\xa0\x800,\n", "Row 2 · value"),
        (b'kpi;date;value;note\nfixture-kpi;2026-03-01;80;"two\nlines"\nfix\x00;2026-03-02;1;\n', "Row 3 · kpi"),
    ],
)
def test_a_cell_no_one_can_store_is_named_by_row_and_column(client, ops_lead_a, initiative_a, kpi, data, where):
    client.force_login(ops_lead_a)

    response = _upload(client, initiative_a, data)

    assert response.status_code == 400
    assert where in html.unescape(response.content.decode())  # it said "binary data", or only a byte number
    assert not CsvImport.objects.exists()


@pytest.mark.parametrize("zone", ["Europe/Brussels", "Pacific/Kiritimati", "America/Los_Angeles"])
@pytest.mark.parametrize("observed_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00"])
def test_a_moment_at_the_calendars_edge_is_refused_on_the_api_in_any_time_zone(
    client, settings, ops_lead_a, initiative_a, kpi, zone, observed_at
):
    settings.TIME_ZONE = zone  # saying 9999-12-31 23:59 UTC in Brussels' time was a 500
    client.force_login(ops_lead_a)
    body = {"kpi": kpi.code, "initiative": initiative_a.code, "observed_at": observed_at, "value": 1}

    response = client.post("/api/v1/measurements/", body, content_type="application/json")

    assert response.status_code == 400
    assert "observed_at" in response.json()
    assert not Measurement.objects.exists()
