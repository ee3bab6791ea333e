"""What every PDF benchmark shares: timing a render beside WeasyPrint's floor, in the same run.

The floor and the document take turns, run after run, so a neighbour that slows the machine
for a while slows both. The ratio that counts is of CPU time: on a busy machine the wall
clock adds waiting for a core, as much as the moment brings. Under a load average of 5 the
wall-clock ratio of the invoice moved between 6x and 11x from one minute to the next, its
CPU-time ratio between 8.6x and 8.8x.
"""

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from weasyprint import HTML

from clinic.pdf import render as pipeline

FLOOR = "WeasyPrint one-line floor"


def floor() -> bytes:
    """WeasyPrint rendering a one-line page with no stylesheet and no shared state."""
    return HTML(string="<p>Hello</p>").write_pdf()


@dataclass
class Runs:
    """Milliseconds per run."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def time(self, function: Callable) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)


def against_floor(name: str, render: Callable[[], bytes], runs: int) -> dict[str, Runs]:
    """The floor's runs and `render`'s, taken in turns after a warm-up of each.

    Called in the app's context: the pipeline is warmed up as each worker's is
    (gunicorn.conf.py), then `render` once more.
    """
    floor()
    pipeline.warm_up()
    render()
    # Then frozen, as a gunicorn worker is after its warm-up (gunicorn.conf.py).
    gc.collect()
    gc.freeze()
    results = {FLOOR: Runs(), name: Runs()}
    for _ in range(runs):
        results[FLOOR].time(floor)
        results[name].time(render)
    return results


def ratio(results: dict[str, Runs], name: str, clock: str = "cpu") -> float:
    """Median of `name` over the floor's median, by CPU time or by the wall clock."""
    return (statistics.median(getattr(results[name], clock))
            / statistics.median(getattr(results[FLOOR], clock)))


def compare(name: str, render: Callable[[], bytes], runs: int) -> None:
    """Time `render` and the floor in the same run, and print both and their ratio."""
    results = against_floor(name, render, runs)
    print(f"{runs} runs each, milliseconds of CPU (median, p90, min) and of the wall clock "
          f"(median); {name} is {len(render())} bytes")
    for label, timings in results.items():
        ordered = sorted(timings.cpu)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        print(f"  {label:<28} {statistics.median(ordered):7.1f} {p90:7.1f} {ordered[0]:7.1f}"
              f"   wall {statistics.median(timings.wall):7.1f}")
    print(f"  {name} / floor: {ratio(results, name):.1f}x CPU time "
          f"({ratio(results, name, 'wall'):.1f}x wall clock)")
