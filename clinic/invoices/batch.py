"""Rendering every issued invoice's next copy ahead of printing, on every core: at month-end,
or after the letterhead changed.

The parent process lists the ids and hands them out in chunks to worker processes forked from
it, which start with its app and everything imported, open database connections of their own
(nothing open crosses the fork) and store what they render through the same code as printing
does. Only the plain-Python part of getting ready for PDFs is done in the parent before the
fork (`render.read_before_fork`); WeasyPrint first renders in the workers: Pango may load fonts
on a thread of its own, and a fork copies no thread.
"""

import math
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import current_app
from sqlalchemy import select

from clinic.extensions import db
from clinic.invoices import documents
from clinic.invoices.models import Invoice, InvoiceStatus
from clinic.pdf import render

# Small enough that the workers finish together and the progress moves; large enough that
# handing out a chunk costs nothing next to rendering it.
MAX_CHUNK = 50


@dataclass(frozen=True)
class Outcome:
    invoices: int
    rendered: int
    failed: list[int]


def _chunks(ids: list[int], jobs: int) -> list[list[int]]:
    size = max(1, min(MAX_CHUNK, math.ceil(len(ids) / (jobs * 4))))
    return [ids[start:start + size] for start in range(0, len(ids), size)]


# The app the worker processes inherit from the parent at the fork.
_worker_app = None


def _render_chunk(ids: list[int], force: bool) -> tuple[int, int, list[int]]:
    """In a worker: how many ids the chunk had, how many were rendered, which failed."""
    with _worker_app.app_context():
        invoices = list(db.session.scalars(select(Invoice).where(Invoice.id.in_(ids))))
        rendered, failed = documents.store_next_copies(invoices, force=force)
    return len(ids), rendered, failed


def render_all(*, jobs: int, force: bool = False,
               progress: Callable[[int, int], None] = lambda done, total: None) -> Outcome:
    """Store the next copy of every issued invoice with `jobs` processes; `progress` hears how
    many invoices are done out of how many after each chunk."""
    ids = list(db.session.scalars(
        select(Invoice.id).where(Invoice.status != InvoiceStatus.DRAFT).order_by(Invoice.id)
    ))
    if not ids:
        return Outcome(0, 0, [])
    chunks = _chunks(ids, jobs)
    global _worker_app
    _worker_app = current_app._get_current_object()
    render.read_before_fork()
    # Nothing open crosses the fork: each worker connects for itself.
    db.session.remove()
    db.engine.dispose()
    done, rendered, failed = 0, 0, []
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(chunks))) as pool:
        for count, chunk_rendered, chunk_failed in pool.imap_unordered(
            partial(_render_chunk, force=force), chunks
        ):
            done += count
            rendered += chunk_rendered
            failed += chunk_failed
            progress(done, len(ids))
    return Outcome(len(ids), rendered, sorted(failed))
