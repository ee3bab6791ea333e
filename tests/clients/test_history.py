"""The client's page shows their visits (with note summaries for clinicians) and invoices."""

from datetime import date, time, timedelta

from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.clients import page as client_page_module
from clinic.extensions import db
from clinic.invoices import routes as invoice_routes
from clinic.visits import routes as visit_routes
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.conftest import recorded_statements, sign_in
from tests.invoices.conftest import completed_visit, make_invoice  # noqa: F401 (fixtures)
from tests.visits.conftest import make_client, make_visit  # noqa: F401 (fixtures)

NOTE = {
    "subjective": "Clenching at night, jaw sore on waking.",
    "objective": "Masseters tight, left more than right.",
    "assessment": "Intra-oral-free masseter release, temporalis circles, moderate pressure.",
    "plan": "Jaw release at home, twice a day.",
}


def signed_note(app, therapist, visit_id: int) -> None:
    with app.app_context():
        author = db.session.get(User, therapist.id)
        visit = db.session.get(Visit, visit_id)
        visit_services.sign(visit, author, NOTE, None)


def test_a_therapist_sees_the_visits_newest_first_with_note_summaries(
    app, client, make_user, make_client, completed_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    client_id = make_client(first_name="Ines", last_name="Moreau")
    older = completed_visit(therapist, client_id=client_id, day=date.today() - timedelta(days=14),
                            service="Jaw and temples")
    completed_visit(therapist, client_id=client_id, day=date.today() - timedelta(days=1),
                    service="Lifting facial")
    signed_note(app, therapist, older)
    sign_in(client, therapist)
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert page.index("Lifting facial") < page.index("Jaw and temples")
    assert "Intra-oral-free masseter release" in page and "Signed" in page
    assert "No note" in page
    with app.app_context():
        viewed = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "note.summaries_viewed")
        )
    assert viewed is not None and viewed.object_id == str(client_id)


def test_reception_sees_the_visits_but_nothing_of_the_notes(
    app, client, make_user, make_client, completed_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    client_id = make_client()
    visit_id = completed_visit(therapist, client_id=client_id, service="Sinus relief facial")
    signed_note(app, therapist, visit_id)
    sign_in(client, make_user(Role.RECEPTION))
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Sinus relief facial" in page
    assert "masseter" not in page and "Signed" not in page and "No note" not in page
    assert 'href="/visits/new?client_id=' in page


def test_invoices_are_listed_with_their_balance_and_a_way_to_start_one(
    client, make_user, make_client, make_invoice  # noqa: F811
):
    client_id = make_client()
    made = make_invoice(client_id=client_id, issue=True, payments=["50.00"])
    sign_in(client, make_user(Role.RECEPTION))
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert made.number in page
    assert "59.25" in page  # 95.00 + 15 % tax = 109.25, less 50.00 paid
    assert f'href="/invoices/new?client_id={client_id}"' in page


def test_a_therapist_sees_only_the_invoices_of_their_own_visits(
    client, make_user, make_client, make_invoice  # noqa: F811
):
    mine, theirs = make_user(Role.THERAPIST), make_user(Role.THERAPIST)
    client_id = make_client()
    own = make_invoice(client_id=client_id, therapist=mine, issue=True)
    other = make_invoice(client_id=client_id, therapist=theirs, issue=True)
    sign_in(client, mine)
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert own.number in page and other.number not in page
    assert "New invoice" not in page


def test_the_client_page_costs_the_same_queries_for_two_visits_or_twelve(
    app, client, make_user, make_client, make_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    sign_in(client, therapist)

    def queries_for(visits: int, from_day: int) -> int:
        client_id = make_client()
        for n in range(visits):
            make_visit(therapist, client_id=client_id, at=time(9),
                       day=date.today() + timedelta(days=from_day + n))
        with recorded_statements(app) as statements:
            assert client.get(f"/clients/{client_id}").status_code == 200
        return len(statements)

    assert queries_for(2, from_day=30) == queries_for(12, from_day=40)


def test_the_client_page_shows_the_latest_visits_and_pages_through_all(
    app, client, make_user, make_client, completed_visit, monkeypatch  # noqa: F811
):
    monkeypatch.setattr(client_page_module, "LATEST", 2)
    monkeypatch.setattr(visit_routes, "PER_PAGE", 2)
    therapist = make_user(Role.THERAPIST)
    client_id = make_client()
    oldest = completed_visit(therapist, client_id=client_id, day=date.today() - timedelta(days=30),
                             service="Sinus relief facial")
    for days, service in ((20, "Jaw and temples"), (10, "Lifting facial")):
        completed_visit(therapist, client_id=client_id, day=date.today() - timedelta(days=days),
                        service=service)
    signed_note(app, therapist, oldest)
    sign_in(client, therapist)
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Lifting facial" in page and "Jaw and temples" in page
    assert "Sinus relief facial" not in page
    assert f'<a href="/clients/{client_id}/visits">All 3 visits</a>' in page
    second = client.get(f"/clients/{client_id}/visits?page=2").get_data(as_text=True)
    assert "Sinus relief facial" in second and "Lifting facial" not in second
    assert "Page 2 of 2 (3 visits)" in second and "Intra-oral-free masseter release" in second
    assert f'href="/clients/{client_id}/visits?page=1" rel="prev"' in second
    with app.app_context():
        viewed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "note.summaries_viewed")
        ).all()
    assert [event.detail for event in viewed] == [f'{{"visits": [{oldest}]}}']
    assert "There is no page 3." in client.get(f"/clients/{client_id}/visits?page=3").text


def test_the_client_page_shows_the_latest_invoices_and_pages_through_all(
    client, make_user, make_client, make_invoice, monkeypatch  # noqa: F811
):
    monkeypatch.setattr(client_page_module, "LATEST", 2)
    monkeypatch.setattr(invoice_routes, "PER_PAGE", 2)
    client_id = make_client()
    oldest, older, newest = (
        make_invoice(client_id=client_id, issue=True, issued_on=date.today() - timedelta(days=days))
        for days in (30, 20, 10)
    )
    sign_in(client, make_user(Role.RECEPTION))
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert newest.number in page and older.number in page and oldest.number not in page
    assert f'<a href="/clients/{client_id}/invoices">All 3 invoices</a>' in page
    second = client.get(f"/clients/{client_id}/invoices?page=2").get_data(as_text=True)
    assert oldest.number in second and newest.number not in second
    assert "Page 2 of 2 (3 invoices)" in second
