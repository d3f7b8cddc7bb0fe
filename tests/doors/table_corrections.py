"""Rows of the table: the rules of issue 16's "CSV that adds up" and "a correction corrects".

- A correction replaces the value of its KPI, initiative and period, whichever path brought the
  value it replaces, and history keeps both: rows that rightly store (``stores=True``), each
  checking the outcome.
- One sending gives a period one value: an API batch with two is refused; a CSV file's repeat is
  left out, naming the row it repeats (the first is stored: the person did not choose the last).
- A KPI's period change never merges stored values.
- A file writes its decimals one way (rows of the existing rule on values as people write them).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from metrics.models import KPI, CsvImport, Measurement, MetricSource, SourceKind

from . import makers as m
from .harness import Door, Send, admin_form, page_form
from .table_matrix_metrics import CSV_HEADER, CSV_NOTE, VALUES

CORRECTS = "a correction replaces the value of its period"
ONE_A_PERIOD = "one sending gives a period one value"
PERIOD_CHANGE = "a KPI's period change never merges stored values"


def _entered_through_the_api(w, value="61", day=m.RECENT, hour=9):
    """A value of initiative A's KPI sent through the API earlier that day, keyed by its day."""
    source = MetricSource.objects.get_or_create(name="REST API", defaults={"kind": SourceKind.API_PUSH})[0]
    return m.entered(w.kpi, w.initiative_a, source, day, hour, Decimal(value))


def _at(day, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


# --- A correction replaces the value of its period ------------------------------------------------------------


def _correct_page(w, c):
    _entered_through_the_api(w)
    body = {"kpi": w.kpi.code, "period": m.RECENT.isoformat(), "value": "64", "note": ""}
    return Send("POST", f"/my/{w.initiative_a.code}/log/", body)


def _correct_api(w, c):
    _entered_through_the_api(w)
    body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": _at(m.RECENT, 15), "value": "64"}
    return Send("POST", "/api/v1/measurements/", body, json=True)


def _correct_bulk(w, c):
    _entered_through_the_api(w)
    row = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": _at(m.RECENT, 15), "value": "64"}
    return Send("POST", "/api/v1/measurements/bulk/", {"measurements": [row]}, json=True)


def _correct_csv(w, c):
    _entered_through_the_api(w)
    return Send(
        "POST", f"/my/{w.initiative_a.code}/csv/upload/", file=f"{CSV_HEADER}\n{w.kpi.code},{m.RECENT},64,\n".encode()
    )


def _corrected(w, response):
    stored = Measurement.objects.get(kpi=w.kpi, initiative=w.initiative_a)
    assert stored.value == Decimal(64)
    assert list(stored.history.order_by("history_date", "history_id").values_list("value", flat=True)) == [
        Decimal(61),
        Decimal(64),
    ]


REPLACED = "Stored, as it should be: one value for the day, the one replaced kept in history."

CORRECTION_DOORS = [
    Door(CORRECTS, "page", "ops_lead_a", Measurement, _correct_page, 302, None, what="the quick form",
         note=REPLACED, kept=_corrected, stores=True),
    Door(CORRECTS, "api", "ops_lead_a", Measurement, _correct_api, 201, None, what="one measurement",
         note=REPLACED, kept=_corrected, stores=True),
    Door(CORRECTS, "api", "ops_lead_a", Measurement, _correct_bulk, 201, None, what="bulk",
         note=REPLACED, kept=_corrected, stores=True),
    Door(CORRECTS, "csv", "ops_lead_a", Measurement, _correct_csv, 302, None, what="a file",
         note=REPLACED, kept=_corrected, stores=True),
]  # fmt: skip


# --- One sending gives a period one value -------------------------------------------------------------------


def _two_in_a_batch(w, c):
    rows = [
        {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": _at(m.RECENT, hour), "value": value}
        for hour, value in ((9, "61"), (15, "64"))
    ]
    return Send("POST", "/api/v1/measurements/bulk/", {"measurements": rows}, json=True)


def _two_in_a_file(w, c):
    content = f"{CSV_HEADER}\n{w.kpi.code},{m.RECENT},61,\n{w.kpi.code},{_at(m.RECENT, 15)},64,\n"
    return Send("POST", f"/my/{w.initiative_a.code}/csv/upload/", file=content.encode())


def _first_stored_repeat_counted(w, response):
    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal(61)]
    upload = CsvImport.objects.get()
    assert (upload.rows_total, upload.stored_count, upload.repeated_count) == (2, 1, 1)


ONE_A_PERIOD_DOORS = [
    Door(ONE_A_PERIOD, "api", "ops_lead_a", Measurement, _two_in_a_batch, 400,
         "This row repeats row 1: same KPI, initiative and day", what="bulk"),
    Door(ONE_A_PERIOD, "csv", "ops_lead_a", Measurement, _two_in_a_file, 302,
         "Row 3 repeats row 2: same KPI, initiative and day", what="a file",
         note="The first is stored and the repeat left out and counted: keeping the last is the person's choice.",
         kept=_first_stored_repeat_counted, stores=True),
]  # fmt: skip


# --- A KPI's period change never merges stored values ------------------------------------------------------


def _two_days_of_a_month(w):
    source = MetricSource.objects.get_or_create(name="Manual entry", defaults={"kind": SourceKind.MANUAL})[0]
    for day in (m.LAST_MONTH, m.LAST_MONTH + timedelta(days=1)):
        m.entered(w.kpi, w.initiative_a, source, day, 9, Decimal(61))


def _monthly_api(w, c):
    _two_days_of_a_month(w)
    return Send("PATCH", f"/api/v1/kpis/{w.kpi.code}/", {"period": "month"}, json=True)


def _monthly_admin(w, c):
    _two_days_of_a_month(w)
    url = f"/admin/metrics/kpi/{w.kpi.pk}/change/"
    return Send("POST", url, admin_form(c, url, period="month"))


def _monthly_page(w, c):
    _two_days_of_a_month(w)
    url = f"/kpis/{w.kpi.code}/edit/"
    return Send("POST", url, page_form(c, url, period="month"))


def _still_daily(w, response):
    assert KPI.objects.get(pk=w.kpi.pk).period == "day"


WOULD_MERGE = "would become one value for"

PERIOD_DOORS = [
    Door(PERIOD_CHANGE, "api", "admin_user", KPI, _monthly_api, 400, WOULD_MERGE, kept=_still_daily),
    Door(PERIOD_CHANGE, "admin", "admin_user", KPI, _monthly_admin, 200, WOULD_MERGE, kept=_still_daily),
    Door(PERIOD_CHANGE, "page", "admin_user", KPI, _monthly_page, 400, WOULD_MERGE, kept=_still_daily,
         what="on the KPI's page"),
]  # fmt: skip


# --- A file writes its decimals one way (rows of the rule on values as people write them) -------------------


def _semicolons(*values: str):
    def attempt(w, c):
        days = [m.RECENT - timedelta(days=i) for i in range(len(values))]
        rows = "".join(f"{w.kpi.code};{day};{value};\n" for day, value in zip(days, values, strict=True))
        return Send("POST", f"/my/{w.initiative_a.code}/csv/upload/", file=f"kpi;date;value;note\n{rows}".encode())

    return attempt


def _decimal_comma(path):
    def page(w, c):
        body = {"kpi": w.kpi.code, "period": m.RECENT.isoformat(), "value": "83,5", "note": ""}
        return Send("POST", f"/my/{w.initiative_a.code}/log/", body)

    def api(w, c):
        body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": m.moment(m.RECENT)}
        return Send("POST", "/api/v1/measurements/", {**body, "value": "83,5"}, json=True)

    return {"page": page, "api": api}[path]


POINT = "write decimals with a point"

DECIMAL_DOORS = [
    Door(VALUES, "page", "ops_lead_a", Measurement, _decimal_comma("page"), 400, POINT, what="a decimal comma"),
    Door(VALUES, "api", "ops_lead_a", Measurement, _decimal_comma("api"), 400, POINT, what="a decimal comma"),
    Door(VALUES, "csv", "ops_lead_a", Measurement, _semicolons("83,5", "83.5"), 409, POINT,
         what="a file writing decimals both ways", note=CSV_NOTE),
    Door(VALUES, "csv", "ops_lead_a", Measurement, _semicolons("25.440"), 409, "could be read two ways",
         what="a file showing no decimal mark", note=CSV_NOTE),
]  # fmt: skip


DOORS = [*CORRECTION_DOORS, *ONE_A_PERIOD_DOORS, *PERIOD_DOORS, *DECIMAL_DOORS]
