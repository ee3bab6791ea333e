"""Services, invoices and their lines, payments, credit notes and the numbering counters."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clinic.audit.content import hash_content
from clinic.extensions import db
from clinic.invoices.money import LineAmounts, line_amounts
from clinic.records import erasure_permitted
from clinic.types import ScaledDecimal, UTCDateTime, utcnow

MONEY = ScaledDecimal(2)
# A percentage with up to three decimals (9.975 %), as in the clinic's settings.
RATE = ScaledDecimal(3)


class Service(db.Model):
    """What the clinic sells, with the price and tax rate an invoice line starts from."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(RATE)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Series(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class DocumentCounter(db.Model):
    """The last number given in one series and year. Its row is locked while a number is taken,
    so numbers are handed out one transaction at a time and a rolled-back issue gives its
    number back (a database sequence would not)."""

    __tablename__ = "document_counter"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "issued": "Unpaid", "paid": "Paid", "void": "Void"}[self.value]


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    E_TRANSFER = "e_transfer"
    GIFT_CERTIFICATE = "gift_certificate"
    INSURANCE = "insurance"

    @property
    def label(self) -> str:
        return {
            "cash": "Cash",
            "card": "Card",
            "e_transfer": "E-transfer",
            "gift_certificate": "Gift certificate",
            "insurance": "Insurance direct billing",
        }[self.value]


class Invoice(db.Model):
    """A bill to a client. A draft can change; from issue on it never does (see the listener
    below): what the client, the insurer and the books saw stays what it was."""

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_status_issued_on", "status", "issued_on"),
        Index("ix_invoice_client_id", "client_id"),
        Index("ix_invoice_therapist_id", "therapist_id"),
        Index("ix_invoice_visit_id", "visit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=InvoiceStatus.DRAFT.value)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    service_date: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # The sum of its payments, kept with them by record_payment (the invoice's version lets
    # one payment through at a time): every list of invoices shows it and the close-out sums
    # what is owed over every unpaid invoice, without reading each one's payments.
    paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    issued_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Copied at issue, so a later change of address or registration does not rewrite receipts.
    bill_to_name: Mapped[str] = mapped_column(String(170), default="")
    bill_to_address: Mapped[str] = mapped_column(Text, default="")
    therapist_name: Mapped[str] = mapped_column(String(120), default="")
    therapist_registration: Mapped[str] = mapped_column(String(40), default="")
    seller_tax_id: Mapped[str] = mapped_column(String(40), default="")
    # Sealed at issue (invoice_content_hash); `flask audit verify` recomputes it.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The first PDF of the invoice and of the paid receipt; later copies say DUPLICATE.
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two desks working on one invoice: the second change is refused, never silently merged.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", lazy="selectin", cascade="all, delete-orphan",
        order_by="InvoiceLine.position",
    )
    payments: Mapped[list["Payment"]] = relationship(
        lazy="selectin", order_by="Payment.id", foreign_keys="Payment.invoice_id",
    )
    credit_note: Mapped["CreditNote | None"] = relationship(lazy="selectin", uselist=False)

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def status_label(self) -> str:
        return InvoiceStatus(self.status).label

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid


# The list's order, newest issue first (drafts, with no date, before them), read off an index;
# and a day's invoices for the close-out. PostgreSQL puts NULLs first in a descending index.
Index("ix_invoice_issued_on_id", Invoice.issued_on.desc(), Invoice.id.desc())
# The close-out's page of a day's invoices in number order, without reading and sorting all of
# the day's invoices with their clients first.
Index("ix_invoice_issued_on_number", Invoice.issued_on, Invoice.number)


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"
    __table_args__ = (Index("ix_invoice_line_invoice_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    position: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(MONEY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(RATE)
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    def amounts(self) -> LineAmounts:
        return line_amounts(self.quantity, self.unit_price, self.tax_rate)


class CreditNote(db.Model):
    """Cancels an issued invoice in full, under a number series of its own."""

    __tablename__ = "credit_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    # What the invoice charged, credited back: subtotal and tax (positive amounts).
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    tax_total: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    content_hash: Mapped[str] = mapped_column(String(64))

    refunds: Mapped[list["Payment"]] = relationship(
        lazy="selectin", order_by="Payment.id", foreign_keys="Payment.credit_note_id",
    )

    @property
    def refunded(self) -> Decimal:
        return -sum((refund.amount for refund in self.refunds), Decimal("0.00"))


class Payment(db.Model):
    """Money received against an invoice, or (negative) paid back against a credit note."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(
            "(invoice_id IS NULL) <> (credit_note_id IS NULL)", name="one_document"
        ),
        Index("ix_payment_invoice_id", "invoice_id"),
        Index("ix_payment_credit_note_id", "credit_note_id"),
        Index("ix_payment_received_on", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id"))
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    @property
    def method_label(self) -> str:
        return PaymentMethod(self.method).label


class InvoiceDocument(db.Model):
    """One state of an issued invoice as printed: the PDF, kept so that printing the same state
    again serves these bytes instead of rendering them anew.

    `state_key` is the fingerprint of everything the PDF is made from (see
    clinic.invoices.documents): a payment, a void, a DUPLICATE stamp or a new letterhead make a
    new state. Only the state the invoice prints as next is kept: an invoice only moves
    forward and the original of each document is printed once, so an older state is never
    printed again (the audit log records every print).
    """

    __tablename__ = "invoice_document"
    __table_args__ = (UniqueConstraint("invoice_id", "state_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    state_key: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- issued documents never change ----

def invoice_content_hash(invoice: Invoice) -> str:
    """The seal of an issued invoice: everything printed on it except what is paid since."""
    lines = sorted(invoice.lines, key=lambda line: line.position)
    return hash_content("invoice", [
        invoice.number, invoice.client_id, invoice.therapist_id, invoice.visit_id,
        invoice.service_date, invoice.issued_on, invoice.issued_at, invoice.currency,
        invoice.bill_to_name, invoice.bill_to_address, invoice.therapist_name,
        invoice.therapist_registration, invoice.seller_tax_id, invoice.notes,
        [[line.position, line.service_id, line.description, line.quantity, line.unit_price,
          line.tax_rate, line.net_amount, line.tax_amount] for line in lines],
        invoice.subtotal, invoice.tax_total, invoice.total,
    ])


def credit_note_content_hash(note: CreditNote) -> str:
    return hash_content("credit_note", [
        note.number, note.invoice_id, note.reason, note.subtotal, note.tax_total, note.total,
        note.issued_on, note.issued_at,
    ])


class IssuedDocumentChanged(RuntimeError):
    """Code tried to change an issued invoice, its lines, a payment or a credit note."""


# What may still happen to an issued invoice: it is paid, printed or voided.
MUTABLE_AFTER_ISSUE = frozenset(
    {"status", "paid", "printed_at", "receipt_printed_at", "voided_at", "updated_at", "version"}
)


def _status_before_flush(invoice: Invoice) -> str | None:
    """The invoice's status as the database has it (None for an invoice not yet saved)."""
    state = inspect(invoice)
    if state.pending or state.transient:
        return None
    history = state.attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else invoice.status


def _changed_columns(instance) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()}


def _issued(invoice: Invoice | None) -> bool:
    status = None if invoice is None else _status_before_flush(invoice)
    return status not in (None, InvoiceStatus.DRAFT)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_documents(session: Session, flush_context, instances) -> None:
    erasing = erasure_permitted(session)
    for instance in session.dirty | session.deleted | session.new:
        deleted = instance in session.deleted
        if deleted and erasing:
            continue
        if isinstance(instance, Invoice) and _issued(instance) and (
            deleted or _changed_columns(instance) - MUTABLE_AFTER_ISSUE
        ):
            raise IssuedDocumentChanged(f"invoice {instance.number} is issued and cannot change")
        if isinstance(instance, InvoiceLine):
            invoice = instance.invoice
            if invoice is None and deleted:
                with session.no_autoflush:
                    invoice = session.get(Invoice, instance.invoice_id)
            if _issued(invoice) and (instance in session.new or deleted
                                     or _changed_columns(instance)):
                raise IssuedDocumentChanged(
                    f"the lines of invoice {invoice.number} are issued and cannot change"
                )
        if isinstance(instance, Payment | CreditNote) and instance not in session.new and (
            deleted or _changed_columns(instance)
        ):
            raise IssuedDocumentChanged(f"a recorded {type(instance).__name__} cannot change")
