"""The key pages one request at a time, to tell what a page costs from what a crowded machine
adds: median milliseconds (wall and CPU), Python function calls, SQL statements and the time
spent inside the database driver, each page beside the baseline.

    .venv/bin/python bench/pages.py [--runs 40] [--profile "schedule day"] [--other-writer]

It reads the database `make bench` seeded (the SQLite file under instance/bench/, or
BENCH_DATABASE_URL), seeding it first if it is empty. --profile prints where one page's time
goes (cProfile, the 25 costliest functions by their own time and below). --other-writer has
another connection commit a write before every request, as the other gunicorn worker's changes
(and its page views, sealed once a second) do under load: SQLite then drops the app
connection's whole page cache and reads again every page the request needs (PostgreSQL's
buffers are shared and stay).
"""

import argparse
import cProfile
import gc
import importlib
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CSRF_INPUT,
    _database_url,
    _environment,
    prepare,
    targets,
)
from bench.seed import DEFAULT
from clinic.extensions import db


class SqlClock:
    """Counts the statements sent to the database and the time spent in the driver."""

    def __init__(self, engine):
        self.statements, self.seconds, self._started = 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_):
        self._started = time.perf_counter()

    def _after(self, *_):
        self.statements += 1
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0


class OtherWriter:
    """A connection of its own that commits a one-row write to a table only the bench uses."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        with self.engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS bench_other_writer (n INTEGER)"))

    def write(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_other_writer (n) VALUES (1)"))

    def close(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_other_writer"))
        self.engine.dispose()


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": CSRF_INPUT.search(page).group(1),
                                "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    if client.get("/").status_code != 200:
        raise SystemExit("bench sign-in failed")
    return client


def function_calls(client, path: str) -> int:
    """How many Python functions one request of the page calls."""
    profile = cProfile.Profile()
    profile.enable()
    client.get(path)
    profile.disable()
    return pstats.Stats(profile).total_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--profile", help="the name of one page to profile")
    parser.add_argument("--other-writer", action="store_true",
                        help="another connection commits a write before every request")
    args = parser.parse_args()
    url = _database_url()
    prepare(url, DEFAULT, reuse=True)
    pages = targets(url)
    # The very app gunicorn serves in `make bench`, configured the same way.
    os.environ.update(_environment(url))
    app = importlib.import_module("bench.app").app
    with app.app_context():
        clock = SqlClock(db.engine)
    client = signed_in_client(app)
    if args.profile:
        path = pages[args.profile]
        client.get(path)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            client.get(path)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    wall, cpu, sql = ({name: [] for name in pages} for _ in range(3))
    statements = {}
    for path in pages.values():
        if client.get(path).status_code != 200:  # a warm-up, and a check
            raise SystemExit(f"{path} did not answer 200")
    # As a gunicorn worker is (gunicorn.conf.py): what lives as long as the process is no
    # longer walked by every full garbage collection.
    gc.collect()
    gc.freeze()
    writer = OtherWriter(url) if args.other_writer else None
    try:
        # Page after page in turn, so a busy spell on the machine slows them all alike.
        for _ in range(args.runs):
            for name, path in pages.items():
                if writer:
                    writer.write()
                clock.reset()
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(path)
                wall[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - started_cpu) * 1000)
                sql[name].append(clock.seconds * 1000)
                statements[name] = clock.statements
    finally:
        if writer:
            writer.close()
    calls = {name: function_calls(client, path) for name, path in pages.items()}
    # CPU time is this process's own: it leaves out waiting for the disk, for a busy machine
    # and for a database server. Function calls do not move with the neighbours at all.
    base_wall, base_cpu = statistics.median(wall["baseline"]), statistics.median(cpu["baseline"])
    print(f"{'page':<16} {'ms':>6} {'ratio':>6} {'CPU ms':>7} {'ratio':>6} {'calls':>7} "
          f"{'ratio':>6} {'statements':>10} {'SQL ms':>7}   (medians of {args.runs})")
    for name in pages:
        ms, cpu_ms = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<16} {ms:6.1f} {ms / base_wall:6.2f} {cpu_ms:7.1f} {cpu_ms / base_cpu:6.2f} "
              f"{calls[name]:7d} {calls[name] / calls['baseline']:6.2f} "
              f"{statements[name]:>10} {statistics.median(sql[name]):7.1f}")

if __name__ == "__main__":
    main()
