"""Whether a process renders PDF after PDF with its memory flat: how much its resident size
grows over a thousand renders, after a warm-up.

    .venv/bin/python bench/pdf_memory.py

A gunicorn worker renders PDFs for days. WeasyPrint, given a new font configuration for each
document, grows a process by about 230 MB a thousand renders and never gives it back;
clinic.pdf.render keeps one per process. The documents are one-line PDF/A receipts, so the
thousand take seconds: what is measured is what each render leaves behind.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clinic import create_app
from clinic.pdf import render

WARM_UP = 50
RENDERS = 1000
GROWTH_LIMIT = 5_000_000  # bytes over RENDERS renders


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _one_line(n: int) -> str:
    return f'<html lang="en"><title>Receipt</title><p>INV-2026-{n:06d}: 95.00 paid</p></html>'


def growth(renders: int = RENDERS, warm_up: int = WARM_UP) -> int:
    """Bytes the process grew by over `renders` renders. In an app context.

    First the process is readied as a gunicorn worker is before its first request
    (`render.warm_up`, gunicorn.conf.py), then `warm_up` receipts fill what the first
    documents build (caches of styles and glyphs). Without the worker's warm-up, a process
    grows about twice as much over its first thousand (docs/performance.md).
    """
    render.warm_up()
    for n in range(warm_up):
        render.html_to_pdf(_one_line(n), pdf_variant="pdf/a-3b")
    before = resident_bytes()
    for n in range(renders):
        render.html_to_pdf(_one_line(n), pdf_variant="pdf/a-3b")
    return resident_bytes() - before


def measure() -> int:
    app = create_app({"SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        return growth()


if __name__ == "__main__":
    print(f"grew {measure() / 1e6:.1f} MB over {RENDERS} renders "
          f"(limit {GROWTH_LIMIT / 1e6:g} MB)")
