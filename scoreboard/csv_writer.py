"""The CSV writer every CSV the project serves goes through: each cell escaped so that a
spreadsheet shows it and never runs it as a formula, and the escape undone when a file we
wrote comes back as an upload.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a
# leading apostrophe makes it text. Numbers we write ourselves are written as numbers.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """One cell as text a spreadsheet shows and never runs."""
    if value is None:
        return ""
    # A number for a program to read: a point for decimals, no grouping, no unit, not rounded
    # (scoreboard/formatting.py is for people), and never "-0".
    if isinstance(value, Decimal):
        if value.is_finite() and value.is_zero():
            return "0"
        return f"{value.normalize():f}" if value.is_finite() else str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(abs(value)) if value == 0 else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_uncell(text: str) -> str:
    """What csv_cell escaped, as it was: so an export or a template uploads back unchanged."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


class CsvWriter:
    """csv.writer whose every cell goes through csv_cell."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow([csv_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class _Line:
    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """The rows as escaped CSV lines, one at a time (for a StreamingHttpResponse), after a
    byte-order mark so that Excel reads the file as UTF-8."""
    writer = CsvWriter(_Line())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)
