"""A long-running process renders PDF after PDF with its memory flat."""

import os

import pytest

from clinic.pdf import render

WARM_UP = 50
RENDERS = 1000
GROWTH_LIMIT = 5_000_000


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_line(n: int) -> str:
    return f'<html lang="en"><title>Receipt</title><p>INV-2026-{n:06d}: 95.00 paid</p></html>'


@pytest.mark.slow
def test_a_thousand_renders_grow_the_process_by_less_than_5_mb(app):
    with app.app_context():
        # The warm-up fills what is built once per process: fonts, the stylesheet, caches.
        for n in range(WARM_UP):
            render.html_to_pdf(one_line(n), pdf_variant="pdf/a-3b")
        before = resident_bytes()
        for n in range(RENDERS):
            render.html_to_pdf(one_line(n), pdf_variant="pdf/a-3b")
        growth = resident_bytes() - before
    assert growth < GROWTH_LIMIT, f"grew {growth / 1e6:.1f} MB over {RENDERS} renders"
