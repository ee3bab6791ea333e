"""The technique library: therapists consult it, the admin adds, edits and retires techniques."""

import re

from sqlalchemy import select

from clinic.aftercare import services
from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.models import Technique
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from tests.conftest import post_form, recorded_statements

NEW_TECHNIQUE = {
    "title": "Ear and scalp circles",
    "purpose": "Relaxes the scalp before sleep.",
    "steps": "Spread your fingers over your scalp.\n\n  Make slow circles   for a minute. \n",
    "duration": "1 minute",
    "frequency": "Each evening",
    "cautions": "Stop if it hurts.",
    "conditions": ["headaches", "neck_tension"],
    "areas": ["skull_base", "temples"],
    "illustration": "skull-base-release.svg",
    "illustration_alt": "The back of the head with dots at the base of the skull.",
}


def technique(app, technique_id: int) -> Technique:
    with app.app_context():
        found = db.session.get(Technique, technique_id)
        db.session.expunge(found)
        return found


def test_a_therapist_sees_the_library_with_its_drawings(client, signed_in, standard_library):
    signed_in(Role.THERAPIST)
    page = client.get("/techniques").get_data(as_text=True)
    for standard in STANDARD_TECHNIQUES:
        assert standard.title in page
        assert f"/static/img/techniques/{standard.slug}.svg" in page
    assert "Add a technique" not in page
    assert "Add the standard techniques" not in page


def test_a_technique_page_shows_steps_in_order_and_the_drawing_with_its_text_alternative(
    client, signed_in, standard_library
):
    signed_in(Role.THERAPIST)
    page = client.get(f"/techniques/{standard_library['jaw-release']}").get_data(as_text=True)
    jaw = next(s for s in STANDARD_TECHNIQUES if s.slug == "jaw-release")
    positions = [page.index(step.split(":")[0]) for step in jaw.steps]
    assert positions == sorted(positions)
    assert re.search(r'<img src="/static/img/techniques/jaw-release.svg" alt="Front view of a '
                     r"face\. On each side a dashed outline marks the masseter", page)
    assert "Teeth grinding or clenching, Jaw pain or clicking" in page
    assert "Cheeks, Jaw and chin, Temples" in page


def test_an_unknown_technique_is_not_found(client, signed_in):
    signed_in(Role.ADMIN)
    assert client.get("/techniques/9999").status_code == 404
    assert client.get("/techniques/9999/edit").status_code == 404
    assert post_form(client, "/techniques/9999/retire").status_code == 404


def test_the_admin_installs_the_standard_techniques_once(app, client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/techniques").get_data(as_text=True)
    assert "The library is empty." in page
    response = post_form(client, "/techniques/install", follow_redirects=True)
    assert f"Added {len(STANDARD_TECHNIQUES)} standard techniques" in response.get_data(
        as_text=True)
    response = post_form(client, "/techniques/install", follow_redirects=True)
    assert "Added 0 standard techniques" in response.get_data(as_text=True)
    with app.app_context():
        assert len(services.library()) == len(STANDARD_TECHNIQUES)
        created = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "technique.created")).all()
        assert len(created) == len(STANDARD_TECHNIQUES)


def test_installing_again_leaves_the_admin_s_edits_and_retirements_alone(
    app, standard_library
):
    with app.app_context():
        jaw = db.session.get(Technique, standard_library["jaw-release"])
        jaw.title = "Our jaw routine"
        services.set_retired(db.session.get(Technique, standard_library["sinus-pressure"]), True)
        assert services.install_standard_techniques() == 0
        assert services.missing_standard_techniques() == []
        assert db.session.get(Technique, standard_library["jaw-release"]).title == (
            "Our jaw routine")


def test_the_admin_adds_a_technique(app, client, signed_in):
    signed_in(Role.ADMIN)
    response = post_form(client, "/techniques/new", NEW_TECHNIQUE)
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(
            select(Technique).where(Technique.slug == "ear-and-scalp-circles"))
        assert added.steps == ["Spread your fingers over your scalp.",
                               "Make slow circles for a minute."]
        assert added.conditions == ["headaches", "neck_tension"]
        # Kept in the order of the face, whatever order the boxes were sent in.
        assert added.areas == ["temples", "skull_base"]
        assert response.headers["Location"] == f"/techniques/{added.id}"


def test_a_technique_with_problems_is_refused_with_every_message_at_once(app, client, signed_in):
    signed_in(Role.ADMIN)
    bad = {**NEW_TECHNIQUE, "title": "  ", "steps": "\n \n", "areas": [],
           "illustration_alt": "", "frequency": ""}
    page = post_form(client, "/techniques/new", bad).get_data(as_text=True)
    assert "Enter a title" in page
    assert "Write at least one step, one per line." in page
    assert "Tick where it touches" in page
    assert "Describe the drawing for clients who cannot see it" in page
    assert "Say how often" in page
    with app.app_context():
        assert services.library(include_retired=True) == []


def test_only_the_drawings_shipped_with_the_app_can_be_chosen(app, client, signed_in):
    signed_in(Role.ADMIN)
    for name in ("../../clinic/config.py", "https://example.org/face.svg", "missing.svg"):
        page = post_form(client, "/techniques/new", {**NEW_TECHNIQUE, "illustration": name})
        assert "Choose one of the drawings in the list." in page.get_data(as_text=True)
    page = post_form(client, "/techniques/new", {**NEW_TECHNIQUE, "conditions": ["gout"],
                                                 "areas": ["knees"]}).get_data(as_text=True)
    assert "Choose from the intake&#39;s conditions." in page
    assert "Choose from the listed areas." in page


def test_two_techniques_cannot_share_a_title(client, signed_in, standard_library):
    signed_in(Role.ADMIN)
    page = post_form(client, "/techniques/new",
                     {**NEW_TECHNIQUE, "title": "JAW RELEASE for clenching and grinding"})
    assert "Another technique has this title." in page.get_data(as_text=True)


def test_the_admin_edits_a_technique_and_the_change_is_audited(
    app, client, signed_in, standard_library
):
    signed_in(Role.ADMIN)
    jaw_id = standard_library["jaw-release"]
    form = client.get(f"/techniques/{jaw_id}/edit").get_data(as_text=True)
    assert "Hold a warm cloth on your cheeks" in form
    assert re.search(r'value="teeth_grinding"[^>]*checked|checked[^>]*value="teeth_grinding"',
                     form)
    edited = {**NEW_TECHNIQUE, "title": "Jaw release", "version": "1"}
    response = post_form(client, f"/techniques/{jaw_id}/edit", edited)
    assert response.status_code == 302
    saved = technique(app, jaw_id)
    assert saved.title == "Jaw release" and saved.slug == "jaw-release"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "technique.updated"))
        assert '"title"' in event.detail and event.object_id == str(jaw_id)


def test_an_edit_from_a_stale_form_is_refused_not_merged(app, client, signed_in,
                                                        standard_library):
    signed_in(Role.ADMIN)
    jaw_id = standard_library["jaw-release"]
    first = {**NEW_TECHNIQUE, "title": "First edit", "version": "1"}
    assert post_form(client, f"/techniques/{jaw_id}/edit", first).status_code == 302
    second = {**NEW_TECHNIQUE, "title": "Second edit", "version": "1"}
    response = post_form(client, f"/techniques/{jaw_id}/edit", second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this technique while you were editing." in page
    assert 'value="First edit"' in page
    start = page.index("What you typed, not saved")
    typed = page[start:page.index("</dl>", start)]
    assert "Second edit" in typed and "First edit" not in typed
    assert technique(app, jaw_id).title == "First edit"


def test_a_retired_technique_leaves_the_library_and_can_come_back(
    app, client, signed_in, standard_library
):
    signed_in(Role.ADMIN)
    jaw_id = standard_library["jaw-release"]
    response = post_form(client, f"/techniques/{jaw_id}/retire", follow_redirects=True)
    assert "is retired" in response.get_data(as_text=True)
    with app.app_context():
        assert "jaw-release" not in {t.slug for t in services.library()}
    library_page = client.get("/techniques").get_data(as_text=True)
    assert library_page.index("Jaw release") > library_page.index("<h2>Retired</h2>")
    post_form(client, f"/techniques/{jaw_id}/restore")
    with app.app_context():
        assert "jaw-release" in {t.slug for t in services.library()}


def test_the_library_page_costs_the_same_queries_however_many_techniques(
    app, client, signed_in
):
    signed_in(Role.THERAPIST)

    def queries() -> int:
        with recorded_statements(app) as statements:
            assert client.get("/techniques").status_code == 200
        return len(statements)

    empty = queries()
    with app.app_context():
        services.install_standard_techniques()
    assert queries() == empty
