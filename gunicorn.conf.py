"""gunicorn settings for the clinic: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden on the command line (`--workers 4`) or, for the ones read
below, from the environment. docs/deploy.md explains the choices.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one worker, so workers = requests served at once. Pages
# take milliseconds and a PDF a fraction of a second; 2 per core keeps the CPUs busy.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "sync"
# A request that takes longer than this is stuck, not slow: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Behind a reverse proxy that reuses connections; sync workers should not wait on idle ones.
keepalive = 2
# A backstop, not a fix: should anything grow in a worker's memory, the worker is replaced
# after this many requests. A new worker spends about half a second warming up for PDFs, so
# replacements are rare (memory stays flat over thousands of renders: docs/performance.md)
# and spread wide: workers that restarted together would leave no one to serve for that
# half second, which under load put a 0.5 s stall in every few thousand requests.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20_000))
max_requests_jitter = max_requests // 4
# Import the app -- and with it WeasyPrint, about a second of imports -- once in the master.
# Workers are forked from it already loaded, so starting or recycling a worker is quick.
preload_app = True
# The heartbeat file on a memory file system: a slow disk cannot make a worker look stuck.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def pre_fork(server, worker) -> None:
    """In the master, before a worker is forked: the part of the workers' warm-up that is
    plain Python and the same in each (`render.read_before_fork`), done once for them all."""
    from clinic.pdf import render

    with server.app.wsgi().app_context():
        render.read_before_fork()


def post_worker_init(worker) -> None:
    """Make the worker ready for the first PDF before it takes its first request.

    WeasyPrint's font configuration and the parsed print stylesheet are built per process
    (clinic.pdf.render keeps one of each), and the first documents load fonts, glyphs and
    compile templates: about half a second that would otherwise fall on some user's first
    print. That is done here, after the fork, because fontconfig and cairo state is not
    meant to be shared across processes. Database connections are never inherited from the
    master either: the pool starts empty.
    """
    from clinic.audit.journal import journal
    from clinic.extensions import db
    from clinic.pdf import render

    app = worker.wsgi
    with app.app_context():
        db.engine.dispose(close=False)
        render.warm_up()
    # Within a second, a worker that replaces one that was killed seals the views it left.
    journal(app).start()
    # Everything alive now lives as long as the worker: the app, its modules, WeasyPrint's
    # caches. Frozen, it is no longer walked by every full garbage collection, which would
    # otherwise add about 90 ms to every sixth handout or so (15 ms once frozen).
    gc.collect()
    gc.freeze()
