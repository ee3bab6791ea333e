"""The intake form at the desk: versions, what changed, who may read it, and the audit trail."""

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.clients import services
from clinic.clients.models import Intake
from clinic.extensions import db
from clinic.paging import LATEST
from clinic.types import utcnow
from tests.conftest import post_form


def page_text(response) -> str:
    return response.get_data(as_text=True)


def intake_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Intake))


def desk_answers(**extra) -> dict:
    return {
        "email": "robin@example.org",
        "reason": "Jaw aches in the morning",
        "teeth_grinding": "y",
        "teeth_grinding_detail": "at night, no guard",
        "headaches": "y",
        "headache_kind": "migraine",
        "headache_frequency": "weekly",
        "pressure": "medium",
        "consent_version": "1",
        "agree": "y",
        "signature": "Robin Client",
        **extra,
    }


def health_views(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "intake.viewed").order_by(AuditEvent.id)
        )
        return [{"actor": row.actor_id, **json.loads(row.detail)} for row in rows]


def test_a_therapist_fills_the_intake_at_the_desk_and_it_becomes_current(
    client, signed_in, make_client
):
    client_id = make_client(email="robin@example.org")
    signed_in(Role.THERAPIST)
    form = page_text(client.get(f"/clients/{client_id}/intakes/new"))
    assert "Teeth grinding or clenching" in form and "Consent" in form
    response = post_form(client, f"/clients/{client_id}/intakes/new", desk_answers())
    assert response.status_code == 302
    page = page_text(client.get(f"/clients/{client_id}"))
    assert "Current: version 1" in page
    intake = page_text(client.get(f"/clients/{client_id}/intakes/1"))
    assert "This is the current intake" in intake
    assert "at night, no guard" in intake
    assert "Migraine, every week" in intake
    assert "Signed “Robin Client”" in intake


def test_consent_and_a_typed_signature_are_required_and_nothing_is_saved(
    app, client, signed_in, make_client
):
    client_id = make_client(email="robin@example.org")
    signed_in(Role.ADMIN)
    response = post_form(client, f"/clients/{client_id}/intakes/new",
                         desk_answers(agree="", signature=""))
    page = page_text(response)
    assert "Tick the box to agree to the consent." in page
    assert "Type your full name to sign." in page
    assert intake_count(app) == 0


def test_a_treatment_date_in_the_future_is_refused(app, client, signed_in, make_client):
    client_id = make_client(email="robin@example.org")
    signed_in(Role.THERAPIST)
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    response = post_form(client, f"/clients/{client_id}/intakes/new",
                         desk_answers(injections="y", injections_date=tomorrow))
    assert "This date is in the future." in page_text(response)
    assert intake_count(app) == 0


def test_an_intake_sent_late_in_the_evening_is_dated_on_the_clinic_s_calendar(
    app, client, signed_in, make_client, make_intake, in_halifax
):
    client_id = make_client()
    make_intake(client_id, teeth_grinding="")
    with app.app_context():
        # 22:30 in Halifax on 3 March is 02:30 on 4 March in UTC, as it is stored.
        db.session.execute(update(Intake).values(
            submitted_at=datetime(2026, 3, 4, 2, 30, tzinfo=UTC)))
        db.session.commit()
    signed_in(Role.THERAPIST)
    page = page_text(client.get(f"/clients/{client_id}"))
    assert "version 1, 3 March 2026." in page and "4 March 2026" not in page
    assert "This is the current intake, sent 3 March 2026 at the desk" in page_text(
        client.get(f"/clients/{client_id}/intakes/1"))


def test_the_client_page_reads_each_version_with_its_own_ticked_boxes(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, teeth_grinding="at night", sinus="")
    make_intake(client_id)  # nothing ticked
    make_intake(client_id, blood_thinners="warfarin")
    signed_in(Role.THERAPIST)
    page = page_text(client.get(f"/clients/{client_id}"))
    assert page.index(">Version 3<") < page.index(">Version 2<") < page.index(">Version 1<")
    # Compared with the version before it, which had nothing ticked.
    assert "New: Blood thinners (warfarin)" in page and "No longer" not in page
    assert "Current: version 3" in page


def test_the_client_page_lists_the_newest_versions_and_links_to_every_one(
    client, signed_in, make_client, make_intake, monkeypatch
):
    monkeypatch.setattr(services, "PER_PAGE", 5)
    client_id = make_client()
    make_intake(client_id, teeth_grinding="at night")
    for _ in range(LATEST + 1):
        make_intake(client_id)
    make_intake(client_id, blood_thinners="warfarin")
    newest = LATEST + 3
    signed_in(Role.THERAPIST)
    page = page_text(client.get(f"/clients/{client_id}"))
    listed = [int(n) for n in re.findall(r">Version (\d+)</a>", page)]
    assert listed == list(range(newest, newest - LATEST, -1))
    assert f"Current: version {newest}" in page
    assert "New: Blood thinners (warfarin)" in page  # still compared with the one before
    every = re.search(r'href="([^"]+)">All (\d+) versions</a>', page)
    assert every.group(2) == str(newest)
    first = page_text(client.get(every.group(1)))
    assert re.findall(r">Version (\d+)</a>,[^<]*?(\(current\))?</li>", first)[:2] == [
        (str(newest), "(current)"), (str(newest - 1), "")]
    last = page_text(client.get(every.group(1) + "?page=3"))
    assert re.findall(r">Version (\d+)</a>", last) == ["3", "2", "1"]
    assert "(current)" not in last and f"Page 3 of 3 ({newest} intake versions)" in last


def test_a_new_version_keeps_the_old_one_read_only_and_says_what_changed(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, teeth_grinding="", pressure="firm")
    make_intake(client_id, blood_thinners="warfarin", pressure="light", headaches="",
                headache_kind="tension")
    signed_in(Role.THERAPIST)
    page = page_text(client.get(f"/clients/{client_id}"))
    assert "Current: version 2" in page
    assert "New: Blood thinners (warfarin)" in page
    assert "No longer: Teeth grinding or clenching" in page
    assert "Changed: pressure preference" in page
    assert "kind of headache" not in page
    old = page_text(client.get(f"/clients/{client_id}/intakes/1"))
    assert "An older version, kept read-only" in old
    assert "<form method=\"post\"" not in old.split("<main", 1)[1]
    assert "Teeth grinding or clenching" in old and "warfarin" not in old
    assert "New: Blood thinners" not in old  # the first version has none before it
    newest = page_text(client.get(f"/clients/{client_id}/intakes/2"))
    assert "New: Blood thinners (warfarin)" in newest and "No longer: Teeth grinding" in newest
    assert client.get(f"/clients/{client_id}/intakes/3").status_code == 404


def test_a_middle_version_is_compared_with_the_one_before_it_and_the_form_starts_from_the_last(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, teeth_grinding="", areas_to_avoid="left eye")
    make_intake(client_id, teeth_grinding="", blood_thinners="warfarin", areas_to_avoid="left eye")
    make_intake(client_id, sinus="", areas_to_avoid="right shoulder")
    signed_in(Role.THERAPIST)
    middle = page_text(client.get(f"/clients/{client_id}/intakes/2"))
    assert "An older version, kept read-only" in middle
    assert "New: Blood thinners (warfarin)" in middle
    assert "No longer: Teeth grinding" not in middle  # that went only in version 3
    last = page_text(client.get(f"/clients/{client_id}/intakes/3"))
    assert "An older version" not in last and "No longer: Teeth grinding" in last
    form = page_text(client.get(f"/clients/{client_id}/intakes/new"))
    assert "right shoulder</textarea>" in form and "left eye</textarea>" not in form


def test_the_desk_form_starts_from_the_current_answers(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, allergy_nut_oils="almond", areas_to_avoid="left eye")
    signed_in(Role.THERAPIST)
    form = page_text(client.get(f"/clients/{client_id}/intakes/new"))
    assert 'id="allergy_nut_oils" name="allergy_nut_oils" type="checkbox" value="y"' in form
    assert 'value="almond"' in form
    assert "left eye</textarea>" in form


def test_the_therapist_sees_the_precautions_at_the_top_of_the_client_page(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, blood_thinners="warfarin", skin_infection="cold sore")
    signed_in(Role.THERAPIST)
    page = page_text(client.get(f"/clients/{client_id}"))
    banner = page[page.index('<section class="precautions"'): page.index('<div class="grid">')]
    assert banner.index("Do not treat today") < banner.index("Light pressure only")
    assert "Client wrote: “warfarin”" in banner


def test_reception_sees_that_precautions_exist_but_not_what_they_are(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, blood_thinners="warfarin", teeth_grinding="at night")
    signed_in(Role.RECEPTION)
    page = page_text(client.get(f"/clients/{client_id}"))
    assert "This client has precautions on file" in page
    assert "Current: version 1" in page
    for secret in ("warfarin", "Blood thinners", "Light pressure", "Teeth grinding", "at night"):
        assert secret not in page
    assert client.get(f"/clients/{client_id}/intakes/1").status_code == 403
    assert client.get(f"/clients/{client_id}/intakes/new").status_code == 403


def test_every_view_of_health_answers_is_in_the_audit_log(
    app, client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, sinus="")
    therapist = signed_in(Role.THERAPIST)
    client.get(f"/clients/{client_id}")
    client.get(f"/clients/{client_id}/intakes/1")
    client.get(f"/clients/{client_id}/intakes/new")
    views = health_views(app)
    assert [view["view"] for view in views] == ["client page", "intake", "desk form"]
    assert {view["actor"] for view in views} == {therapist.id}
    assert {view["version"] for view in views} == {1}


def test_reception_opening_the_client_page_reads_no_health_answers(
    app, client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, sinus="")
    signed_in(Role.RECEPTION)
    client.get(f"/clients/{client_id}")
    assert health_views(app) == []


def test_an_intake_older_than_twelve_months_asks_for_an_update(
    app, client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, neck_tension="")
    with app.app_context():
        db.session.execute(update(Intake).values(submitted_at=utcnow() - timedelta(days=400)))
        db.session.commit()
    signed_in(Role.RECEPTION)
    assert "Older than 12 months" in page_text(client.get(f"/clients/{client_id}"))


def test_new_consent_wording_is_a_new_version_and_old_intakes_keep_theirs(
    client, signed_in, make_client, make_intake
):
    client_id = make_client()
    make_intake(client_id, puffiness="")
    signed_in(Role.ADMIN)
    response = post_form(client, "/clients/consent", {"body": "New wording, version two."})
    assert response.status_code == 302
    assert "now version 2" in page_text(client.get("/clients/consent"))
    assert "New wording, version two." in page_text(client.get(f"/clients/{client_id}/intakes/new"))
    old = page_text(client.get(f"/clients/{client_id}/intakes/1"))
    assert "consent wording version 1" in old and "New wording" not in old


def test_a_form_signed_against_old_consent_wording_is_refused(
    app, client, signed_in, make_client
):
    client_id = make_client(email="robin@example.org")
    signed_in(Role.ADMIN)
    post_form(client, "/clients/consent", {"body": "Changed while the form was open."})
    response = post_form(client, f"/clients/{client_id}/intakes/new", desk_answers())
    assert "The consent wording has changed" in page_text(response)
    assert intake_count(app) == 0
