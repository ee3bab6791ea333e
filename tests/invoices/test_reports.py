"""The day's close-out on screen, in PDF and CSV; revenue and outstanding balances."""

import csv
import io
from datetime import date, timedelta

from pypdf import PdfReader

from clinic.auth.models import Role
from clinic.invoices import routes, services
from tests.conftest import post_form


def today() -> str:
    return date.today().isoformat()


def _day_of_business(make_invoice, make_user, make_client):
    """Cash 109.25 and card 50.00 in; one invoice voided with 30.00 refunded by card."""
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    jonah = make_user(Role.THERAPIST, name="Jonah Reyes")
    paid = make_invoice(therapist=maya, payments=["109.25"], method="cash")
    part = make_invoice(therapist=jonah, payments=["50.00"],
                        client_id=make_client(first_name="=HYPERLINK(1)", last_name="Evil"))
    voided = make_invoice(therapist=jonah, payments=["30.00"])
    return paid, part, voided


def _void_and_refund(client, invoice_id):
    post_form(client, f"/invoices/{invoice_id}/void", {"reason": "Booked twice"})
    post_form(client, f"/invoices/{invoice_id}/refunds",
              {"method": "card", "amount": "30.00", "received_on": today()})


def test_the_close_out_totals_the_day_by_payment_method(
    client, signed_in, make_invoice, make_user, make_client
):
    signed_in(Role.RECEPTION)
    paid, part, voided = _day_of_business(make_invoice, make_user, make_client)
    _void_and_refund(client, voided.id)
    page = client.get(f"/reports/day?date={today()}").get_data(as_text=True)
    assert "Close-out for" in page
    cash = page[page.index(">Cash<"):page.index(">Card<")]
    assert "109.25" in cash
    card = page[page.index(">Card<"):page.index(">E-transfer<")]
    # 50.00 + 30.00 received by card, 30.00 refunded: 50.00 net.
    assert "80.00" in card and "30.00" in card and "50.00" in card
    for number in (paid.number, part.number, voided.number):
        assert number in page
    assert "Booked twice" in page
    outstanding = page[page.index('id="outstanding-heading"'):]
    assert part.number in outstanding and "59.25" in outstanding
    assert paid.number not in outstanding and voided.number not in outstanding


def test_the_close_out_as_csv_and_pdf(client, signed_in, make_invoice, make_user, make_client):
    signed_in(Role.RECEPTION)
    _paid, part, voided = _day_of_business(make_invoice, make_user, make_client)
    _void_and_refund(client, voided.id)
    response = client.get(f"/reports/day.csv?date={today()}")
    body = response.get_data(as_text=True)
    response.close()
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=close-out-{today()}.csv"
    rows = list(csv.reader(io.StringIO(body)))
    assert ["Cash", "1", "109.25", "0.00", "109.25"] in rows
    assert ["Card", "3", "80.00", "30.00", "50.00"] in rows
    assert ["Total", "", "189.25", "30.00", "159.25"] in rows
    # A client's name never becomes a spreadsheet formula.
    assert any(row[:2] == [part.number, "'=HYPERLINK(1) Evil"] for row in rows)
    pdf = client.get(f"/reports/day.pdf?date={today()}")
    assert pdf.headers["Cache-Control"] == "no-store"
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Close-out for" in text and "Total 189.25 30.00 159.25" in text


def test_another_day_shows_nothing_of_today(client, signed_in, make_invoice):
    signed_in(Role.RECEPTION)
    make_invoice(payments=["10.00"])
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page = client.get(f"/reports/day?date={yesterday}").get_data(as_text=True)
    assert "No invoices issued." in page and "No voids." in page
    assert client.get("/reports/day?date=not-a-date").status_code == 200


def test_revenue_by_therapist_and_service_counts_a_void_on_its_day(
    client, signed_in, make_invoice, make_user, make_client
):
    signed_in(Role.ADMIN)
    _paid, _part, voided = _day_of_business(make_invoice, make_user, make_client)
    _void_and_refund(client, voided.id)
    page = client.get(f"/reports/revenue?start={today()}&end={today()}").get_data(as_text=True)
    # Each invoice is 95.00 before tax; Jonah's second was voided the same day.
    maya = page[page.index("Maya Okafor"):]
    assert "95.00" in maya[:300]
    jonah = page[page.index("Jonah Reyes"):]
    assert "95.00" in jonah[:300]
    assert "Before tax: <strong>190.00</strong>" in page
    assert "Other lines" in page  # typed lines have no catalogue service


def test_a_wrong_period_is_explained(client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/reports/revenue?start=2026-05-01&end=2026-04-01").get_data(as_text=True)
    assert "The start is after the end" in page


def test_outstanding_balances_for_the_owner(client, signed_in, make_invoice):
    signed_in(Role.ADMIN)
    owing = make_invoice(payments=["9.25"])
    make_invoice(payments=["109.25"])
    page = client.get("/reports/outstanding").get_data(as_text=True)
    assert owing.number in page and "100.00" in page
    assert "1 unpaid invoice," in page


def test_reception_has_no_revenue_report(client, signed_in):
    signed_in(Role.RECEPTION)
    assert client.get("/reports/revenue").status_code == 403
    assert client.get("/reports/day").status_code == 200


def _owing(make_invoice, days_ago):
    """Unpaid invoices issued so many days ago, each 109.25 with 9.25 paid: 100.00 owed."""
    return [make_invoice(payments=["9.25"], issued_on=date.today() - timedelta(days=days))
            for days in days_ago]


def test_the_close_out_lists_the_oldest_unpaid_invoices_and_totals_them_all(
    client, signed_in, make_invoice, monkeypatch
):
    monkeypatch.setattr(services, "UNPAID_ON_CLOSE_OUT", 2)
    signed_in(Role.RECEPTION)
    oldest, older, newest = _owing(make_invoice, (30, 20, 10))
    page = client.get(f"/reports/day?date={today()}").get_data(as_text=True)
    outstanding = page[page.index('id="outstanding-heading"'):]
    assert oldest.number in outstanding and older.number in outstanding
    assert newest.number not in outstanding
    assert "Total outstanding (3)" in outstanding and "300.00" in outstanding
    assert "The oldest 2 of 3 are listed" in outstanding
    # The desk follows the link to the unpaid invoices; the owner's report is the admin's.
    assert '/invoices?status=unpaid">See every unpaid invoice' in outstanding
    response = client.get(f"/reports/day.csv?date={today()}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    response.close()
    assert ["Total outstanding (3)", "", "", "", "", "300.00"] in rows
    assert newest.number not in {row[0] for row in rows if row}


def test_the_close_out_page_lists_some_of_a_busy_day_and_its_pdf_all(
    client, signed_in, make_invoice, monkeypatch
):
    monkeypatch.setattr(routes, "LISTED_ON_CLOSE_OUT", 2)
    signed_in(Role.RECEPTION)
    made = [make_invoice(payments=["109.25"]) for _ in range(3)]
    page = client.get(f"/reports/day?date={today()}").get_data(as_text=True)
    issued = page[page.index('id="issued-heading"'):page.index('id="voids-heading"')]
    assert made[0].number in issued and made[1].number in issued
    assert made[2].number not in issued
    assert "Total issued (3)" in issued and "327.75" in issued
    assert "2 of 3 listed" in issued
    pdf = client.get(f"/reports/day.pdf?date={today()}")
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert all(invoice.number in text for invoice in made)


def test_the_outstanding_report_pages_oldest_first(client, signed_in, make_invoice, monkeypatch):
    monkeypatch.setattr(routes, "PER_PAGE", 2)
    signed_in(Role.ADMIN)
    oldest, older, newest = _owing(make_invoice, (30, 20, 10))
    first = client.get("/reports/outstanding").get_data(as_text=True)
    assert "3 unpaid invoices, <strong>300.00</strong> owed in all." in first
    assert oldest.number in first and older.number in first and newest.number not in first
    assert "Page 1 of 2 (3 unpaid invoices)" in first
    second = client.get("/reports/outstanding?page=2").get_data(as_text=True)
    assert newest.number in second and oldest.number not in second
    beyond = client.get("/reports/outstanding?page=9")
    assert beyond.status_code == 200 and "There is no page 9." in beyond.text
