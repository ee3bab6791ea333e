"""CSV downloads that open safely in a spreadsheet."""

import csv
import io
import tempfile
from collections.abc import Iterable

from flask import Response, send_file

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> Response:
    """A CSV attachment, written out before the response starts.

    The rows are read while the request's database session is still open; a long export
    spills from memory to a temporary file instead of growing the worker.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    text.flush()
    text.detach()
    spool.seek(0)
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name=filename)
