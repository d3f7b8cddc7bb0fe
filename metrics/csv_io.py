"""CSV in and out for an initiative's measurements: the template, the export, reading an
uploaded file (its text, columns and rows) and the preview of its rows with their verdicts.
Keeping, checking and storing an upload are writes: services/csv_import.py. Every cell
written goes through scoreboard.csv_writer.

Row numbers are those a spreadsheet shows: the header is row 1, the first value row 2.

How a file is read is decided once for the whole file, and said on the preview: the separator
from the header (a comma, a semicolon or a tab, whichever it holds most), and the decimal mark
from every value (decimal_mark_of): never guessed cell by cell, so "1,234" means one thing in
one file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.utils import timezone
from django.utils.translation import ngettext

from scoreboard.csv_writer import csv_uncell

from .models import KPI, CsvImport, CsvImportStatus, DecimalMark, Measurement, Scope

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
    """The header and the values people entered for the initiative, oldest first, read in chunks.

    Pulled values are left out: uploaded back, a file can only make people's values (one per
    KPI and period), so a pulled value in it would be stored a second time beside itself and
    the month would count it twice. Pulled values come back from their source."""
    yield EXPORT_HEADER
    measurements = (
        Measurement.objects.filter(initiative=initiative, period_start__isnull=False)
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
    """The file's text: UTF-8, with or without a byte-order mark. What cannot be read is refused
    naming the row and the column it is in, so the person can find it."""
    if not data.strip():
        raise CsvRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise CsvRefused(f"The file is too big: {len(data) / 1e6:.1f} MB; the most is {MAX_BYTES / 1e6:.0f} MB.")
    if data.startswith(b"PK\x03\x04"):
        raise CsvRefused("This is a spreadsheet workbook, not a CSV file: save it as “CSV UTF-8” and upload that.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = _where(data[: error.start].decode("utf-8-sig", errors="replace"))
        raise CsvRefused(
            f"{where}: byte {error.start + 1} of the file is not UTF-8 text. Nothing was kept: save the file as "
            "“CSV UTF-8” and upload it again."
        ) from error
    if "\x00" in text:
        where = _where(text[: text.index("\x00")])
        if where.startswith("The header"):  # a binary file, or text in another encoding (UTF-16)
            raise CsvRefused("This is not a CSV text file (it holds binary data).")
        raise CsvRefused(
            f"{where}: the cell holds a NUL character, which cannot be stored. Nothing was kept: remove it and "
            "upload the file again."
        )
    return text


def _where(before: str) -> str:
    """Where in the file the text ``before`` ends: "Row 4 · value", as the preview names cells."""
    if "\n" not in before:
        return "The header (row 1)"
    header = before.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header.count)
    try:
        names = [h.strip().lower() for h in next(csv.reader(io.StringIO(header), delimiter=delimiter), [])]
        # A mark where the text ends: the row and the cell it falls in.
        rows = list(csv.reader(io.StringIO(before + "\uffff"), delimiter=delimiter))
    except csv.Error:
        return "A row"
    at = len(rows[-1]) - 1
    column = names[at] if at < len(names) and names[at] else f"column {at + 1}"
    return f"Row {len(rows)} · {column}"


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
                cells_said = ngettext("%(n)s cell", "%(n)s cells", len(cells)) % {"n": len(cells)}
                columns = ngettext("%(n)s column", "%(n)s columns", file_layout.width) % {"n": file_layout.width}
                problem = f"the row has {cells_said}; the header names {columns}"
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


# --- The decimal mark: one for the whole file ------------------------------------------------------

# The number in a value cell: its first run of digits, points and commas ("1.234,5" in "€1.234,5").
_NUMBER = re.compile(r"[0-9][0-9.,]*", re.ASCII)
# Digits grouped by threes and nothing else: "1,234" or "1.234" says nothing of the decimal mark.
_GROUPED = re.compile(r"[0-9]{1,3}([.,][0-9]{3})+", re.ASCII)


def _mark_shown(cell: str) -> str | None:
    """The decimal mark a value cell shows: a comma ("83,5", "1.234,5"), a point ("83.5",
    "1,234.5"), or None (a whole number, or "1,234" and "1.234", which could be either)."""
    found = _NUMBER.search(cell)
    number = found[0].rstrip(".,") if found else ""
    if "," in number and "." in number:
        return DecimalMark.COMMA if number.rfind(",") > number.rfind(".") else DecimalMark.POINT
    if ("," not in number and "." not in number) or _GROUPED.fullmatch(number):
        return None
    return DecimalMark.COMMA if "," in number else DecimalMark.POINT


@dataclass(frozen=True)
class Reading:
    """How a file's values are read, decided for the whole file, with the rows that showed it."""

    decimal_mark: str
    comma_row: int | None = None  # the first row writing a decimal comma
    point_row: int | None = None  # the first row writing a decimal point


def decimal_mark_of(text: str, file_layout: Layout) -> Reading:
    """The decimal mark of a file's values, decided once for the whole file:

    - comma-separated: a point, as everywhere in the app (a decimal comma would need quotes);
    - semicolons or tabs: a comma when some value writes one ("83,5", "1.234,5") and none writes
      a point; a point when some value writes one (values with a comma are then refused, as on
      every other path: one file writes its decimals one way); and when no value shows either
      (whole numbers, "1.234"), none: a value like "1.234" is then refused as ambiguous."""
    if file_layout.delimiter == ",":
        return Reading(DecimalMark.POINT)
    comma_row = point_row = None
    for record in records(text, file_layout):
        mark = _mark_shown(record.cells["value"])
        if mark == DecimalMark.COMMA and comma_row is None:
            comma_row = record.number
        elif mark == DecimalMark.POINT and point_row is None:
            point_row = record.number
        if comma_row and point_row:
            break
    if point_row:
        return Reading(DecimalMark.POINT, comma_row, point_row)
    return Reading(DecimalMark.COMMA if comma_row else DecimalMark.UNSHOWN, comma_row, None)


_SEPARATORS = {",": ",", ";": ";", "\t": "tabs"}


def reading_rule(csv_import: CsvImport) -> str:
    """How the file was read, in a sentence for its preview, e.g. Read with ; between columns and ,
    as the decimal mark (as row 2 writes it)."""
    between = _SEPARATORS[layout(csv_import.content).delimiter]
    reading = csv_import.verdicts.get("reading", {})
    comma_row, point_row = reading.get("comma_row"), reading.get("point_row")
    rule = f"Read with {between} between columns and "
    if csv_import.decimal_mark == DecimalMark.COMMA:
        return (
            f"{rule}, as the decimal mark (as row {comma_row} writes it): 83,5 is 83.5, and a point may only "
            "separate thousands (1.234,5)."
        )
    if csv_import.decimal_mark == DecimalMark.UNSHOWN:
        return (
            f"Read with {between} between columns. No value shows its decimal mark, so a value like 1.234 (one "
            "point four, or a thousand?) is refused rather than guessed."
        )
    if comma_row:
        return (
            f"{rule}. as the decimal mark (as row {point_row} writes it). Row {comma_row} writes a decimal comma: "
            "values written that way are refused; write every value of the file one way."
        )
    return f"{rule}. as the decimal mark."


@dataclass(frozen=True)
class ReadFile:
    text: str
    layout: Layout
    rows: int
    reading: Reading


def read_file(data: bytes) -> ReadFile:
    """A file's text, layout, row count and decimal mark, or CsvRefused saying what is wrong with it."""
    text = decode(data)
    file_layout = layout(text)
    count = sum(1 for _ in records(text, file_layout))
    if count == 0:
        raise CsvRefused("The file has a header but no rows of values.")
    if count > MAX_ROWS:
        raise CsvRefused(f"The file has {count:,} rows; the most one upload takes is {MAX_ROWS:,}. Split it.")
    return ReadFile(text, file_layout, count, decimal_mark_of(text, file_layout))


# --- The preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    record: Record
    problems: list[tuple[str, str]]  # (column, reason)
    # ok; problem; unknown (reasons not kept); unchecked; repeat (of row `other`, left out);
    # replaced (by the later row `other`, the person having chosen to keep the last); kept_last (of `other`'s rows)
    state: str
    other: int | None = None
    period: str = ""  # what the repeated rows share: "day", "week" or "month"


class Repeats:
    """A file's rows that repeat an earlier row's KPI, initiative and period, from its verdicts:
    row → (the first row of its group, the period's word)."""

    def __init__(self, csv_import: CsvImport):
        self.of = {int(n): (first, word) for n, (first, word) in csv_import.verdicts.get("repeats", {}).items()}
        self.keep_last = csv_import.keep_last and csv_import.status == CsvImportStatus.STORED
        self.last: dict[int, int] = {}  # the first row of a group → its last row
        for number, (first, _) in self.of.items():
            self.last[first] = max(number, self.last.get(first, number))
        self.words = {first: word for first, word in self.of.values()}

    def verdict(self, record: Record) -> Verdict | None:
        number = record.number
        first, word = self.of.get(number, (number, self.words.get(number, "")))
        if first == number and number not in self.last:
            return None  # in no group
        if not self.keep_last:
            return Verdict(record, [], "repeat", first, word) if first != number else None
        last = self.last[first]
        return (
            Verdict(record, [], "kept_last", first, word)
            if number == last
            else Verdict(record, [], "replaced", last, word)
        )

    def left_out(self) -> list[int]:
        """The rows not stored for repeating another: the repeats, or, keeping the last, all but the last."""
        if not self.keep_last:
            return list(self.of)
        return [n for n in [*self.of, *self.last] if n not in self.last.values()]


def verdicts_of(csv_import: CsvImport, batch: Iterable[Record]) -> list[Verdict]:
    kept = csv_import.verdicts.get("problems", {})
    more = set(csv_import.verdicts.get("more_problem_rows", ()))
    repeats = Repeats(csv_import)
    checked = csv_import.status != CsvImportStatus.CHECKING
    out = []
    for record in batch:
        by_column = kept.get(str(record.number))
        if by_column:
            pairs = [(column, reason) for column, reasons in by_column.items() for reason in reasons]
            out.append(Verdict(record, pairs, "problem"))
        elif record.number in more:
            out.append(Verdict(record, [], "unknown"))
        elif repeated := repeats.verdict(record):
            out.append(repeated)
        else:
            out.append(Verdict(record, [], "ok" if checked else "unchecked"))
    return out


class PreviewRows:
    """An import's rows as a sequence a Paginator pages through: all rows, or only those left
    out (with problems, or repeating another). The file is re-read for each page, never held as
    objects."""

    def __init__(self, csv_import: CsvImport, *, problems_only: bool):
        self.csv_import = csv_import
        self.layout = layout(csv_import.content)
        self.problem_rows = None
        if problems_only:
            kept = [int(n) for n in csv_import.verdicts.get("problems", {})]
            more = list(csv_import.verdicts.get("more_problem_rows", ()))
            self.problem_rows = sorted({*kept, *more, *Repeats(csv_import).left_out()})

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


@dataclass(frozen=True)
class Count:
    key: str  # stored, unchanged, refused, repeated
    words: str
    number: int


def accounted(csv_import: CsvImport) -> list[Count]:
    """Where every row of the file went, adding up to the rows read: once stored, what storing
    did; before, what storing would do (as the database stood when the file was checked)."""
    if csv_import.status == CsvImportStatus.STORED:
        repeated = "replaced by a later row (you kept the last)" if csv_import.keep_last else "repeated in the file"
        return [
            Count("stored", "stored", csv_import.stored_count),
            Count("unchanged", "unchanged (already stored as they are)", csv_import.unchanged_count),
            Count("refused", "refused", csv_import.rejected_count),
            Count("repeated", repeated, csv_import.repeated_count),
        ]
    distinct = csv_import.rows_valid - csv_import.rows_repeated
    return [
        Count("stored", "to store (new or changed)", distinct - csv_import.rows_unchanged),
        Count("unchanged", "unchanged (already stored as they are)", csv_import.rows_unchanged),
        Count("refused", "refused (problems below)", csv_import.rows_checked - csv_import.rows_valid),
        Count("repeated", "repeated in the file (each names the row it repeats)", csv_import.rows_repeated),
    ]


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
        "rows_repeated": csv_import.rows_repeated,
        "rows_unchanged": csv_import.rows_unchanged,
        "stored": csv_import.stored_count,
        "unchanged": csv_import.unchanged_count,
        "rejected": csv_import.rejected_count,
        "repeated": csv_import.repeated_count,
        "error": csv_import.error,
    }
