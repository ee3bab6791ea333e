"""Plain-dict contexts for the invoice and day close-out documents, on screen and in PDF.

No ORM object reaches a document template: what is printed is decided here, in one place.
"""

from datetime import date
from decimal import Decimal

from flask import url_for

from clinic.admin.models import ClinicSettings
from clinic.admin.services import get_settings
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import CreditNote, Invoice, InvoiceStatus
from clinic.invoices.money import LineAmounts, totals
from clinic.pdf import render
from clinic.pdf.documents import clinic_letterhead, logo_image


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


def _invoice_pdf_bytes(invoice: Invoice, settings: ClinicSettings, duplicate: bool) -> bytes:
    doc = _document(invoice, settings, duplicate)
    doc["logo_src"] = "image/logo" if doc["clinic"]["has_logo"] else None
    title = f"{'Receipt' if doc['is_receipt'] else 'Invoice'} {invoice.number or 'draft'}"
    return render.render(
        "pdf/invoice.html", {"doc": doc, "title": title},
        page_size=settings.page_size, images=logo_image(settings),
        # Archival PDF/A for what is kept for years; a draft is only a preview.
        pdf_variant=None if invoice.is_draft else "pdf/a-3b",
    )


def invoice_pdf(invoice: Invoice, today: date | None = None) -> tuple[bytes, str]:
    """The invoice or receipt as PDF, and its file name. The first copy of an issued document
    is the original; every later one says DUPLICATE. Nothing is noted until the PDF exists."""
    settings = get_settings()
    name = pdf_file_name(invoice, today or date.today())
    if invoice.is_draft:
        return _invoice_pdf_bytes(invoice, settings, duplicate=False), name
    printed_before = getattr(invoice, services.printed_column(invoice).key) is not None
    if invoice.status == InvoiceStatus.VOID or printed_before:
        data = _invoice_pdf_bytes(invoice, settings, duplicate=printed_before)
        services.record_copy(invoice)
        return data, name
    data = _invoice_pdf_bytes(invoice, settings, duplicate=False)
    if not services.claim_original(invoice):
        data = _invoice_pdf_bytes(invoice, settings, duplicate=True)
    return data, name


def day_report_pdf(report) -> bytes:
    settings = get_settings()
    return render.render(
        "pdf/day.html",
        {"report": report, "clinic": clinic_letterhead(settings),
         "logo_src": "image/logo" if settings.logo_mime else None,
         "title": f"Day close-out {report.day.isoformat()}"},
        page_size=settings.page_size, images=logo_image(settings),
    )
