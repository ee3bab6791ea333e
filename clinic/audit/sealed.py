"""Signed notes, addenda, issued invoices and credit notes, checked against their content hash.

Each record's hash is recomputed from the database as it is now, with the same function that
sealed it; any difference means the row was changed around the app (the app itself refuses to).
The hash on the record is also held against the one its sealing event wrote into the chained
audit log, so a record rewritten together with a recomputed hash is found too. What each
invoice keeps as paid is held against its payments.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select, type_coerce
from sqlalchemy.orm import raiseload, selectinload

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.invoices.models import (
    MONEY,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
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


def _logged_hashes(action: str, id_field: str | None) -> dict[str, str]:
    """The content hashes the chained log took when records were sealed, by the sealed
    record's id: the event's object, or the detail's `id_field` where the event names
    another object. Records sealed by migration 0009 have no such event."""
    logged = {}
    query = (select(AuditEvent.object_id, AuditEvent.detail)
             .where(AuditEvent.action == action).execution_options(yield_per=BATCH))
    with db.session.execute(query) as rows:
        for object_id, detail in rows:
            fields = json.loads(detail or "{}")
            if "content_hash" in fields:
                logged[str(fields[id_field]) if id_field else object_id] = fields["content_hash"]
    return logged


@dataclass(frozen=True)
class _Kind:
    label: str
    query: Select
    recompute: Callable
    # The record as the report names it, and what its seal covers.
    name: Callable[[object], str]
    since: str
    # The audit event that took the hash, and the detail naming the record (None: its object).
    action: str
    id_field: str | None
    logged_id: Callable[[object], object]


def _check(verdict: Verdict, kind: _Kind) -> None:
    """Recompute the hash of every record the query finds, a batch at a time, and hold the
    hash kept on the record against the one its sealing event put in the chained log: a
    record rewritten together with its hash still differs from the log."""
    logged = _logged_hashes(kind.action, kind.id_field)
    checked = 0
    with db.session.execute(kind.query.execution_options(yield_per=BATCH)) as rows:
        for row in rows:
            record = row[0]
            checked += 1
            if record.content_hash != kind.recompute(*row):
                verdict.altered.append(f"{kind.name(record)}: content changed since {kind.since}")
            elif logged.get(str(kind.logged_id(record)), record.content_hash) != (
                    record.content_hash):
                verdict.altered.append(f"{kind.name(record)}: content and hash changed since "
                                       f"{kind.since}; the audit log holds the hash it had")
    verdict.checked[kind.label] = checked


def _check_paid(verdict: Verdict) -> None:
    """What each invoice keeps as paid against the sum of its payments (sealed records too:
    a payment never changes), in one statement over all of them."""
    payments = (select(Payment.invoice_id, func.sum(Payment.amount).label("amount"))
                .where(Payment.invoice_id.is_not(None)).group_by(Payment.invoice_id).subquery())
    received = type_coerce(func.coalesce(payments.c.amount, 0), MONEY)
    found = db.session.execute(
        select(Invoice.id, Invoice.number, Invoice.paid, received)
        .outerjoin(payments, payments.c.invoice_id == Invoice.id)
        .where(Invoice.paid != received).order_by(Invoice.id))
    for invoice_id, number, paid, received_amount in found:
        verdict.altered.append(f"invoice {number} (id {invoice_id}): {paid} paid on record, "
                               f"but its payments come to {received_amount}")


def verify() -> Verdict:
    verdict = Verdict()
    # A record that claims to be a draft while it carries a hash was unsigned behind the
    # app's back, so it is checked too.
    _check(verdict, _Kind(
        "signed notes",
        select(TreatmentNote, Visit.client_id).join(Visit, Visit.id == TreatmentNote.visit_id)
        .where(or_(TreatmentNote.signed_at.is_not(None), TreatmentNote.content_hash.is_not(None)))
        .order_by(TreatmentNote.id).options(raiseload("*")),
        note_content_hash,
        lambda note: f"treatment note {note.id} (visit {note.visit_id})", "signing",
        "note.signed", None, lambda note: note.id,
    ))
    _check(verdict, _Kind(
        "addenda",
        select(NoteAddendum).order_by(NoteAddendum.id).options(raiseload("*")),
        addendum_content_hash,
        lambda addendum: f"addendum {addendum.id} to treatment note {addendum.note_id}",
        "it was added", "note.addendum_added", "addendum", lambda addendum: addendum.id,
    ))
    _check(verdict, _Kind(
        "issued invoices",
        select(Invoice)
        .where(or_(Invoice.status != InvoiceStatus.DRAFT, Invoice.content_hash.is_not(None)))
        .order_by(Invoice.id).options(selectinload(Invoice.lines), raiseload("*")),
        invoice_content_hash,
        lambda invoice: f"invoice {invoice.number} (id {invoice.id})", "issue",
        "invoice.issued", None, lambda invoice: invoice.id,
    ))
    _check(verdict, _Kind(
        "credit notes",
        select(CreditNote).order_by(CreditNote.id).options(raiseload("*")),
        credit_note_content_hash,
        lambda note: f"credit note {note.number} (id {note.id})", "issue",
        "invoice.voided", "credit_note", lambda note: note.number,
    ))
    _check_paid(verdict)
    return verdict
