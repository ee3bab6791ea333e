"""Several lists read in one statement are the lists read one by one."""

from decimal import Decimal

import pytest
from sqlalchemy import Numeric, bindparam, cast, func, select

from bench.seed import Size
from clinic import paging
from clinic.aftercare import handouts
from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.invoices import services as invoice_services
from clinic.invoices.models import Invoice
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.conftest import SEEDED_ADMIN, busiest_client, seed_clinic

# Few clients, so that each has more visits, invoices and handouts than a first page shows.
CLINIC = Size(clients=4, visits=120, invoices=80, therapists=3, days_ahead=0, handouts=100)


def _client_lists(client_id: int, viewer: User) -> tuple[paging.Query, ...]:
    return (visit_services.client_history_list(client_id, with_notes=True),
            invoice_services.client_invoices_list(client_id, viewer),
            handouts.client_list(client_id))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST])
def test_the_first_pages_read_together_are_the_first_pages_read_one_by_one(app, role):
    with app.app_context():
        seed_clinic(CLINIC)
        viewer = db.session.scalars(select(User).where(User.role == role).order_by(User.id)
                                    ).first()
        queries = _client_lists(busiest_client(), viewer)
        together = paging.first_pages(*queries, per_page=paging.LATEST)
        one_by_one = [paging.read(query, page=1, per_page=paging.LATEST) for query in queries]
    # Equal rows: the same order, money as exact decimals, times in UTC, and the same counts.
    assert together == one_by_one
    visits, invoices, given = together
    assert visits.unlisted and given.unlisted and invoices.rows
    assert all(type(row.total) is Decimal and row.total.as_tuple().exponent == -2
               for row in invoices.rows)
    assert all(row.starts_at.utcoffset().total_seconds() == 0 for row in visits.rows)


def test_lists_with_no_rows_come_back_empty(app):
    with app.app_context():
        seed_clinic(CLINIC)
        admin = db.session.get(User, SEEDED_ADMIN.id)
        nobody = db.session.scalar(select(func.max(Visit.client_id))) + 1
        assert [(listing.rows, listing.count) for listing in paging.first_pages(
            *_client_lists(nobody, admin), per_page=paging.LATEST)] == [([], 0)] * 3


def test_lists_read_together_must_agree_on_the_parameters_they_share(app):
    with app.app_context():
        seed_clinic(CLINIC)
        first, second = (handouts.client_list(client_id) for client_id in (1, 2))
        with pytest.raises(ValueError, match=":client"):
            paging.first_pages(first, second, per_page=paging.LATEST)


def test_a_decimal_column_is_refused_rather_than_read_through_a_float(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("only PostgreSQL reads the lists through JSON")
    amounts = paging.paged(
        select(cast(Invoice.total, Numeric(12, 2))).where(Invoice.client_id == bindparam("c")),
        (Invoice.id,),
    )
    with app.app_context():
        seed_clinic(CLINIC)
        with pytest.raises(TypeError, match="float"):
            paging.first_pages(paging.Query(amounts, {"c": 1}, tuple), per_page=paging.LATEST)
