"""Drafts, issuing, immutability, payments, voids and refunds, through the routes."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices import routes
from clinic.invoices.models import Invoice, InvoiceLine, IssuedDocumentChanged, Payment
from tests.conftest import dated, post_form, recorded_statements
from tests.invoices.conftest import invoice_ids, load


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>',
                      response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else ""


def words(response) -> str:
    """The page's text without its tags, in single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def flashed(client) -> str:
    return text(client.get("/invoices"))


# ---- drafts ----

def test_reception_starts_an_invoice_for_a_client_from_scratch(
    app, client, signed_in, make_client, make_user, make_service
):
    signed_in(Role.RECEPTION)
    therapist = make_user(Role.THERAPIST, name="Maya Okafor")
    client_id = make_client(first_name="Jane", last_name="Smith")
    service_id = make_service("Facial massage", "95.00", "15")
    page = text(client.get("/invoices/new?q=smi"))
    assert f"/invoices/new?client_id={client_id}" in page
    response = post_form(client, f"/invoices/new?client_id={client_id}", {
        "therapist_id": str(therapist.id), "service_date": date.today().isoformat(),
        "service_id": str(service_id), "notes": "",
    })
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Draft invoice started" in page
    assert "Jane Smith" in page and "Maya Okafor" in page
    assert "Facial massage" in page and "109.25" in page  # 95.00 + 15 % tax


def test_lines_are_added_from_services_or_typed_and_a_discount_lowers_the_total(
    app, client, signed_in, make_invoice, make_service
):
    signed_in(Role.RECEPTION)
    made = make_invoice(lines=[])
    service_id = make_service("Lifting facial", "120.00", "15")
    post_form(client, f"/invoices/{made.id}/lines/service",
              {"service_id": str(service_id), "quantity": "1"})
    post_form(client, f"/invoices/{made.id}/lines", {
        "description": "Loyalty discount", "quantity": "1", "unit_price": "-20.00",
        "tax_rate": "15",
    })
    invoice = load(app, made.id)
    assert [ln.description for ln in invoice.lines] == ["Lifting facial", "Loyalty discount"]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("100.00"), Decimal("15.00"), Decimal("115.00"))
    line_id = invoice.lines[1].id
    post_form(client, f"/invoices/{made.id}/lines/{line_id}/remove")
    assert load(app, made.id).total == Decimal("138.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": "  "}, "description", "Describe what is charged."),
        ({"quantity": "0"}, "quantity", "Enter a quantity between 0.01 and 1,000."),
        ({"unit_price": "12.345"}, "unit_price", "Use at most 2 decimals."),
        ({"unit_price": ""}, "unit_price", "Enter a price."),
        ({"unit_price": "ten"}, "unit_price", "Not a valid decimal value."),
        ({"tax_rate": "101"}, "tax_rate", "Enter a tax rate between 0 and 100."),
    ],
)
def test_a_wrong_line_is_refused_next_to_its_field_and_nothing_is_stored(
    app, client, signed_in, make_invoice, changes, field, message
):
    signed_in(Role.RECEPTION)
    made = make_invoice(lines=[])
    data = {"description": "Facial", "quantity": "1", "unit_price": "95.00", "tax_rate": "15",
            **changes}
    response = post_form(client, f"/invoices/{made.id}/lines", data)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert load(app, made.id).lines == []


def test_a_draft_can_be_deleted(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice()
    post_form(client, f"/invoices/{made.id}/delete")
    assert invoice_ids(app) == []


def test_the_date_of_service_cannot_be_in_the_future(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = post_form(client, f"/invoices/{made.id}/edit",
                         {"therapist_id": "", "service_date": tomorrow, "notes": ""})
    assert "cannot be in the future" in field_error(response, "service_date")
    assert load(app, made.id).service_date == date.today()


# ---- issuing and immutability ----

def test_issuing_numbers_invoices_in_order(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    first, second = make_invoice(), make_invoice()
    for made in (second, first):
        response = post_form(client, f"/invoices/{made.id}/issue")
        assert response.status_code == 302
    assert load(app, second.id).number == f"INV-{date.today().year}-000001"
    assert load(app, first.id).number == f"INV-{date.today().year}-000002"
    assert load(app, first.id).status == "issued"
    assert f"Invoice INV-{date.today().year}-000002 is issued." in flashed(client)


def test_an_empty_draft_is_not_issued(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice(lines=[])
    post_form(client, f"/invoices/{made.id}/issue")
    assert "Add at least one line" in text(client.get(f"/invoices/{made.id}"))
    assert load(app, made.id).number is None


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/lines", {"description": "Extra", "quantity": "1", "unit_price": "5", "tax_rate": "0"}),
        ("/lines/service", {"service_id": "{service}", "quantity": "1"}),
        ("/lines/{line}/remove", {}),
        ("/edit", {"therapist_id": "", "service_date": "2020-01-01", "notes": "changed"}),
        ("/delete", {}),
        ("/issue", {}),
    ],
)
def test_every_route_refuses_to_change_an_issued_invoice(
    app, client, signed_in, make_invoice, make_service, url, data
):
    signed_in(Role.RECEPTION)
    service_id = make_service()
    made = make_invoice(issue=True)
    before = load(app, made.id)
    url = url.format(line=before.lines[0].id)
    data = {key: value.format(service=service_id) for key, value in data.items()}
    response = post_form(client, f"/invoices/{made.id}{url}", data, follow_redirects=True)
    assert "cannot change" in text(response) or "is issued" in text(response)
    after = load(app, made.id)
    assert (after.number, after.total, after.notes, after.service_date) == (
        before.number, before.total, before.notes, before.service_date)
    assert [ln.id for ln in after.lines] == [ln.id for ln in before.lines]


def test_the_model_layer_refuses_to_change_an_issued_invoice_too(app, make_invoice):
    made = make_invoice(issue=True)
    with app.app_context():
        invoice = db.session.get(Invoice, made.id)
        invoice.total = Decimal("1.00")
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()
        invoice = db.session.get(Invoice, made.id)
        invoice.lines.append(InvoiceLine(position=9, description="sneaked in",
                                         quantity=Decimal(1), unit_price=Decimal(1),
                                         tax_rate=Decimal(0), net_amount=Decimal(1),
                                         tax_amount=Decimal(0)))
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()
        invoice = db.session.get(Invoice, made.id)
        db.session.delete(invoice.lines[0])
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()


def test_a_recorded_payment_cannot_be_changed(app, make_invoice):
    made = make_invoice(payments=["10.00"])
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.invoice_id == made.id))
        payment.amount = Decimal("1000.00")
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()


# ---- payments ----

def test_partial_payments_then_the_balance_makes_it_paid(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)  # 95.00 + 14.25 tax = 109.25
    response = post_form(client, f"/invoices/{made.id}/payments", {
        "method": "cash", "amount": "50.00", "received_on": date.today().isoformat(),
        "reference": "",
    })
    assert response.status_code == 302
    assert "Balance due: 59.25." in flashed(client)
    assert load(app, made.id).status == "issued"
    post_form(client, f"/invoices/{made.id}/payments", {
        "method": "insurance", "amount": "59.25", "received_on": date.today().isoformat(),
        "reference": "Claim 7781",
    })
    invoice = load(app, made.id)
    assert invoice.status == "paid"
    assert [(p.method, p.amount) for p in invoice.payments] == [
        ("cash", Decimal("50.00")), ("insurance", Decimal("59.25"))]
    page = text(client.get(f"/invoices/{made.id}"))
    assert "Receipt INV-" in page and "Paid in full" in page


def test_what_is_paid_and_still_owed_shows_in_the_lists_and_the_close_out(
    app, client, signed_in, make_invoice
):
    signed_in(Role.ADMIN)
    part_paid = make_invoice(payments=["50.00", "20.00"])  # of 109.25
    make_invoice(issue=True)
    with app.app_context():
        assert db.session.get(Invoice, part_paid.id).paid == Decimal("70.00")
    listed = words(client.get("/invoices?status=unpaid"))
    issued = f"{date.today():%-d %B %Y}"
    assert f"{part_paid.number} Robin Client1 — {issued} 109.25 39.25 Unpaid" in listed
    close_out = words(client.get(f"/reports/day?date={date.today().isoformat()}"))
    assert "Total outstanding (2) 148.50" in close_out  # 39.25 + 109.25


def test_the_migration_takes_what_each_invoice_was_paid_from_its_payments(app, make_invoice):
    part_paid = make_invoice(payments=["50.00", "20.00"])
    unpaid = make_invoice(issue=True)
    with app.app_context():
        db.session.remove()
        downgrade(revision="0016")
        upgrade()
        assert db.session.get(Invoice, part_paid.id).paid == Decimal("70.00")
        assert db.session.get(Invoice, unpaid.id).paid == Decimal("0.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "109.26"}, "amount",
         "That is more than the balance due of 109.25. Record at most 109.25."),
        ({"amount": "0"}, "amount", "Enter an amount between 0.01"),
        ({"amount": "-5"}, "amount", "Enter an amount between 0.01"),
        ({"method": "bitcoin"}, "method", "Not a valid choice."),
        ({"received_on": timedelta(days=1)}, "received_on",
         "The date cannot be in the future."),
    ],
)
def test_a_wrong_payment_is_refused_with_a_clear_message(
    app, client, signed_in, make_invoice, changes, field, message
):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    data = dated({"method": "card", "amount": "20.00", "received_on": timedelta(days=0),
                  "reference": "", **changes})
    response = post_form(client, f"/invoices/{made.id}/payments", data)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert load(app, made.id).payments == []


def test_a_draft_or_a_paid_invoice_takes_no_payment(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    draft, paid = make_invoice(), make_invoice(payments=["109.25"])
    data = {"method": "cash", "amount": "1.00", "received_on": date.today().isoformat()}
    for made, message in ((draft, "Issue the invoice before taking a payment."),
                          (paid, "This invoice is paid in full.")):
        response = post_form(client, f"/invoices/{made.id}/payments", data,
                             follow_redirects=True)
        assert message in text(response)
    assert len(load(app, paid.id).payments) == 1


# ---- voids, credit notes and refunds ----

def test_voiding_needs_a_reason_and_makes_a_credit_note_of_its_own_series(
    app, client, signed_in, make_invoice
):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    response = post_form(client, f"/invoices/{made.id}/void", {"reason": " "})
    assert "Say why" in field_error(response, "reason")
    assert load(app, made.id).status == "issued"
    post_form(client, f"/invoices/{made.id}/void", {"reason": "Wrong client"})
    invoice = load(app, made.id)
    assert invoice.status == "void"
    assert invoice.credit_note.number == f"CN-{date.today().year}-000001"
    assert invoice.credit_note.total == invoice.total == Decimal("109.25")
    assert invoice.number == made.number  # the invoice itself is unchanged
    page = text(client.get(f"/invoices/{made.id}"))
    assert f"credit note CN-{date.today().year}-000001" in page and "Wrong client" in page
    # Numbers of the two series do not share a sequence.
    assert make_invoice(issue=True).number == f"INV-{date.today().year}-000002"


def test_a_refund_is_a_negative_payment_on_the_credit_note(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice(payments=["60.00"])
    post_form(client, f"/invoices/{made.id}/void", {"reason": "Client was overcharged"})
    refund = {"method": "card", "amount": "60.01", "received_on": date.today().isoformat()}
    response = post_form(client, f"/invoices/{made.id}/refunds", refund)
    assert "more than was paid and not yet refunded (60.00)" in field_error(response, "amount")
    post_form(client, f"/invoices/{made.id}/refunds", {**refund, "amount": "60.00"})
    invoice = load(app, made.id)
    assert [r.amount for r in invoice.credit_note.refunds] == [Decimal("-60.00")]
    assert "Refunded: 60.00 by card" in text(client.get(f"/invoices/{made.id}"))


# ---- who sees what ----

def test_a_therapist_reads_their_own_clients_invoices_only(
    app, client, signed_in, make_invoice, make_user
):
    me = signed_in(Role.THERAPIST)
    mine = make_invoice(therapist=me, issue=True)
    other = make_invoice(therapist=make_user(Role.THERAPIST), issue=True)
    assert client.get(f"/invoices/{mine.id}").status_code == 200
    assert client.get(f"/invoices/{mine.id}.pdf").status_code == 200
    assert client.get(f"/invoices/{other.id}").status_code == 404
    assert client.get(f"/invoices/{other.id}.pdf").status_code == 404
    listed = text(client.get("/invoices?status=all"))
    assert mine.number in listed and other.number not in listed
    # Reading is not changing: no payment form for a therapist.
    assert "Record payment" not in text(client.get(f"/invoices/{mine.id}"))


def test_the_invoice_list_pages_newest_first_and_counts_them_all(
    client, signed_in, make_invoice, make_user, monkeypatch
):
    monkeypatch.setattr(routes, "PER_PAGE", 2)
    me = signed_in(Role.THERAPIST)
    oldest, older, newest = (make_invoice(therapist=me, issue=True,
                                          issued_on=date.today() - timedelta(days=days))
                             for days in (3, 2, 1))
    make_invoice(therapist=make_user(Role.THERAPIST), issue=True)
    make_invoice(therapist=me, payments=["109.25"])
    first = text(client.get("/invoices?status=unpaid"))
    assert newest.number in first and older.number in first and oldest.number not in first
    # Only the therapist's own unpaid invoices are counted.
    assert "Page 1 of 2 (3 invoices)" in first
    second = text(client.get("/invoices?status=unpaid&page=2"))
    assert oldest.number in second and newest.number not in second
    assert "There is no page 3." in text(client.get("/invoices?status=unpaid&page=3"))


def test_unknown_invoices_are_404(client, signed_in):
    signed_in(Role.RECEPTION)
    assert client.get("/invoices/999").status_code == 404
    assert client.get("/invoices/999.pdf").status_code == 404
    assert client.get("/invoices/new?client_id=999").status_code == 404


def test_the_invoice_list_and_the_front_desk_take_the_same_queries_for_3_or_20_rows(
    app, client, signed_in, make_invoice, make_user
):
    signed_in(Role.RECEPTION)
    therapist = make_user(Role.THERAPIST)

    def queries_for(url):
        with recorded_statements(app) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(3):
        make_invoice(therapist=therapist, payments=["10.00"])
    few = queries_for("/invoices?status=all"), queries_for("/")
    for _ in range(17):
        make_invoice(therapist=therapist, payments=["10.00"])
    assert (queries_for("/invoices?status=all"), queries_for("/")) == few


def test_the_front_desk_lists_unpaid_invoices_oldest_first(app, client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    newer = make_invoice(issue=True)
    older = make_invoice(issue=True, issued_on=date.today() - timedelta(days=3))
    make_invoice(payments=["109.25"])
    page = text(client.get("/"))
    section = page[page.index('id="unpaid-heading"'):]
    assert section.index(older.number) < section.index(newer.number)
    assert "109.25 due since" in section
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3


# ---- from a visit ----

def test_a_completed_visit_becomes_a_draft_with_its_service_therapist_and_date(
    app, client, signed_in, make_user, make_service, completed_visit
):
    signed_in(Role.RECEPTION)
    therapist = make_user(Role.THERAPIST, name="Jonah Reyes")
    make_service("Sinus relief massage", "80.00", "15")
    day = date.today() - timedelta(days=1)
    visit_id = completed_visit(therapist, day=day, service="Sinus relief massage")
    response = post_form(client, f"/visits/{visit_id}/invoice")
    assert response.status_code == 302
    invoice = load(app, invoice_ids(app)[0])
    assert (invoice.visit_id, invoice.therapist_id, invoice.service_date) == (
        visit_id, therapist.id, day)
    assert [ln.description for ln in invoice.lines] == ["Sinus relief massage"]
    assert invoice.total == Decimal("92.00")
    # Asking again opens the same draft instead of a second invoice.
    again = post_form(client, f"/visits/{visit_id}/invoice")
    assert again.headers["Location"] == response.headers["Location"]
    assert len(invoice_ids(app)) == 1


def test_a_visit_not_yet_completed_is_not_invoiced(
    app, client, signed_in, make_user, make_visit
):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST))
    response = post_form(client, f"/visits/{visit_id}/invoice", follow_redirects=True)
    assert "Only a completed visit can be invoiced." in text(response)
    assert invoice_ids(app) == []


def test_the_issue_date_is_kept_as_a_date(app, make_invoice):
    made = make_invoice(issue=True, issued_on=date(date.today().year, 1, 2))
    assert load(app, made.id).issued_on == date(date.today().year, 1, 2)
