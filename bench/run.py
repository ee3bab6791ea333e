"""`make bench`: the key pages, the PDFs and the batch render, each measured against a
baseline taken in the same run, printed as one table.

    .venv/bin/python bench/run.py [--small] [--duration SECONDS] [--reuse]

The machine is shared and noisy, so ratios count, not absolute times: every page is compared
with a baseline page served by the same gunicorn in the same run (each page's run between two
of the baseline's, round after round: --rounds), the invoice and handout PDFs with WeasyPrint's
one-line floor, rendered in turns with them in the same process, and the batch render with two
processes with the same batch with one (bench/render_batch.py). The large clinic is written
into a database of its own -- a SQLite file under instance/bench/, or the (dedicated, emptied
first) PostgreSQL database named by BENCH_DATABASE_URL -- migrated with `flask db upgrade` first.
--reuse skips the seeding when that database already holds a seeded clinic.
"""

import argparse
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import MetaData, create_engine, func, select  # noqa: E402

from bench import handout_pdf, invoice_pdf, pdf_memory, render_batch, timing  # noqa: E402
from bench.seed import DEFAULT, SMALL, seed  # noqa: E402
from clinic import create_app  # noqa: E402
from clinic.aftercare.models import Handout  # noqa: E402
from clinic.auth.passwords import hash_password  # noqa: E402
from clinic.clients.models import Client  # noqa: E402
from clinic.config import normalise_database_url  # noqa: E402
from clinic.invoices.models import Invoice  # noqa: E402
from clinic.visits.models import TreatmentNote, Visit  # noqa: E402

ADMIN_EMAIL = "admin@bench.example"
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 (a throwaway database's only login)
SECRET_KEY = "bench-secret-key-" * 4
CONNECTIONS = 8
BASELINE_PATH = "/bench/baseline"  # served by bench/app.py only
WORKERS = 2
P99_TARGET_MS = 50
THROUGHPUT_TARGET = 0.70
PDF_TARGETS = {invoice_pdf.INVOICE: 7.0, handout_pdf.HANDOUT: 10.0}  # x the floor, CPU time
# A print served from the stored PDF: database work only, a small fraction of a render.
STORED_PRINT_TARGET = 0.1
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- the database ----

def _database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    folder = ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'clinic-bench.db'}"


def _environment(url: str) -> dict:
    # Page views wait for their database in a journal folder of its own (one per database).
    journal = ROOT / "instance" / "bench" / f"views-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
            "CLINIC_ENV": "production", "SESSION_COOKIE_SECURE": "0",
            "AUDIT_VIEW_JOURNAL": str(journal)}


def _counts(url: str) -> dict[str, int]:
    """How many clients, visits, invoices and handouts the database holds (none without a
    schema)."""
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return {model.__tablename__: connection.scalar(
                        select(func.count()).select_from(model.__table__))
                    for model in (Client, Visit, Invoice, Handout)}
    except Exception:  # no schema yet: nothing seeded
        return dict.fromkeys(("client", "visit", "invoice", "handout"), 0)
    finally:
        engine.dispose()


def _vacuum(url: str) -> None:
    """Leave PostgreSQL's tables as autovacuum would have on a live database by now: the
    planner's statistics gathered, and the pages of rows every transaction sees marked so, which
    lets an index answer a count without reading the table."""
    engine = create_engine(normalise_database_url(url))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
    engine.dispose()


def _upgrade(url: str) -> None:
    log("flask db upgrade")
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=_environment(url), check=True, capture_output=True)


def prepare(url: str, size, reuse: bool) -> None:
    if reuse and _counts(url)["visit"]:
        log("reusing the seeded database")
        _upgrade(url)  # migrations added since it was seeded (new indexes, say)
        _vacuum(url)
        return
    engine = create_engine(normalise_database_url(url))
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    engine.dispose()
    _upgrade(url)
    started = time.monotonic()
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "SECRET_KEY": SECRET_KEY})
    from clinic.extensions import db

    with app.app_context():
        admin_hash = hash_password(ADMIN_PASSWORD)
        with db.engine.begin() as connection:
            seed(connection, size, ADMIN_EMAIL, admin_hash)
        db.engine.dispose()
    _vacuum(url)
    log(f"seeded {size.clients:,} clients, {size.visits:,} visits, {size.invoices:,} invoices, "
        f"{size.handouts:,} handouts in {time.monotonic() - started:.0f} s")


def targets(url: str) -> dict[str, str]:
    """The URL of each key page, pointed at the busiest records of the seeded clinic."""
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as connection:
        visit = connection.execute(
            select(Visit.id, Visit.client_id, Visit.starts_at)
            .join(TreatmentNote, TreatmentNote.visit_id == Visit.id)
            .where(Visit.starts_at <= datetime.now(UTC))
            .order_by(Visit.starts_at.desc(), Visit.id).limit(1)
        ).one()
    engine.dispose()
    today = datetime.now(UTC).date().isoformat()
    return {
        "baseline": BASELINE_PATH,
        "client search": "/clients?q=smi",
        "client page": f"/clients/{visit.client_id}",
        "schedule day": f"/schedule?date={today}",
        "visit page": f"/visits/{visit.id}",
        "invoice list": "/invoices",  # as the desk opens it: drafts and unpaid
        "day close-out": f"/reports/day?date={today}",
    }


# ---- the server ----

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        # Workers are not replaced during the run. gunicorn.conf.py replaces one after about
        # 20,000 requests, hours of a clinic's day but under a minute of this load: the
        # replacement's half second of warming up for PDFs fell on whichever page's round was
        # running: up to a twentieth of that page's ten seconds.
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--max-requests", "0",
         "bench.app:app"],
        cwd=ROOT, env=_environment(url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                message = process.stderr.read().decode()
                raise SystemExit(f"gunicorn did not start:\n{message}") from None
            time.sleep(0.2)


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def sign_in(base: str) -> str:
    """Sign in through the form as a browser would; returns the Cookie header to send."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    form = urllib.parse.urlencode({"csrf_token": CSRF_INPUT.search(page).group(1),
                                   "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    opener.open(f"{base}/login", data=form.encode())
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    if "clinic_session" not in cookies:
        raise SystemExit("bench sign-in failed")
    return cookies


# ---- load ----

@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    errors: int
    # A page's: the baseline's rate in the runs just before and just after the page's own.
    baseline_per_second: float = 0.0


def _check(base: str, path: str, cookie: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        if response.status != 200 or response.url != base + path:
            raise SystemExit(f"{path} answered {response.status} at {response.url}")


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def with_wrk(url: str, cookie: str, seconds: float) -> Load:
    output = subprocess.run(
        # One thread is plenty for 8 connections on loopback and leaves the cores to gunicorn.
        ["wrk", "--threads", "1", "--connections", str(CONNECTIONS), "--duration",
         f"{seconds:g}s", "--timeout", "10s", "--latency", "--header", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Load(rate, p99, count)


def with_threads(url: str, cookie: str, seconds: float) -> Load:
    """The fallback without wrk: one keep-alive connection per thread, for a bounded time."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return Load(len(ordered) / seconds, ordered[int(len(ordered) * 0.99) - 1], errors[0])


def measure_pages(base: str, pages: dict[str, str], cookie: str, seconds: float,
                  use_wrk: bool, rounds: int) -> dict:
    generator = with_wrk if use_wrk else with_threads
    log(f"load generator: {'wrk' if generator is with_wrk else 'Python threads'}, "
        f"{CONNECTIONS} connections, {seconds:g} s a page in {rounds} rounds")
    for path in pages.values():
        _check(base, path, cookie)
        generator(base + path, cookie, 1)  # warm-up: templates, caches, connections
    # A busy spell on the shared machine lasts seconds: each page's run comes between two of
    # the baseline's, and is compared with the baseline as it ran just then. Round after round,
    # so that each page's time is spread over the whole run.
    def run(name: str) -> Load:
        return generator(base + pages[name], cookie, seconds / rounds)

    runs: dict[str, list[Load]] = {name: [] for name in pages}
    beside: dict[str, list[float]] = {name: [] for name in pages if name != "baseline"}
    for _ in range(rounds):
        before = run("baseline")
        runs["baseline"].append(before)
        for name in beside:
            runs[name].append(run(name))
            after = run("baseline")
            runs["baseline"].append(after)
            beside[name].append((before.requests_per_second + after.requests_per_second) / 2)
            before = after
    results = {}
    for name, loads in runs.items():
        # The rate over the whole time; the tail of a typical round (the worst one is logged).
        results[name] = Load(statistics.mean(load.requests_per_second for load in loads),
                             statistics.median(load.p99_ms for load in loads),
                             sum(load.errors for load in loads),
                             statistics.mean(beside.get(name, [0.0])))
        worst = max(load.p99_ms for load in loads)
        message = (f"{name}: {results[name].requests_per_second:.0f} req/s, p99 "
                   f"{results[name].p99_ms:.1f} ms (worst round {worst:.1f} ms)")
        if name in beside:
            # How far the ratio moves from round to round: how much of a figure near its
            # target is the machine's noise.
            ratios = [load.requests_per_second / baseline
                      for load, baseline in zip(loads, beside[name], strict=True)]
            message += f", {min(ratios):.2f} to {max(ratios):.2f}x the baseline round by round"
        log(message)
    return results


# ---- the table ----

def table(pages: dict[str, Load], pdfs: dict[str, dict[str, timing.Runs]], memory: int,
          batch: dict[str, float]) -> tuple[list[tuple], bool]:
    base = pages.pop("baseline")
    rows = [("baseline page req/s", f"{base.requests_per_second:.0f}", "", "", "", ""),
            ("baseline page p99 ms", f"{base.p99_ms:.1f}", "", "", "", "")]
    passed = True
    for name, load in pages.items():
        ratio = load.requests_per_second / load.baseline_per_second
        ok = ratio >= THROUGHPUT_TARGET and not load.errors
        rows.append((f"{name} req/s", f"{load.requests_per_second:.0f}",
                     f"{load.baseline_per_second:.0f}", f"{ratio:.2f}x",
                     f">= {THROUGHPUT_TARGET:.2f}x", "pass" if ok else "FAIL"))
        p99_ok = load.p99_ms <= P99_TARGET_MS
        rows.append((f"{name} p99 ms", f"{load.p99_ms:.1f}", f"{base.p99_ms:.1f}",
                     f"{load.p99_ms / base.p99_ms:.2f}x", f"<= {P99_TARGET_MS} ms",
                     "pass" if p99_ok else "FAIL"))
        passed = passed and ok and p99_ok
    for name, results in pdfs.items():
        label = name.removesuffix(" (pipeline)")
        floor, runs = results[timing.FLOOR], results[name]
        target = PDF_TARGETS[name]
        ok = timing.ratio(results, name) <= target
        rows.append((f"{label} CPU ms (median)", f"{statistics.median(runs.cpu):.1f}",
                     f"{statistics.median(floor.cpu):.1f}", f"{timing.ratio(results, name):.1f}x",
                     f"<= {target:g}x floor", "pass" if ok else "FAIL"))
        rows.append((f"{label} wall ms (median)", f"{statistics.median(runs.wall):.1f}",
                     f"{statistics.median(floor.wall):.1f}",
                     f"{timing.ratio(results, name, 'wall'):.1f}x", "", ""))
        passed = passed and ok
    ok = memory < pdf_memory.GROWTH_LIMIT
    rows.append((f"RSS growth MB over {pdf_memory.RENDERS:,} PDF renders", f"{memory / 1e6:.1f}",
                 "", "", f"< {pdf_memory.GROWTH_LIMIT / 1e6:g} MB", "pass" if ok else "FAIL"))
    passed = passed and ok
    invoice = statistics.median(pdfs[invoice_pdf.INVOICE][invoice_pdf.INVOICE].wall)
    stored = batch["stored_print_ms"]
    ok = stored / invoice <= STORED_PRINT_TARGET
    rows.append(("stored invoice print ms (median)", f"{stored:.1f}", f"{invoice:.1f}",
                 f"{stored / invoice:.2f}x", f"<= {STORED_PRINT_TARGET:g}x a render",
                 "pass" if ok else "FAIL"))
    passed = passed and ok
    speed_up = batch["one"] / batch["two"]
    ok = speed_up >= render_batch.SPEED_UP_TARGET
    rows.append((f"batch render {batch['invoices']} invoices s, 2 processes", f"{batch['two']:.2f}",
                 f"{batch['one']:.2f}", f"{speed_up:.2f}x",
                 f">= {render_batch.SPEED_UP_TARGET:g}x 1 process", "pass" if ok else "FAIL"))
    return rows, passed and ok


def print_table(rows: list[tuple]) -> None:
    heading = ("figure", "value", "baseline", "ratio", "target", "result")
    widths = [max(len(str(row[n])) for row in [heading, *rows]) for n in range(len(heading))]
    for row in [heading, tuple("-" * width for width in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a small clinic, a quick run")
    parser.add_argument("--duration", type=float, help="seconds of load per page")
    parser.add_argument("--rounds", type=int, default=5,
                        help="the pages take turns this many times, sharing each one's seconds")
    parser.add_argument("--pdf-runs", type=int)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--python-client", action="store_true",
                        help="load the pages with the Python client even when wrk is installed")
    args = parser.parse_args()
    size = SMALL if args.small else DEFAULT
    seconds = args.duration or (3 if args.small else 10)
    url = _database_url()
    started = time.monotonic()
    prepare(url, size, args.reuse)
    pages = targets(url)
    process, base = start_server(url)
    try:
        loads = measure_pages(base, pages, sign_in(base), seconds,
                              use_wrk=bool(shutil.which("wrk")) and not args.python_client,
                              rounds=args.rounds)
    finally:
        stop_server(process)
    log("rendering PDFs in this process")
    pdf_runs = args.pdf_runs or (10 if args.small else 30)
    pdfs = {invoice_pdf.INVOICE: invoice_pdf.measure(pdf_runs),
            handout_pdf.HANDOUT: handout_pdf.measure(pdf_runs)}
    log(f"rendering {pdf_memory.RENDERS:,} receipts in this process, watching its memory")
    memory = pdf_memory.measure()
    log("rendering a batch of invoices with one process, then two")
    rows, passed = table(loads, pdfs, memory, render_batch.measure())
    dialect = urllib.parse.urlsplit(url).scheme.split("+")[0]
    held = _counts(url)
    print(f"\n{held['client']:,} clients, {held['visit']:,} visits, "
          f"{held['invoice']:,} invoices, {held['handout']:,} handouts on {dialect}; "
          f"gunicorn {WORKERS} sync workers, "
          f"{CONNECTIONS} connections, {seconds:g} s a page in {args.rounds} rounds; "
          f"{time.monotonic() - started:.0f} s in all\n")
    print_table(rows)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
