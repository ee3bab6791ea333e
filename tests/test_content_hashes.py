"""Signed notes, addenda, issued invoices and credit notes carry a content hash, and
`flask audit verify` names any of them changed behind the app's back."""

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from clinic.audit import sealed
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.invoices import services as invoice_services
from clinic.invoices.models import CreditNote, Invoice, credit_note_content_hash
from clinic.visits import services as visit_services
from clinic.visits.models import (
    NoteAddendum,
    TreatmentNote,
    Visit,
    VisitStatus,
    note_content_hash,
)
from tests.invoices.conftest import line, make_invoice  # noqa: F401 (fixture)
from tests.visits.conftest import make_client, make_visit  # noqa: F401 (fixtures)

SOAP = {
    "subjective": "Clenching at night; right jaw aches in the morning.",
    "objective": "Right masseter hypertonic, tender at the angle of the jaw.",
    "assessment": "Masseter release both sides, 10 min, moderate pressure. Felt looser.",
    "plan": "Masseter strokes twice a day. Next visit in two weeks.",
}


@dataclass(frozen=True)
class Records:
    note_id: int
    visit_id: int
    addendum_id: int
    invoice_id: int
    invoice_number: str
    voided_id: int
    credit_note_id: int
    credit_note_number: str


@pytest.fixture
def records(app, make_user, make_visit, make_invoice) -> Records:  # noqa: F811 (fixtures)
    """A signed note with an addendum, an issued invoice, and a voided one with its credit note."""
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist)
    with app.app_context():
        author = db.session.get(User, therapist.id)
        visit = db.session.get(Visit, visit_id)
        visit_services.change_status(visit, VisitStatus.ARRIVED, "", author, visit.version)
        note = visit_services.sign(visit, author, SOAP, None)
        addendum = visit_services.add_addendum(
            visit, author, "Correction", "It was the left masseter, not the right."
        )
        note_id, addendum_id = note.id, addendum.id
    invoice = make_invoice(issue=True, therapist=therapist, lines=[
        line(), line("Take-home jaw oil", quantity="2", price="18.50"),
    ])
    voided = make_invoice(issue=True)
    with app.app_context():
        credit_note = invoice_services.void(
            db.session.get(Invoice, voided.id), "Billed twice", therapist.id
        )
        credit_note_id, credit_note_number = credit_note.id, credit_note.number
    return Records(note_id, visit_id, addendum_id, invoice.id, invoice.number, voided.id,
                   credit_note_id, credit_note_number)


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def tamper(app, statement: str, **values) -> None:
    """Change a row with raw SQL, around the ORM listeners that refuse it."""
    with app.app_context():
        db.session.execute(text(statement), values)
        db.session.commit()


def test_untouched_records_verify_clean_and_are_counted(app, records):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert ("Signed and issued records intact: 1 signed notes, 1 addenda, 2 issued invoices, "
            "1 credit notes") in result.output


def test_each_hash_is_also_sealed_into_the_audit_log(app, records):
    with app.app_context():
        logged = {
            (event.action, json.loads(event.detail)["content_hash"])
            for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
                ("note.signed", "note.addendum_added", "invoice.issued", "invoice.voided")
            )))
        }
        note = db.session.get(TreatmentNote, records.note_id)
        addendum = db.session.get(NoteAddendum, records.addendum_id)
        invoice = db.session.get(Invoice, records.invoice_id)
        credit_note = db.session.get(CreditNote, records.credit_note_id)
        assert {("note.signed", note.content_hash),
                ("note.addendum_added", addendum.content_hash),
                ("invoice.issued", invoice.content_hash),
                ("invoice.voided", credit_note.content_hash)} <= logged


def test_an_empty_clinic_verifies(app):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "0 signed notes, 0 addenda, 0 issued invoices, 0 credit notes" in result.output


def test_a_drafts_text_is_not_sealed(app, make_user, make_visit):  # noqa: F811 (fixture)
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist)
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        note = visit_services.save_draft(visit, db.session.get(User, therapist.id), SOAP, None)
        assert note.content_hash is None
    tamper(app, "UPDATE treatment_note SET plan = 'Still being written'")
    assert verify(app).exit_code == 0


NOTE_CHANGED = "treatment note {note_id} (visit {visit_id}): content changed since signing"
INVOICE_CHANGED = "invoice {invoice_number} (id {invoice_id}): content changed since issue"

# What is changed with raw SQL, around the ORM listeners, and what verify must then say.
TAMPERING = {
    "a signed note's text": (
        "UPDATE treatment_note SET plan = 'No follow-up needed.' WHERE id = :note_id",
        NOTE_CHANGED,
    ),
    "the client of a signed note's visit": (
        "UPDATE visit SET client_id = (SELECT MAX(id) FROM client) WHERE id = :visit_id",
        NOTE_CHANGED,
    ),
    "a signed note made a draft again": (
        "UPDATE treatment_note SET signed_at = NULL, plan = 'Rewritten' WHERE id = :note_id",
        NOTE_CHANGED,
    ),
    "an addendum's text": (
        "UPDATE note_addendum SET text = 'Nothing to correct.' WHERE id = :addendum_id",
        "addendum {addendum_id} to treatment note {note_id}: content changed since it was added",
    ),
    "an invoice line's unit price (18.50 becomes 8.50)": (
        "UPDATE invoice_line SET unit_price = 850 WHERE invoice_id = :invoice_id "
        "AND position = 2",
        INVOICE_CHANGED,
    ),
    "an invoice line removed": (
        "DELETE FROM invoice_line WHERE invoice_id = :invoice_id AND position = 2",
        INVOICE_CHANGED,
    ),
    "a credit note's reason": (
        "UPDATE credit_note SET reason = 'Client asked' WHERE id = :credit_note_id",
        "credit note {credit_note_number} (id {credit_note_id}): content changed since issue",
    ),
    "what an invoice was paid": (
        "UPDATE invoice SET paid = 1000 WHERE id = :invoice_id",
        "invoice {invoice_number} (id {invoice_id}): 10.00 paid on record, but its payments "
        "come to 0.00",
    ),
}


@pytest.mark.parametrize("change", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_record_changed_with_raw_sql_is_named(app, records, change):
    statement, message = change
    with app.app_context():
        db.session.execute(text(statement), asdict(records))
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert message.format(**asdict(records)) in result.output
    assert "1 records CHANGED after sealing" in result.output
    assert "Audit log intact" in result.output


# A record and its hash rewritten together, as someone with the database and this code could.
FORGERIES = {
    "a signed note's plan": (
        TreatmentNote, "note_id", "plan", "Rewritten plan.",
        'UPDATE treatment_note SET "plan" = :value, content_hash = :forged WHERE id = :id',
        lambda note: note_content_hash(note, note.visit.client_id),
        "treatment note {note_id} (visit {visit_id}): content and hash changed since signing",
    ),
    "a credit note's reason, named by its number": (
        CreditNote, "credit_note_id", "reason", "Client asked",
        "UPDATE credit_note SET reason = :value, content_hash = :forged WHERE id = :id",
        credit_note_content_hash,
        "credit note {credit_note_number} (id {credit_note_id}): content and hash changed "
        "since issue",
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_record_rewritten_with_a_recomputed_hash_is_named_from_the_audit_log(
    app, records, forgery
):
    model, id_field, column, value, statement, rehash, message = forgery
    record_id = asdict(records)[id_field]
    with app.app_context(), db.session.no_autoflush:
        record = db.session.get(model, record_id)
        setattr(record, column, value)
        forged = rehash(record)
        db.session.rollback()
    tamper(app, statement, value=value, forged=forged, id=record_id)
    result = verify(app)
    assert result.exit_code == 1
    assert (message.format(**asdict(records)) + "; the audit log holds the hash it had"
            in result.output)


def test_records_are_read_in_batches_and_each_is_checked(app, records, monkeypatch):
    monkeypatch.setattr(sealed, "BATCH", 1)
    tamper(app, "UPDATE invoice_line SET description = 'Nothing' WHERE invoice_id = :id",
           id=records.voided_id)
    result = verify(app)
    assert result.exit_code == 1
    assert f"(id {records.voided_id}): content changed since issue" in result.output
    assert f"(id {records.invoice_id})" not in result.output
    assert "checked 1 signed notes, 1 addenda, 2 issued invoices, 1 credit notes" in result.output


def test_payments_and_printing_after_issue_keep_the_invoice_intact(app, records):
    with app.app_context():
        invoice = db.session.get(Invoice, records.invoice_id)
        invoice_services.claim_original(invoice)
        invoice_services.record_payment(
            invoice, invoice_services.PaymentDetails("cash", Decimal("20.00"),
                                                     invoice.issued_on), None,
            today=invoice.issued_on,
        )
    assert verify(app).exit_code == 0


def test_every_change_is_listed_and_a_broken_chain_is_reported_too(app, records):
    tamper(app, "UPDATE treatment_note SET subjective = 'Nothing' WHERE id = :id",
           id=records.note_id)
    tamper(app, "UPDATE invoice SET bill_to_name = 'Someone Else' WHERE id = :id",
           id=records.invoice_id)
    tamper(app, "UPDATE audit_event SET action = 'nothing.to.see' "
                "WHERE seq = (SELECT MIN(seq) FROM audit_event)")
    result = verify(app)
    assert result.exit_code == 1
    assert "Audit log BROKEN at event #1" in result.output
    assert f"treatment note {records.note_id}" in result.output
    assert f"invoice {records.invoice_number}" in result.output
    assert "2 records CHANGED after sealing" in result.output


def _hashes(app) -> dict[str, list[str | None]]:
    with app.app_context():
        return {model.__tablename__: list(db.session.scalars(
            select(model.content_hash).order_by(model.id)
        )) for model in (TreatmentNote, NoteAddendum, Invoice, CreditNote)}


def test_the_migration_seals_records_signed_and_issued_before_it(app, records):
    sealed_by_the_app = _hashes(app)
    with app.app_context():
        db.session.remove()
        downgrade(revision="0008")
        upgrade()
    assert _hashes(app) == sealed_by_the_app
    # Going below 0011 drops the client named on each audit event, so only the records are
    # expected to verify after this round trip, not the audit chain.
    assert "Signed and issued records intact" in verify(app).output
