"""CSV downloads that open safely in a spreadsheet."""

import csv
import io
from collections.abc import Iterable

from flask import Response, stream_with_context

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> Response:
    """Stream rows as a CSV attachment, a line at a time."""

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield buffer.getvalue()
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_cell(value) for value in row])
            yield buffer.getvalue()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
