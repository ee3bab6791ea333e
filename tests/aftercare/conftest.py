"""The technique library installed through its service, returned as plain ids; and for
handouts, a client with an intake at a visit whose note has a plan."""

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest

from clinic.aftercare import services
from clinic.aftercare.models import Technique
from clinic.auth.models import User
from clinic.extensions import db
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.clients.conftest import make_client, make_intake, smtp_server  # noqa: F401 (fixtures)
from tests.visits.conftest import make_visit  # noqa: F401 (fixture)


@pytest.fixture
def standard_library(app) -> dict[str, int]:
    """The standard techniques, installed: slug -> id."""
    with app.app_context():
        services.install_standard_techniques()
        return {t.slug: t.id for t in db.session.scalars(db.select(Technique))}


# ---- handouts ----

PLAN = "Home care: masseter strokes before bed, and sinus massage when congested."


@dataclass(frozen=True)
class Session:
    visit_id: int
    client_id: int
    therapist: object
    techniques: dict[str, int]


def write_note(app, visit_id: int, therapist, plan: str) -> None:
    with app.app_context():
        actor = db.session.get(User, therapist.id)
        visit = db.session.get(Visit, visit_id)
        visit_services.change_status(visit, "arrived", "", actor, visit.version)
        visit_services.save_draft(visit, actor, {"subjective": "Sore jaw.", "plan": plan}, None)


@pytest.fixture
def session_visit(app, make_user, make_client, make_intake, make_visit,  # noqa: F811
                  standard_library):
    """Jane (teeth grinding and headaches, Botox in the forehead last week) at her visit
    today with Maya, whose note plans masseter and sinus work."""

    def create(*, plan: str = PLAN, day: date | None = None, client_id: int | None = None,
               therapist=None, **intake) -> Session:
        therapist = therapist or make_user("therapist", name="Maya Okafor")
        if client_id is None:
            client_id = make_client(first_name="Jane", last_name="Fairweather",
                                    email="jane@example.org")
            answers = intake or {
                "teeth_grinding": "At night.", "headaches": "Temples.",
                "injections": "Botox, forehead", "on_dates": {
                    "injections": date.today() - timedelta(days=5)},
            }
            make_intake(client_id, **answers)
        visit_id = make_visit(therapist, client_id=client_id, day=day or date.today(),
                              at=time(9))
        write_note(app, visit_id, therapist, plan)
        return Session(visit_id, client_id, therapist, standard_library)

    return create


@pytest.fixture
def mail_server(app, smtp_server):  # noqa: F811
    """The loopback SMTP server, set as the app's mail server; `.inbox.messages` as sent."""
    app.config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port,
                      MAIL_SENDER="desk@clinic.example")
    return smtp_server
