"""A client's whole record, for the client or the clinic they move to: one plain dict, written
as JSON for machines and as a PDF for people, in one zip with each handout's PDF exactly as it
was handed out.

The dict is JSON as it stands: dates and times in ISO 8601 (times in UTC), amounts as integer
cents beside the invoice's currency, quantities and tax rates as exact decimal text. Every
query is by this client's id, so nothing of anyone else can reach the files.
"""

import hashlib
import json
import logging
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from sqlalchemy import select

from clinic.admin.services import get_settings
from clinic.aftercare import documents as handout_documents
from clinic.aftercare.models import DELIVERY_METHOD_LABELS, Handout
from clinic.audit import services as audit
from clinic.auth.models import User
from clinic.clients.models import (
    HEADACHE_FREQUENCIES,
    HEADACHE_KINDS,
    PRESSURES,
    Client,
    Delivery,
    Intake,
)
from clinic.downloads import new_spool
from clinic.extensions import db
from clinic.formatting import plain_decimal
from clinic.invoices.models import CreditNote, Invoice, InvoiceStatus, Payment, PaymentMethod
from clinic.invoices.services import can_read
from clinic.pdf import render
from clinic.pdf.documents import clinic_letterhead, logo_image
from clinic.types import utcnow
from clinic.validation import ValidationError
from clinic.visits.models import SOAP_FIELDS, TreatmentNote, Visit, VisitStatus

log = logging.getLogger(__name__)

FORMAT = "clinic.client-record"
FORMAT_VERSION = 1
# Kept for years and read by people, some with screen readers: archival and tagged.
PDF_VARIANT = "pdf/a-3a"


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def cents(amount: Decimal) -> int:
    """Amounts are exact to the cent (clinic.invoices.money): 95.50 -> 9550."""
    return int(amount.scaleb(2))


def _contact(client: Client) -> dict:
    return {
        "id": client.id,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": _iso(client.date_of_birth),
        "pronouns": client.pronouns,
        "phone": client.phone,
        "email": client.email,
        "address": client.address,
        "emergency_contact": {"name": client.emergency_contact_name,
                              "phone": client.emergency_contact_phone},
        "handout_delivery": client.handout_delivery,
        "created_at": _iso(client.created_at),
        "archived_at": _iso(client.archived_at),
    }


def _intake(intake: Intake, names: dict[int, str]) -> dict:
    return {
        "version": intake.version,
        "submitted_at": _iso(intake.submitted_at),
        "source": intake.source,
        "entered_by": names.get(intake.entered_by_id),
        "reason": intake.reason,
        "goals": intake.goals,
        "answers": [
            {"code": item.code, "question": item.question.label, "detail": item.detail,
             "date": _iso(item.on_date)}
            for item in intake.items
        ],
        "headache_kind": intake.headache_kind,
        "headache_frequency": intake.headache_frequency,
        "headache_recent": intake.headache_recent,
        "pressure": intake.pressure,
        "areas_to_avoid": intake.areas_to_avoid,
        "consent": {"version": intake.consent.version, "text": intake.consent.body},
        "signature": intake.signature,
        "signed_on": _iso(intake.signed_on),
    }


def _note(note: TreatmentNote, names: dict[int, str]) -> dict:
    return {
        "author": names.get(note.author_id),
        "created_at": _iso(note.created_at),
        "signed_at": _iso(note.signed_at),
        "signed_by": names.get(note.signed_by_id),
        **note.text(),
        "addenda": [
            {"written_at": _iso(addendum.created_at), "author": names.get(addendum.author_id),
             "reason": addendum.reason, "text": addendum.text}
            for addendum in note.addenda
        ],
    }


def _visit(visit: Visit, note: TreatmentNote | None, names: dict[int, str]) -> dict:
    return {
        "id": visit.id,
        "starts_at": _iso(visit.starts_at),
        "ends_at": _iso(visit.ends_at),
        "service": visit.service_name,
        "therapist": names.get(visit.therapist_id),
        "status": visit.status,
        "status_reason": visit.status_reason,
        "note": None if note is None else _note(note, names),
    }


def _payment(payment: Payment) -> dict:
    return {"received_on": _iso(payment.received_on), "method": payment.method,
            "reference": payment.reference, "amount_cents": cents(payment.amount)}


def _credit_note(note: CreditNote | None) -> dict | None:
    if note is None:
        return None
    return {"number": note.number, "issued_on": _iso(note.issued_on), "reason": note.reason,
            "total_cents": cents(note.total),
            "refunds": [_payment(refund) for refund in note.refunds]}


def _invoice(invoice: Invoice, names: dict[int, str]) -> dict:
    issued = not invoice.is_draft
    return {
        "number": invoice.number,
        "status": invoice.status,
        "currency": invoice.currency,
        "visit_id": invoice.visit_id,
        "service_date": _iso(invoice.service_date),
        "issued_on": _iso(invoice.issued_on),
        # An issued invoice names whom and what it named at issue; a draft, who it is now.
        "therapist": invoice.therapist_name if issued else names.get(invoice.therapist_id),
        "lines": [
            {"description": line.description, "quantity": plain_decimal(line.quantity),
             "unit_price_cents": cents(line.unit_price), "tax_rate": plain_decimal(line.tax_rate),
             "net_cents": cents(line.net_amount), "tax_cents": cents(line.tax_amount)}
            for line in invoice.lines
        ],
        "subtotal_cents": cents(invoice.subtotal),
        "tax_cents": cents(invoice.tax_total),
        "total_cents": cents(invoice.total),
        "paid_cents": cents(invoice.paid),
        "notes": invoice.notes,
        "payments": [_payment(payment) for payment in invoice.payments],
        "credit_note": _credit_note(invoice.credit_note),
    }


def _handout(handout: Handout, names: dict[int, str], visit_day: date) -> dict:
    return {
        "id": handout.id,
        "created_at": _iso(handout.created_at),
        "visit_id": handout.visit_id,
        "therapist": names.get(handout.therapist_id),
        "techniques": handout.technique_titles,
        "advice": list(handout.advice),
        "personal_note": handout.personal_note,
        "pdf_sha256": handout.pdf_sha256,
        "file": "handouts/" + handout_documents.pdf_file_name(handout.id, visit_day),
        "deliveries": [
            {"at": _iso(delivery.created_at), "method": delivery.method,
             "recipient": delivery.recipient, "status": delivery.status}
            for delivery in handout.deliveries
        ],
    }


def client_record(client: Client, user: User) -> dict:
    """Everything the clinic holds about the client that `user` may read, oldest first.

    Admins and therapists read every intake, note and handout; a therapist reads the invoices
    of their own visits only (clinic.invoices.services.can_read), and the record says so.
    """
    names = dict(db.session.execute(select(User.id, User.name)).all())
    intakes = db.session.scalars(
        select(Intake).where(Intake.client_id == client.id).order_by(Intake.version))
    visits = db.session.execute(
        select(Visit, TreatmentNote)
        .outerjoin(TreatmentNote, TreatmentNote.visit_id == Visit.id)
        .where(Visit.client_id == client.id).order_by(Visit.starts_at, Visit.id)
    ).all()
    visit_days = {visit.id: visit.starts_at.astimezone().date() for visit, _ in visits}
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.client_id == client.id)
        .order_by(Invoice.issued_on.nulls_last(), Invoice.id)).all()
    handouts = db.session.scalars(
        select(Handout).where(Handout.client_id == client.id).order_by(Handout.id))
    readable = [invoice for invoice in invoices if can_read(user, invoice)]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "exported_by": user.name,
        "clinic": get_settings().name,
        "client": _contact(client),
        "intakes": [_intake(intake, names) for intake in intakes],
        "visits": [_visit(visit, note, names) for visit, note in visits],
        "all_invoices": len(readable) == len(invoices),
        "invoices": [_invoice(invoice, names) for invoice in readable],
        "handouts": [_handout(handout, names, visit_days[handout.visit_id])
                     for handout in handouts],
    }


# ---- the files ----

LABELS = {
    "pressure": PRESSURES,
    "headache_kind": HEADACHE_KINDS,
    "headache_frequency": HEADACHE_FREQUENCIES,
    "delivery": {delivery.value: delivery.label for delivery in Delivery},
    "delivered": DELIVERY_METHOD_LABELS,
    "visit_status": {status.value: status.label for status in VisitStatus},
    "invoice_status": {status.value: status.label for status in InvoiceStatus},
    "payment_method": {method.value: method.label for method in PaymentMethod},
    "soap": [(name, label) for name, label, _ in SOAP_FIELDS],
}


def record_pdf(record: dict) -> bytes:
    """The record for people to read, from the same dict as the JSON."""
    settings = get_settings()
    clinic = clinic_letterhead(settings)
    name = f"{record['client']['first_name']} {record['client']['last_name']}".strip()
    return render.render(
        "pdf/client_record.html",
        {"record": record, "clinic": clinic, "labels": LABELS,
         "logo_src": "image/logo" if clinic["has_logo"] else None,
         "title": f"Client record: {name}"},
        page_size=settings.page_size, images=logo_image(settings), pdf_variant=PDF_VARIANT,
    )


def _file_stem(client: Client) -> str:
    """Made from the id alone: no name a client typed goes in a file name or a header."""
    return f"client-{client.id}-record"


def _write_handouts(archive: zipfile.ZipFile, record: dict) -> None:
    files = {handout["id"]: handout["file"] for handout in record["handouts"]}
    stored = db.session.execute(
        select(Handout.id, Handout.pdf).where(Handout.id.in_(files))
        .execution_options(yield_per=20)
    )
    for handout_id, data in stored:
        archive.writestr(files[handout_id], data)


def export_archive(client: Client, user: User, today: date) -> tuple[IO[bytes], str]:
    """The zip of the client's record (PDF, JSON and the handouts' PDFs) and its file name.
    The export is on record; nothing is noted if the files could not be made."""
    record = client_record(client, user)
    try:
        pdf = record_pdf(record)
    except Exception:
        log.exception("client record PDF for client %s failed", client.id)
        raise ValidationError({"": "The record's PDF could not be made, so nothing was "
                                   "exported. Try again; if it keeps failing, tell the admin."}
                              ) from None
    stem = _file_stem(client)
    data = json.dumps(record, ensure_ascii=False, indent=2).encode()
    spool = new_spool()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.pdf", pdf)
        archive.writestr(f"{stem}.json", data)
        _write_handouts(archive, record)
    audit.record("client.exported", "client", client.id, detail={
        "intakes": len(record["intakes"]), "visits": len(record["visits"]),
        "invoices": len(record["invoices"]), "handouts": len(record["handouts"]),
        "json_sha256": hashlib.sha256(data).hexdigest(),
    })
    db.session.commit()
    return spool, f"{stem}-{today.isoformat()}.zip"
