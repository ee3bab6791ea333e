"""Quick templates the admin edits, and the demo week."""

from datetime import date

from sqlalchemy import func, select

from clinic import demo
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.visits.models import NoteTemplate, TreatmentNote, Visit
from tests.conftest import post_form, sign_in

STANDARD = ["Jaw / teeth grinding", "Lifting facial", "Sinus congestion", "Tension headache"]


def _template_id(app, name):
    with app.app_context():
        return db.session.scalar(select(NoteTemplate.id).where(NoteTemplate.name == name))


def test_a_new_clinic_starts_with_the_standard_templates(client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/admin/note-templates").get_data(as_text=True)
    for name in STANDARD:
        assert name in page


def test_the_admin_edits_and_retires_a_template(app, client, signed_in, make_user, make_visit):
    signed_in(Role.ADMIN)
    client.get("/admin/note-templates")
    sinus = _template_id(app, "Sinus congestion")
    with app.app_context():
        version = db.session.get(NoteTemplate, sinus).version
    url = f"/admin/note-templates/{sinus}"
    response = post_form(client, url, {"name": "Sinus and allergies", "subjective": "Season: ...",
                                       "active": "y", "version": version})
    assert response.headers["Location"] == "/admin/note-templates"
    with app.app_context():
        template = db.session.get(NoteTemplate, sinus)
        assert (template.name, template.subjective) == ("Sinus and allergies", "Season: ...")
        version = template.version
    post_form(client, url, {"name": "Sinus and allergies", "version": version})  # unticked
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist)
    other = app.test_client()
    sign_in(other, therapist)
    editor = other.get(f"/visits/{visit_id}/note").get_data(as_text=True)
    assert "Sinus and allergies" not in editor and "Lifting facial" in editor


def test_template_names_are_unique_and_needed(app, client, signed_in):
    signed_in(Role.ADMIN)
    client.get("/admin/note-templates")
    page = post_form(client, "/admin/note-templates/new", {"name": "Lifting facial"})
    assert "Another template has this name." in page.get_data(as_text=True)
    page = post_form(client, "/admin/note-templates/new", {"name": "  "})
    assert "Name the template" in page.get_data(as_text=True)
    response = post_form(client, "/admin/note-templates/new",
                         {"name": "Puffiness", "plan": "Lymphatic strokes ..."})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoteTemplate)) == 5


def test_an_edit_from_an_old_page_is_refused(app, client, signed_in):
    signed_in(Role.ADMIN)
    client.get("/admin/note-templates")
    jaw = _template_id(app, "Jaw / teeth grinding")
    url = f"/admin/note-templates/{jaw}"
    with app.app_context():
        seen = db.session.get(NoteTemplate, jaw).version
    post_form(client, url, {"name": "Jaw", "active": "y", "version": seen})
    page = post_form(client, url, {"name": "Jaw two", "active": "y", "version": seen})
    assert "Someone else saved this template while you were editing." in page.get_data(as_text=True)
    assert _template_id(app, "Jaw") == jaw


def test_the_demo_has_a_week_of_visits_with_signed_and_draft_notes(app):
    with app.app_context():
        assert demo.seed()
        visits = db.session.scalars(select(Visit)).all()
        days = {visit.starts_at.astimezone().date() for visit in visits}
        signed = db.session.scalar(select(func.count()).where(TreatmentNote.signed_at.is_not(None)))
        drafts = db.session.scalar(select(func.count()).where(TreatmentNote.signed_at.is_(None)))
    assert len(days) == 6 and date.today() in days
    assert {visit.status for visit in visits} >= {"booked", "arrived", "completed", "cancelled"}
    assert signed >= 10 and drafts >= 1
