"""Treatment notes: drafts, conflicts, signing and the lock, addenda, and who sees what."""

import json
from datetime import time

import pytest
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.formatting import clock, day_name
from clinic.visits import services
from clinic.visits.models import NoteAddendum, NoteLocked, TreatmentNote, Visit
from tests.conftest import csrf_token, post_form, sign_in

SOAP = {
    "subjective": "Clenching at night; right jaw aches in the morning.",
    "objective": "Right masseter hypertonic, tender at the angle of the jaw.",
    "assessment": "Masseter release both sides, 10 min, moderate pressure. Felt looser.",
    "plan": "Masseter strokes twice a day. Next visit in two weeks.",
}


@pytest.fixture
def therapist(make_user):
    return make_user(Role.THERAPIST, name="Maya Okafor")


@pytest.fixture
def arrived_visit(app, therapist, make_visit, make_client):
    """Today's visit of the `therapist`, the client in the room."""
    visit_id = make_visit(therapist, client_id=make_client(first_name="Jane", last_name="Doyle"))
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        visit.status = "arrived"
        db.session.commit()
    return visit_id


def _note(app, visit_id) -> TreatmentNote | None:
    with app.app_context():
        note = db.session.scalar(select(TreatmentNote).where(TreatmentNote.visit_id == visit_id))
        if note is not None:
            db.session.expunge(note)
        return note


def _version(app, visit_id):
    note = _note(app, visit_id)
    return "" if note is None else note.version


def _write(client, app, visit_id, action="save", text=None, version=None, **kwargs):
    version = _version(app, visit_id) if version is None else version
    return post_form(client, f"/visits/{visit_id}/note",
                     {**(SOAP if text is None else text), "version": version, "action": action},
                     **kwargs)


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ))


def test_the_therapist_saves_a_draft_and_finds_it_again(app, client, therapist,
                                                        arrived_visit):
    sign_in(client, therapist)
    page = client.get(f"/visits/{arrived_visit}/note").get_data(as_text=True)
    assert "Treatment note: Jane Doyle" in page
    response = _write(client, app, arrived_visit)
    assert response.headers["Location"] == f"/visits/{arrived_visit}/note"
    page = client.get(f"/visits/{arrived_visit}/note").get_data(as_text=True)
    assert "Right masseter hypertonic" in page
    note = _note(app, arrived_visit)
    assert note.author_id == therapist.id and note.signed_at is None
    assert len(_audit(app, "note.created")) == 1


def test_autosave_returns_the_new_version_and_refuses_an_old_one(app, client, therapist,
                                                                 arrived_visit):
    sign_in(client, therapist)
    url = f"/visits/{arrived_visit}/note/autosave"
    token = csrf_token(client)
    first = client.post(url, data={**SOAP, "csrf_token": token, "version": ""})
    assert first.status_code == 200
    saved = first.get_json()["version"]
    second = client.post(url, data={**SOAP, "plan": "Changed", "csrf_token": token,
                                    "version": saved})
    assert second.status_code == 200 and second.get_json()["version"] != saved
    # A second window still holding the first version:
    stale = client.post(url, data={**SOAP, "plan": "Old window", "csrf_token": token,
                                   "version": saved})
    assert stale.status_code == 409
    assert "saved from another window or device" in stale.get_json()["error"]
    assert _note(app, arrived_visit).plan == "Changed"


def test_a_conflicting_save_keeps_the_typed_text_on_screen(app, client, therapist,
                                                          arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit)
    seen = _version(app, arrived_visit)
    _write(client, app, arrived_visit, text={**SOAP, "plan": "From the tablet"})
    response = _write(client, app, arrived_visit, text={**SOAP, "plan": "From the laptop"},
                      version=seen)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Your text below was NOT saved." in page
    assert "From the laptop" in page
    assert _note(app, arrived_visit).plan == "From the tablet"


def test_two_windows_starting_the_same_note_do_not_overwrite_each_other(app, client, therapist,
                                                                       arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, version="")
    response = _write(client, app, arrived_visit, text={**SOAP, "plan": "Second"}, version="")
    assert response.status_code == 409
    assert _note(app, arrived_visit).plan == SOAP["plan"]


def test_a_template_fills_the_empty_sections_and_adds_below_written_ones(
    app, client, therapist, arrived_visit
):
    sign_in(client, therapist)
    with app.app_context():
        jaw = next(t for t in services.note_templates() if t.name == "Jaw / teeth grinding")
        jaw_id, jaw_objective = jaw.id, jaw.objective
    text = {"subjective": "Grinds at night.", "objective": "", "assessment": "", "plan": ""}
    page = _write(client, app, arrived_visit, action="template",
                  text={**text, "template": jaw_id}, follow_redirects=True)
    assert "Added the “Jaw / teeth grinding” template." in page.get_data(as_text=True)
    note = _note(app, arrived_visit)
    assert note.subjective.startswith("Grinds at night.\n\nClenching / grinding")
    assert note.objective == jaw_objective


def test_signing_locks_the_note_and_records_who_and_when(app, client, therapist,
                                                         arrived_visit):
    sign_in(client, therapist)
    response = _write(client, app, arrived_visit, action="sign")
    assert response.headers["Location"] == f"/visits/{arrived_visit}"
    note = _note(app, arrived_visit)
    assert note.signed_at is not None and note.signed_by_id == therapist.id
    page = client.get(f"/visits/{arrived_visit}").get_data(as_text=True)
    assert "Signed by Maya Okafor" in page and "Locked." in page
    assert "Add an addendum" in page
    # The editor is gone: its address leads back to the visit.
    editor = client.get(f"/visits/{arrived_visit}/note")
    assert editor.headers["Location"] == f"/visits/{arrived_visit}"
    assert len(_audit(app, "note.signed")) == 1


def test_a_note_is_signed_only_with_its_essentials_and_after_arrival(
    app, client, therapist, make_visit
):
    sign_in(client, therapist)
    visit_id = make_visit(therapist, at=time(16))
    page = _write(client, app, visit_id, action="sign",
                  text={**SOAP, "subjective": "", "assessment": " "}).get_data(as_text=True)
    assert "Write what the client reported before signing." in page
    assert "Write the treatment you gave before signing." in page
    assert "Mark the client as arrived before signing the note." in page
    assert _note(app, visit_id) is None


@pytest.mark.parametrize("route", ["note", "note/autosave"])
def test_every_editing_route_refuses_a_signed_note(app, client, therapist, arrived_visit,
                                                   route):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, action="sign")
    signed = _note(app, arrived_visit)
    for action in ("save", "template", "sign"):
        response = post_form(client, f"/visits/{arrived_visit}/{route}",
                             {**SOAP, "plan": "Rewritten", "version": signed.version,
                              "action": action})
        assert response.status_code == 409
    assert _note(app, arrived_visit).plan == SOAP["plan"]


def test_another_therapist_cannot_write_the_note(app, client, make_user, therapist,
                                                 arrived_visit):
    sign_in(client, make_user(Role.THERAPIST))
    assert client.get(f"/visits/{arrived_visit}/note").status_code == 403
    for route in ("note", "note/autosave", "note/addenda"):
        response = post_form(client, f"/visits/{arrived_visit}/{route}",
                             {**SOAP, "version": "", "reason": "r", "text": "t"})
        assert response.status_code == 403, route
    assert _note(app, arrived_visit) is None


@pytest.mark.parametrize("role", [Role.ADMIN, Role.RECEPTION])
def test_admins_and_reception_cannot_write_notes(app, client, make_user, arrived_visit, role):
    sign_in(client, make_user(role))
    assert client.get(f"/visits/{arrived_visit}/note").status_code == 403
    for route in ("note", "note/autosave", "note/addenda"):
        response = post_form(client, f"/visits/{arrived_visit}/{route}",
                             {**SOAP, "version": ""})
        assert response.status_code == 403, route


def test_addenda_keep_the_original_and_say_who_when_and_why(app, client, therapist,
                                                            arrived_visit, in_halifax):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, action="sign")
    url = f"/visits/{arrived_visit}/note/addenda"
    page = post_form(client, url, {"reason": "", "text": ""}, follow_redirects=True)
    assert "Say why you are adding to the note" in page.get_data(as_text=True)
    post_form(client, url, {"reason": "Correction",
                            "text": "It was the left masseter, not the right."})
    page = client.get(f"/visits/{arrived_visit}").get_data(as_text=True)
    assert "Right masseter hypertonic" in page  # the original, unchanged
    assert "It was the left masseter, not the right." in page
    assert "Maya Okafor" in page and "Reason: Correction" in page
    assert page.index("Right masseter hypertonic") < page.index("It was the left masseter")
    post_form(client, url, {"reason": "Later finding", "text": "Jaw pain gone by Friday."})
    page = client.get(f"/visits/{arrived_visit}").get_data(as_text=True)
    assert page.index("Reason: Correction") < page.index("Reason: Later finding")
    with app.app_context():
        written = db.session.scalars(select(NoteAddendum.created_at)
                                     .order_by(NoteAddendum.id)).all()
    for when in written:  # the time each was written, on the clinic's clock
        assert f"{day_name(when)} {when.astimezone().year} at {clock(when)}. Reason:" in page


def test_an_addendum_needs_a_signed_note(app, client, therapist, arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit)
    page = post_form(client, f"/visits/{arrived_visit}/note/addenda",
                     {"reason": "Correction", "text": "More"}, follow_redirects=True)
    assert "Addenda are for signed notes" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(NoteAddendum)).all() == []


def test_the_model_layer_refuses_to_change_a_signed_note(app, client, therapist,
                                                         arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, action="sign")
    post_form(client, f"/visits/{arrived_visit}/note/addenda", {"reason": "R", "text": "T"})
    with app.app_context():
        note = db.session.scalar(select(TreatmentNote))
        note.plan = "Quietly rewritten"
        with pytest.raises(NoteLocked):
            db.session.commit()
        db.session.rollback()
        note = db.session.scalar(select(TreatmentNote))
        note.signed_at = None
        with pytest.raises(NoteLocked):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(NoteLocked):
            db.session.delete(db.session.scalar(select(TreatmentNote)))
            db.session.flush()
        db.session.rollback()
        addendum = db.session.scalar(select(NoteAddendum))
        addendum.text = "Changed"
        with pytest.raises(NoteLocked):
            db.session.flush()
        db.session.rollback()
    assert _note(app, arrived_visit).plan == SOAP["plan"]


def test_the_service_refuses_too(app, therapist, arrived_visit):
    with app.app_context():
        author = db.session.get(User, therapist.id)
        visit = services.get_visit(arrived_visit)
        note = services.save_draft(visit, author, SOAP, None)
        services.sign(visit, author, SOAP, note.version)
        with pytest.raises(NoteLocked):
            services.save_draft(visit, author, {**SOAP, "plan": "x"}, note.version)


def test_notes_are_never_shown_to_reception(app, client, make_user, therapist, arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, action="sign")
    desk = app.test_client()
    sign_in(desk, make_user(Role.RECEPTION))
    visit = _note(app, arrived_visit)
    for url in (f"/visits/{arrived_visit}", "/", "/schedule", "/schedule?view=week",
                f"/schedule?therapist={therapist.id}"):
        page = desk.get(url).get_data(as_text=True)
        assert "masseter" not in page.lower(), url
        assert "Treatment note" not in page, url
        assert "Note signed" not in page and "Note draft" not in page, url
    assert visit is not None


def test_every_view_of_a_note_is_audited(app, client, make_user, therapist, arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit)
    client.get(f"/visits/{arrived_visit}/note")
    admin = app.test_client()
    admin_member = make_user(Role.ADMIN)
    sign_in(admin, admin_member)
    page = admin.get(f"/visits/{arrived_visit}").get_data(as_text=True)
    assert "Right masseter hypertonic" in page and "Not signed." in page
    views = _audit(app, "note.viewed")
    assert [(e.actor_id, json.loads(e.detail)["view"]) for e in views] == [
        (therapist.id, "editor"), (admin_member.id, "visit page"),
    ]


def test_a_draft_survives_the_idle_sign_out(app, client, therapist, arrived_visit):
    sign_in(client, therapist)
    _write(client, app, arrived_visit, text={**SOAP, "plan": "Typed before the break"})
    with client.session_transaction() as session:
        session["seen"] = 0  # as if the tablet was left alone for a long time
    response = client.get(f"/visits/{arrived_visit}/note")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    sign_in(client, therapist)
    page = client.get(f"/visits/{arrived_visit}/note").get_data(as_text=True)
    assert "Typed before the break" in page


def test_too_long_text_is_refused_next_to_its_field(app, client, therapist, arrived_visit):
    sign_in(client, therapist)
    response = _write(client, app, arrived_visit, text={**SOAP, "objective": "x" * 10_001})
    assert response.status_code == 400
    assert 'id="objective-error"' in response.get_data(as_text=True)
    assert _note(app, arrived_visit) is None


def test_a_cancelled_visit_has_no_note(app, client, therapist, arrived_visit):
    with app.app_context():
        db.session.get(Visit, arrived_visit).status = "cancelled"
        db.session.commit()
    sign_in(client, therapist)
    page = _write(client, app, arrived_visit).get_data(as_text=True)
    assert "This visit is cancelled: it has no note." in page
    assert _note(app, arrived_visit) is None
