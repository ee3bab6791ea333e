"""Reception invoices a client in a real browser, takes the payment and opens the receipt."""

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from clinic.auth.models import Role
from tests.browser.conftest import assert_accessible, sign_in_through_the_form
from tests.clients.conftest import make_client  # noqa: F401 (fixture)
from tests.invoices.conftest import completed_visit, make_service  # noqa: F401 (fixtures)
from tests.visits.conftest import make_visit  # noqa: F401 (fixture)


def test_reception_turns_a_client_into_a_paid_invoice_and_opens_the_pdf(
    page, live_server, make_user, make_client, make_service  # noqa: F811
):
    desk = make_user(Role.RECEPTION)
    make_user(Role.THERAPIST, name="Maya Okafor", registration_number="RMT-10482")
    make_client(first_name="Jane", last_name="Smith")
    make_service("Lifting facial", "120.00", "15")
    sign_in_through_the_form(page, live_server, desk.email, desk.password)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    assert_accessible(page)
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Find the client by name, email or phone").fill("Smith")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Invoice Jane Smith").click()
    page.get_by_label("Treating therapist").select_option(label="Maya Okafor")
    page.get_by_label("First service").select_option(label="Lifting facial (120.00)")
    assert_accessible(page)
    page.get_by_role("button", name="Start invoice").click()

    # A discount typed in, then a mistake refused next to its field.
    page.get_by_label("Description").fill("Loyalty discount")
    page.get_by_label("Unit price").fill("-20.005")
    page.get_by_label("Tax rate (%)").fill("15")
    page.get_by_role("button", name="Add line").click()
    assert "at most 2 decimals" in page.locator("#unit_price-error").inner_text()
    assert_accessible(page)
    page.get_by_label("Unit price").fill("-20.00")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_role("row", name="Total (CAD) 115.00")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Issue invoice").click()
    status = page.get_by_role("status").inner_text()
    assert status.startswith("Invoice INV-") and status.endswith("is issued.")
    number = status.removeprefix("Invoice ").removesuffix(" is issued.")
    page.get_by_label("Method").select_option(label="Card")
    assert page.get_by_label("Amount").input_value() == "115.00"
    page.get_by_role("button", name="Record payment").click()
    assert "The invoice is paid in full." in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Receipt {number}")
    assert_accessible(page)

    link = page.get_by_role("link", name="Print receipt (PDF)")
    response = page.request.get(live_server + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.body())).pages[0].extract_text().split())
    assert number in text and "PAID" in text and "RMT-10482" in text and "115.00" in text


def test_reception_invoices_a_completed_visit_from_its_page(
    page, live_server, make_user, make_service, completed_visit  # noqa: F811
):
    desk = make_user(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor", registration_number="RMT-10482")
    make_service("Jaw and temples", "95.00", "15")
    visit_id = completed_visit(maya, service="Jaw and temples")
    sign_in_through_the_form(page, live_server, desk.email, desk.password)
    page.goto(f"{live_server}/visits/{visit_id}")
    page.get_by_role("button", name="Create the invoice").click()
    expect(page.get_by_role("status")).to_have_text(
        "Draft invoice started from the visit. Check it, then issue it."
    )
    expect(page.get_by_role("row", name="Total (CAD) 109.25")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Issue invoice").click()
    page.get_by_label("Method").select_option(label="Cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("status")).to_contain_text("The invoice is paid in full.")
    href = page.get_by_role("link", name="Print receipt (PDF)").get_attribute("href")
    text = " ".join(
        PdfReader(io.BytesIO(page.request.get(live_server + href).body())).pages[0]
        .extract_text().split()
    )
    assert "Maya Okafor" in text and "RMT-10482" in text and "Jaw and temples" in text
    page.goto(f"{live_server}/visits/{visit_id}")
    expect(page.get_by_role("region", name="Invoice")).to_contain_text("Paid")
    assert_accessible(page)
