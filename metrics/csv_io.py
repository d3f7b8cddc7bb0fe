"""CSV in and out for an initiative's measurements: the template, the upload (read, check,
preview, store) and the export. Every cell written goes through scoreboard.csv_writer.

Rows are checked and stored by the one ingestion service (services.read_rows,
measurements_validate, measurements_ingest), exactly as the API does: this module only turns
a file into the service's items and the service's verdicts back into rows and columns.

Row numbers are those a spreadsheet shows: the header is row 1, the first value row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from scoreboard.csv_writer import csv_uncell

from .models import KPI, CsvImport, CsvImportStatus, Measurement, Scope, SourceKind
from .services import (
    add_rejections,
    measurements_check_may_record,
    measurements_ingest,
    measurements_validate,
    people_source,
    read_rows,
)

# --- The template and the export -------------------------------------------------------------

TEMPLATE_HEADER = ("kpi", "date", "value", "note")
EXPORT_HEADER = ("kpi", "kpi_name", "observed_at", "value", "source", "entered_by", "entered_via", "note")

_EXAMPLE_VALUES = {
    "percent": "75",
    "days": "3",
    "hours": "4",
    "minutes": "30",
    "count": "120",
    "currency": "1000",
    "ratio": "0.5",
    "score": "7",
}


def template_kpis(initiative) -> list[KPI]:
    """The KPIs an initiative's file may name: those it reports, measured per initiative."""
    return list(initiative.kpis.filter(scope=Scope.INITIATIVE).order_by("display_order", "name"))


def template_rows(initiative) -> Iterator[tuple]:
    """The header and one example row per KPI the initiative reports."""
    yield TEMPLATE_HEADER
    today = timezone.localdate().isoformat()
    for kpi in template_kpis(initiative):
        example = _EXAMPLE_VALUES.get(kpi.unit, "1")
        yield (kpi.code, today, example, f"Example: {kpi.name} ({kpi.get_unit_display()}); replace with yours")


def export_rows(initiative) -> Iterator[tuple]:
    """The header and every measurement of the initiative, oldest first, read in chunks."""
    yield EXPORT_HEADER
    measurements = (
        Measurement.objects.filter(initiative=initiative)
        .select_related("kpi", "source", "entered_by")
        .order_by("observed_at", "kpi__code", "pk")
    )
    for m in measurements.iterator(chunk_size=2000):
        yield (
            m.kpi.code,
            m.kpi.name,
            timezone.localtime(m.observed_at),
            m.value,
            m.source.name,
            m.entered_by.get_username() if m.entered_by else "",
            m.entered_via,
            m.note,
        )


# --- Reading an uploaded file ------------------------------------------------------------------

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Files up to this many rows are checked (and stored) in the request; larger ones by a job.
IN_REQUEST_ROWS = 5_000
CHUNK_ROWS = 5_000  # rows checked between two progress updates
PROBLEMS_KEPT = 5_000  # rows whose reasons are kept; beyond them only the row numbers
DELIMITERS = (",", ";", "\t")

_REQUIRED = ("kpi", "value")
_DATE_COLUMNS = ("date", "observed_at")
# Columns of our own export that an upload reads past, so an export uploads back.
IGNORED_COLUMNS = ("kpi_name", "source", "entered_by", "entered_via")
_KNOWN = {"kpi", "value", "note", *_DATE_COLUMNS, *IGNORED_COLUMNS}


class CsvRefused(Exception):
    """A file that cannot be read as measurements; the message says why, for a person."""


@dataclass(frozen=True)
class Layout:
    delimiter: str
    columns: dict[str, int]  # kpi, date (whichever name the file uses), value, note → position
    date_column: str  # the date column's name in the file, for messages
    width: int


@dataclass(frozen=True)
class Record:
    number: int  # the row as a spreadsheet numbers it
    cells: dict[str, str]  # kpi, date, value, note, as written (unescaped)
    problem: str = ""  # a row that cannot even be split into the columns


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte-order mark."""
    if not data.strip():
        raise CsvRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise CsvRefused(f"The file is too big: {len(data) / 1e6:.1f} MB; the most is {MAX_BYTES / 1e6:.0f} MB.")
    if data.startswith(b"PK\x03\x04"):
        raise CsvRefused("This is a spreadsheet workbook, not a CSV file: save it as “CSV UTF-8” and upload that.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvRefused(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read): save it as “CSV UTF-8”."
        ) from error
    if "\x00" in text:
        raise CsvRefused("This is not a CSV text file (it holds binary data).")
    return text


def layout(text: str) -> Layout:
    """The delimiter and where each column is, from the header; refused naming the columns
    that are missing, unknown or repeated."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)  # ties keep the comma
    try:
        header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    except csv.Error as error:
        raise CsvRefused(f"The header (row 1) cannot be read: {error}.") from error
    names = [h.strip().lower() for h in header]
    expected = ", ".join(TEMPLATE_HEADER)
    unknown = [n or "(empty)" for n in names if n not in _KNOWN]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    dates = [n for n in names if n in _DATE_COLUMNS]
    missing = [n for n in _REQUIRED if n not in names] + ([] if dates else ["date"])
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
    if repeated:
        problems.append(f"repeated: {', '.join(repeated)}")
    if len(dates) > 1:
        problems.append("give the date once: date or observed_at, not both")
    if problems:
        raise CsvRefused(f"The header (row 1) does not fit: {'; '.join(problems)}. The columns are {expected}.")
    columns = {name: names.index(name) for name in ("kpi", "value", "note") if name in names}
    columns["date"] = names.index(dates[0])
    return Layout(delimiter=delimiter, columns=columns, date_column=dates[0], width=len(names))


def records(text: str, file_layout: Layout) -> Iterator[Record]:
    """The file's value rows, numbered as a spreadsheet shows them; blank rows are skipped
    (they keep their number)."""
    reader = csv.reader(io.StringIO(text), delimiter=file_layout.delimiter)
    number = 1
    try:
        next(reader, None)  # the header
        for cells in reader:
            number += 1
            if not any(c.strip() for c in cells):
                continue
            problem = ""
            if len(cells) > file_layout.width and any(c.strip() for c in cells[file_layout.width :]):
                problem = f"the row has {len(cells)} cells; the header names {file_layout.width} columns"
            yield Record(
                number,
                {
                    name: csv_uncell(cells[at].strip()) if at < len(cells) else ""
                    for name, at in file_layout.columns.items()
                },
                problem,
            )
    except csv.Error as error:
        raise CsvRefused(f"Row {number} cannot be read: {error}.") from error


@dataclass(frozen=True)
class ReadFile:
    text: str
    layout: Layout
    rows: int


def read_file(data: bytes) -> ReadFile:
    """A file's text, layout and row count, or CsvRefused saying what is wrong with it."""
    text = decode(data)
    file_layout = layout(text)
    count = sum(1 for _ in records(text, file_layout))
    if count == 0:
        raise CsvRefused("The file has a header but no rows of values.")
    if count > MAX_ROWS:
        raise CsvRefused(f"The file has {count:,} rows; the most one upload takes is {MAX_ROWS:,}. Split it.")
    return ReadFile(text, file_layout, count)


def _item(record: Record, initiative_code: str) -> dict:
    """A row as the ingestion service reads it; an empty cell is a missing field."""
    cells = record.cells
    return {
        "kpi": cells["kpi"] or None,
        "initiative": initiative_code,
        "observed_at": cells["date"] or None,
        "value": cells["value"] or None,
        "note": cells.get("note", ""),
    }


def _column_of(field: str, file_layout: Layout) -> str:
    # The service speaks of measurement fields; a person fixes columns of their file.
    return {"observed_at": file_layout.date_column, "initiative": "kpi", "non_field_errors": "row"}.get(field, field)


@dataclass
class Checked:
    """The verdicts on some rows: how many are valid, and the problems of the others by row."""

    valid: int
    problems: dict[int, dict[str, list[str]]]
    numbered: list[tuple[int, object]]  # (spreadsheet row, Row) of the rows that read
    read_errors: int


def check_records(batch: list[Record], *, initiative_code: str, file_layout: Layout) -> Checked:
    """Read and validate rows through the ingestion service, reasons keyed by column."""
    problems: dict[int, dict[str, list[str]]] = {}
    sent = []
    for record in batch:
        if record.problem:
            problems[record.number] = {"row": [record.problem]}
        else:
            sent.append(record)
    numbered, errors = read_rows([_item(r, initiative_code) for r in sent], plain_dates=True)
    rows = [row for _, row in numbered]
    _, rejections = measurements_validate(rows)
    add_rejections(errors, rejections, numbered)
    for index, fields in errors.items():
        number = sent[int(index) - 1].number
        by_column = problems.setdefault(number, {})
        for field, reasons in fields.items():
            by_column.setdefault(_column_of(field, file_layout), []).extend(reasons)
    good = [(sent[i - 1].number, row) for i, row in numbered]
    return Checked(
        valid=len(batch) - len(problems),
        problems=problems,
        numbered=good,
        read_errors=len(batch) - len(numbered),
    )


# --- The import: create, check, store -----------------------------------------------------------


def csv_import_create(*, initiative, user, file_name: str, data: bytes) -> CsvImport:
    """Keep an uploaded file for preview: checked at once when small, by a background job
    when large. Refused (CsvRefused) when it cannot be read; then nothing is kept. Stores
    no measurement: that waits for the person's choice."""
    if not user.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not record measurements for {initiative.code}.")
    read = read_file(data)
    with transaction.atomic():
        csv_import = CsvImport.objects.create(
            initiative=initiative,
            uploaded_by=user,
            file_name=os.path.basename(file_name or "upload.csv")[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            content=read.text,
            rows_total=read.rows,
        )
        if read.rows <= IN_REQUEST_ROWS:
            csv_import_check(import_id=csv_import.pk)
            csv_import.refresh_from_db()
        else:
            from .tasks import csv_import_check as check_task

            transaction.on_commit(lambda: check_task.delay(csv_import.pk))
    return csv_import


def csv_import_check(*, import_id: int) -> None:
    """Check every row of an import, chunk by chunk, recording progress as it goes; the
    import is then ready for a choice. Does nothing unless the import is being checked, so
    a retried job is harmless."""
    csv_import = CsvImport.objects.select_related("initiative").filter(pk=import_id).first()
    if csv_import is None or csv_import.status != CsvImportStatus.CHECKING:
        return
    file_layout = layout(csv_import.content)
    code = csv_import.initiative.code
    checking = CsvImport.objects.filter(pk=import_id, status=CsvImportStatus.CHECKING)
    checked = valid = 0
    kept: dict[str, dict] = {}
    more: list[int] = []
    stream = records(csv_import.content, file_layout)
    while batch := list(islice(stream, CHUNK_ROWS)):
        result = check_records(batch, initiative_code=code, file_layout=file_layout)
        checked += len(batch)
        valid += result.valid
        for number, by_column in sorted(result.problems.items()):
            if len(kept) < PROBLEMS_KEPT:
                kept[str(number)] = by_column
            else:
                more.append(number)
        # Committed as it goes (outside a request's transaction), so the page can show it.
        checking.update(rows_checked=min(checked, csv_import.rows_total))
    checking.update(
        status=CsvImportStatus.READY,
        rows_checked=checked,
        rows_total=checked,
        rows_valid=valid,
        verdicts={"problems": kept, "more_problem_rows": more},
    )


class StoreRefused(Exception):
    """Storing was not done, for a reason the person can act on (the import's state)."""


def csv_import_request_store(*, csv_import: CsvImport, user, valid_only: bool) -> bool:
    """Store an import's rows, as the person chose: all of them (refused unless every row
    is valid) or, explicitly, only the valid ones. Small imports are stored at once, large
    ones by a job. Returns False if it was already stored or being stored (a double click).
    The permission is checked again: the person may have lost the initiative since upload."""
    if not user.has_perm("metrics.record_measurement", csv_import):
        raise PermissionDenied(f"You do not record measurements for {csv_import.initiative.code}.")
    if csv_import.status in (CsvImportStatus.STORED, CsvImportStatus.STORING):
        return False
    if csv_import.status == CsvImportStatus.CHECKING:
        raise StoreRefused("The file is still being checked: wait for every row's verdict.")
    if csv_import.status == CsvImportStatus.FAILED:
        raise StoreRefused(f"This upload failed ({csv_import.error}); upload the file again.")
    if not valid_only and csv_import.rows_valid != csv_import.rows_total:
        invalid = csv_import.rows_total - csv_import.rows_valid
        raise StoreRefused(
            f"Nothing was stored: {invalid:,} row{'s have' if invalid != 1 else ' has'} problems. Fix the file and "
            "upload it again, or choose to store only the valid rows."
        )
    with transaction.atomic():
        # The claim: of two clicks (or two people), only one stores.
        claimed = CsvImport.objects.filter(pk=csv_import.pk, status=CsvImportStatus.READY).update(
            status=CsvImportStatus.STORING, store_valid_only=valid_only, stored_by=user
        )
        if not claimed:
            return False
        if csv_import.rows_total <= IN_REQUEST_ROWS:
            # In the request's own transaction: a refusal leaves the claim undone too.
            _store(csv_import.pk)
        else:
            from .tasks import csv_import_store as store_task

            transaction.on_commit(lambda: store_task.delay(csv_import.pk))
    return True


def csv_import_store(*, import_id: int) -> None:
    """The job's half of storing: store a claimed import's rows, or, if its storer may no
    longer record for the initiative, mark it failed and store nothing. Does nothing unless
    the import is being stored, so a retried job stores nothing twice."""
    try:
        _store(import_id)
    except PermissionDenied as refusal:
        CsvImport.objects.filter(pk=import_id, status=CsvImportStatus.STORING).update(
            status=CsvImportStatus.FAILED, error=str(refusal), finished_at=timezone.now()
        )


@transaction.atomic
def _store(import_id: int) -> None:
    # Locked, so a redelivered job waits for the first and then finds it stored.
    csv_import = (
        CsvImport.objects.select_for_update(of=("self",))
        .select_related("initiative", "stored_by")
        .filter(pk=import_id)
        .first()
    )
    if csv_import is None or csv_import.status != CsvImportStatus.STORING:
        return
    user = csv_import.stored_by
    if not user.has_perm("metrics.record_measurement", csv_import.initiative):
        raise PermissionDenied(f"Nothing was stored: you do not lead {csv_import.initiative.code}.")
    file_layout = layout(csv_import.content)
    checked = check_records(
        list(records(csv_import.content, file_layout)),
        initiative_code=csv_import.initiative.code,
        file_layout=file_layout,
    )
    measurements_check_may_record(user, [row for _, row in checked.numbered])
    if checked.problems and not csv_import.store_valid_only:
        # Valid at preview, not now (a KPI dropped meanwhile): all or none means none.
        _finish(csv_import, CsvImportStatus.FAILED, rejected=len(checked.problems), error=_changed(checked))
        return
    source = people_source(SourceKind.CSV)
    result = measurements_ingest(
        rows=[row for number, row in checked.numbered if number not in checked.problems],
        source=source,
        entered_by=user,
        entered_via=f"csv:{csv_import.file_name}"[:120],
        all_or_nothing=not csv_import.store_valid_only,
    )
    if result.rejected and not csv_import.store_valid_only:
        reason = result.rejected[0].reason
        error = f"Nothing was stored: {len(result.rejected):,} rows were refused when stored ({reason})."
        _finish(csv_import, CsvImportStatus.FAILED, rejected=len(result.rejected), error=error)
        return
    rejected = len(checked.problems) + len(result.rejected)
    _finish(csv_import, CsvImportStatus.STORED, stored=result.stored, unchanged=result.unchanged, rejected=rejected)


def _changed(checked: Checked) -> str:
    number, by_column = min(checked.problems.items())
    column, reasons = next(iter(by_column.items()))
    return (
        f"Nothing was stored: {len(checked.problems):,} rows are no longer valid (row {number} · {column}: "
        f"{reasons[0]}). Upload the file again to see every verdict."
    )


def _finish(csv_import: CsvImport, status: str, *, stored=0, unchanged=0, rejected=0, error="") -> None:
    csv_import.status = status
    csv_import.stored_count, csv_import.unchanged_count, csv_import.rejected_count = stored, unchanged, rejected
    csv_import.error = error
    csv_import.finished_at = timezone.now()
    csv_import.save(
        update_fields=["status", "stored_count", "unchanged_count", "rejected_count", "error", "finished_at"]
    )


# --- The preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    record: Record
    problems: list[tuple[str, str]]  # (column, reason)
    state: str  # ok, problem, unknown (reasons not kept), unchecked


def verdicts_of(csv_import: CsvImport, batch: Iterable[Record]) -> list[Verdict]:
    kept = csv_import.verdicts.get("problems", {})
    more = set(csv_import.verdicts.get("more_problem_rows", ()))
    checked = csv_import.status != CsvImportStatus.CHECKING
    out = []
    for record in batch:
        by_column = kept.get(str(record.number))
        if by_column:
            pairs = [(column, reason) for column, reasons in by_column.items() for reason in reasons]
            out.append(Verdict(record, pairs, "problem"))
        elif record.number in more:
            out.append(Verdict(record, [], "unknown"))
        else:
            out.append(Verdict(record, [], "ok" if checked else "unchecked"))
    return out


class PreviewRows:
    """An import's rows as a sequence a Paginator pages through: all rows, or only those
    with problems. The file is re-read for each page, never held as objects."""

    def __init__(self, csv_import: CsvImport, *, problems_only: bool):
        self.csv_import = csv_import
        self.layout = layout(csv_import.content)
        self.problem_rows = None
        if problems_only:
            kept = [int(n) for n in csv_import.verdicts.get("problems", {})]
            self.problem_rows = sorted(kept + list(csv_import.verdicts.get("more_problem_rows", ())))

    def __len__(self) -> int:
        return self.csv_import.rows_total if self.problem_rows is None else len(self.problem_rows)

    def __getitem__(self, window: slice) -> list[Verdict]:
        stream = records(self.csv_import.content, self.layout)
        if self.problem_rows is None:
            return verdicts_of(self.csv_import, islice(stream, window.start, window.stop))
        wanted = set(self.problem_rows[window])
        last = max(wanted, default=0)
        picked = []
        for record in stream:
            if record.number > last:
                break
            if record.number in wanted:
                picked.append(record)
        return verdicts_of(self.csv_import, picked)


def stored_before(csv_import: CsvImport) -> CsvImport | None:
    """The latest earlier upload of the same file for the same initiative that was stored."""
    return (
        CsvImport.objects.filter(
            initiative_id=csv_import.initiative_id, sha256=csv_import.sha256, status=CsvImportStatus.STORED
        )
        .exclude(pk=csv_import.pk)
        .select_related("stored_by")
        .order_by("-finished_at")
        .first()
    )


def progress(csv_import: CsvImport) -> dict:
    """What the preview page polls while a job checks or stores the file."""
    done = csv_import.status in (CsvImportStatus.READY, CsvImportStatus.STORED, CsvImportStatus.FAILED)
    return {
        "status": csv_import.status,
        "status_label": csv_import.get_status_display(),
        "done": done,
        "rows_total": csv_import.rows_total,
        "rows_checked": csv_import.rows_checked,
        "rows_valid": csv_import.rows_valid,
        "stored": csv_import.stored_count,
        "unchanged": csv_import.unchanged_count,
        "rejected": csv_import.rejected_count,
        "error": csv_import.error,
    }
