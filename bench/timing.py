"""What every PDF benchmark shares: timing a render and reporting it beside WeasyPrint's floor."""

import statistics
import time
from collections.abc import Callable

from weasyprint import HTML

FLOOR = "WeasyPrint one-line floor"


def floor() -> bytes:
    """WeasyPrint rendering a one-line page with no stylesheet and no shared state."""
    return HTML(string="<p>Hello</p>").write_pdf()


def time_runs(function: Callable, runs: int) -> list[float]:
    function()  # warm-up: fonts, stylesheet, templates
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def against_floor(name: str, render: Callable[[], bytes], runs: int) -> dict[str, list[float]]:
    """Milliseconds per render of the floor and of `render`, timed in the same run."""
    return {FLOOR: time_runs(floor, runs), name: time_runs(render, runs)}


def compare(name: str, render: Callable[[], bytes], runs: int) -> None:
    """Time `render` and the floor in the same run, and print both and their ratio."""
    results = against_floor(name, render, runs)
    print(f"{runs} runs each, milliseconds (median, p90, min); {name} is "
          f"{len(render())} bytes")
    for label, timings in results.items():
        ordered = sorted(timings)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        print(f"  {label:<28} {statistics.median(ordered):7.1f} {p90:7.1f} {ordered[0]:7.1f}")
    ratio = statistics.median(results[name]) / statistics.median(results[FLOOR])
    print(f"  {name} / floor: {ratio:.1f}x")
