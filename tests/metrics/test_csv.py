"""CSV in and out for an initiative's measurements: the template, the upload with its preview
and choice, the background path for large files, the export, and who may do what."""

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from metrics import csv_io
from metrics.models import CsvImport, Measurement, MetricSource, MonthlySnapshot, SourceKind
from metrics.services import csv_import as csv_imports
from metrics.services.outbox import sweep
from metrics.services.rollup import snapshot_roll_up
from scoreboard.csv_writer import csv_cell
from scoreboard.months import latest_complete_month
from tests import factories
from tests.worker import wait_for as _wait_for

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - timedelta(days=10)).isoformat()
EARLIER = (timezone.localdate() - timedelta(days=40)).isoformat()
AHEAD = (timezone.localdate() + timedelta(days=30)).isoformat()


def _csv(*rows, header="kpi,date,value,note") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _upload(client, initiative, data: bytes, name="values.csv"):
    url = reverse("workspace:csv-upload", args=[initiative.code])
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def _latest():
    return CsvImport.objects.latest("created_at")


def _store(client, csv_import, **body):
    return client.post(reverse("workspace:csv-store", args=[csv_import.uuid]), body)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


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


@pytest.fixture
def unreported_kpi(cio, coo):
    return factories.KPIFactory(
        code="not-ours", name="Not ours", accountable_executive=cio, co_accountable_executive=coo
    )


# --- Template --------------------------------------------------------------------------------------


def test_template_has_the_header_and_one_example_row_per_kpi_the_initiative_reports(
    client, ops_lead_a, initiative_a, kpi, count_kpi, unreported_kpi
):
    client.force_login(ops_lead_a)

    response = client.get(reverse("workspace:csv-template", args=[initiative_a.code]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0] == ["kpi", "date", "value", "note"]
    assert sorted(r[0] for r in rows[1:]) == ["claims-handled", "fixture-kpi"]


def test_the_template_uploads_as_valid_rows(client, ops_lead_a, initiative_a, kpi, count_kpi):
    client.force_login(ops_lead_a)
    template = b"".join(client.get(reverse("workspace:csv-template", args=[initiative_a.code])).streaming_content)

    _upload(client, initiative_a, template)

    assert (_latest().rows_total, _latest().rows_valid) == (2, 2)


# --- Preview ---------------------------------------------------------------------------------------


def test_preview_names_the_column_and_reason_of_every_bad_row(
    client, ops_lead_a, initiative_a, kpi, count_kpi, unreported_kpi
):
    client.force_login(ops_lead_a)
    data = _csv(
        f"fixture-kpi,{DAY},80,fine",  # row 2
        f"fixture-kpi,{DAY},140,",  # row 3: a percentage over 100
        f"claims-handled,{DAY},-4,",  # row 4: a negative count
        f"fixture-kpi,{AHEAD},50,",  # row 5: in the future
        f"not-ours,{DAY},50,",  # row 6: a KPI the initiative does not report
        f"no-such-kpi,{DAY},50,",  # row 7: an unknown KPI
        "fixture-kpi,31/03/2026,50,",  # row 8: not a date
        f"fixture-kpi,{DAY},lots,",  # row 9: not a number
    )

    response = _upload(client, initiative_a, data)
    page = client.get(response["Location"])

    csv_import = _latest()
    assert (csv_import.status, csv_import.rows_total, csv_import.rows_valid) == ("ready", 8, 1)
    text = page.content.decode()
    for expected in [
        "Row 3 · value: " + kpi.name + " is a percentage: 140 is outside 0 to 100",
        "Row 4 · value: Claims handled is measured in count: it cannot be negative",
        "Row 5 · date: the observed time",
        "is in the future",
        f"Row 6 · kpi: Not ours is not one of the KPIs {initiative_a.name} reports",
        "Row 7 · kpi: No KPI has the code &#x27;no-such-kpi&#x27;.",
        "Row 8 · date: &#x27;31/03/2026&#x27; is not a date",
        "Row 9 · value: &#x27;lots&#x27; is not a number.",
    ]:
        assert expected in text
    assert Measurement.objects.count() == 0


def test_preview_can_show_only_the_rows_with_problems(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,good one", f"fixture-kpi,{DAY},180,bad one"))

    page = client.get(reverse("workspace:csv-preview", args=[_latest().uuid]), {"only": "problems"})

    assert [v.record.number for v in page.context["page"]] == [3]


def test_preview_pages_through_every_rows_verdict(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    start = timezone.localdate() - timedelta(days=300)
    rows = [f"fixture-kpi,{start + timedelta(days=i)},{i % 100},row {i}" for i in range(250)]
    _upload(client, initiative_a, _csv(*rows))

    second = client.get(reverse("workspace:csv-preview", args=[_latest().uuid]), {"page": 2})

    verdicts = list(second.context["page"])
    assert [v.record.number for v in verdicts] == list(range(202, 252))
    assert {v.state for v in verdicts} == {"ok"}


# --- Storing -------------------------------------------------------------------------------------


def test_store_all_is_refused_while_any_row_is_invalid_and_stores_nothing(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{DAY},140,"))

    response = _store(client, _latest(), choice="all")

    assert response.status_code == 409
    assert "1 row has problems" in response.content.decode()
    assert Measurement.objects.count() == 0
    assert _latest().status == "ready"


def test_store_all_stores_every_row_of_a_valid_file_in_the_csv_source(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,a", f"fixture-kpi,{EARLIER},70,b"), name="march.csv")

    response = _store(client, _latest(), choice="all")

    assert response.status_code == 302
    csv_import = _latest()
    assert (csv_import.status, csv_import.stored_count, csv_import.unchanged_count) == ("stored", 2, 0)
    stored = Measurement.objects.get(value=80)
    assert (stored.source.kind, stored.entered_by, stored.entered_via) == (SourceKind.CSV, ops_lead_a, "csv:march.csv")
    assert stored.observed_at == timezone.make_aware(timezone.datetime.fromisoformat(DAY))


def test_store_only_the_valid_rows_needs_the_explicit_confirmation(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{DAY},140,"))

    response = _store(client, _latest(), choice="valid")

    assert response.status_code == 400
    assert Measurement.objects.count() == 0


def test_store_only_the_valid_rows_stores_them_and_counts_the_others_rejected(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{DAY},140,", "fixture-kpi,x,1,"))

    _store(client, _latest(), choice="valid", confirm="yes")

    csv_import = _latest()
    assert (csv_import.stored_count, csv_import.unchanged_count, csv_import.rejected_count) == (1, 0, 2)
    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("80")]


def test_re_uploading_the_same_file_stores_nothing_twice(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    data = _csv(f"fixture-kpi,{DAY},80,", f"fixture-kpi,{EARLIER},70,")
    _upload(client, initiative_a, data)
    _store(client, _latest(), choice="all")

    preview = client.get(_upload(client, initiative_a, data)["Location"])
    _store(client, _latest(), choice="all")

    assert "This file was stored before" in preview.content.decode()
    again = _latest()
    assert (again.stored_count, again.unchanged_count, again.rejected_count) == (0, 2, 0)
    assert Measurement.objects.count() == 2


def test_a_second_click_on_store_stores_nothing_more(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))
    _store(client, _latest(), choice="all")

    response = _store(client, _latest(), choice="all")

    assert response.status_code == 302
    assert (_latest().stored_count, Measurement.objects.count()) == (1, 1)


def test_a_changed_value_replaces_the_stored_one_and_keeps_history(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))
    _store(client, _latest(), choice="all")

    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},85,corrected"))
    _store(client, _latest(), choice="all")

    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("85")]
    assert Measurement.history.filter(value=Decimal("80")).exists()


# --- Who may -----------------------------------------------------------------------------------------


def test_an_executive_cannot_upload_and_nothing_is_kept(client, cio, initiative_a, kpi):
    client.force_login(cio)

    assert client.get(reverse("workspace:csv-upload", args=[initiative_a.code])).status_code == 403
    assert _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,")).status_code == 403
    assert client.get(reverse("workspace:csv-template", args=[initiative_a.code])).status_code == 403
    assert CsvImport.objects.count() == 0


def test_another_ops_lead_cannot_upload_preview_or_store_and_nothing_is_stored(
    client, ops_lead_a, ops_lead_b, initiative_a, initiative_b, kpi
):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))
    csv_import = _latest()
    client.force_login(ops_lead_b)

    assert _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,")).status_code == 403
    assert client.get(reverse("workspace:csv-template", args=[initiative_a.code])).status_code == 403
    assert client.get(reverse("workspace:csv-preview", args=[csv_import.uuid])).status_code == 403
    assert client.get(reverse("workspace:csv-progress", args=[csv_import.uuid])).status_code == 403
    assert _store(client, csv_import, choice="all").status_code == 403
    assert client.get(reverse("workspace:measurements-export", args=[initiative_a.code])).status_code == 403
    assert (CsvImport.objects.count(), Measurement.objects.count()) == (1, 0)
    assert _latest().status == "ready"


def test_an_ops_lead_who_lost_the_initiative_since_the_upload_cannot_store_it(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))
    initiative_a.ops_leads.remove(ops_lead_a)

    response = _store(client, _latest(), choice="all")

    assert response.status_code == 403
    assert Measurement.objects.count() == 0


def test_an_admin_uploads_and_stores_for_any_initiative(client, admin_user, initiative_a, kpi):
    client.force_login(admin_user)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,"))

    _store(client, _latest(), choice="all")

    assert Measurement.objects.get().entered_by == admin_user


def test_signed_out_visitors_are_sent_to_sign_in(client, initiative_a):
    for url in [
        reverse("workspace:csv-template", args=[initiative_a.code]),
        reverse("workspace:csv-upload", args=[initiative_a.code]),
        reverse("workspace:measurements-export", args=[initiative_a.code]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


# --- Bad files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        ("kpi,date,value,note\nfixture-kpi,2026-01-05,80,caf\u00e9\n".encode("latin-1"), "is not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x06\x00", "save it as \u201cCSV UTF-8\u201d"),
        (b"kpi,date,note\nfixture-kpi,2026-01-05,x\n", "missing column: value"),
        (b"kpi,date,value,colour\nfixture-kpi,2026-01-05,1,red\n", "unknown column: colour"),
        (b"kpi,date,value,note\n", "no rows of values"),
        (b"\x00\x01\x02kpi", "binary data"),
    ],
    ids=["empty", "not-utf8", "workbook", "missing-column", "unknown-column", "header-only", "binary"],
)
def test_a_bad_file_is_refused_with_the_reason_and_nothing_is_kept(client, ops_lead_a, initiative_a, kpi, data, reason):
    client.force_login(ops_lead_a)

    response = _upload(client, initiative_a, data)

    assert response.status_code == 400
    assert reason in response.content.decode().replace("&#x27;", "'")
    assert CsvImport.objects.count() == 0


def test_a_file_over_the_row_limit_is_refused(client, ops_lead_a, initiative_a, kpi, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_ROWS", 2)
    client.force_login(ops_lead_a)

    response = _upload(client, initiative_a, _csv(*[f"fixture-kpi,{DAY},{i}," for i in range(3)]))

    assert response.status_code == 400
    assert "the most one upload takes is 2" in response.content.decode()
    assert CsvImport.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(client, ops_lead_a, initiative_a, kpi, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_BYTES", 40)
    client.force_login(ops_lead_a)

    response = _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},80,a note long enough to pass the limit"))

    assert response.status_code == 400
    assert "The file is too big" in response.content.decode()


def test_a_semicolon_separated_file_with_a_byte_order_mark_reads(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    _upload(client, initiative_a, b"\xef\xbb\xbf" + _csv(f"fixture-kpi;{DAY};80;", header="KPI;Date;Value;Note"))

    assert (_latest().rows_total, _latest().rows_valid) == (1, 1)


# --- Export and formula escaping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain words", "plain words"),
        (Decimal("-5.500000"), "-5.5"),
        (-3, "-3"),
        (None, ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe_and_numbers_stay_numbers(value, cell):
    assert csv_cell(value) == cell


def test_export_escapes_formula_cells_and_writes_numbers_as_numbers(client, cio, ops_lead_a, initiative_a, kpi):
    source = MetricSource.objects.create(name="Form", kind=SourceKind.MANUAL)
    kpi.unit = "currency"
    kpi.save()
    Measurement.objects.create(
        kpi=kpi,
        initiative=initiative_a,
        source=source,
        observed_at=timezone.now() - timedelta(days=1),
        period_start=timezone.localdate() - timedelta(days=1),  # a person's value: the export holds only those
        value=Decimal("-5"),
        entered_by=ops_lead_a,
        entered_via="form",
        note='=HYPERLINK("http://x")',
    )
    client.force_login(cio)

    response = client.get(reverse("workspace:measurements-export", args=[initiative_a.code]))

    assert response.status_code == 200
    assert response.streaming
    header, row = list(csv.reader(io.StringIO(_body(response))))
    assert header == list(csv_io.EXPORT_HEADER)
    assert row[3] == "-5"
    assert row[7] == '\'=HYPERLINK("http://x")'


def test_an_export_uploads_back_and_stores_nothing_twice(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f'fixture-kpi,{DAY},80,"=HYPERLINK(""http://x"")"', f"fixture-kpi,{EARLIER},7,"))
    _store(client, _latest(), choice="all")
    export = b"".join(client.get(reverse("workspace:measurements-export", args=[initiative_a.code])).streaming_content)

    _upload(client, initiative_a, export, name="export.csv")
    _store(client, _latest(), choice="all")

    again = _latest()
    assert (again.rows_valid, again.stored_count, again.unchanged_count) == (2, 0, 2)
    assert Measurement.objects.get(value=80).note == '=HYPERLINK("http://x")'


def test_an_export_holds_only_peoples_values_so_uploading_it_back_counts_no_pulled_value_twice(
    client, ops_lead_a, initiative_a, kpi
):
    kpi.aggregation = "sum"
    kpi.save()
    month = latest_complete_month()
    person_day, pulled_day = month + timedelta(days=9), month + timedelta(days=19)
    pulled_at = timezone.make_aware(datetime.combine(pulled_day, time(12)))
    factories.MeasurementFactory(
        kpi=kpi, initiative=initiative_a, source=factories.HttpJsonSourceFactory(), observed_at=pulled_at, value=30
    )
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{person_day},80,"))
    _store(client, _latest(), choice="all")
    snapshot_roll_up(months=[month])
    before = MonthlySnapshot.objects.get(kpi=kpi, initiative=initiative_a, month=month)

    export = b"".join(client.get(reverse("workspace:measurements-export", args=[initiative_a.code])).streaming_content)
    _upload(client, initiative_a, export, name="export.csv")
    _store(client, _latest(), choice="all")
    snapshot_roll_up(months=[month])

    again = _latest()
    after = MonthlySnapshot.objects.get(kpi=kpi, initiative=initiative_a, month=month)
    assert (again.rows_total, again.stored_count, again.unchanged_count) == (1, 0, 1)
    assert Measurement.objects.count() == 2
    assert (after.value, after.measurement_count) == (before.value, before.measurement_count) == (Decimal(110), 2)


# --- Large files: the background job -------------------------------------------------------------------


def test_a_large_file_is_checked_and_stored_by_a_job_with_progress(
    client, ops_lead_a, initiative_a, kpi, monkeypatch, in_process_jobs, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(csv_imports, "IN_REQUEST_ROWS", 5)
    monkeypatch.setattr(csv_imports, "CHUNK_ROWS", 4)
    client.force_login(ops_lead_a)
    start = timezone.localdate() - timedelta(days=100)
    rows = [f"fixture-kpi,{start + timedelta(days=i)},{i},row {i}" for i in range(12)]

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, initiative_a, _csv(*rows))
        left_to_the_job = [_latest().status]
    checked = client.get(reverse("workspace:csv-progress", args=[_latest().uuid])).json()
    with django_capture_on_commit_callbacks(execute=True):
        _store(client, _latest(), choice="all")
        left_to_the_job.append(_latest().status)
    done = client.get(reverse("workspace:csv-progress", args=[_latest().uuid])).json()

    assert left_to_the_job == ["checking", "storing"]  # the requests only enqueued the work
    assert checked["rows_checked"] == checked["rows_total"] == checked["rows_valid"] == 12
    assert (checked["status"], checked["done"]) == ("ready", True)
    assert (done["status"], done["done"], done["stored"]) == ("stored", True, 12)
    assert Measurement.objects.count() == 12


def test_a_large_file_waits_for_its_check_before_it_can_be_stored(
    client, ops_lead_a, initiative_a, kpi, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(csv_imports, "IN_REQUEST_ROWS", 1)
    client.force_login(ops_lead_a)
    with django_capture_on_commit_callbacks(execute=False):  # the job has not run yet
        _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},1,", f"fixture-kpi,{EARLIER},2,"))

    progress = client.get(reverse("workspace:csv-progress", args=[_latest().uuid])).json()
    preview = client.get(reverse("workspace:csv-preview", args=[_latest().uuid])).content.decode()
    refused = _store(client, _latest(), choice="all")

    assert (progress["status"], progress["done"], progress["rows_checked"]) == ("checking", False, 0)
    assert '<progress id="csv-progress"' in preview
    assert "js/csv_progress.js" in preview
    assert refused.status_code == 409
    assert Measurement.objects.count() == 0


def test_a_retried_store_job_stores_nothing_twice(client, ops_lead_a, initiative_a, kpi, monkeypatch):
    monkeypatch.setattr(csv_imports, "IN_REQUEST_ROWS", 1)
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},1,", f"fixture-kpi,{EARLIER},2,"))
    csv_imports.csv_import_check(import_id=_latest().pk)
    _store(client, _latest(), choice="all")  # claimed; the job is not run by the request here

    csv_imports.csv_import_store(import_id=_latest().pk)
    csv_imports.csv_import_store(import_id=_latest().pk)

    assert (_latest().status, _latest().stored_count, Measurement.objects.count()) == ("stored", 2, 2)


def test_a_store_job_for_someone_who_lost_the_initiative_fails_and_stores_nothing(
    client, ops_lead_a, initiative_a, kpi, monkeypatch
):
    monkeypatch.setattr(csv_imports, "IN_REQUEST_ROWS", 1)
    client.force_login(ops_lead_a)
    _upload(client, initiative_a, _csv(f"fixture-kpi,{DAY},1,", f"fixture-kpi,{EARLIER},2,"))
    csv_imports.csv_import_check(import_id=_latest().pk)
    _store(client, _latest(), choice="all")
    initiative_a.ops_leads.remove(ops_lead_a)

    csv_imports.csv_import_store(import_id=_latest().pk)

    assert _latest().status == "failed"
    assert initiative_a.code in _latest().error
    assert Measurement.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("real_worker")
def test_a_large_file_is_checked_and_stored_by_a_real_worker(client, ops_lead_a, initiative_a, kpi, monkeypatch):
    monkeypatch.setattr(csv_imports, "IN_REQUEST_ROWS", 5)
    monkeypatch.setattr(csv_imports, "CHUNK_ROWS", 4)
    client.force_login(ops_lead_a)
    start = timezone.localdate() - timedelta(days=100)
    _upload(client, initiative_a, _csv(*[f"fixture-kpi,{start + timedelta(days=i)},{i}," for i in range(12)]))
    progress = reverse("workspace:csv-progress", args=[_latest().uuid])

    def status():  # polled with one light query: fewer lock waits on SQLite's shared in-memory database
        return CsvImport.objects.values_list("status", flat=True).get()

    assert _wait_for(lambda: status() == "ready"), "the worker never finished checking"
    assert client.get(progress).json()["done"]
    _store(client, _latest(), choice="all")

    assert _wait_for(lambda: status() == "stored"), "the worker never stored the rows"
    assert client.get(progress).json()["stored"] == 12
    assert Measurement.objects.filter(initiative=initiative_a).count() == 12


def test_the_sweeper_resumes_large_uploads_whose_job_was_lost(settings, in_process_jobs, ops_lead_a, initiative_a, kpi):
    settings.METRIC_PULL_STALE_AFTER_SECONDS = 600
    content = _csv(f"fixture-kpi,{DAY},61,", f"fixture-kpi,{EARLIER},62,").decode()

    def stuck(status, **fields):
        made = CsvImport.objects.create(
            initiative=initiative_a,
            uploaded_by=ops_lead_a,
            file_name=f"{status}.csv",
            sha256=status,
            content=content,
            rows_total=2,
            status=status,
            **fields,
        )
        CsvImport.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(hours=1))
        return made

    checking = stuck("checking")
    storing = stuck("storing", rows_checked=2, rows_valid=2, stored_by=ops_lead_a)
    recent = CsvImport.objects.create(
        initiative=initiative_a,
        uploaded_by=ops_lead_a,
        file_name="recent.csv",
        sha256="r",
        content=content,
        rows_total=2,
    )

    result = sweep()

    assert sorted(result.csv_imports_enqueued) == sorted([checking.pk, storing.pk])
    checking.refresh_from_db()
    storing.refresh_from_db()
    recent.refresh_from_db()
    assert (checking.status, checking.rows_valid) == ("ready", 2)
    assert (storing.status, storing.stored_count) == ("stored", 2)
    assert recent.status == "checking"  # its own job may still be on its way
    assert Measurement.objects.filter(entered_via="csv:storing.csv").count() == 2
    # Sweeping again sends nothing: they are done.
    assert sweep().csv_imports_enqueued == []
