"""A long-running process renders PDF after PDF with its memory flat."""

import pytest

from bench import pdf_memory


@pytest.mark.slow
def test_a_thousand_renders_grow_the_process_by_less_than_5_mb(app):
    with app.app_context():
        grown = pdf_memory.growth()
    assert grown < pdf_memory.GROWTH_LIMIT, (
        f"grew {grown / 1e6:.1f} MB over {pdf_memory.RENDERS} renders")
