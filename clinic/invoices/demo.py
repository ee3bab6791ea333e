"""Demo invoices: the service catalogue, then paid, part-paid, unpaid and voided invoices from
the demo week's completed visits (or for demo clients, if no visit is completed)."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import Invoice
from clinic.visits.models import Visit, VisitStatus

SERVICES = [
    ("Facial massage", 60, "95.00"),
    ("Lifting facial", 75, "120.00"),
    ("TMJ and jaw release", 45, "85.00"),
    ("Sinus relief massage", 45, "80.00"),
    ("Head, neck and shoulder massage", 60, "90.00"),
]

# What happens to each demo invoice, in turn.
OUTCOMES = ["paid", "part-paid", "voided", "unpaid", "paid", "draft"]


def _drafts(desk: User, today: date) -> list[Invoice]:
    visits = list(db.session.scalars(
        select(Visit).where(Visit.status == VisitStatus.COMPLETED).order_by(Visit.starts_at)
        .limit(len(OUTCOMES))
    ))
    drafts = [services.draft_from_visit(visit.id, desk.id)[0] for visit in visits]
    if drafts:
        return drafts
    service = db.session.scalar(select(services.Service).order_by(services.Service.id))
    clients = db.session.scalars(select(Client).order_by(Client.id).limit(len(OUTCOMES)))
    return [
        services.create_draft(client, services.DraftDetails(None, today - timedelta(days=1)),
                              desk.id, service_id=service.id)
        for client in clients
    ]


def seed(desk: User, today: date) -> None:
    rate = Decimal("15")
    for name, minutes, price in SERVICES:
        services.save_service(services.ServiceDetails(name, minutes, Decimal(price), rate))
    for invoice, outcome in zip(_drafts(desk, today), OUTCOMES, strict=False):
        if outcome == "draft":
            continue
        day = min(invoice.service_date, today)
        services.issue(invoice, today=day)

        def pay(amount: Decimal, method: str, reference: str = "", invoice=invoice, day=day):
            services.record_payment(
                invoice, services.PaymentDetails(method, amount, day, reference), desk.id,
                today=day,
            )

        if outcome == "paid":
            pay(invoice.total, "card")
        elif outcome == "part-paid":
            pay(Decimal("50.00"), "insurance", "Claim 55-1093")
        elif outcome == "voided":
            pay(invoice.total, "cash")
            note = services.void(invoice, "Charged for the wrong service", desk.id, today=day)
            services.record_refund(
                note, services.PaymentDetails("cash", invoice.total, day), desk.id, today=day
            )
