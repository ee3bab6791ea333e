"""Files sent to the browser whole: made before the response starts, while the request's
database session is still open, spilling from memory to a temporary file when large."""

import tempfile
from typing import IO

from flask import Response, send_file

IN_MEMORY_UP_TO = 8 * 1024 * 1024


def new_spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_UP_TO)


def attachment(spool: IO[bytes], mimetype: str, filename: str) -> Response:
    """`filename` is made by the server, never from what a user typed: it goes in a header."""
    spool.seek(0)
    return send_file(spool, mimetype=mimetype, as_attachment=True, download_name=filename)
