"""An uploaded CSV file of an initiative's measurements, kept for its preview, checked (in
the request when small, by a job when large) and stored as the person chose.

Rows are checked and stored by the one intake (ingest.measurements_record), exactly as the
API and the quick form do: this module only turns a file (read by metrics.csv_io) into the
intake's items, and its verdicts back into rows and columns.

Every row is accounted for, in the preview and in the result: stored + unchanged + refused +
repeated in the file = the rows read. A row repeating an earlier row's KPI, initiative and
period (metrics.periods) is one figure given twice: by default the first stands and each repeat
is refused, naming the row it repeats; the person may choose to keep the last of each instead,
and the earlier ones are then counted as replaced by it.

Row numbers are those a spreadsheet shows: the header is row 1, the first value row 2.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from ..csv_io import Layout, Record, layout, read_file, records
from ..models import CsvImport, CsvImportStatus, DecimalMark, SourceKind
from ..periods import WORDS
from . import outbox
from .ingest import kpi_periods, measurements_record, measurements_stored_as_they_are, people_source, repeats_of
from .upsert import Row

# Files up to this many rows are checked (and stored) in the request; larger ones by a job.
IN_REQUEST_ROWS = 5_000
CHUNK_ROWS = 5_000  # rows checked between two progress updates
PROBLEMS_KEPT = 5_000  # rows whose reasons are kept; beyond them only the row numbers


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
    storable: list[tuple[int, Row]]  # (spreadsheet row, Row) of the valid rows, each with its period


def check_records(
    batch: list[Record], *, initiative_code: str, file_layout: Layout, decimal_mark: str = DecimalMark.POINT
) -> Checked:
    """Read and validate rows through the ingestion service, reasons keyed by column. Repeats
    are left to the caller, who sees the whole file."""
    problems: dict[int, dict[str, list[str]]] = {}
    sent = []
    for record in batch:
        if record.problem:
            problems[record.number] = {"row": [record.problem]}
        else:
            sent.append(record)
    recorded = measurements_record(
        by=None,  # the uploader's right is checked on upload and again when storing
        items=[_item(r, initiative_code) for r in sent],
        source=None,
        entered_via="csv",
        plain_dates=True,
        check_only=True,
        refuse_repeats=False,
        decimal_mark=decimal_mark,
    )
    for index, fields in recorded.errors.items():
        number = sent[int(index) - 1].number
        by_column = problems.setdefault(number, {})
        for field, reasons in fields.items():
            by_column.setdefault(_column_of(field, file_layout), []).extend(reasons)
    return Checked(
        valid=len(batch) - len(problems),
        problems=problems,
        storable=[(sent[i - 1].number, row) for i, row in recorded.valid],
    )


def _repeats(storable: list[tuple[int, Row]], seen: dict) -> dict[int, list]:
    """The rows repeating an earlier row's KPI, initiative and period: row → [the first such
    row, the period's word]. ``seen`` holds the keys of the rows before these (of the whole file)."""
    found = repeats_of(((number, row.key) for number, row in storable), seen)
    if not found:
        return {}
    kpi_of = {number: row.kpi_id for number, row in storable if number in found}
    periods = kpi_periods(kpi_of.values())
    return {number: [first, WORDS[periods[kpi_of[number]]]] for number, first in found.items()}


def _as_verdicts(repeats: dict[int, list]) -> dict[str, list]:
    return {str(number): repeat for number, repeat in repeats.items()}  # JSON keys are text


# --- The import: create, check, store -----------------------------------------------------------


def csv_import_create(*, initiative, by, file_name: str, data: bytes) -> CsvImport:
    """Keep an uploaded file for preview: checked at once when small, by a background job
    when large. Refused (CsvRefused) when it cannot be read; then nothing is kept. Stores
    no measurement: that waits for the person's choice."""
    if not by.has_perm("metrics.record_measurement", initiative):
        raise PermissionDenied(f"You do not record measurements for {initiative.code}.")
    read = read_file(data)
    with transaction.atomic():
        csv_import = CsvImport.objects.create(
            initiative=initiative,
            uploaded_by=by,
            file_name=os.path.basename(file_name or "upload.csv")[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            content=read.text,
            rows_total=read.rows,
            decimal_mark=read.reading.decimal_mark,
            verdicts={"reading": {"comma_row": read.reading.comma_row, "point_row": read.reading.point_row}},
        )
        if read.rows <= IN_REQUEST_ROWS:
            csv_import_check(import_id=csv_import.pk)
            csv_import.refresh_from_db()
        else:
            transaction.on_commit(lambda: outbox.csv_import_check_enqueue(import_id=csv_import.pk))
    return csv_import


def csv_import_check(*, import_id: int) -> None:
    """Check every row of an import, chunk by chunk, recording progress as it goes: each row's
    problems, the rows repeating an earlier one (however many chunks back), and how many valid
    rows are already stored as they are. The import is then ready for a choice. Does nothing
    unless the import is being checked, so a retried job is harmless."""
    csv_import = CsvImport.objects.select_related("initiative").filter(pk=import_id).first()
    if csv_import is None or csv_import.status != CsvImportStatus.CHECKING:
        return
    file_layout = layout(csv_import.content)
    code = csv_import.initiative.code
    checking = CsvImport.objects.filter(pk=import_id, status=CsvImportStatus.CHECKING)
    checked = valid = unchanged = 0
    kept: dict[str, dict] = {}
    more: list[int] = []
    seen: dict = {}  # the keys of the rows checked so far → the first row with each
    repeats: dict[str, list] = {}
    stream = records(csv_import.content, file_layout)
    while batch := list(islice(stream, CHUNK_ROWS)):
        result = check_records(
            batch, initiative_code=code, file_layout=file_layout, decimal_mark=csv_import.decimal_mark
        )
        checked += len(batch)
        valid += result.valid
        for number, by_column in sorted(result.problems.items()):
            if len(kept) < PROBLEMS_KEPT:
                kept[str(number)] = by_column
            else:
                more.append(number)
        found = _repeats(result.storable, seen)
        repeats.update(_as_verdicts(found))
        firsts = [row for n, row in result.storable if n not in found] if found else [r for _, r in result.storable]
        unchanged += measurements_stored_as_they_are(firsts)
        # Committed as it goes (outside a request's transaction), so the page can show it.
        checking.update(rows_checked=min(checked, csv_import.rows_total))
    checking.update(
        status=CsvImportStatus.READY,
        rows_checked=checked,
        rows_total=checked,
        rows_valid=valid,
        rows_repeated=len(repeats),
        rows_unchanged=unchanged,
        verdicts={**csv_import.verdicts, "problems": kept, "more_problem_rows": more, "repeats": repeats},
    )


class StoreRefused(Exception):
    """Storing was not done, for a reason the person can act on (the import's state)."""


def csv_import_request_store(*, csv_import: CsvImport, by, valid_only: bool, keep_last: bool = False) -> bool:
    """Store an import's rows, as the person chose: all of them (refused unless every row
    is valid) or, explicitly, only the valid ones; of rows repeating one KPI, initiative and
    period, the first (the repeats refused) or, with ``keep_last``, the last. Small imports are
    stored at once, large ones by a job. Returns False if it was already stored or being stored
    (a double click). The permission is checked again: the person may have lost the initiative
    since upload."""
    if not by.has_perm("metrics.record_measurement", csv_import):
        raise PermissionDenied(f"You do not record measurements for {csv_import.initiative.code}.")
    if csv_import.status in (CsvImportStatus.STORED, CsvImportStatus.STORING):
        return False
    if csv_import.status == CsvImportStatus.CHECKING:
        raise StoreRefused("The file is still being checked: wait for every row's verdict.")
    if csv_import.status == CsvImportStatus.FAILED:
        raise StoreRefused(f"This upload failed ({csv_import.error}); upload the file again.")
    if not valid_only and csv_import.rows_valid != csv_import.rows_total:
        invalid = csv_import.rows_total - csv_import.rows_valid
        have = _counted(invalid, "%(n)s row has problems", "%(n)s rows have problems")
        raise StoreRefused(
            f"Nothing was stored: {have}. Fix the file and upload it again, or choose to store only the valid rows."
        )
    with transaction.atomic():
        # The claim: of two clicks (or two people), only one stores.
        claimed = CsvImport.objects.filter(pk=csv_import.pk, status=CsvImportStatus.READY).update(
            status=CsvImportStatus.STORING, store_valid_only=valid_only, keep_last=keep_last, stored_by=by
        )
        if not claimed:
            return False
        if csv_import.rows_total <= IN_REQUEST_ROWS:
            # In the request's own transaction: a refusal leaves the claim undone too.
            _store(csv_import.pk)
        else:
            transaction.on_commit(lambda: outbox.csv_import_store_enqueue(import_id=csv_import.pk))
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
        decimal_mark=csv_import.decimal_mark,
    )
    if checked.problems and not csv_import.store_valid_only:
        # Valid at preview, not now (a KPI dropped meanwhile): all or none means none.
        _finish(csv_import, CsvImportStatus.FAILED, rejected=len(checked.problems), error=_changed(checked))
        return
    # Found again on the whole file, as it stands now: one row per KPI, initiative and period.
    repeats = _repeats(checked.storable, {})
    if csv_import.keep_last:
        last = {row.key: (number, row) for number, row in checked.storable}
        chosen = sorted(last.values(), key=lambda numbered: numbered[0])
    else:
        chosen = [(number, row) for number, row in checked.storable if number not in repeats]
    result = measurements_record(
        by=user,
        rows=[row for _, row in chosen],
        source=lambda: people_source(SourceKind.CSV),
        entered_via=f"csv:{csv_import.file_name}"[:120],
        all_or_nothing=not csv_import.store_valid_only,
        refuse_repeats=False,
    )
    if result.rejected and not csv_import.store_valid_only:
        reason = result.rejected[0].reason
        refused = _counted(len(result.rejected), "%(n)s row was", "%(n)s rows were")
        error = f"Nothing was stored: {refused} refused when stored ({reason})."
        _finish(csv_import, CsvImportStatus.FAILED, rejected=len(result.rejected), error=error)
        return
    csv_import.verdicts = {**csv_import.verdicts, "repeats": _as_verdicts(repeats)}
    _finish(
        csv_import,
        CsvImportStatus.STORED,
        stored=result.stored,
        unchanged=result.unchanged,
        rejected=len(checked.problems) + len(result.rejected),
        repeated=len(repeats),
    )


def _counted(n: int, one: str, many: str) -> str:
    """A count with the words that agree with it: "1 row has", "6,000 rows have"."""
    return ngettext(one, many, n) % {"n": f"{n:,}"}


def _changed(checked: Checked) -> str:
    number, by_column = min(checked.problems.items())
    column, reasons = next(iter(by_column.items()))
    are = _counted(len(checked.problems), "%(n)s row is", "%(n)s rows are")
    return (
        f"Nothing was stored: {are} no longer valid (row {number} · {column}: "
        f"{reasons[0]}). Upload the file again to see every verdict."
    )


def _finish(csv_import: CsvImport, status: str, *, stored=0, unchanged=0, rejected=0, repeated=0, error="") -> None:
    csv_import.status = status
    csv_import.stored_count, csv_import.unchanged_count = stored, unchanged
    csv_import.rejected_count, csv_import.repeated_count = rejected, repeated
    csv_import.error = error
    csv_import.finished_at = timezone.now()
    csv_import.save(
        update_fields=[
            "status",
            "stored_count",
            "unchanged_count",
            "rejected_count",
            "repeated_count",
            "verdicts",
            "error",
            "finished_at",
        ]
    )
