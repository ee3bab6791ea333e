"""The admin reads, filters and exports the audit log."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from clinic.aftercare.models import Handout
from clinic.audit import services as audit
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.types import utcnow
from tests.aftercare.conftest import (  # noqa: F401 (fixtures)
    make_client,
    make_intake,
    make_visit,
    session_visit,
    standard_library,
)
from tests.aftercare.test_builder import generate
from tests.conftest import post_form, recorded_statements, sign_in


def add_events(app, count: int, action: str = "client.viewed", **fields) -> None:
    with app.app_context():
        for n in range(count):
            audit.record(action, "client", n, **fields)
        db.session.commit()


def test_sign_ins_and_failures_are_listed_with_who_and_from_where(app, client, make_user):
    member = make_user(Role.RECEPTION)
    post_form(client, "/login", {"email": member.email, "password": "wrong one, sorry"},
              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    admin = make_user(Role.ADMIN)
    post_form(client, "/login", {"email": admin.email, "password": admin.password})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "login.failed" in page and "192.0.2.7" in page
    assert f"{admin.name} &lt;{admin.email}&gt;" in page


def test_filters_by_action_staff_member_and_date(app, client, signed_in, make_user):
    admin = signed_in(Role.ADMIN)
    other = make_user(Role.THERAPIST)
    add_events(app, 2, "note.viewed", actor_id=other.id)
    add_events(app, 3, "client.viewed", actor_id=admin.id)
    page = client.get("/admin/audit", query_string={"action": "note.viewed"}).get_data(
        as_text=True
    )
    assert page.count("<code>note.viewed</code>") == 2
    assert "<code>client.viewed</code>" not in page
    page = client.get("/admin/audit", query_string={"actor": other.id}).get_data(as_text=True)
    assert page.count("<code>note.viewed</code>") == 2
    assert "<code>login.succeeded</code>" not in page
    with app.app_context():
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "note.viewed")
            .values(occurred_at=utcnow() - timedelta(days=3))
        )
        db.session.commit()
    today = utcnow().date().isoformat()
    page = client.get("/admin/audit", query_string={"date_from": today}).get_data(as_text=True)
    assert "<code>note.viewed</code>" not in page and "<code>client.viewed</code>" in page


def test_the_action_filter_offers_each_action_on_record_once_in_order(app, client, signed_in):
    signed_in(Role.ADMIN)  # on record as login.succeeded
    add_events(app, 3, "note.viewed")
    add_events(app, 2, "client.viewed")
    page = client.get("/admin/audit").get_data(as_text=True)
    choices = page[page.index('name="action"'):]
    choices = choices[:choices.index("</select>")]
    assert re.findall(r'<option[^>]* value="([^"]*)"', choices) == [
        "", "client.viewed", "login.succeeded", "note.viewed"]


def test_times_are_on_the_clinic_s_clock_and_dates_on_its_calendar(
    app, client, signed_in, in_halifax
):
    signed_in(Role.ADMIN)
    add_events(app, 1, "note.viewed")
    # 02:30 UTC on 10 March is still 9 March in Halifax (23:30, Atlantic Daylight Time).
    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.action == "note.viewed")
                           .values(occurred_at=datetime(2026, 3, 10, 2, 30, tzinfo=UTC)))
        db.session.commit()
    on_the_9th = client.get("/admin/audit", query_string={
        "date_from": "2026-03-09", "date_to": "2026-03-09"}).get_data(as_text=True)
    assert "2026-03-09 23:30:00 ADT</time>" in on_the_9th
    on_the_10th = client.get("/admin/audit", query_string={
        "date_from": "2026-03-10", "date_to": "2026-03-10"}).get_data(as_text=True)
    assert "<code>note.viewed</code>" not in on_the_10th


def test_a_bad_date_is_shown_next_to_its_field(client, signed_in):
    signed_in(Role.ADMIN)
    response = client.get("/admin/audit", query_string={"date_from": "31/31/2026"})
    assert response.status_code == 200
    assert 'id="date_from-error"' in response.get_data(as_text=True)


def test_long_logs_come_a_page_at_a_time_in_a_fixed_number_of_queries(app, client, signed_in):
    signed_in(Role.ADMIN)
    add_events(app, 120)
    with recorded_statements(app) as statements:
        first = client.get("/admin/audit").get_data(as_text=True)
    assert first.count("<code>") == 50
    assert len(statements) <= 8, statements
    with app.app_context():
        tenth_oldest = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[9]
    older = client.get("/admin/audit", query_string={"before": tenth_oldest}).get_data(
        as_text=True
    )
    assert older.count("<code>") == 9
    assert "Older events" not in older


def test_csv_export_has_every_matching_event_defused_for_spreadsheets(app, client, signed_in):
    signed_in(Role.ADMIN)
    add_events(app, 70)
    add_events(app, 1, "client.viewed", detail={"note": "=HYPERLINK(\"http://x\")"})
    response = client.get("/admin/audit.csv", query_string={"action": "client.viewed"})
    body = response.get_data(as_text=True)
    response.close()
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["id", "occurred_at_utc", "actor", "action"]
    assert len(rows) == 1 + 71
    assert all(row[3] == "client.viewed" for row in rows[1:])
    with app.app_context():
        exported = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "audit.exported")
        )
        assert exported is not None and "client.viewed" in exported.detail


def test_an_export_longer_than_one_download_holds_asks_for_fewer_days(
    app, client, signed_in, monkeypatch
):
    signed_in(Role.ADMIN)
    monkeypatch.setattr(audit, "EXPORT_LIMIT", 5)
    add_events(app, 4, "note.viewed")
    add_events(app, 3, "client.viewed")
    response = client.get("/admin/audit.csv", query_string={"date_from": "2026-01-01"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/audit?date_from=2026-01-01"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # The seven and the admin's sign-in.
    assert "These are 8 events, and one download holds 5 at most." in page
    response = client.get("/admin/audit.csv", query_string={"action": "note.viewed"})
    body = response.get_data(as_text=True)
    response.close()
    assert response.mimetype == "text/csv" and len(body.splitlines()) == 1 + 4
    with app.app_context():
        exports = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "audit.exported")).all()
    assert len(exports) == 1 and "note.viewed" in exports[0]


def test_cells_that_look_like_formulas_are_quoted(app, client, signed_in):
    signed_in(Role.ADMIN)
    add_events(app, 1, "client.viewed")
    with app.app_context():
        db.session.execute(update(AuditEvent).values(object_id="=1+2"))
        db.session.commit()
    response = client.get("/admin/audit.csv")
    body = response.get_data(as_text=True)
    response.close()
    assert "'=1+2" in body


def client_trail_export(client, client_id: int) -> list[dict]:
    response = client.get("/admin/audit.csv", query_string={"client": client_id})
    body = response.get_data(as_text=True)
    response.close()
    return list(csv.DictReader(io.StringIO(body)))


def look_at_everything(app, client, made) -> str:
    """As the therapist: the intake, the visit with its note, and a handout downloaded.
    Returns the handout's id."""
    sign_in(client, made.therapist)
    assert client.get(f"/clients/{made.client_id}/intakes/1").status_code == 200
    assert client.get(f"/visits/{made.visit_id}").status_code == 200
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    with app.app_context():
        handout_id = db.session.scalar(
            select(Handout.id).where(Handout.visit_id == made.visit_id)
        )
    assert client.get(f"/handouts/{handout_id}.pdf").status_code == 200
    post_form(client, "/logout")
    return str(handout_id)


def test_a_clients_audit_trail_has_their_records_seen_and_no_one_elses(
    app, client, make_user, make_client, make_intake, session_visit  # noqa: F811
):
    jane = session_visit()
    olive_id = make_client(first_name="Olive", last_name="Marsh")
    make_intake(olive_id, teeth_grinding="Days.")
    olive = session_visit(client_id=olive_id, therapist=jane.therapist,
                          day=date.today() - timedelta(days=1))
    janes_handout = look_at_everything(app, client, jane)
    olives_handout = look_at_everything(app, client, olive)

    sign_in(client, make_user(Role.ADMIN))
    client_page = client.get(f"/clients/{jane.client_id}").get_data(as_text=True)
    assert f'href="/admin/audit?client={jane.client_id}">Audit trail</a>' in client_page
    trail = client.get("/admin/audit", query_string={"client": jane.client_id})
    page = trail.get_data(as_text=True)
    for action in ("intake.viewed", "note.viewed", "handout.downloaded"):
        assert f"<code>{action}</code>" in page, action
    assert "Jane Fairweather" in page and "Olive Marsh" not in page

    rows = client_trail_export(client, jane.client_id)
    assert {row["client_id"] for row in rows} == {str(jane.client_id)}
    assert {row["client"] for row in rows} == {"Jane Fairweather"}
    seen = {(row["action"], row["object_type"], row["object_id"]) for row in rows}
    assert ("intake.viewed", "client", str(jane.client_id)) in seen
    assert ("handout.downloaded", "handout", janes_handout) in seen
    assert any(action == "note.viewed" for action, _, _ in seen)
    assert ("handout.downloaded", "handout", olives_handout) not in seen
    olive_rows = client_trail_export(client, olive.client_id)
    assert {row["client_id"] for row in olive_rows} == {str(olive.client_id)}
    assert ("handout.downloaded", "handout", olives_handout) in {
        (row["action"], row["object_type"], row["object_id"]) for row in olive_rows
    }


def test_only_the_admin_is_offered_a_clients_audit_trail(
    client, signed_in, make_client  # noqa: F811
):
    client_id = make_client()
    signed_in(Role.THERAPIST)
    assert "Audit trail" not in client.get(f"/clients/{client_id}").get_data(as_text=True)


def test_a_client_number_that_is_not_one_is_shown_next_to_its_field(client, signed_in):
    signed_in(Role.ADMIN)
    for bad in ("jane", "0", "99999999999999999999"):
        response = client.get("/admin/audit", query_string={"client": bad})
        assert response.status_code == 200
        assert 'id="client-error"' in response.get_data(as_text=True), bad
