"""Booking a visit: what is refused, with which message, and what the schedule then shows."""

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.visits.models import Visit
from tests.conftest import post_form
from tests.visits.conftest import later


def _visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


def _book(client, client_id, therapist_id, *, day=None, start="10:00", minutes=60, **extra):
    return post_form(client, "/visits/new", {
        "client_id": client_id, "therapist_id": therapist_id, "service_name": "Facial massage",
        "day": (day or date.today()).isoformat(), "start": start, "minutes": minutes, **extra,
    })


def test_reception_finds_the_client_and_books_a_visit(app, client, signed_in, make_user,
                                                       make_client):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    jane = make_client(first_name="Jane", last_name="Doyle")
    found = client.get("/visits/new?q=doyle").get_data(as_text=True)
    assert "Book for Jane Doyle" in found
    form = client.get(f"/visits/new?client_id={jane}").get_data(as_text=True)
    assert "Client: <strong>Jane Doyle</strong>" in form
    response = _book(client, jane, maya.id, day=later(1), start="14:30", minutes=90)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Booked Jane Doyle with Maya Okafor." in page
    assert "14:30\u201316:00 (90 minutes)" in page
    schedule = client.get(f"/schedule?date={later(1).isoformat()}").get_data(as_text=True)
    assert "Jane Doyle" in schedule and "14:30\u201316:00" in schedule


def test_an_overlapping_booking_is_refused_and_names_the_conflict(
    app, client, signed_in, make_user, make_client, make_visit
):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    first = make_client(first_name="Jane", last_name="Doyle")
    make_visit(maya, client_id=first, at=time(10), minutes=60, service="Lifting facial")
    page = _book(client, make_client(), maya.id, start="10:30").get_data(as_text=True)
    assert "Maya Okafor is already booked 10:00\u201311:00" in page
    assert "with Jane Doyle (Lifting facial)" in page
    assert 'id="start-error"' in page
    assert _visits(app) == 1


def test_back_to_back_visits_do_not_overlap(app, client, signed_in, make_user, make_client,
                                            make_visit):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST)
    make_visit(maya, at=time(10), minutes=60)
    assert _book(client, make_client(), maya.id, start="11:00").status_code == 302
    assert _book(client, make_client(), maya.id, start="09:00").status_code == 302
    assert _visits(app) == 3


def test_a_client_cannot_be_in_two_rooms_at_once(app, client, signed_in, make_user,
                                                 make_client, make_visit):
    signed_in(Role.RECEPTION)
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_visit(make_user(Role.THERAPIST, name="Jonah Reyes"), client_id=jane, at=time(10))
    page = _book(client, jane, make_user(Role.THERAPIST).id, start="10:45").get_data(as_text=True)
    assert "Jane Doyle already has a visit 10:00\u201311:00" in page
    assert "with Jonah Reyes" in page
    assert _visits(app) == 1


def test_a_cancelled_visit_frees_its_time(app, client, signed_in, make_user, make_client,
                                          make_visit):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST)
    visit_id = make_visit(maya, at=time(10))
    with app.app_context():
        version = db.session.get(Visit, visit_id).version
    post_form(client, f"/visits/{visit_id}/status",
              {"status": "cancelled", "reason": "Called in sick", "version": version})
    assert _book(client, make_client(), maya.id, start="10:00").status_code == 302


def test_missing_answers_are_named_next_to_their_fields(app, client, signed_in, make_client):
    signed_in(Role.RECEPTION)
    response = post_form(client, "/visits/new", {
        "client_id": make_client(), "therapist_id": 0, "service_name": " ", "day": "",
        "start": "", "minutes": 60,
    })
    page = response.get_data(as_text=True)
    assert "Choose a therapist." in page
    assert "Enter the service, e.g. Facial massage." in page
    assert "Enter the date of the visit." in page
    assert "Enter the start time, e.g. 10:30." in page
    assert _visits(app) == 0


def test_an_odd_length_or_unknown_client_is_refused(app, client, signed_in, make_user,
                                                    make_client):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST)
    page = _book(client, make_client(), maya.id, minutes=7).get_data(as_text=True)
    assert "Choose how long the visit lasts." in page
    page = _book(client, 999_999, maya.id).get_data(as_text=True)
    assert "Choose the client." in page
    assert 'name="q"' in page  # back to finding the client
    assert _visits(app) == 0


def test_an_archived_client_is_not_booked(app, client, signed_in, make_user, make_client):
    signed_in(Role.RECEPTION)
    jane = make_client(first_name="Jane", last_name="Doyle")
    post_form(client, f"/clients/{jane}/archive")
    page = _book(client, jane, make_user(Role.THERAPIST).id).get_data(as_text=True)
    assert "Jane Doyle is archived." in page
    assert _visits(app) == 0


def test_a_therapist_books_for_themselves_only(app, client, signed_in, make_user, make_client):
    me = signed_in(Role.THERAPIST)
    other = make_user(Role.THERAPIST)
    form = client.get(f"/visits/new?client_id={make_client()}").get_data(as_text=True)
    assert other.name not in form
    page = _book(client, make_client(), other.id).get_data(as_text=True)
    assert "You can book visits for yourself only." in page
    assert _book(client, make_client(), me.id).status_code == 302
    assert _visits(app) == 1


def test_a_booking_is_audited(app, client, signed_in, make_user, make_client):
    from clinic.audit.models import AuditEvent

    desk = signed_in(Role.RECEPTION)
    _book(client, make_client(), make_user(Role.THERAPIST).id)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.booked"))
        assert event.actor_id == desk.id


def test_a_late_evening_visit_is_on_the_clinic_s_day_and_stored_in_utc(
    app, client, signed_in, make_user, make_client, in_halifax
):
    signed_in(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    jane = make_client(first_name="Jane", last_name="Doyle")
    evening = date(2026, 11, 26)
    assert _book(client, jane, maya.id, day=evening, start="21:30").status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Visit.starts_at)).one()
    assert stored == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # Halifax is UTC-4 in November
    on_the_day = client.get(f"/schedule?date={evening.isoformat()}").get_data(as_text=True)
    assert "Jane Doyle" in on_the_day and "21:30\u201322:30" in on_the_day
    next_day = client.get("/schedule?date=2026-11-27").get_data(as_text=True)
    assert "Jane Doyle" not in next_day
