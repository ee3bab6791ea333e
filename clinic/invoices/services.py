"""Services, invoices, payments and credit notes: the rules and the database work."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from flask import abort
from sqlalchemy import bindparam, func, literal, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from clinic import paging
from clinic.admin.services import get_settings
from clinic.audit import services as audit
from clinic.auth.models import Role, User
from clinic.clients.models import Client, full_name
from clinic.extensions import db
from clinic.invoices import numbering
from clinic.invoices.models import (
    MONEY,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Series,
    Service,
    credit_note_content_hash,
    invoice_content_hash,
)
from clinic.invoices.money import ZERO, line_amounts, totals
from clinic.paging import Listing
from clinic.records import apply_changes, commit_or_stale
from clinic.types import utcnow
from clinic.validation import ValidationError
from clinic.visits.models import Visit, VisitStatus

# Credit notes have a series of their own, so their numbers never share a sequence with invoices.
CREDIT_NOTE_PREFIX = "CN"
MAX_AMOUNT = Decimal("1000000")
MAX_QUANTITY = Decimal("1000")
UNPAID_ON_HOME = 8
# The close-out lists this many of the oldest unpaid invoices; the rest are counted.
UNPAID_ON_CLOSE_OUT = 20

ISSUED_IS_FINAL = "This invoice is issued and cannot change. Void it with a credit note instead."


def _decimal_error(value: Decimal | None, places: int, *, low: Decimal, high: Decimal,
                   what: str) -> str | None:
    if value is None:
        return f"Enter {what}."
    if not value.is_finite() or value.as_tuple().exponent < -places:
        return f"Use at most {places} decimals."
    if not low <= value <= high:
        return f"Enter {what} between {low.normalize():,f} and {high.normalize():,f}."
    return None


# ---- the service catalogue ----

@dataclass
class ServiceDetails:
    name: str
    duration_minutes: int | None
    price: Decimal | None
    tax_rate: Decimal | None
    active: bool = True


def list_services(*, active_only: bool = False) -> list[Service]:
    statement = select(Service).order_by(Service.active.desc(), Service.name)
    if active_only:
        statement = statement.where(Service.active.is_(True))
    return list(db.session.scalars(statement))


def get_service(service_id: int) -> Service:
    return db.get_or_404(Service, service_id)


def _check_service(details: ServiceDetails, service: Service | None) -> dict:
    errors = {}
    name = details.name.strip()
    if not name:
        errors["name"] = "Enter the service's name."
    else:
        taken = db.session.scalar(select(Service.id).where(Service.name == name))
        if taken is not None and (service is None or taken != service.id):
            errors["name"] = "Another service already has this name."
    if details.duration_minutes is None or not 5 <= details.duration_minutes <= 600:
        errors["duration_minutes"] = "Enter a duration between 5 and 600 minutes."
    if problem := _decimal_error(details.price, 2, low=ZERO, high=MAX_AMOUNT, what="a price"):
        errors["price"] = problem
    if problem := _decimal_error(details.tax_rate, 3, low=ZERO, high=Decimal(100),
                                 what="a tax rate"):
        errors["tax_rate"] = problem
    if errors:
        raise ValidationError(errors)
    return {"name": name, "duration_minutes": details.duration_minutes,
            "price": details.price, "tax_rate": details.tax_rate, "active": details.active}


def save_service(details: ServiceDetails, service: Service | None = None) -> Service:
    """Add a service, or change one. Invoices already made keep the price they had."""
    values = _check_service(details, service)
    if service is None:
        service = Service(**values)
        db.session.add(service)
        db.session.flush()
        audit.record("service.created", "service", service.id)
    else:
        changed = apply_changes(service, values)
        if changed:
            audit.record("service.updated", "service", service.id, detail={"changed": changed})
    db.session.commit()
    return service


# ---- who may read which invoice ----

def can_read(user, invoice: Invoice) -> bool:
    """Admin and reception read every invoice; a therapist reads those of their own clients."""
    if Role(user.role) in (Role.ADMIN, Role.RECEPTION):
        return True
    return invoice.therapist_id == user.id


def get_invoice(invoice_id: int, user) -> Invoice:
    invoice = db.get_or_404(Invoice, invoice_id)
    if not can_read(user, invoice):
        abort(404)
    return invoice


def get_credit_note(credit_note_id: int) -> CreditNote:
    return db.get_or_404(CreditNote, credit_note_id)


def active_therapists() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.THERAPIST, User.active.is_(True)).order_by(User.name)
    ))


# ---- drafts ----

@dataclass
class DraftDetails:
    therapist_id: int | None
    service_date: date | None
    notes: str = ""


@dataclass
class LineDetails:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    tax_rate: Decimal | None
    service_id: int | None = None


def _check_draft(details: DraftDetails, today: date) -> dict:
    errors = {}
    if details.therapist_id is not None and details.therapist_id not in {
        therapist.id for therapist in active_therapists()
    }:
        errors["therapist_id"] = "Choose one of the clinic's therapists."
    if details.service_date is None:
        errors["service_date"] = "Enter the date of service, e.g. 2026-03-21."
    elif details.service_date > today:
        errors["service_date"] = "The date of service cannot be in the future."
    if len(details.notes) > 1000:
        errors["notes"] = "Keep the note under 1000 characters."
    if errors:
        raise ValidationError(errors)
    return {"therapist_id": details.therapist_id, "service_date": details.service_date,
            "notes": details.notes.strip()}


def _check_line(details: LineDetails) -> dict:
    errors = {}
    description = " ".join(details.description.split())
    if not description:
        errors["description"] = "Describe what is charged."
    elif len(description) > 200:
        errors["description"] = "Keep the description under 200 characters."
    if problem := _decimal_error(details.quantity, 2, low=Decimal("0.01"), high=MAX_QUANTITY,
                                 what="a quantity"):
        errors["quantity"] = problem
    # A negative price is a discount line.
    if problem := _decimal_error(details.unit_price, 2, low=-MAX_AMOUNT, high=MAX_AMOUNT,
                                 what="a price"):
        errors["unit_price"] = problem
    if problem := _decimal_error(details.tax_rate, 3, low=ZERO, high=Decimal(100),
                                 what="a tax rate"):
        errors["tax_rate"] = problem
    if errors:
        raise ValidationError(errors)
    amounts = line_amounts(details.quantity, details.unit_price, details.tax_rate)
    return {"description": description, "quantity": details.quantity,
            "unit_price": details.unit_price, "tax_rate": details.tax_rate,
            "service_id": details.service_id,
            "net_amount": amounts.net, "tax_amount": amounts.tax}


def _audit(action: str, invoice: Invoice, detail: dict | None = None) -> None:
    audit.record(action, "invoice", invoice.id, client_id=invoice.client_id, detail=detail)


def _require_draft(invoice: Invoice) -> None:
    if not invoice.is_draft:
        raise ValidationError({"": ISSUED_IS_FINAL})


def _recompute(invoice: Invoice) -> None:
    result = totals(line.amounts() for line in invoice.lines)
    invoice.subtotal, invoice.tax_total, invoice.total = result.subtotal, result.tax, result.total
    # Always an UPDATE of the invoice row, so its version catches a concurrent issue or edit.
    invoice.updated_at = utcnow()


def service_line(service: Service, quantity: Decimal = Decimal(1)) -> LineDetails:
    return LineDetails(service.name, quantity, service.price, service.tax_rate, service.id)


def create_draft(client: Client, details: DraftDetails, actor_id: int,
                 service_id: int | str | None = None, visit_id: int | None = None,
                 today: date | None = None) -> Invoice:
    if client.archived:
        raise ValidationError({"": "This client is archived. Restore them to invoice them."})
    values = _check_draft(details, today or date.today())
    lines = []
    if service_id:
        service = db.session.get(Service, int(service_id))
        if service is None or not service.active:
            raise ValidationError({"service_id": "Choose a service from the list."})
        lines.append(InvoiceLine(position=1, **_check_line(service_line(service))))
    invoice = Invoice(client_id=client.id, visit_id=visit_id, currency=get_settings().currency,
                      created_by_id=actor_id, lines=lines, **values)
    _recompute(invoice)
    db.session.add(invoice)
    db.session.flush()
    _audit("invoice.created", invoice, detail={"client": client.id, "visit": visit_id})
    db.session.commit()
    return invoice


def draft_from_visit(visit_id: int, actor_id: int) -> tuple[Invoice, bool]:
    """A draft for a completed visit, with its service, therapist and date; or the visit's
    existing invoice (True) -- a visit is invoiced once, unless that invoice was voided."""
    visit = db.get_or_404(Visit, visit_id)
    if visit.status != VisitStatus.COMPLETED:
        raise ValidationError({"": "Only a completed visit can be invoiced."})
    existing = db.session.scalar(
        select(Invoice).where(Invoice.visit_id == visit.id, Invoice.status != InvoiceStatus.VOID)
        .order_by(Invoice.id.desc()).limit(1)
    )
    if existing is not None:
        return existing, True
    service_id = db.session.scalar(
        select(Service.id).where(Service.name == visit.service_name, Service.active.is_(True))
    )
    therapist = db.session.get(User, visit.therapist_id)
    details = DraftDetails(
        therapist_id=therapist.id if therapist.active else None,
        service_date=visit.starts_at.astimezone().date(),
    )
    client = db.session.get(Client, visit.client_id)
    return create_draft(client, details, actor_id, service_id=service_id,
                        visit_id=visit.id), False


def update_draft(invoice: Invoice, details: DraftDetails, today: date | None = None) -> None:
    _require_draft(invoice)
    values = _check_draft(details, today or date.today())
    for key, value in values.items():
        setattr(invoice, key, value)
    invoice.updated_at = utcnow()
    _audit("invoice.updated", invoice)
    commit_or_stale("invoice")


def add_line(invoice: Invoice, details: LineDetails) -> None:
    _require_draft(invoice)
    values = _check_line(details)
    position = max((line.position for line in invoice.lines), default=0) + 1
    invoice.lines.append(InvoiceLine(position=position, **values))
    _recompute(invoice)
    _audit("invoice.line_added", invoice)
    commit_or_stale("invoice")


def add_service(invoice: Invoice, service_id: int | None, quantity: Decimal | None) -> None:
    service = db.session.get(Service, service_id) if service_id else None
    if service is None or not service.active:
        raise ValidationError({"service_id": "Choose a service from the list."})
    add_line(invoice, service_line(service, quantity))


def remove_line(invoice: Invoice, line_id: int) -> None:
    _require_draft(invoice)
    line = next((line for line in invoice.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    invoice.lines.remove(line)
    _recompute(invoice)
    _audit("invoice.line_removed", invoice)
    commit_or_stale("invoice")


def delete_draft(invoice: Invoice) -> None:
    _require_draft(invoice)
    _audit("invoice.deleted", invoice)
    db.session.delete(invoice)
    commit_or_stale("invoice")


# ---- issuing ----

def issue(invoice: Invoice, today: date | None = None) -> None:
    """Give the draft its number and freeze it, in one transaction."""
    _require_draft(invoice)
    today = today or date.today()
    if not invoice.lines:
        raise ValidationError({"": "Add at least one line before issuing the invoice."})
    if invoice.total < 0:
        raise ValidationError({"": "The total is below zero. Check the discount lines."})
    if invoice.service_date > today:
        raise ValidationError({"": "The date of service is in the future."})
    settings = get_settings()
    client = db.session.get(Client, invoice.client_id)
    therapist = db.session.get(User, invoice.therapist_id) if invoice.therapist_id else None
    year = today.year
    # The number first: every change below then reaches the database in one flush.
    invoice.number = numbering.format_number(
        settings.invoice_prefix, year, numbering.next_number(Series.INVOICE, year)
    )
    invoice.bill_to_name = client.name
    invoice.bill_to_address = client.address
    invoice.therapist_name = therapist.name if therapist else ""
    invoice.therapist_registration = (therapist.registration_number or "") if therapist else ""
    invoice.seller_tax_id = settings.tax_id
    invoice.currency = settings.currency
    invoice.issued_on = today
    invoice.issued_at = utcnow()
    invoice.status = InvoiceStatus.PAID if invoice.total == 0 else InvoiceStatus.ISSUED
    invoice.content_hash = invoice_content_hash(invoice)
    _audit("invoice.issued", invoice,
           detail={"number": invoice.number, "content_hash": invoice.content_hash})
    try:
        commit_or_stale("invoice")
    except IntegrityError:
        # The same number taken twice means the prefix changed back to an older one.
        db.session.rollback()
        raise ValidationError({"": "That invoice number is already used. Check the invoice "
                                   "prefix in the clinic settings."}) from None


# ---- payments ----

@dataclass
class PaymentDetails:
    method: str
    amount: Decimal | None
    received_on: date | None
    reference: str = ""


def _check_payment(details: PaymentDetails, limit: Decimal, today: date,
                   limit_message: str) -> dict:
    errors = {}
    if details.method not in {method.value for method in PaymentMethod}:
        errors["method"] = "Choose how it was paid."
    if problem := _decimal_error(details.amount, 2, low=Decimal("0.01"), high=MAX_AMOUNT,
                                 what="an amount"):
        errors["amount"] = problem
    elif details.amount > limit:
        errors["amount"] = limit_message.format(limit=f"{limit:,.2f}")
    if details.received_on is None:
        errors["received_on"] = "Enter the date, e.g. 2026-03-21."
    elif details.received_on > today:
        errors["received_on"] = "The date cannot be in the future."
    reference = details.reference.strip()
    if len(reference) > 80:
        errors["reference"] = "Keep the reference under 80 characters."
    if errors:
        raise ValidationError(errors)
    return {"method": details.method, "amount": details.amount,
            "received_on": details.received_on, "reference": reference}


def record_payment(invoice: Invoice, details: PaymentDetails, actor_id: int,
                   today: date | None = None) -> Payment:
    if invoice.status != InvoiceStatus.ISSUED:
        message = {
            InvoiceStatus.DRAFT: "Issue the invoice before taking a payment.",
            InvoiceStatus.PAID: "This invoice is paid in full.",
            InvoiceStatus.VOID: "This invoice is void; nothing is owed on it.",
        }[InvoiceStatus(invoice.status)]
        raise ValidationError({"": message})
    values = _check_payment(
        details, invoice.balance, today or date.today(),
        "That is more than the balance due of {limit}. Record at most {limit}.",
    )
    payment = Payment(invoice_id=invoice.id, recorded_by_id=actor_id, **values)
    db.session.add(payment)
    invoice.payments.append(payment)
    invoice.paid += payment.amount
    if invoice.balance == 0:
        invoice.status = InvoiceStatus.PAID
    # Two payments at once: the invoice's version lets only the first through.
    invoice.updated_at = utcnow()
    db.session.flush()
    _audit("invoice.payment", invoice,
           detail={"method": payment.method, "amount": str(payment.amount)})
    commit_or_stale("invoice")
    return payment


# ---- voiding ----

def void(invoice: Invoice, reason: str, actor_id: int, today: date | None = None) -> CreditNote:
    """Cancel an issued invoice with a credit note for its full amount."""
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        message = ("A draft is not issued: delete it instead." if invoice.is_draft
                   else "This invoice is already void.")
        raise ValidationError({"": message})
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the invoice is void; it is printed on the "
                                         "credit note."})
    if len(reason) > 500:
        raise ValidationError({"reason": "Keep the reason under 500 characters."})
    today = today or date.today()
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = utcnow()
    db.session.flush()
    year = today.year
    note = CreditNote(
        number=numbering.format_number(
            CREDIT_NOTE_PREFIX, year, numbering.next_number(Series.CREDIT_NOTE, year)
        ),
        invoice_id=invoice.id, reason=reason, subtotal=invoice.subtotal,
        tax_total=invoice.tax_total, total=invoice.total, issued_on=today, issued_at=utcnow(),
        created_by_id=actor_id,
    )
    note.content_hash = credit_note_content_hash(note)
    db.session.add(note)
    db.session.flush()
    _audit("invoice.voided", invoice,
           detail={"credit_note": note.number, "reason": reason, "content_hash": note.content_hash})
    commit_or_stale("invoice")
    return note


def refundable(note: CreditNote) -> Decimal:
    invoice = db.session.get(Invoice, note.invoice_id)
    return invoice.paid - note.refunded


def record_refund(note: CreditNote, details: PaymentDetails, actor_id: int,
                  today: date | None = None) -> Payment:
    """Money paid back to the client: a negative payment against the credit note."""
    limit = refundable(note)
    if limit <= 0:
        raise ValidationError({"": "Nothing was paid on this invoice, or it is all refunded."})
    values = _check_payment(
        details, limit, today or date.today(),
        "That is more than was paid and not yet refunded ({limit}).",
    )
    refund = Payment(credit_note_id=note.id, recorded_by_id=actor_id,
                     **{**values, "amount": -values["amount"]})
    db.session.add(refund)
    # Serialise refunds on one credit note through its invoice's version.
    invoice = db.session.get(Invoice, note.invoice_id)
    invoice.updated_at = utcnow()
    db.session.flush()
    audit.record("credit_note.refund", "credit_note", note.id, client_id=invoice.client_id,
                 detail={"method": refund.method, "amount": str(refund.amount)})
    commit_or_stale("invoice")
    return refund


# ---- printing ----

def claim_original(invoice: Invoice) -> bool:
    """Note that the first PDF of this document was made; False if someone else's was first.

    The invoice and the paid receipt count apart: the first receipt of a paid invoice is an
    original even if the unpaid invoice was printed before. Later copies say DUPLICATE.
    """
    column = printed_column(invoice)
    # Conditional, so two desks printing at once cannot both get the original.
    result = db.session.execute(
        update(Invoice).where(Invoice.id == invoice.id, column.is_(None))
        .values({column: utcnow()}).execution_options(synchronize_session=False)
    )
    first = result.rowcount == 1
    _audit("invoice.printed", invoice, detail={"copy": "original" if first else "duplicate"})
    db.session.commit()
    return first


def printed_column(invoice: Invoice):
    return Invoice.receipt_printed_at if invoice.status == InvoiceStatus.PAID \
        else Invoice.printed_at


def record_copy(invoice: Invoice) -> None:
    _audit("invoice.printed", invoice, detail={"copy": "duplicate"})
    db.session.commit()


# ---- lists ----

# Looked up once a row rather than building an InvoiceStatus for each.
STATUS_LABELS = {status.value: status.label for status in InvoiceStatus}


class InvoiceRow(NamedTuple):
    """One line of an invoice list: plain values, ready to show.

    A tuple rather than a record or a dataclass with properties, as a visit line is: a list
    draws every attribute of every line, and each call made for one is paid on every line.
    """

    id: int
    number: str | None
    status: str
    status_label: str
    client_id: int
    client_name: str
    therapist_name: str | None
    service_date: date
    issued_on: date | None
    total: Decimal
    paid: Decimal
    # Still owed: nothing on a void invoice, whatever was paid.
    balance: Decimal


# Built once each, with what changes from one list to the next as parameters: a statement
# never changes (.where() makes a new one), and building these cost more than the rest of a
# short list.
@cache
def _rows_statement():
    return (
        select(Invoice.id, Invoice.number, Invoice.status, Invoice.client_id,
               Client.first_name, Client.last_name, User.name.label("therapist"),
               Invoice.service_date, Invoice.issued_on, Invoice.total, Invoice.paid)
        .join(Client, Client.id == Invoice.client_id)
        .outerjoin(User, User.id == Invoice.therapist_id)
    )


def _row(record) -> InvoiceRow:
    """A line from a row of _rows_statement (and whatever columns follow them)."""
    (invoice_id, number, status, client_id, first_name, last_name, therapist, service_date,
     issued_on, total, paid) = record[:11]
    return InvoiceRow(
        invoice_id, number, status, STATUS_LABELS[status], client_id,
        full_name(first_name, last_name), therapist, service_date, issued_on, total, paid,
        ZERO if status == InvoiceStatus.VOID else total - paid,
    )


STATUS_FILTERS = {
    "open": (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED),
    "draft": (InvoiceStatus.DRAFT,),
    "unpaid": (InvoiceStatus.ISSUED,),
    "paid": (InvoiceStatus.PAID,),
    "void": (InvoiceStatus.VOID,),
    "all": tuple(InvoiceStatus),
}


def limited_to_own(user) -> bool:
    """Whether the rule of can_read limits this user's lists to their own invoices."""
    return Role(user.role) == Role.THERAPIST


def reader_parameters(user) -> dict:
    """The parameters of a list built for this user (the :therapist of _readable_by)."""
    return {"therapist": user.id} if limited_to_own(user) else {}


def _own_invoices():
    """The rule of can_read for a therapist, as a condition of a list built once: the
    invoices of the :therapist's visits."""
    return Invoice.therapist_id == bindparam("therapist")


def _readable_by(statement, of_therapist: bool):
    return statement.where(_own_invoices()) if of_therapist else statement


# Lists of invoices newest issue first (drafts, with no date, before them), read off
# ix_invoice_issued_on_id.
NEWEST_FIRST = (Invoice.issued_on.desc().nulls_first(), Invoice.id.desc())


@cache
def _list_statement(every_status: bool, of_therapist: bool):
    """A page (:limit rows from :offset) of the invoices of the :statuses, or of every status,
    and of the :therapist when asked, newest first, each with the count of them all."""
    # Every status is no condition: SQLite would otherwise pick the status index and sort.
    # The statuses and the page are written into the statement as it is sent: PostgreSQL then
    # plans it once for each filter, where parameters had it plan again on every run (as for
    # the unpaid invoices below).
    conditions = [] if every_status else [Invoice.status.in_(
        bindparam("statuses", expanding=True, literal_execute=True))]
    if of_therapist:
        conditions.append(_own_invoices())
    # The page is chosen on the invoice table alone, then joined: sorting every invoice with
    # its client and payments first costs the database a hundred times more.
    page_ids = paging.one_page(
        select(Invoice.id).where(*conditions).order_by(*NEWEST_FIRST), written=True,
    ).correlate(None)
    # Every invoice has its client, so the count needs no join either.
    return (_rows_statement().add_columns(*paging.totals_of(Invoice, *conditions))
            .where(Invoice.id.in_(page_ids)).order_by(*NEWEST_FIRST))


def list_invoices(user, status_filter: str, page: int, per_page: int = paging.PER_PAGE) -> Listing:
    statuses = STATUS_FILTERS.get(status_filter, STATUS_FILTERS["all"])
    every_status = set(statuses) == set(InvoiceStatus)
    parameters = reader_parameters(user)
    if not every_status:
        parameters["statuses"] = [status.value for status in statuses]
    return paging.read(
        paging.Query(_list_statement(every_status, limited_to_own(user)), parameters, _row),
        page=page, per_page=per_page)


@cache
def _unpaid_statement():
    """A page (:limit rows from :offset) of the unpaid invoices, the oldest first, each with
    the count and the balance of them all."""
    # The status and the page written into the statement: PostgreSQL then plans it once, where
    # parameters had it plan again on every run (its plan for any status and page expects a
    # quarter of every invoice, and dearer than one made for the few unpaid).
    unpaid = Invoice.status == literal(InvoiceStatus.ISSUED.value, literal_execute=True)
    owed = type_coerce(Invoice.total - Invoice.paid, MONEY)
    return paging.one_page(
        _rows_statement().add_columns(*paging.totals_of(Invoice, unpaid, amount=owed))
        .where(unpaid).order_by(Invoice.issued_on, Invoice.id), written=True,
    )


def unpaid_invoices(per_page: int, page: int = 1) -> Listing:
    """Issued invoices with money still owed, the oldest first, and the balance of them all."""
    return paging.read(paging.Query(_unpaid_statement(), {}, _row, amount=True),
                       page=page, per_page=per_page)


@cache
def _client_invoices_statement(of_therapist: bool):
    return paging.paged(
        _readable_by(_rows_statement().where(Invoice.client_id == bindparam("client")),
                     of_therapist),
        NEWEST_FIRST,
    )


def client_invoices(client_id: int, user, *, page: int = 1, per_page: int) -> Listing:
    """The client's invoices that this user may read, newest first."""
    return paging.read(client_invoices_list(client_id, user), page=page, per_page=per_page)


def client_invoices_list(client_id: int, user) -> paging.Query:
    """The list of client_invoices, to read with others."""
    return paging.Query(_client_invoices_statement(limited_to_own(user)),
                        {"client": client_id} | reader_parameters(user), _row)


class VisitInvoice(NamedTuple):
    """The invoice of a visit, on the visit's page."""

    id: int
    number: str | None
    status: str
    status_label: str


def visit_invoice_join(visit_id, of_therapist: bool) -> tuple:
    """For a statement that reads a visit, the visit's newest invoice that is not void, if it
    may be read (of the :therapist, when asked): the table to join, the join's condition, and
    the columns `visit_invoice` is made from."""
    invoice = aliased(Invoice)
    newest = (_readable_by(select(func.max(Invoice.id))
                           .where(Invoice.visit_id == visit_id,
                                  Invoice.status != InvoiceStatus.VOID), of_therapist)
              .scalar_subquery())
    return invoice, invoice.id == newest, (invoice.id.label("invoice_id"),
                                           invoice.number.label("invoice_number"),
                                           invoice.status.label("invoice_status"))


def visit_invoice(invoice_id: int | None, number: str | None,
                  status: str | None) -> VisitInvoice | None:
    return None if invoice_id is None else VisitInvoice(invoice_id, number, status,
                                                        STATUS_LABELS[status])
