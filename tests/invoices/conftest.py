"""Services and invoices made through the services, returned as plain ids."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import Invoice
from clinic.visits import services as visit_services
from clinic.visits.models import Visit, VisitStatus
from tests.clients.conftest import make_client  # noqa: F401 (fixture)
from tests.visits.conftest import make_visit  # noqa: F401 (fixture)


@pytest.fixture
def make_service(app):
    def create(name: str = "Facial massage", price: str = "95.00", tax_rate: str = "15",
               minutes: int = 60, active: bool = True) -> int:
        with app.app_context():
            details = services.ServiceDetails(name, minutes, Decimal(price), Decimal(tax_rate),
                                              active)
            return services.save_service(details).id

    return create


@dataclass(frozen=True)
class Made:
    id: int
    number: str | None


def line(description="Facial massage, 60 min", quantity="1", price="95.00", rate="15"):
    return services.LineDetails(description, Decimal(quantity), Decimal(price), Decimal(rate))


@pytest.fixture
def make_invoice(app, make_client, make_user):  # noqa: F811 (the imported fixture)
    """`make_invoice(lines=[line(...)], issue=True, payments=["50.00"], therapist=member)`."""
    desk = None

    def create(*, client_id: int | None = None, lines=None, therapist=None, issue=False,
               payments=(), method="card", issued_on: date | None = None) -> Made:
        nonlocal desk
        issued_on = issued_on or date.today()
        desk = desk or make_user("reception")
        client_id = client_id or make_client(address="12 Elm Street\nHalifax NS")
        with app.app_context():
            client = db.session.get(Client, client_id)
            draft = services.DraftDetails(therapist.id if therapist else None, issued_on)
            invoice = services.create_draft(client, draft, desk.id, today=issued_on)
            for details in [line()] if lines is None else lines:
                services.add_line(invoice, details)
            if issue or payments:
                services.issue(invoice, today=issued_on)
            for amount in payments:
                services.record_payment(
                    invoice, services.PaymentDetails(method, Decimal(amount), issued_on), desk.id,
                    today=issued_on,
                )
            return Made(invoice.id, invoice.number)

    return create


def load(app, invoice_id: int) -> Invoice:
    """The invoice as the database has it now (detached: read its columns only)."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        invoice.lines, invoice.payments, invoice.credit_note  # noqa: B018 (load them)
        db.session.expunge_all()
        return invoice


@pytest.fixture
def completed_visit(app, make_visit):  # noqa: F811 (the imported fixture)
    def complete(therapist, **booking) -> int:
        visit_id = make_visit(therapist, **booking)
        with app.app_context():
            actor = db.session.get(User, therapist.id)
            for status in (VisitStatus.ARRIVED, VisitStatus.COMPLETED):
                visit = db.session.get(Visit, visit_id)
                visit_services.change_status(visit, status, "", actor, visit.version)
        return visit_id

    return complete


def invoice_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Invoice.id).order_by(Invoice.id)))
