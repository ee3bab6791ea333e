"""The key pages ask the database a fixed number of questions, however much the clinic holds.

Each page is loaded on a small clinic and on one ten times larger (more clients, visits on the
day, visits, invoices and handouts per client, invoices in the list and in the day's close-out)
and the SQL statements of the request are counted: the same number both times, and a small one.
"""

from datetime import date

import pytest
from sqlalchemy import event, select

from bench.seed import Size
from clinic.extensions import db
from clinic.visits.models import TreatmentNote, Visit
from tests.conftest import SEEDED_ADMIN, busiest_client, recorded_statements, seed_clinic, sign_in

SMALL = Size(clients=3, visits=3, invoices=3, therapists=5, days_ahead=0, handouts=3)
LARGE = Size(clients=30, visits=300, invoices=300, therapists=5, days_ahead=0, handouts=100)


def _visit_with_note() -> int:
    return db.session.scalars(
        select(Visit.id).join(TreatmentNote).order_by(Visit.id).limit(1)
    ).one()


# Each key page, its URL in the seeded clinic, and the most statements it may take. The client
# and visit pages record two views (health answers, and the note or its summaries); they go
# to the worker's journal, and into the audit log with other pages' views, a batch at a time.
PAGES = {
    "client search": (lambda: "/clients?q=c", 3),
    # The client with their intakes, then their visits, invoices and handouts in one statement
    # (paging.first_pages); one more with open intake links.
    "client page": (lambda: f"/clients/{busiest_client()}", 4),
    # Everyone's names with the visits of the page's therapists in one statement.
    "schedule day": (lambda: f"/schedule?date={date.today().isoformat()}", 3),
    # The visit, its note, the intake, the invoice and the handouts in one statement.
    "visit page": (lambda: f"/visits/{_visit_with_note()}", 3),
    "invoice list": (lambda: "/invoices?status=all", 3),
    "day close-out": (lambda: f"/reports/day?date={date.today().isoformat()}", 6),
}


@pytest.fixture
def app_overrides() -> dict:
    return {"AUDIT_VIEW_DELAY_SECONDS": 3600}  # as served: page views sealed by the worker


def _statements(app, client, size: Size, page) -> int:
    with app.app_context():
        seed_clinic(size)
        url = page()
    sign_in(client, SEEDED_ADMIN)
    assert client.get(url).status_code == 200  # the first request fills per-process caches
    with app.app_context():
        engine = db.engine
    checkouts = []

    def taken(*_):
        checkouts.append(1)

    event.listen(engine, "checkout", taken)
    try:
        with recorded_statements(app) as statements:
            response = client.get(url)
    finally:
        event.remove(engine, "checkout", taken)
    assert response.status_code == 200
    # One transaction a page: each connection taken from the pool costs a ping (pre_ping), a
    # round trip to PostgreSQL that no statement count shows.
    assert len(checkouts) == 1, f"{url}: {len(checkouts)} connections taken from the pool"
    return len(statements)


@pytest.mark.parametrize("name", PAGES)
def test_a_key_page_takes_the_same_few_statements_on_a_larger_clinic(app, client, name):
    page, most = PAGES[name]
    small = _statements(app, client, SMALL, page)
    large = _statements(app, client, LARGE, page)
    assert small == large, f"{name}: {small} statements with little data, {large} with more"
    assert large <= most, f"{name}: {large} statements, at most {most} expected"
