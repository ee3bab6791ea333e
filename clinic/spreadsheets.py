"""CSV downloads that open safely in a spreadsheet."""

import csv
import io
import tempfile
from collections.abc import Iterable

from flask import Response, send_file

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


def csv_response(filename: str, rows: Iterable[Iterable]) -> Response:
    """A CSV attachment, written out before the response starts.

    The rows are read while the request's database session is still open; a long export
    spills from memory to a temporary file instead of growing the worker.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    writer = csv.writer(text)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    text.flush()
    text.detach()
    spool.seek(0)
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name=filename)
