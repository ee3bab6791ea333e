"""A visit's status: booked, arrived, completed, or cancelled / no-show with a reason."""

from datetime import time

import pytest
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.visits.models import Visit
from tests.conftest import post_form, sign_in


def _visit(app, visit_id) -> Visit:
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        db.session.expunge(visit)
        return visit


def _change(client, app, visit_id, status, reason="", version=None, **kwargs):
    version = _visit(app, visit_id).version if version is None else version
    return post_form(client, f"/visits/{visit_id}/status",
                     {"status": status, "reason": reason, "version": version}, **kwargs)


def test_a_visit_goes_from_booked_to_arrived_to_completed(app, client, signed_in, make_user,
                                                          make_visit):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST))
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert ">Client arrived</button>" in page and ">Visit completed</button>" not in page
    _change(client, app, visit_id, "arrived")
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert ">Visit completed</button>" in page and ">Client arrived</button>" not in page
    _change(client, app, visit_id, "completed")
    visit = _visit(app, visit_id)
    assert visit.status == "completed"
    assert visit.status_changed_at is not None
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "status-form" not in page
    with app.app_context():
        changes = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "visit.status_changed")
            .order_by(AuditEvent.id)
        ).all()
    assert changes == ['{"from": "booked", "to": "arrived"}',
                       '{"from": "arrived", "to": "completed"}']


@pytest.mark.parametrize(("status", "label"), [("cancelled", "Cancelled"),
                                               ("no_show", "No-show")])
def test_cancelling_or_a_no_show_needs_a_reason(app, client, signed_in, make_user, make_visit,
                                                status, label):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST))
    page = _change(client, app, visit_id, status, "  ", follow_redirects=True)
    assert _visit(app, visit_id).status == "booked"
    assert "Say why, e.g. the client called in sick." in page.get_data(as_text=True)
    _change(client, app, visit_id, status, "Flu")
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f"{label}: Flu" in page


def test_a_finished_visit_does_not_go_back(app, client, signed_in, make_user, make_visit):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST))
    _change(client, app, visit_id, "no_show", "Did not come")
    page = _change(client, app, visit_id, "arrived", follow_redirects=True)
    assert "A no-show visit cannot be marked arrived." in page.get_data(as_text=True)
    page = _change(client, app, visit_id, "teleported", follow_redirects=True)
    assert "A no-show visit cannot be marked teleported." in page.get_data(as_text=True)
    assert _visit(app, visit_id).status == "no_show"


def test_a_change_made_from_an_old_page_is_refused(app, client, signed_in, make_user,
                                                  make_visit):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST))
    seen = _visit(app, visit_id).version
    _change(client, app, visit_id, "arrived", version=seen)
    page = _change(client, app, visit_id, "cancelled", "Left", version=seen,
                   follow_redirects=True).get_data(as_text=True)
    assert _visit(app, visit_id).status == "arrived"
    assert "Someone changed this visit a moment ago: it is now arrived." in page


def test_therapists_change_only_their_own_visits(app, client, make_user, make_visit):
    mine, theirs = make_user(Role.THERAPIST), make_user(Role.THERAPIST)
    visit_id = make_visit(theirs)
    sign_in(client, mine)
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "status-form" not in page  # reading is allowed, changing is not offered
    assert _change(client, app, visit_id, "arrived").status_code == 403
    own = make_visit(mine, at=time(15))
    assert _change(client, app, own, "arrived").status_code == 302
    assert _visit(app, own).status == "arrived"


def test_reception_marks_an_arrival_from_the_front_desk(app, client, signed_in, make_user,
                                                        make_visit, make_client):
    signed_in(Role.RECEPTION)
    visit_id = make_visit(make_user(Role.THERAPIST, name="Maya Okafor"),
                          client_id=make_client(first_name="Jane", last_name="Doyle"))
    home = client.get("/").get_data(as_text=True)
    assert "Jane Doyle" in home and "with Maya Okafor" in home
    response = post_form(client, f"/visits/{visit_id}/status",
                         {"status": "arrived", "version": _visit(app, visit_id).version,
                          "back": "/"})
    assert response.headers["Location"] == "/"
    assert _visit(app, visit_id).status == "arrived"


def test_an_unknown_visit_is_not_found(client, signed_in):
    signed_in(Role.RECEPTION)
    assert client.get("/visits/424242").status_code == 404
    assert post_form(client, "/visits/424242/status", {"status": "arrived"}).status_code == 404
