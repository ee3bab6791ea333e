"""From a completed visit, the desk creates its invoice; the visit page then links to it."""

from datetime import time

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import Invoice
from tests.conftest import post_form, sign_in
from tests.invoices.conftest import completed_visit, invoice_ids, line  # noqa: F401 (fixtures)
from tests.visits.conftest import make_client, make_visit  # noqa: F401 (fixtures)


def test_reception_creates_the_invoice_from_the_visit_page(
    app, client, make_user, completed_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    visit_id = completed_visit(therapist)
    sign_in(client, make_user(Role.RECEPTION))
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Create the invoice" in page
    response = post_form(client, f"/visits/{visit_id}/invoice")
    [invoice_id] = invoice_ids(app)
    assert response.headers["Location"] == f"/invoices/{invoice_id}"
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Create the invoice" not in page
    assert f'href="/invoices/{invoice_id}">Draft invoice</a>' in page


def test_no_invoice_button_before_the_visit_is_completed_or_for_a_therapist(
    app, make_user, make_visit, completed_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    booked = make_visit(therapist)
    done = completed_visit(therapist, at=time(14))
    desk = app.test_client()
    sign_in(desk, make_user(Role.RECEPTION))
    assert "Create the invoice" not in desk.get(f"/visits/{booked}").get_data(as_text=True)
    own = app.test_client()
    sign_in(own, therapist)
    assert "Create the invoice" not in own.get(f"/visits/{done}").get_data(as_text=True)


def test_after_a_void_the_visit_page_links_the_new_invoice_not_the_void_one(
    app, client, make_user, completed_visit  # noqa: F811
):
    visit_id = completed_visit(make_user(Role.THERAPIST))
    admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    post_form(client, f"/visits/{visit_id}/invoice")
    [voided] = invoice_ids(app)
    with app.app_context():
        invoice = db.session.get(Invoice, voided)
        services.add_line(invoice, line())
        services.issue(invoice)
        services.void(invoice, "Wrong client", admin.id)
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Create the invoice" in page and f'href="/invoices/{voided}"' not in page
    post_form(client, f"/visits/{visit_id}/invoice")
    [_, new] = invoice_ids(app)
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f'href="/invoices/{new}">Draft invoice</a>' in page
    assert f'href="/invoices/{voided}"' not in page
