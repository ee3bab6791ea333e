"""CSV downloads that open safely in a spreadsheet."""

import csv
import io
from collections.abc import Iterable
from typing import IO

from flask import Response

from clinic.downloads import attachment, new_spool

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet shows as typed, whatever a client's name or a note holds.

    Only text is guarded: numbers (a refund of -20.00) stay numbers.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


def write_csv(file: IO[bytes], rows: Iterable[Iterable]) -> None:
    """Write the rows to a binary file as UTF-8 CSV, every cell spreadsheet-safe."""
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    writer = csv.writer(text)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    text.flush()
    text.detach()


def csv_response(filename: str, rows: Iterable[Iterable]) -> Response:
    """A CSV attachment; a long export spills to a temporary file instead of growing the
    worker (clinic.downloads)."""
    spool = new_spool()
    write_csv(spool, rows)
    return attachment(spool, "text/csv", filename)
