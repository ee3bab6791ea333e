"""The admin's service catalogue: names, durations, exact prices and tax rates."""

import html
import re
from decimal import Decimal

import pytest

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices.models import Service
from tests.conftest import post_form

GOOD = {"name": "Facial massage", "duration_minutes": "60", "price": "95.00", "tax_rate": "15",
        "active": "y"}


def test_admin_adds_and_changes_a_service(app, client, signed_in):
    signed_in(Role.ADMIN)
    assert post_form(client, "/services/new", GOOD).status_code == 302
    with app.app_context():
        service = db.session.query(Service).one()
        assert (service.price, service.tax_rate) == (Decimal("95.00"), Decimal("15.000"))
        service_id = service.id
    post_form(client, f"/services/{service_id}", {**GOOD, "price": "99.50", "active": ""})
    page = client.get("/services").get_data(as_text=True)
    assert "99.50" in page and "Not offered" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the service's name."),
        ({"price": "9.999"}, "price", "Use at most 2 decimals."),
        ({"price": "-1"}, "price", "Enter a price between 0 and 1,000,000."),
        ({"duration_minutes": "2"}, "duration_minutes", "Enter a duration between 5 and 600"),
        ({"tax_rate": "9.9755"}, "tax_rate", "Use at most 3 decimals."),
    ],
)
def test_a_wrong_service_is_refused_next_to_its_field(app, client, signed_in, changes, field,
                                                      message):
    signed_in(Role.ADMIN)
    response = post_form(client, "/services/new", {**GOOD, **changes})
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>',
                      response.get_data(as_text=True))
    assert found and message in html.unescape(found.group(1))
    with app.app_context():
        assert db.session.query(Service).count() == 0


def test_two_services_cannot_share_a_name(client, signed_in):
    signed_in(Role.ADMIN)
    post_form(client, "/services/new", GOOD)
    response = post_form(client, "/services/new", GOOD)
    assert "Another service already has this name." in response.get_data(as_text=True)
