"""The demo clinic's clients show every part of the intake and every precaution level."""

from datetime import date

from sqlalchemy import select

from clinic import demo
from clinic.auth.models import Role
from clinic.clients.models import QUESTIONS, Client, Intake, IntakeItem
from clinic.clients.precautions import Level, precautions
from clinic.clients.services import client_record
from clinic.extensions import db
from tests.conftest import sign_in


def test_the_demo_intakes_tick_every_condition_and_health_question(app):
    with app.app_context():
        assert demo.seed()
        ticked = set(db.session.scalars(select(IntakeItem.code)))
        assert ticked == set(QUESTIONS)
        levels = {
            precaution.level
            for intake in db.session.scalars(select(Intake))
            for precaution in precautions(intake, date.today())
        }
        assert levels == set(Level)


def test_the_demo_shows_a_changed_intake_a_stale_one_and_a_client_without_one(
    app, client, make_user
):
    with app.app_context():
        demo.seed()
        ids = {person.last_name: person.id for person in db.session.scalars(select(Client))}
        assert len(client_record(ids["Marsh"]).history) == 2
    sign_in(client, make_user(Role.THERAPIST))

    def page(name: str) -> str:
        return client.get(f"/clients/{ids[name]}").get_data(as_text=True)

    assert "New: Allergy to nut oils (Almond: hives.)" in page("Marsh")
    assert "Older than 12 months" in page("Whitfield")
    assert "No intake yet." in page("Lee")
