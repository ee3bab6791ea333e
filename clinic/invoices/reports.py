"""The day's close-out, revenue by therapist and service, and outstanding balances."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, case, func, select

from clinic import paging
from clinic.auth.models import User
from clinic.clients.models import Client, full_name
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import CreditNote, Invoice, InvoiceLine, Payment, PaymentMethod, Service
from clinic.invoices.money import ZERO
from clinic.paging import Listing
from clinic.validation import parse_day

MAX_RANGE_DAYS = 366


def _money(value) -> Decimal:
    """Sums over no rows come back as None."""
    return ZERO if value is None else value


@dataclass
class MethodTotal:
    method: str
    label: str
    count: int = 0
    received: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass
class DayReport:
    day: date
    methods: list[MethodTotal]
    issued: Listing
    voids: Listing
    # Unpaid now, whatever the day: the oldest few, and the count and balance of all.
    outstanding: Listing
    totals: dict = field(default_factory=dict)


class IssuedRow(NamedTuple):
    id: int
    number: str
    client: str
    tax_total: Decimal
    total: Decimal
    status: str


class VoidRow(NamedTuple):
    number: str
    invoice_id: int
    invoice_number: str
    reason: str
    total: Decimal


# Built once each, with the day and the length of the lists as parameters: building these
# cost the close-out more than running them. Read through the session's connection as plain
# rows.
@cache
def _methods_statement():
    """The payments received on :day, by method: count, money in, money refunded."""
    return (
        select(
            Payment.method,
            func.count(),
            func.sum(case((Payment.amount > 0, Payment.amount), else_=0)),
            func.sum(case((Payment.amount < 0, -Payment.amount), else_=0)),
        )
        .where(Payment.received_on == bindparam("day"))
        .group_by(Payment.method)
    )


@cache
def _issued_statement(every: bool):
    """The invoices issued on :day in number order, all or the first :listed, each with the
    count and the total of them all."""
    of_day = Invoice.issued_on == bindparam("day")
    statement = (
        select(Invoice.id, Invoice.number, Client.first_name, Client.last_name,
               Invoice.tax_total, Invoice.total, Invoice.status,
               *paging.totals_of(Invoice, of_day, amount=Invoice.total))
        .join(Client, Client.id == Invoice.client_id)
        .where(of_day)
        .order_by(Invoice.number)
    )
    return statement if every else statement.limit(bindparam("listed"))


@cache
def _voids_statement(every: bool):
    """The credit notes issued on :day in number order, all or the first :listed, each with
    the count and the total of them all."""
    of_day = CreditNote.issued_on == bindparam("day")
    statement = (
        select(CreditNote.number, CreditNote.invoice_id, Invoice.number.label("invoice_number"),
               CreditNote.reason, CreditNote.total,
               *paging.totals_of(CreditNote, of_day, amount=CreditNote.total))
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(of_day)
        .order_by(CreditNote.number)
    )
    return statement if every else statement.limit(bindparam("listed"))


def _issued_row(record) -> IssuedRow:
    invoice_id, number, first_name, last_name, tax_total, total, status = record[:7]
    return IssuedRow(invoice_id, number, full_name(first_name, last_name), tax_total, total,
                     status)


def _void_row(record) -> VoidRow:
    return VoidRow(*record[:5])


def day_report(day: date, listed: int = 0) -> DayReport:
    """The day's payments by method, invoices issued and voided (the first `listed` of each,
    or all with 0), and what is still owed; every total counts all rows, listed or not."""
    connection = db.session.connection()
    by_method = {method.value: MethodTotal(method.value, method.label) for method in PaymentMethod}
    for method, count, received, refunded in connection.execute(_methods_statement(),
                                                                {"day": day}):
        entry = by_method[method]
        entry.count = count
        entry.received = _money(received)
        entry.refunded = _money(refunded)
    parameters = {"day": day, "listed": listed}
    issued = paging.listing(connection.execute(_issued_statement(not listed), parameters).all(),
                            _issued_row, per_page=listed, amount=True)
    voids = paging.listing(connection.execute(_voids_statement(not listed), parameters).all(),
                           _void_row, per_page=listed, amount=True)
    methods = list(by_method.values())
    return DayReport(
        day=day, methods=methods, issued=issued, voids=voids,
        outstanding=services.unpaid_invoices(services.UNPAID_ON_CLOSE_OUT),
        totals={
            "received": sum((m.received for m in methods), ZERO),
            "refunded": sum((m.refunded for m in methods), ZERO),
            "net": sum((m.net for m in methods), ZERO),
        },
    )


def day_report_rows(report: DayReport) -> Iterator[list]:
    """The close-out as spreadsheet rows, section after section."""
    yield ["Day close-out", report.day.isoformat()]
    yield []
    yield ["Payment method", "Payments", "Received", "Refunded", "Net"]
    for m in report.methods:
        yield [m.label, m.count, m.received, m.refunded, m.net]
    yield ["Total", "", report.totals["received"], report.totals["refunded"],
           report.totals["net"]]
    yield []
    yield ["Invoices issued", "Client", "Tax", "Total", "Status"]
    for row in report.issued.rows:
        yield [row.number, row.client, row.tax_total, row.total, row.status]
    yield []
    yield ["Credit notes", "Invoice", "Reason", "Total"]
    for row in report.voids.rows:
        yield [row.number, row.invoice_number, row.reason, row.total]
    yield []
    yield ["Outstanding", "Client", "Issued", "Total", "Paid", "Balance"]
    for row in report.outstanding.rows:
        yield [row.number, row.client_name, row.issued_on.isoformat(), row.total, row.paid,
               row.balance]
    unpaid = report.outstanding
    yield [f"Total outstanding ({unpaid.count})", "", "", "", "", unpaid.amount]
    if unpaid.unlisted:
        yield [f"The oldest {len(unpaid.rows)} of {unpaid.count} are listed; the total counts "
               "them all."]


# ---- revenue ----

@dataclass
class RevenueRow:
    label: str
    invoices: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO


def _revenue_rows(group_by, label, start: date, end: date) -> dict[str, RevenueRow]:
    """Net and tax per group: lines of invoices issued in the range, less the lines of those
    voided by a credit note in the range (so a void counts on the day it happened)."""
    result: dict[str, RevenueRow] = {}
    issued = (Invoice.issued_on.between(start, end), 1)
    credited = (CreditNote.issued_on.between(start, end), -1)
    for condition, sign in (issued, credited):
        statement = (
            select(label, func.count(func.distinct(Invoice.id)),
                   func.sum(InvoiceLine.net_amount), func.sum(InvoiceLine.tax_amount))
            .select_from(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .outerjoin(User, User.id == Invoice.therapist_id)
            .outerjoin(Service, Service.id == InvoiceLine.service_id)
            .where(condition, Invoice.number.is_not(None))
            .group_by(*group_by)
        )
        if sign < 0:
            statement = statement.join(CreditNote, CreditNote.invoice_id == Invoice.id)
        for name, count, net, tax in db.session.execute(statement):
            row = result.setdefault(name, RevenueRow(name))
            row.invoices += sign * count
            row.net += sign * _money(net)
            row.tax += sign * _money(tax)
    return dict(sorted(result.items()))


def revenue_range(start_arg: str, end_arg: str, today: date) -> tuple[date, date, str | None]:
    """The period asked for; this month so far by default; at most a year."""
    end = parse_day(end_arg) or today
    start = parse_day(start_arg) or end.replace(day=1)
    if start > end:
        return end.replace(day=1), end, "The start is after the end; showing the month to the end."
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        return end - timedelta(days=MAX_RANGE_DAYS), end, \
            "Choose at most a year; showing the year up to the end."
    return start, end, None


def revenue(start: date, end: date) -> dict:
    therapist = func.coalesce(User.name, "No therapist")
    service = func.coalesce(Service.name, "Other lines")
    by_therapist = _revenue_rows([therapist], therapist, start, end)
    by_service = _revenue_rows([service], service, start, end)
    rows = list(by_therapist.values())
    return {
        "start": start, "end": end,
        "by_therapist": rows,
        "by_service": list(by_service.values()),
        "net": sum((row.net for row in rows), ZERO),
        "tax": sum((row.tax for row in rows), ZERO),
    }
