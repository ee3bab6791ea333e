"""The demo clinic shows every state an invoice can be in."""

from sqlalchemy import select

from clinic import demo
from clinic.extensions import db
from clinic.invoices.models import Invoice


def test_the_demo_has_paid_part_paid_unpaid_voided_and_draft_invoices(app):
    with app.app_context():
        assert demo.seed()
        invoices = list(db.session.scalars(select(Invoice).order_by(Invoice.id)))
        states = {invoice.status for invoice in invoices}
        assert states == {"draft", "issued", "paid", "void"}
        part_paid = [i for i in invoices if i.status == "issued" and 0 < i.paid < i.total]
        assert part_paid
        voided = next(i for i in invoices if i.status == "void")
        assert voided.credit_note.refunded == voided.paid == voided.total
