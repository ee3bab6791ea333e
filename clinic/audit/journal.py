"""Page views on their way into the audit log: written to a file before the page is served,
sealed into the chain a batch at a time.

Each page that shows health information or notes records who saw what. Committing those
events with every page cost the record pages a quarter of their throughput: a commit per
page, and on SQLite every other worker's cached pages thrown away by each one. So a page
view's events are appended to a journal file of the worker's own (one `write`, no commit)
and a thread of the worker seals what its journal holds into the chain every
AUDIT_VIEW_DELAY_SECONDS, in one transaction that waits for the disk.

What this keeps and what it costs:
- A worker that dies, however it dies, loses no view: what it wrote is in the file, and
  another worker of the same host seals the journal of a process that is gone. A power cut
  may lose the views of the last moments not yet sealed (as a commit that does not wait for
  the disk would); the journal folder must be on the host's own persistent disk.
- A view reaches the audit log up to the delay after it happened; `occurred_at` says when.
- A worker killed between sealing its journal and emptying it writes those views twice when
  the journal is sealed again. A view may be on record twice, never not at all.
With a delay of 0, every page seals its own views before it is served (the tests do).
"""

import atexit
import fcntl
import json
import logging
import os
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class ViewJournal:
    """One per app; each process appends to a file of its own (host and pid in its name)."""

    def __init__(self, app: Flask):
        self.app = app
        self.folder = Path(app.config["AUDIT_VIEW_JOURNAL"])
        self.delay = max(0.0, float(app.config["AUDIT_VIEW_DELAY_SECONDS"]))
        self.host = socket.gethostname()
        self._pid: int | None = None  # the process the open journal file is for
        self._sealing: int | None = None  # the process the sealing thread runs in
        self._descriptor = -1
        # flock excludes other open files, not other threads writing through the same one.
        self._appending = threading.Lock()

    @property
    def path(self) -> Path:
        return self.folder / f"{PREFIX}{self.host}-{os.getpid()}{SUFFIX}"

    def append(self, events: list[chain.Unsealed]) -> None:
        """Put the events on file; on record for good once the journal is sealed."""
        text = "".join(_encode(event) for event in events).encode()
        with self._appending:
            descriptor = self._open()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                if os.fstat(descriptor).st_nlink == 0:
                    # Sealed and removed as a dead process's journal just as this process,
                    # given that process's pid, opened it: start a new file.
                    os.close(descriptor)
                    self._pid = None
                    descriptor = self._open()
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                os.write(descriptor, text)
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        if self.delay == 0:
            self._seal_quietly(self.path)

    def _open(self) -> int:
        if self._pid != os.getpid():  # a new process (a forked worker): a file of its own
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._pid = os.getpid()
            self.start()
        return self._descriptor

    def start(self) -> None:
        """Every delay, seal this process's journal and what ended processes left.

        Once per process: gunicorn starts it as a worker starts, or a process's first page
        view does.
        """
        if self.delay == 0 or self._sealing == os.getpid():
            return
        self._sealing = os.getpid()
        threading.Thread(target=self._seal_every_delay, name="audit-view-journal",
                         daemon=True).start()
        atexit.register(self._seal_quietly, self.path, remove=True)

    def _seal_every_delay(self) -> None:
        own = False  # at first, only what ended processes left: a killed worker's replacement
        while True:
            try:
                self.seal_host(own=own)
            except Exception:  # the worker's sealing must outlive any one failure
                log.exception("sealing page views failed; trying again in %s s", self.delay)
            own = True
            time.sleep(self.delay)

    def seal_host(self, own: bool = True) -> int:
        """Seal this process's journal and those of this host's processes that have ended."""
        sealed = 0
        for path in self.folder.glob(f"{PREFIX}{self.host}-*{SUFFIX}"):
            pid = int(path.name.removeprefix(f"{PREFIX}{self.host}-").removesuffix(SUFFIX))
            if pid == os.getpid():
                sealed += self._seal_quietly(path) if own else 0
            elif not _alive(pid):
                sealed += self._seal_quietly(path, remove=True)
        return sealed

    def _seal_quietly(self, path: Path, remove: bool = False) -> int:
        # A database that does not answer now leaves the views on file for the next time.
        try:
            with self.app.app_context():
                return self.seal(path, remove=remove)
        except (SQLAlchemyError, OSError):
            log.warning("page views in %s could not be sealed yet; they stay on file", path,
                        exc_info=True)
            return 0

    def seal(self, path: Path, remove: bool = False) -> int:
        """Write what the journal holds into the chain, then empty it; returns how many."""
        try:
            handle = open(path, "r+b")  # noqa: SIM115 (held open, and locked, to the end)
        except FileNotFoundError:
            return 0
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
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
                handle.truncate(0)
            if remove:
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
        for event in events:
            chain.add(session, event)
        session.commit()


def journal(app: Flask) -> ViewJournal:
    return app.extensions["audit_view_journal"]


def init_app(app: Flask) -> None:
    app.extensions["audit_view_journal"] = ViewJournal(app)
