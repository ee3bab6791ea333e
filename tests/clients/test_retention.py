"""Records are kept for the clinic's retention period (10 years after the last visit, or after
the 18th birthday if later; the books from their last date), archived but never deleted until
then; after it, the admin can erase a client and everything of theirs, past the locks that
keep signed notes and issued invoices from changing."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from clinic.admin import services as admin_services
from clinic.aftercare.models import Handout, HandoutDelivery
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.clients import retention
from clinic.clients import services as client_services
from clinic.clients.models import Client, Intake, IntakeItem, IntakeLink
from clinic.extensions import db
from clinic.invoices import documents as invoice_documents
from clinic.invoices import services as invoice_services
from clinic.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    IssuedDocumentChanged,
    Payment,
)
from clinic.records import erasing_past_retention
from clinic.validation import ValidationError
from clinic.visits.models import NoteAddendum, NoteLocked, TreatmentNote, Visit
from tests.clients.records import (  # noqa: F401 (fixtures)
    full_record,
    make_client,
    make_intake,
    make_invoice,
    make_visit,
    sign_note_with_addendum,
    standard_library,
)
from tests.conftest import post_form, sign_in

ADULT = date(1970, 6, 15)


def ends(app, client_id: int) -> date:
    with app.app_context():
        return retention.retention_ends(db.session.get(Client, client_id))


def actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def erase(app, client_id: int, name: str, today: date) -> dict[str, int]:
    with app.app_context():
        return retention.erase(db.session.get(Client, client_id), name, today)


def set_years(app, years: int) -> None:
    with app.app_context():
        admin_services.update_settings({"retention_years": years})


# ---- how long ----

@pytest.mark.parametrize(("day", "years", "later"), [
    (date(2014, 5, 3), 10, date(2024, 5, 3)),
    (date(2016, 2, 29), 10, date(2026, 3, 1)),  # no 29 February: kept a day longer, not less
    (date(2016, 2, 29), 8, date(2024, 2, 29)),
])
def test_years_are_added_to_the_calendar_date(day, years, later):
    assert retention.add_years(day, years) == later


def test_records_are_kept_ten_years_after_the_last_visit(app, make_user, make_client,  # noqa: F811
                                                          make_visit):  # noqa: F811
    therapist = make_user(Role.THERAPIST)
    client_id = make_client(date_of_birth=ADULT)
    make_visit(therapist, client_id=client_id, day=date(2014, 5, 3))
    make_visit(therapist, client_id=client_id, day=date(2012, 1, 9))
    assert ends(app, client_id) == date(2024, 5, 3)


def test_a_minor_s_records_are_kept_ten_years_after_their_18th_birthday(
    app, make_user, make_client, make_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    teenager = make_client(date_of_birth=date(2010, 2, 28))
    make_visit(therapist, client_id=teenager, day=date(2025, 6, 1))
    assert ends(app, teenager) == date(2038, 2, 28)
    leapling = make_client(date_of_birth=date(2008, 2, 29))
    make_visit(therapist, client_id=leapling, day=date(2023, 6, 1))
    assert ends(app, leapling) == date(2036, 3, 1)


def test_without_a_visit_the_period_runs_from_the_day_the_client_was_added(
    app, make_client  # noqa: F811
):
    client_id = make_client(date_of_birth=ADULT)
    assert ends(app, client_id) == retention.add_years(date.today(), 10)


def test_the_books_are_kept_as_long_from_their_last_date(
    app, make_user, make_client, make_visit, make_invoice  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    client_id = make_client(date_of_birth=ADULT)
    make_visit(therapist, client_id=client_id, day=date(2014, 5, 3))
    make_invoice(client_id=client_id, issued_on=date(2015, 2, 1), payments=["20.00"])
    assert ends(app, client_id) == date(2025, 2, 1)


def test_the_clinic_sets_the_number_of_years(app, make_user, make_client,  # noqa: F811
                                             make_visit):  # noqa: F811
    client_id = make_client(date_of_birth=ADULT)
    make_visit(make_user(Role.THERAPIST), client_id=client_id, day=date(2014, 5, 3))
    set_years(app, 7)
    assert ends(app, client_id) == date(2021, 5, 3)


# ---- erasing ----

def counts(app, client_id: int) -> dict[str, int]:
    """How many records of each kind the client has."""
    with app.app_context():
        visits = select(Visit.id).where(Visit.client_id == client_id)
        invoices = select(Invoice.id).where(Invoice.client_id == client_id)
        credit_notes = select(CreditNote.id).where(CreditNote.invoice_id.in_(invoices))
        handouts = select(Handout.id).where(Handout.client_id == client_id)
        intakes = select(Intake.id).where(Intake.client_id == client_id)
        queries = {
            "client": Client.id == client_id,
            "intakes": Intake.client_id == client_id,
            "intake_items": IntakeItem.intake_id.in_(intakes),
            "intake_links": IntakeLink.client_id == client_id,
            "visits": Visit.client_id == client_id,
            "notes": TreatmentNote.visit_id.in_(visits),
            "addenda": NoteAddendum.note_id.in_(select(TreatmentNote.id).where(
                TreatmentNote.visit_id.in_(visits))),
            "handouts": Handout.client_id == client_id,
            "deliveries": HandoutDelivery.handout_id.in_(handouts),
            "invoices": Invoice.client_id == client_id,
            "lines": InvoiceLine.invoice_id.in_(invoices),
            "invoice_prints": InvoiceDocument.invoice_id.in_(invoices),
            "credit_notes": CreditNote.invoice_id.in_(invoices),
            "payments": Payment.invoice_id.in_(invoices) | Payment.credit_note_id.in_(
                credit_notes),
        }
        return {name: db.session.scalar(select(func.count()).where(condition))
                for name, condition in queries.items()}


@pytest.fixture
def jane_and_otto(app, make_user, full_record, make_invoice):  # noqa: F811
    """Jane with every kind of record, a voided invoice refunded and an intake link; Otto, whose
    records must outlive hers."""
    jane = full_record("Jane", "Fairweather", "Marigold")
    desk = make_user(Role.RECEPTION)
    voided = make_invoice(client_id=jane.client_id, payments=["20.00"])
    with app.app_context():
        invoice = db.session.get(Invoice, voided.id)
        note = invoice_services.void(invoice, "Billed twice.", desk.id)
        invoice_services.record_refund(
            note, invoice_services.PaymentDetails("cash", Decimal("20.00"), date.today()),
            desk.id)
        client_services.create_link(db.session.get(Client, jane.client_id), desk.id)
        invoice_documents.invoice_pdf(db.session.get(Invoice, voided.id))
    otto = full_record("Otto", "Quillfeather", "Zanzibar")
    return jane, otto


def test_deleting_is_refused_until_the_period_ends_and_erases_everything_the_day_after(
    app, jane_and_otto
):
    jane, otto = jane_and_otto
    before, otto_before = counts(app, jane.client_id), counts(app, otto.client_id)
    assert all(before.values()), before
    last_day = ends(app, jane.client_id)

    with pytest.raises(retention.RetentionNotOver) as refused:
        erase(app, jane.client_id, "Jane Fairweather", last_day)
    assert refused.value.kept_until == last_day
    assert counts(app, jane.client_id) == before
    (event,) = actions(app, "client.delete_refused")
    assert event.object_id == str(jane.client_id)
    assert json.loads(event.detail) == {"kept_until": last_day.isoformat()}

    with pytest.raises(ValidationError) as unconfirmed:
        erase(app, jane.client_id, "Jane", last_day + timedelta(days=1))
    assert "confirm_name" in unconfirmed.value.errors
    assert counts(app, jane.client_id) == before

    erased = erase(app, jane.client_id, " jane  FAIRWEATHER ", last_day + timedelta(days=1))
    assert erased == {
        "handout_deliveries": 1, "handout_links": 0, "handouts": 1, "addenda": 1, "notes": 1,
        "payments": 3, "credit_notes": 1, "invoice_prints": 1, "invoices": 2, "intake_links": 1,
        "intakes": 2, "visits": 1,
    }
    assert set(counts(app, jane.client_id).values()) == {0}
    assert counts(app, otto.client_id) == otto_before
    (deleted,) = actions(app, "client.deleted")
    assert deleted.object_id == str(jane.client_id)
    assert json.loads(deleted.detail)["erased"] == erased
    for private in ("Marigold", "Jane", "Fairweather", "jaw", "1980"):
        assert private not in deleted.detail


def test_the_locks_on_signed_notes_and_issued_invoices_hold_outside_the_erase(
    app, make_user, make_client, make_visit, make_invoice  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist, client_id=make_client())
    sign_note_with_addendum(app, visit_id, therapist, "Marigold")
    issued = make_invoice(issue=True)
    with app.app_context():
        note = db.session.scalar(select(TreatmentNote))
        for locked in (note, note.addenda[0]):
            db.session.delete(locked)
            with pytest.raises(NoteLocked):
                db.session.flush()
            db.session.rollback()
        db.session.delete(db.session.get(Invoice, issued.id))
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()

        # Inside the erase, a locked record may go, but still never change.
        with erasing_past_retention(db.session):
            db.session.scalar(select(TreatmentNote)).plan = "Rewritten."
            with pytest.raises(NoteLocked):
                db.session.flush()
            db.session.rollback()
            db.session.get(Invoice, issued.id).notes = "Rewritten."
            with pytest.raises(IssuedDocumentChanged):
                db.session.flush()
            db.session.rollback()
        assert db.session.scalar(select(TreatmentNote.plan)) == "Jaw release at home."


# ---- through the pages ----

def test_the_admin_finds_how_long_records_are_kept_and_a_refused_delete_says_why(
    app, client, make_user, make_client, make_visit  # noqa: F811
):
    client_id = make_client(first_name="Ines", last_name="Moreau", date_of_birth=ADULT)
    make_visit(make_user(Role.THERAPIST), client_id=client_id, day=date(2024, 5, 3))
    sign_in(client, make_user(Role.ADMIN))
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert f'href="/clients/{client_id}/delete"' in page
    confirm = client.get(f"/clients/{client_id}/delete").get_data(as_text=True)
    assert "The clinic keeps these records until <strong>3 May 2034</strong>" in confirm

    response = post_form(client, f"/clients/{client_id}/delete",
                         {"confirm_name": "Ines Moreau"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "This client&#39;s records must be kept until 3 May 2034." in text
    assert client.get(f"/clients/{client_id}").status_code == 200
    assert len(actions(app, "client.delete_refused")) == 1


def test_only_the_admin_is_offered_the_delete(client, signed_in, make_client):  # noqa: F811
    client_id = make_client()
    signed_in(Role.THERAPIST)
    assert "/delete" not in client.get(f"/clients/{client_id}").get_data(as_text=True)


def test_the_admin_erases_a_client_past_retention_through_the_page(
    app, client, make_user, make_client, make_visit  # noqa: F811
):
    therapist = make_user(Role.THERAPIST)
    client_id = make_client(first_name="Ines", last_name="Moreau", date_of_birth=ADULT)
    visit_id = make_visit(therapist, client_id=client_id, day=date.today() - timedelta(days=800))
    sign_note_with_addendum(app, visit_id, therapist, "Marigold")
    set_years(app, 1)
    sign_in(client, make_user(Role.ADMIN))

    wrong = post_form(client, f"/clients/{client_id}/delete", {"confirm_name": "Ines"})
    assert "Type the client&#39;s name, Ines Moreau, to confirm." in wrong.get_data(as_text=True)
    response = post_form(client, f"/clients/{client_id}/delete",
                         {"confirm_name": "Ines Moreau"}, follow_redirects=True)
    assert "The records of Ines Moreau are erased." in response.get_data(as_text=True)
    assert client.get(f"/clients/{client_id}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TreatmentNote)) == 0
        assert db.session.get(User, therapist.id) is not None
