"""A CSV upload that adds up: every row read is stored, unchanged, refused or repeated in the
file, in the preview and in the result; each repeat names the row it repeats, and the last of
repeated rows wins only when the person chose it. The separator and the decimal mark are read
once for the whole file and said on the preview, and the pages speak of one row and of many."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from metrics.models import CsvImport, Measurement
from metrics.services import csv_import as csv_imports
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - timedelta(days=10)
OTHER_DAY = DAY - timedelta(days=1)


def _csv(*rows, header="kpi,date,value,note", sep="\n") -> bytes:
    return (sep.join([header, *rows]) + sep).encode()


def _upload(client, initiative, data: bytes):
    url = reverse("workspace:csv-upload", args=[initiative.code])
    return client.post(url, {"file": SimpleUploadedFile("values.csv", data, content_type="text/csv")})


def _latest() -> CsvImport:
    return CsvImport.objects.latest("created_at")


def _preview(client, **query) -> str:
    page = client.get(reverse("workspace:csv-preview", args=[_latest().uuid]), query)
    return " ".join(html.unescape(page.content.decode()).split())


def _store(client, **body):
    return client.post(reverse("workspace:csv-store", args=[_latest().uuid]), {"choice": "all", **body}, follow=True)


def _counts(text: str) -> str:
    """The preview's or the result's table of where every row went, as words."""
    start = text.index('<table id="counts"')
    return text[start : text.index("</table>", start)]


def _count(text: str, key: str) -> tuple[str, int]:
    """A line of that table: its words and its number (stored, unchanged, refused, repeated, read)."""
    found = re.search(rf'id="count-{key}"><t[dh][^>]*>([^<]*)</t[dh]><t[dh] class="num">([0-9,]+)<', text)
    return found[1], int(found[2].replace(",", ""))


def _stored():
    return sorted(Measurement.objects.values_list("kpi__code", "value"))


@pytest.fixture
def count_kpi(cio, coo, initiative_a):
    kpi = factories.KPIFactory(
        code="claims-handled",
        name="Claims handled",
        unit="count",
        accountable_executive=cio,
        co_accountable_executive=coo,
    )
    initiative_a.kpis.add(kpi)
    return kpi


# The 6,000 rows read and 2,097 stored of the issue, in small: rows repeating a KPI and day.
REPEATING = (
    f"fixture-kpi,{DAY},80,first",  # row 2
    f"fixture-kpi,{DAY},81,again",  # row 3: repeats row 2
    f"claims-handled,{DAY},120,",  # row 4
    f"fixture-kpi,{OTHER_DAY},70,",  # row 5
    f"fixture-kpi,{DAY}T15:00:00+00:00,82,the afternoon's",  # row 6: the same day, another time: repeats row 2
    f"claims-handled,{DAY},121,",  # row 7: repeats row 4
)


# --- Every row accounted for ----------------------------------------------------------------------------


def test_a_file_with_repeats_accounts_for_every_row_in_the_preview_and_names_each_repeat(
    client, ops_lead_a, initiative_a, kpi, count_kpi
):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv(*REPEATING))
    text = _preview(client)

    assert [_count(text, key) for key in ("stored", "unchanged", "refused", "repeated", "read")] == [
        ("To store (new or changed)", 3),
        ("Unchanged (already stored as they are)", 0),
        ("Refused (problems below)", 0),
        ("Repeated in the file (each names the row it repeats)", 3),
        ("Rows read", 6),
    ]
    assert "Row 3 repeats row 2: same KPI, initiative and day" in text
    assert "Row 6 repeats row 2: same KPI, initiative and day" in text
    assert "Row 7 repeats row 4: same KPI, initiative and day" in text
    assert "Store 3 rows" in text
    csv_import = _latest()
    assert (csv_import.rows_total, csv_import.rows_valid, csv_import.rows_repeated) == (6, 6, 3)
    assert not Measurement.objects.exists()


def test_storing_a_file_with_repeats_stores_the_first_of_each_and_the_counts_add_up(
    client, ops_lead_a, initiative_a, kpi, count_kpi
):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(*REPEATING))

    result = " ".join(html.unescape(_store(client).content.decode()).split())

    csv_import = _latest()
    assert (csv_import.stored_count, csv_import.unchanged_count, csv_import.rejected_count) == (3, 0, 0)
    assert csv_import.repeated_count == 3
    assert _stored() == [("claims-handled", Decimal(120)), ("fixture-kpi", Decimal(70)), ("fixture-kpi", Decimal(80))]
    assert (
        "6 rows read: stored 3 · unchanged (already stored as they are) 0 · refused 0 · repeated in the file 3."
        in result
    )
    assert "Row 3 repeats row 2: same KPI, initiative and day; not stored" in result


def test_keeping_the_last_of_repeated_rows_stores_the_last_and_counts_the_earlier_as_replaced(
    client, ops_lead_a, initiative_a, kpi, count_kpi
):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(*REPEATING))

    _store(client, keep_last="yes")
    text = _preview(client)

    csv_import = _latest()
    assert csv_import.keep_last
    assert (csv_import.stored_count, csv_import.repeated_count) == (3, 3)
    assert _stored() == [("claims-handled", Decimal(121)), ("fixture-kpi", Decimal(70)), ("fixture-kpi", Decimal(82))]
    assert "Row 2: replaced by row 6" in text
    assert "Row 3: replaced by row 6" in text
    assert "Row 4: replaced by row 7" in text
    assert "Replaced by a later row (you kept the last)" in _counts(text)


def test_the_rows_left_out_list_shows_the_repeats(client, ops_lead_a, initiative_a, kpi, count_kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(*REPEATING))

    page = client.get(reverse("workspace:csv-preview", args=[_latest().uuid]), {"only": "problems"})

    assert [v.record.number for v in page.context["page"]] == [3, 6, 7]


def test_a_repeat_many_chunks_after_its_row_is_found(client, ops_lead_a, initiative_a, kpi, monkeypatch):
    monkeypatch.setattr(csv_imports, "CHUNK_ROWS", 2)
    client.force_login(ops_lead_a)
    rows = [f"fixture-kpi,{DAY - timedelta(days=i)},{i},row {i}" for i in range(6)]

    _upload(client, initiative_a, _csv(*rows, f"fixture-kpi,{DAY},99,row 8 again"))

    assert _latest().verdicts["repeats"] == {"8": [2, "day"]}


def test_a_weekly_kpis_repeat_is_a_row_for_the_same_week(client, ops_lead_a, initiative_a, kpi):
    kpi.period = "week"
    kpi.save()
    client.force_login(ops_lead_a)
    monday = DAY - timedelta(days=DAY.weekday())
    day_after = monday + timedelta(days=1) if (monday + timedelta(days=1)).month == monday.month else monday

    _upload(client, initiative_a, _csv(f"fixture-kpi,{monday},80,", f"fixture-kpi,{day_after},81,"))

    assert "Row 3 repeats row 2: same KPI, initiative and week" in _preview(client)


def test_the_preview_counts_rows_already_stored_as_they_are_as_unchanged(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{OTHER_DAY},70,"))
    _store(client)

    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{OTHER_DAY},75,"))

    text = _preview(client)
    assert (_count(text, "stored")[1], _count(text, "unchanged")[1]) == (1, 1)
    _store(client)
    assert (_latest().stored_count, _latest().unchanged_count) == (1, 1)


def test_a_value_with_more_places_than_kept_counts_unchanged_when_it_rounds_to_the_stored_one(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},1.234568,"))
    _store(client)

    # Stored to 6 places, 1.2345678 is 1.234568: storing it changes nothing, so the preview says so.
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},1.2345678,"))

    text = _preview(client)
    assert (_count(text, "stored")[1], _count(text, "unchanged")[1]) == (0, 1)
    _store(client)
    assert (_latest().stored_count, _latest().unchanged_count) == (0, 1)
    assert _stored() == [("fixture-kpi", Decimal("1.234568"))]


def test_rows_with_problems_are_counted_refused_and_the_rest_add_up(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(
        client,
        initiative_a,
        _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{DAY},81,", f"fixture-kpi,{OTHER_DAY},140,", "fixture-kpi,x,1,"),
    )

    _store(client, choice="valid", confirm="yes")

    csv_import = _latest()
    counted = (
        csv_import.stored_count,
        csv_import.unchanged_count,
        csv_import.rejected_count,
        csv_import.repeated_count,
    )
    assert counted == (1, 0, 2, 1)
    assert sum(counted) == csv_import.rows_total == 4


def test_the_database_refuses_a_stored_import_whose_rows_do_not_add_up(ops_lead_a, initiative_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        CsvImport.objects.create(
            initiative=initiative_a,
            uploaded_by=ops_lead_a,
            file_name="values.csv",
            sha256="x",
            content="kpi,date,value\n",
            rows_total=6000,
            rows_checked=6000,
            rows_valid=6000,
            status="stored",
            stored_count=2097,
            finished_at=timezone.now(),
        )


# --- The separator and the decimal mark, one rule for the whole file ------------------------------------------


def test_a_semicolon_file_with_decimal_commas_is_read_and_says_so(client, ops_lead_a, initiative_a, kpi, count_kpi):
    client.force_login(ops_lead_a)
    data = _csv(f"fixture-kpi;{DAY};83,5;", f"claims-handled;{DAY};1.234,0;", header="kpi;date;value;note")

    _upload(client, initiative_a, data)
    text = _preview(client)
    _store(client)

    assert "Read with ; between columns and , as the decimal mark (as row 2 writes it)" in text
    assert _stored() == [("claims-handled", Decimal(1234)), ("fixture-kpi", Decimal("83.5"))]


def test_a_tab_separated_file_with_decimal_commas_is_read(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv(f"fixture-kpi\t{DAY}\t83,5 %\tnoted", header="kpi\tdate\tvalue\tnote"))
    text = _preview(client)
    _store(client)

    assert "Read with tabs between columns and , as the decimal mark" in text
    assert _stored() == [("fixture-kpi", Decimal("83.5"))]


def test_in_a_decimal_comma_file_1_234_is_read_by_the_files_rule(client, ops_lead_a, initiative_a, count_kpi):
    client.force_login(ops_lead_a)
    rows = (f"claims-handled;{DAY};1,234;", f"claims-handled;{OTHER_DAY};2,5;")

    _upload(client, initiative_a, _csv(*rows, header="kpi;date;value;note"))
    _store(client)

    assert _stored() == [("claims-handled", Decimal("1.234")), ("claims-handled", Decimal("2.5"))]


def test_a_semicolon_file_that_shows_no_decimal_mark_refuses_1_234_as_ambiguous(
    client, ops_lead_a, initiative_a, count_kpi
):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv(f"claims-handled;{DAY};25.440;", header="kpi;date;value;note"))
    text = _preview(client)

    assert "No value shows its decimal mark" in text
    assert "Row 2 · value: '25.440' could be read two ways" in text
    assert "Write it without the separator (25440)" in text
    assert _latest().rows_valid == 0


def test_a_semicolon_file_mixing_decimal_marks_reads_the_point_and_refuses_the_comma(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)

    _upload(
        client,
        initiative_a,
        _csv(f"fixture-kpi;{DAY};83,5;", f"fixture-kpi;{OTHER_DAY};83.5;", header="kpi;date;value;note"),
    )
    text = _preview(client)

    assert "Row 2 writes a decimal comma: values written that way are refused" in text
    assert "Row 2 · value: '83,5': write decimals with a point" in text
    assert _latest().rows_valid == 1


def test_a_comma_separated_file_keeps_the_decimal_point(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv(f'fixture-kpi,{DAY},"83,5",'))
    text = _preview(client)

    assert "Read with , between columns and . as the decimal mark." in text
    assert "'83,5': write decimals with a point" in text


# --- One row and many ---------------------------------------------------------------------------------------


def test_a_file_of_one_row_offers_to_store_1_row(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))
    text = _preview(client)

    assert "Store 1 row<" in text
    assert "1 rows" not in text
    assert "· 1 row ·" in text
    result = " ".join(html.unescape(_store(client).content.decode()).split())
    assert "1 row read: stored 1 ·" in result


def test_a_file_of_thousands_of_rows_offers_to_store_all_of_them_grouped(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    rows = [f"fixture-kpi,{DAY - timedelta(days=i)},{i % 100}," for i in range(1200)]

    _upload(client, initiative_a, _csv(*rows))
    text = _preview(client)

    assert "Store all 1,200 rows" in text
    assert "· 1,200 rows ·" in text
