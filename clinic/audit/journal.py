"""Page views on their way into the audit log: written to a file before the page is served,
sealed into the chain a batch at a time.

Each page that shows health information or notes records who saw what. Committing those
events with every page cost the record pages a quarter of their throughput: a commit per
page, and on SQLite every other worker's cached pages thrown away by each one. So a page
view's events are appended to a journal file of the worker's own (one `write`, no commit),
and a thread of the worker seals its journal into the chain every AUDIT_VIEW_DELAY_SECONDS,
in one transaction that waits for the disk.

A process holds a lock on the file it writes for as long as it writes it. To seal, it starts
a new file and lets go of the full one; any journal that no process holds (let go of, or
left by a process that ended, however it ended: the kernel drops the lock) is sealed by the
first process to take its lock, then removed.

What this keeps and what it costs:
- A worker that dies loses no view: what it wrote is in the file, and the next worker to
  seal (its replacement at once, the others within the delay) seals it. A power cut may lose
  the views of the last moments not yet sealed, as a commit that does not wait for the disk
  would; the journal folder must be on the server's own persistent disk.
- A view reaches the audit log up to the delay after it happened; `occurred_at` says when.
- A process killed between sealing a journal and removing it leaves it to be sealed again:
  a view may be on record twice, never not at all.
With a delay of 0, every page seals its own views before it is served (the tests do).
"""

import atexit
import fcntl
import json
import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from clinic.audit import chain
from clinic.extensions import db

log = logging.getLogger(__name__)

PREFIX, SUFFIX = "views-", ".jsonl"
_FIELDS = ("action", "object_type", "object_id", "actor_id", "ip", "client_id", "detail")


def _encode(event: chain.Unsealed) -> str:
    return json.dumps([event.occurred_at.isoformat(), *(getattr(event, f) for f in _FIELDS)],
                      separators=(",", ":"), ensure_ascii=False) + "\n"


def _decode(line: bytes) -> chain.Unsealed:
    occurred_at, *values = json.loads(line)
    fields = dict(zip(_FIELDS, values, strict=True))
    return chain.Unsealed(datetime.fromisoformat(occurred_at), **fields)


class ViewJournal:
    """One per app; each process writes a file of its own and seals every file no one holds."""

    def __init__(self, app: Flask):
        self.app = app
        self.folder = Path(app.config["AUDIT_VIEW_JOURNAL"])
        self.delay = max(0.0, float(app.config["AUDIT_VIEW_DELAY_SECONDS"]))
        self._writer: int | None = None  # the process the open file is written by
        self._file = -1
        self._sealer: int | None = None  # the process the sealing thread runs in
        # Between this process's threads: a page's append, and the sealer letting go of
        # the file.
        self._lock = threading.Lock()

    def append(self, events: list[chain.Unsealed]) -> None:
        """Put the events on file; on record for good once the journal is sealed."""
        text = "".join(_encode(event) for event in events).encode()
        try:
            with self._lock:
                if self._writer != os.getpid():  # the first views of a (forked) process
                    self._begin_file()
                os.write(self._file, text)
        except OSError:
            # No journal to write to (a full disk, a folder it may not write in): the views go
            # into the log with the page instead, as every view did before the journal.
            log.warning("page views could not be put on file in %s; they are sealed at once",
                        self.folder, exc_info=True)
            self._write(events)
            return
        if self.delay == 0:
            self.seal_all()

    def _begin_file(self) -> None:
        if self._writer is not None:
            # Forked from a process writing its journal: that file is its parent's, and the
            # parent's lock on it must end with the parent, not live on in this process.
            os.close(self._file)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{PREFIX}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        self._file = os.open(self.folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                             | os.O_EXCL, 0o600)
        fcntl.flock(self._file, fcntl.LOCK_EX)  # held while this process writes the file
        self._writer = os.getpid()
        self.start()

    def _let_go(self) -> None:
        """Stop writing to this process's file, if it holds any view: it is sealed as any."""
        with self._lock:
            if self._writer == os.getpid() and os.fstat(self._file).st_size:
                os.close(self._file)
                self._writer = None

    def start(self) -> None:
        """Every delay, seal this process's journal and what ended processes left.

        Once per process: gunicorn starts it as a worker starts, or a process's first page
        view does.
        """
        if self.delay == 0 or self._sealer == os.getpid():
            return
        self._sealer = os.getpid()
        threading.Thread(target=self._seal_every_delay, name="audit-view-journal",
                         daemon=True).start()
        atexit.register(self.seal_all)

    def _seal_every_delay(self) -> None:
        # At first only what others left: a killed worker's replacement seals its views.
        own = False
        while True:
            try:
                self.seal_all(own=own)
            except Exception:  # the worker's sealing must outlive any one failure
                log.exception("sealing page views failed; trying again in %s s", self.delay)
            own = True
            time.sleep(self.delay)

    def seal_all(self, own: bool = True) -> int:
        """Seal this process's journal and every journal no process holds; returns how many
        views went into the log."""
        if own:
            self._let_go()
        return sum(self._seal_quietly(path)
                   for path in sorted(self.folder.glob(f"{PREFIX}*{SUFFIX}")))

    def _seal_quietly(self, path: Path) -> int:
        # A database that does not answer now leaves the views on file for the next time.
        try:
            with self.app.app_context():
                return self._seal(path)
        except (SQLAlchemyError, OSError):
            log.warning("page views in %s could not be sealed yet; they stay on file", path,
                        exc_info=True)
            return 0

    def _seal(self, path: Path) -> int:
        """Write what a journal no one holds into the chain and remove it; returns how many."""
        try:
            handle = open(path, "rb")  # noqa: SIM115 (held open, and locked, to the end)
        except FileNotFoundError:
            return 0
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # being written, or being sealed by another process
                return 0
            if os.fstat(handle.fileno()).st_nlink == 0:  # sealed just now by another
                return 0
            events = []
            for line in handle.read().splitlines():
                try:
                    events.append(_decode(line))
                except (ValueError, TypeError):
                    # Only a machine that stopped mid-write leaves half a line. Kept, it
                    # would hold back every view after it; the log keeps what it said.
                    log.error("a line of %s could not be read and is left out of the audit "
                              "log: %r", path, line)
            if events:
                self._write(events)
            path.unlink()
        return len(events)

    def _write(self, events: list[chain.Unsealed]) -> None:
        try:
            _into_log(events)
        except IntegrityError:
            # A view by a staff member this database does not have (it was restored from a
            # backup older than them) must not hold back every view after it.
            for event in events:
                try:
                    _into_log([event])
                except IntegrityError:
                    log.error("a page view the database refuses is left out of the audit log: "
                              "%r", event, exc_info=True)


def _into_log(events: list[chain.Unsealed]) -> None:
    with Session(db.engine) as session:
        chain.add(session, *events)
        session.commit()


def journal(app: Flask) -> ViewJournal:
    return app.extensions["audit_view_journal"]


def init_app(app: Flask) -> None:
    app.extensions["audit_view_journal"] = ViewJournal(app)
