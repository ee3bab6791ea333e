"""Plain-dict contexts for the invoice and day close-out documents, on screen and in PDF.

No ORM object reaches a document template: what is printed is decided here, in one place.

An issued invoice never changes, so each state of it is rendered once: the first print of a
state stores the PDF (InvoiceDocument) under the fingerprint of everything it is made from --
the HTML, so status, payments, credit note, DUPLICATE stamp and letterhead, plus logo, page
size and stylesheet -- and every later print of that state serves the stored bytes. A payment
or a new letterhead is a new state, rendered once in turn, and it replaces the state before.
Drafts change, so they are rendered on every print and never stored.
"""

import hashlib
import logging
from datetime import date
from decimal import Decimal

from flask import url_for
from sqlalchemy import delete, select

from clinic.admin.models import ClinicSettings
from clinic.admin.services import get_settings
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import CreditNote, Invoice, InvoiceDocument, InvoiceStatus
from clinic.invoices.money import LineAmounts, totals
from clinic.invoices.numbering import INSERTS
from clinic.pdf import render
from clinic.pdf.documents import clinic_letterhead, logo_image

log = logging.getLogger(__name__)


def _credit_note(note: CreditNote | None) -> dict | None:
    if note is None:
        return None
    return {
        "number": note.number,
        "issued_on": note.issued_on,
        "reason": note.reason,
        "total": note.total,
        "refunded": note.refunded,
        "refunds": [_payment(refund) for refund in note.refunds],
    }


def _payment(payment) -> dict:
    return {
        "received_on": payment.received_on,
        "method": payment.method_label,
        "reference": payment.reference,
        "amount": payment.amount,
    }


def invoice_document(invoice: Invoice, settings: ClinicSettings, *,
                     client_name: str, client_address: str, therapist_name: str,
                     therapist_registration: str, duplicate: bool = False) -> dict:
    """Everything an invoice or receipt shows. A draft shows the client and therapist as they
    are now; an issued invoice shows what was copied at issue."""
    status = InvoiceStatus(invoice.status)
    issued = status != InvoiceStatus.DRAFT
    result = totals(LineAmounts(line.net_amount, line.tax_amount, line.tax_rate)
                    for line in invoice.lines)
    paid = invoice.paid
    return {
        "clinic": clinic_letterhead(settings),
        "seller_tax_id": invoice.seller_tax_id if issued else settings.tax_id,
        "currency": invoice.currency,
        "number": invoice.number,
        "status": status.value,
        "status_label": status.label,
        "is_receipt": status == InvoiceStatus.PAID,
        "duplicate": duplicate,
        "issued_on": invoice.issued_on,
        "service_date": invoice.service_date,
        "client": {
            "name": invoice.bill_to_name if issued else client_name,
            "address_lines": (invoice.bill_to_address if issued else client_address).splitlines(),
        },
        "therapist": {
            "name": invoice.therapist_name if issued else therapist_name,
            "registration": invoice.therapist_registration if issued else therapist_registration,
        },
        "lines": [
            {
                "id": line.id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "tax_rate": line.tax_rate,
                "net": line.net_amount,
                "tax": line.tax_amount,
            }
            for line in invoice.lines
        ],
        "notes": invoice.notes,
        "subtotal": invoice.subtotal,
        "tax_by_rate": [{"rate": rate, "amount": amount}
                        for rate, amount in result.tax_by_rate.items()],
        "tax_total": invoice.tax_total,
        "total": invoice.total,
        "payments": [_payment(payment) for payment in invoice.payments],
        "paid": paid,
        "balance": Decimal("0.00") if status == InvoiceStatus.VOID else invoice.total - paid,
        "credit_note": _credit_note(invoice.credit_note),
    }


def pdf_file_name(invoice: Invoice, today: date) -> str:
    """Made by the server from the number alone: nothing a user typed goes in a header."""
    if invoice.number:
        kind = "receipt" if invoice.status == InvoiceStatus.PAID else "invoice"
        return f"{kind}-{invoice.number}.pdf"
    return f"draft-invoice-{invoice.id}-{today.isoformat()}.pdf"


def _document(invoice: Invoice, settings: ClinicSettings, duplicate: bool = False) -> dict:
    client = db.session.get(Client, invoice.client_id)
    therapist = db.session.get(User, invoice.therapist_id) if invoice.therapist_id else None
    return invoice_document(
        invoice, settings, client_name=client.name, client_address=client.address,
        therapist_name=therapist.name if therapist else "",
        therapist_registration=(therapist.registration_number or "") if therapist else "",
        duplicate=duplicate,
    )


def invoice_page(invoice: Invoice) -> dict:
    settings = get_settings()
    doc = _document(invoice, settings)
    doc["logo_src"] = url_for("home.logo") if doc["clinic"]["has_logo"] else None
    return doc


def _pdf_source(invoice: Invoice, settings: ClinicSettings, duplicate: bool) -> tuple[str, dict]:
    """The invoice's HTML and the options it is printed with, as `render.html_to_pdf` takes them."""
    doc = _document(invoice, settings, duplicate)
    doc["logo_src"] = "image/logo" if doc["clinic"]["has_logo"] else None
    title = f"{'Receipt' if doc['is_receipt'] else 'Invoice'} {invoice.number or 'draft'}"
    html = render.document_html("pdf/invoice.html", {"doc": doc, "title": title})
    return html, {
        "page_size": settings.page_size,
        "images": logo_image(settings),
        # Archival PDF/A for what is kept for years; a draft is only a preview.
        "pdf_variant": None if invoice.is_draft else "pdf/a-3b",
    }


def _store(invoice_id: int, state_key: str, data: bytes, *, replace: bool = False) -> bytes:
    """Keep `data` as this state of the invoice in place of the one before; returns the bytes
    now stored for the state."""
    insert = INSERTS[db.session.get_bind().dialect.name](InvoiceDocument).values(
        invoice_id=invoice_id, state_key=state_key, pdf=data,
        pdf_sha256=hashlib.sha256(data).hexdigest(),
    )
    state = ["invoice_id", "state_key"]
    if replace:
        insert = insert.on_conflict_do_update(
            index_elements=state,
            set_={"pdf": insert.excluded.pdf, "pdf_sha256": insert.excluded.pdf_sha256,
                  "created_at": insert.excluded.created_at},
        )
    else:
        insert = insert.on_conflict_do_nothing(index_elements=state)
    if db.session.execute(insert).rowcount == 0:
        # Another server rendered the same state at the same moment: every copy of a state
        # is then the same file, theirs.
        data = _stored(invoice_id, state_key)
    db.session.execute(
        delete(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id,
                                      InvoiceDocument.state_key != state_key)
    )
    db.session.commit()
    return data


def _stored(invoice_id: int, state_key: str) -> bytes | None:
    return db.session.scalar(
        select(InvoiceDocument.pdf).where(InvoiceDocument.invoice_id == invoice_id,
                                          InvoiceDocument.state_key == state_key)
    )


def _issued_pdf(invoice: Invoice, settings: ClinicSettings, duplicate: bool) -> bytes:
    """This state of an issued invoice: rendered the first time it is printed, then served
    from what was stored."""
    html, options = _pdf_source(invoice, settings, duplicate)
    state_key = render.fingerprint(html, **options)
    data = _stored(invoice.id, state_key)
    if data is None:
        data = _store(invoice.id, state_key, render.html_to_pdf(html, **options))
    return data


def _printed_before(invoice: Invoice) -> bool:
    """Whether the document (the invoice, or the paid receipt) was printed before: its next
    copy says DUPLICATE."""
    return getattr(invoice, services.printed_column(invoice).key) is not None


def invoice_pdf(invoice: Invoice, today: date | None = None) -> tuple[bytes, str]:
    """The invoice or receipt as PDF, and its file name. The first copy of an issued document
    is the original; every later one says DUPLICATE. Nothing is noted until the PDF exists."""
    settings = get_settings()
    name = pdf_file_name(invoice, today or date.today())
    if invoice.is_draft:
        # A draft still changes: rendered every time, never stored.
        html, options = _pdf_source(invoice, settings, duplicate=False)
        return render.html_to_pdf(html, **options), name
    printed_before = _printed_before(invoice)
    if invoice.status == InvoiceStatus.VOID or printed_before:
        data = _issued_pdf(invoice, settings, duplicate=printed_before)
        services.record_copy(invoice)
        return data, name
    data = _issued_pdf(invoice, settings, duplicate=False)
    if not services.claim_original(invoice):
        data = _issued_pdf(invoice, settings, duplicate=True)
    return data, name


def store_next_copies(invoices: list[Invoice], *, force: bool = False) -> tuple[int, list[int]]:
    """Render and store the state each issued invoice prints as next, unless it is stored
    already (`force`: render it again and replace it). Returns how many were rendered, and the
    ids of any whose PDF could not be made: logged, and the others still rendered."""
    settings = get_settings()
    stored = {(row.invoice_id, row.state_key) for row in db.session.execute(
        select(InvoiceDocument.invoice_id, InvoiceDocument.state_key)
        .where(InvoiceDocument.invoice_id.in_([invoice.id for invoice in invoices]))
    )}
    rendered, failed = 0, []
    for invoice in invoices:
        try:
            html, options = _pdf_source(invoice, settings, _printed_before(invoice))
            state_key = render.fingerprint(html, **options)
            if force or (invoice.id, state_key) not in stored:
                _store(invoice.id, state_key, render.html_to_pdf(html, **options), replace=force)
                rendered += 1
        except Exception:
            log.exception("invoice %s: the PDF could not be made", invoice.id)
            db.session.rollback()
            failed.append(invoice.id)
    return rendered, failed


def day_report_pdf(report) -> bytes:
    settings = get_settings()
    return render.render(
        "pdf/day.html",
        {"report": report, "clinic": clinic_letterhead(settings),
         "logo_src": "image/logo" if settings.logo_mime else None,
         "title": f"Day close-out {report.day.isoformat()}"},
        page_size=settings.page_size, images=logo_image(settings),
    )
