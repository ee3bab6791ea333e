"""Signed notes, addenda, issued invoices and credit notes, checked against their content hash.

Each record's hash is recomputed from the database as it is now, with the same function that
sealed it; any difference means the row was changed around the app (the app itself refuses to).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import raiseload, selectinload

from clinic.extensions import db
from clinic.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    credit_note_content_hash,
    invoice_content_hash,
)
from clinic.visits.models import (
    NoteAddendum,
    TreatmentNote,
    Visit,
    addendum_content_hash,
    note_content_hash,
)

BATCH = 1000


@dataclass
class Verdict:
    checked: dict[str, int] = field(default_factory=dict)
    # One line per changed record, naming it.
    altered: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.altered


def _check(verdict: Verdict, label: str, query: Select, recompute: Callable,
           name: Callable[[object], str]) -> None:
    """Recompute the hash of every record the query finds, a batch at a time."""
    checked = 0
    with db.session.execute(query.execution_options(yield_per=BATCH)) as rows:
        for row in rows:
            checked += 1
            if row[0].content_hash != recompute(*row):
                verdict.altered.append(name(row[0]))
    verdict.checked[label] = checked


def verify() -> Verdict:
    verdict = Verdict()
    # A record that claims to be a draft while it carries a hash was unsigned behind the
    # app's back, so it is checked too.
    _check(
        verdict, "signed notes",
        select(TreatmentNote, Visit.client_id).join(Visit, Visit.id == TreatmentNote.visit_id)
        .where(or_(TreatmentNote.signed_at.is_not(None), TreatmentNote.content_hash.is_not(None)))
        .order_by(TreatmentNote.id).options(raiseload("*")),
        note_content_hash,
        lambda note: f"treatment note {note.id} (visit {note.visit_id}): "
                     "content changed since signing",
    )
    _check(
        verdict, "addenda",
        select(NoteAddendum).order_by(NoteAddendum.id).options(raiseload("*")),
        addendum_content_hash,
        lambda addendum: f"addendum {addendum.id} to treatment note {addendum.note_id}: "
                         "content changed since it was added",
    )
    _check(
        verdict, "issued invoices",
        select(Invoice)
        .where(or_(Invoice.status != InvoiceStatus.DRAFT, Invoice.content_hash.is_not(None)))
        .order_by(Invoice.id).options(selectinload(Invoice.lines), raiseload("*")),
        invoice_content_hash,
        lambda invoice: f"invoice {invoice.number} (id {invoice.id}): "
                        "content changed since issue",
    )
    _check(
        verdict, "credit notes",
        select(CreditNote).order_by(CreditNote.id).options(raiseload("*")),
        credit_note_content_hash,
        lambda note: f"credit note {note.number} (id {note.id}): content changed since issue",
    )
    return verdict
