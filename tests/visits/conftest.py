"""Visits booked through the service, returned as plain ids."""

from datetime import date, time, timedelta

import pytest

from clinic.auth.models import User
from clinic.extensions import db
from clinic.visits import services
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)


@pytest.fixture
def make_visit(app, make_client):  # noqa: F811 (the imported fixture)
    """Book a visit: `make_visit(therapist, at=time(10), day=today, minutes=60, client_id=...)`."""

    def book(therapist, *, at: time = time(10), day: date | None = None, minutes: int = 60,
             client_id: int | None = None, service: str = "Facial massage") -> int:
        client_id = client_id or make_client()
        with app.app_context():
            actor = db.session.get(User, therapist.id)
            booking = services.Booking(client_id, therapist.id, service, day or date.today(), at,
                                       minutes)
            return services.book(booking, actor).id

    return book


def later(days: int) -> date:
    return date.today() + timedelta(days=days)
