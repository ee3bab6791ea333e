"""The therapist builds a handout from a visit: pre-selected, adjusted without any script,
previewed as the client will see it, and generated once into a stored PDF."""

import hashlib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic.aftercare.models import Handout, Technique
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.clients import page as client_page_module
from clinic.extensions import db
from clinic.invoices import services as invoice_services
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.conftest import post_form, sign_in


def page_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def order(response) -> list[int]:
    """The builder's chosen techniques, in order, as its hidden field carries them."""
    found = re.search(r'name="order" value="([^"]*)"', response.get_data(as_text=True))
    return [int(part) for part in found.group(1).split()]


def handouts(app) -> list[Handout]:
    with app.app_context():
        found = list(db.session.scalars(select(Handout).order_by(Handout.id)))
        for handout in found:
            handout.pdf  # noqa: B018 (load the deferred bytes before leaving the session)
        db.session.expunge_all()
        return found


def generate(client, visit_id: int, ids: list[int], note: str = "", **extra):
    return post_form(client, f"/visits/{visit_id}/aftercare", {
        "technique": [str(i) for i in ids], "order": " ".join(map(str, ids)),
        "personal_note": note, "action": "generate", **extra})


def test_the_builder_preselects_from_intake_and_plan_and_shows_what_is_ruled_out(
    app, client, session_visit
):
    made = session_visit()
    sign_in(client, made.therapist)
    response = client.get(f"/visits/{made.visit_id}/aftercare")
    assert response.status_code == 200
    techniques = made.techniques
    assert order(response) == [techniques["jaw-release"], techniques["skull-base-release"],
                               techniques["puffiness-drainage"]]
    text = page_text(response)
    assert "For: Teeth grinding or clenching, the treatment plan" in text
    # Botox in the forehead five days ago: the plan's sinus massage is left out, with why.
    excluded = text[text.index("Left out for this client"):]
    assert "Pressure points for sinus congestion and headaches would have been chosen" in excluded
    assert "Injections, fillers or Botox on" in excluded
    assert "Smoothing strokes for forehead and cheeks" in excluded
    # The preview speaks to the client by first name.
    assert "Home care for Jane" in text
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "intake.viewed")).detail == (
            '{"version": 1, "view": "aftercare builder"}')


def test_techniques_are_added_removed_and_reordered_with_plain_buttons(
    client, session_visit
):
    made = session_visit()
    jaw, skull, lift = (made.techniques[slug] for slug in
                        ("jaw-release", "skull-base-release", "neck-jawline-lift"))
    sign_in(client, made.therapist)
    url = f"/visits/{made.visit_id}/aftercare"
    # Tick one more: it joins at the end.
    response = post_form(client, url, {"technique": [str(jaw), str(skull), str(lift)],
                                       "order": f"{jaw} {skull}", "action": "preview"})
    assert order(response) == [jaw, skull, lift]
    # Move it up.
    response = post_form(client, url, {"technique": [str(jaw), str(skull), str(lift)],
                                       "order": f"{jaw} {skull} {lift}", "move": f"up:{lift}"})
    assert order(response) == [jaw, lift, skull]
    # A move or an order naming no technique ("²" is a digit int() refuses) changes nothing.
    response = post_form(client, url, {"technique": [str(jaw), str(skull), str(lift)],
                                       "order": f"{jaw} {lift} {skull} ²", "move": "up:²"})
    assert order(response) == [jaw, lift, skull]
    preview = page_text(response)
    assert (preview.index("1. Jaw release") < preview.index("2. Lifting strokes")
            < preview.index("3. Release at the base of the skull"))
    # Untick the jaw: it leaves the handout and is offered under "Add more".
    response = post_form(client, url, {"technique": [str(lift), str(skull)],
                                       "order": f"{jaw} {lift} {skull}", "action": "preview"})
    assert order(response) == [lift, skull]
    assert "1. Lifting strokes" in page_text(response)
    assert re.search(rf'<input type="checkbox" name="technique" value="{jaw}" '
                     rf'id="technique-{jaw}">', response.get_data(as_text=True))


def test_generate_stores_the_pdf_with_its_hash_and_what_it_was_built_from(
    app, client, session_visit
):
    made = session_visit()
    jaw, skull = made.techniques["jaw-release"], made.techniques["skull-base-release"]
    sign_in(client, made.therapist)
    response = generate(client, made.visit_id, [skull, jaw], "Keep your jaw loose at work.")
    (handout,) = handouts(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/handouts/{handout.id}"
    assert handout.pdf.startswith(b"%PDF-")
    assert handout.pdf_sha256 == hashlib.sha256(handout.pdf).hexdigest()
    assert [t["slug"] for t in handout.techniques] == ["skull-base-release", "jaw-release"]
    assert handout.techniques[1]["steps"][0].startswith("Hold a warm cloth")
    assert handout.personal_note == "Keep your jaw loose at work."
    assert handout.client_id == made.client_id and handout.therapist_id == made.therapist.id
    assert handout.built_by_id == made.therapist.id
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "handout.created"))
        assert event.object_id == str(handout.id)


def test_the_stored_pdf_is_served_byte_for_byte_even_after_the_library_changes(
    app, client, session_visit
):
    made = session_visit()
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    (handout,) = handouts(app)
    first = client.get(f"/handouts/{handout.id}.pdf")
    assert first.data == handout.pdf
    assert first.headers["Content-Type"] == "application/pdf"
    assert first.headers["Content-Disposition"] == (
        f'inline; filename="home-care-{date.today().isoformat()}-{handout.id}.pdf"')
    assert first.headers["Cache-Control"] == "no-store"
    with app.app_context():
        jaw = db.session.get(Technique, made.techniques["jaw-release"])
        jaw.title, jaw.steps = "Renamed", ["Something else entirely."]
        db.session.commit()
    assert client.get(f"/handouts/{handout.id}.pdf").data == handout.pdf
    assert handouts(app)[0].techniques[0]["title"] == "Jaw release for clenching and grinding"
    with app.app_context():
        downloads = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "handout.downloaded"))
    assert downloads == 2


@pytest.mark.parametrize("role", [Role.ADMIN, Role.RECEPTION])
def test_staff_may_download_and_the_admin_may_build(app, client, make_user, session_visit,
                                                   role):
    made = session_visit()
    member = make_user(role)
    sign_in(client, member)
    build = client.get(f"/visits/{made.visit_id}/aftercare")
    assert build.status_code == (200 if role == Role.ADMIN else 403)
    if role == Role.ADMIN:
        assert generate(client, made.visit_id, [made.techniques["jaw-release"]]).status_code == 302
        assert handouts(app)[0].built_by_id == member.id
        assert client.get(f"/handouts/{handouts(app)[0].id}.pdf").status_code == 200


def test_another_therapist_cannot_build_for_someone_else_s_visit(
    app, client, make_user, session_visit
):
    made = session_visit()
    sign_in(client, make_user(Role.THERAPIST))
    assert client.get(f"/visits/{made.visit_id}/aftercare").status_code == 403
    assert generate(client, made.visit_id, [made.techniques["jaw-release"]]).status_code == 403
    assert handouts(app) == []


def test_unknown_visits_and_handouts_are_not_found(client, signed_in):
    signed_in(Role.ADMIN)
    assert client.get("/visits/9999/aftercare").status_code == 404
    assert client.get("/handouts/9999").status_code == 404
    assert client.get("/handouts/9999.pdf").status_code == 404
    assert post_form(client, "/handouts/9999/email").status_code == 404


def test_a_ruled_out_technique_cannot_be_posted_into_a_handout(app, client, session_visit):
    made = session_visit()
    sign_in(client, made.therapist)
    sinus = made.techniques["sinus-pressure"]
    response = generate(client, made.visit_id, [made.techniques["jaw-release"], sinus])
    assert response.status_code == 400
    assert ("“Pressure points for sinus congestion and headaches” is ruled out for this "
            "client: Injections, fillers or Botox on") in page_text(response)
    assert handouts(app) == []


@pytest.mark.parametrize(("ids", "note", "message"), [
    ([], "", "Choose at least one technique for the handout."),
    (["jaw-release", "skull-base-release", "neck-jawline-lift", "puffiness-drainage",
      "smoothing-strokes"], "", "Choose at most 3 techniques"),
    (["jaw-release"], "x" * 601, "Keep the note to 600 characters."),
    ([9999], "", "A technique you chose has left the library."),
])
def test_a_handout_that_cannot_be_made_says_why_and_stores_nothing(
    app, client, make_user, make_client, make_intake, session_visit, ids, note, message
):
    client_id = make_client(first_name="Ann")
    make_intake(client_id, fine_lines="Forehead.")
    made = session_visit(client_id=client_id)
    sign_in(client, made.therapist)
    ids = [made.techniques.get(i, i) for i in ids]
    response = generate(client, made.visit_id, ids, note)
    assert response.status_code == 400
    assert message in page_text(response)
    assert handouts(app) == []


def test_a_cancelled_visit_has_no_handout(app, client, make_user, make_visit, standard_library):
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist)
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        visit.status = "cancelled"
        db.session.commit()
    sign_in(client, therapist)
    response = client.get(f"/visits/{visit_id}/aftercare", follow_redirects=True)
    assert "This visit was cancelled: there is nothing to hand out." in page_text(response)


def test_the_visit_page_links_the_builder_and_lists_the_visit_s_handouts(
    app, client, make_user, session_visit
):
    made = session_visit()
    sign_in(client, made.therapist)
    page = page_text(client.get(f"/visits/{made.visit_id}"))
    assert "Aftercare handout" in page and "Build the aftercare handout" in page
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    page = client.get(f"/visits/{made.visit_id}").get_data(as_text=True)
    assert f'href="/handouts/{handouts(app)[0].id}"' in page
    assert "Build another handout" in page
    desk = app.test_client()
    sign_in(desk, make_user(Role.RECEPTION))
    page = page_text(desk.get(f"/visits/{made.visit_id}"))
    assert "Not delivered" in page and "Print" in page
    assert "Build" not in page


def test_the_next_visit_shows_the_last_handout_s_techniques(app, client, session_visit):
    made = session_visit(day=date.today() - timedelta(days=14))
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    later = session_visit(client_id=made.client_id, therapist=made.therapist)
    for where in (f"/visits/{later.visit_id}", f"/visits/{later.visit_id}/note"):
        page = page_text(client.get(where))
        assert re.search(r"Last handout \(\d+ \w+ \d{4}\): Jaw release for clenching and "
                         r"grinding\. Ask how the home care went\.", page), where
    # The earlier handout is named, not listed among this visit's own.
    generate(client, later.visit_id, [made.techniques["skull-base-release"]])
    earlier, own = handouts(app)
    page = client.get(f"/visits/{later.visit_id}").get_data(as_text=True)
    assert f'href="/handouts/{own.id}"' in page and f'href="/handouts/{earlier.id}"' not in page


def test_the_visit_page_reads_each_handout_addendum_and_condition_once(
    app, client, session_visit
):
    """The page reads the visit with everything it shows in one statement, a line for each
    combination of handout, addendum and ticked condition: each is still shown once."""
    earlier = session_visit(day=date.today() - timedelta(days=14))
    sign_in(client, earlier.therapist)
    generate(client, earlier.visit_id, [earlier.techniques["jaw-release"]])
    made = session_visit(client_id=earlier.client_id, therapist=earlier.therapist)
    for technique in ("jaw-release", "skull-base-release"):
        generate(client, made.visit_id, [made.techniques[technique]])
    with app.app_context():
        therapist = db.session.get(User, made.therapist.id)
        visit = db.session.get(Visit, made.visit_id)
        visit_services.sign(visit, therapist, {"subjective": "Sore jaw.", "assessment": "Release."},
                            visit_services.get_note(visit).version)
        for reason in ("First correction", "Second correction"):
            visit_services.add_addendum(visit, therapist, reason, "Left side, not right.")
        visit_services.change_status(visit, "completed", "", therapist, visit.version)
        invoice, _ = invoice_services.draft_from_visit(made.visit_id, therapist.id)
        invoice_id = invoice.id
    earlier_handout, *own = handouts(app)
    page = client.get(f"/visits/{made.visit_id}").get_data(as_text=True)
    for handout in own:
        assert page.count(f'href="/handouts/{handout.id}"') == 1
    assert f'href="/handouts/{earlier_handout.id}"' not in page
    assert page_text(client.get(f"/visits/{made.visit_id}")).count("Last handout") == 1
    assert page.count("Reason: First correction") == page.count("Reason: Second correction") == 1
    assert page.count("Teeth grinding") == 1
    assert page.count(f'href="/invoices/{invoice_id}"') == 1


def test_the_client_page_shows_the_latest_handout_and_links_to_all(
    app, client, session_visit, monkeypatch
):
    monkeypatch.setattr(client_page_module, "LATEST", 1)
    made = session_visit()
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    generate(client, made.visit_id, [made.techniques["skull-base-release"]])
    first, second = handouts(app)
    page = client.get(f"/clients/{made.client_id}").get_data(as_text=True)
    section = page[page.index('id="handouts-heading"'):]
    assert f'href="/handouts/{second.id}"' in section
    assert f'href="/handouts/{first.id}"' not in section
    assert f'<a href="/clients/{made.client_id}/handouts">All 2 handouts</a>' in section
    every = client.get(f"/clients/{made.client_id}/handouts").get_data(as_text=True)
    assert f'href="/handouts/{first.id}"' in every and f'href="/handouts/{second.id}"' in every


def test_the_client_page_lists_the_handouts_given(app, client, session_visit):
    made = session_visit()
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    page = client.get(f"/clients/{made.client_id}").get_data(as_text=True)
    (handout,) = handouts(app)
    section = page[page.index('id="handouts-heading"'):]
    assert f'href="/handouts/{handout.id}"' in section
    assert "Jaw release" in section and "Not delivered" in section
