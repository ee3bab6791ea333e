"""Journey 2 in Chromium: book, arrive, write the note from a template, sign, add an addendum.
The schedule, visit and note pages pass axe-core on the way."""

import re
from datetime import date

from playwright.sync_api import expect

from clinic.auth.models import Role
from tests.browser.conftest import assert_accessible, sign_in_through_the_form
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)


def test_book_arrive_write_sign_and_amend_a_note(page, live_server, make_user, make_client,  # noqa: F811
                                                 make_intake):  # noqa: F811
    desk = make_user(Role.RECEPTION)
    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_intake(jane, teeth_grinding="At night", blood_thinners="Warfarin")

    # Reception books today's visit from the schedule.
    sign_in_through_the_form(page, live_server, desk.email, desk.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Maya Okafor")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_label("Find the client by name, email or phone").fill("Doyle")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Book for Jane Doyle").click()
    page.get_by_label("Therapist").select_option(label="Maya Okafor")
    page.get_by_label("Service").fill("TMJ and jaw release")
    page.get_by_label("Date").fill(date.today().isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_role("button", name="Book visit").click()
    assert "Booked Jane Doyle with Maya Okafor." in page.get_by_role("status").first.inner_text()
    # The desk knows there are precautions, not what they are.
    expect(page.get_by_text("This client has precautions on file.")).to_be_visible()
    assert "Warfarin" not in page.content()
    page.get_by_role("button", name="Client arrived").click()
    expect(page.locator(".page-head .badge")).to_have_text("Arrived")
    page.get_by_role("button", name="Sign out").click()

    # The therapist opens today's visit from home and writes the note from a template.
    sign_in_through_the_form(page, live_server, maya.email, maya.password)
    visits = page.get_by_role("region", name="Your visits today")
    expect(visits.get_by_text("Adapt technique")).to_be_visible()
    visits.get_by_role("link", name="Jane Doyle").click()
    warning = "Light pressure only: blood thinners make bruising easy."
    expect(page.get_by_text(warning)).to_be_visible()
    page.get_by_role("link", name="Write the note").click()
    page.get_by_label("Quick template").select_option(label="Jaw / teeth grinding")
    page.get_by_role("button", name="Insert template").click()
    subjective = page.get_by_label("Subjective")
    assert subjective.input_value().startswith("Clenching / grinding")
    subjective.fill("Grinding at night, right jaw sore on waking.")
    page.get_by_label("Assessment and treatment").fill(
        "Masseter release both sides, 10 min, moderate pressure. Jaw felt looser."
    )
    # Saved as she types, without pressing anything.
    status = page.locator("#autosave-status")
    status.filter(has_text=re.compile(r"Draft saved at")).wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text(re.compile(r"Signed by Maya Okafor on .* Locked\."))).to_be_visible()
    expect(page.get_by_text("Grinding at night, right jaw sore on waking.")).to_be_visible()

    # A later correction goes under the signed note.
    page.get_by_label("Reason", exact=True).fill("Correction")
    page.get_by_label("Addendum", exact=True).fill("It was the left side, not the right.")
    page.get_by_role("button", name="Add addendum").click()
    addendum = page.locator(".addendum")
    assert "It was the left side, not the right." in addendum.inner_text()
    assert "Reason: Correction" in addendum.inner_text()
    expect(page.get_by_text("Grinding at night, right jaw sore on waking.")).to_be_visible()
    assert_accessible(page)


def test_the_home_pages_and_week_view_are_accessible(page, live_server, make_user, make_client,  # noqa: F811
                                                     make_intake, app):  # noqa: F811
    from datetime import time

    from clinic.extensions import db
    from clinic.visits import services

    maya = make_user(Role.THERAPIST, name="Maya Okafor")
    desk = make_user(Role.RECEPTION)
    jane = make_client(first_name="Jane", last_name="Doyle")
    make_intake(jane, skin_infection="Cold sore")
    with app.app_context():
        therapist = db.session.get(services.User, maya.id)
        for hour, client_id in ((9, jane), (11, make_client())):
            services.book(services.Booking(client_id, maya.id, "Facial massage", date.today(),
                                           time(hour), 60), therapist)
    sign_in_through_the_form(page, live_server, maya.email, maya.password)
    expect(page.get_by_role("region", name="Your visits today").get_by_text(
        "Do not treat today")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/schedule?view=week")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Schedule: Week of")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in_through_the_form(page, live_server, desk.email, desk.password)
    arrivals = page.get_by_role("region", name="Today's arrivals")
    expect(arrivals.get_by_text("Precautions on file")).to_be_visible()
    assert_accessible(page)
    arrivals.get_by_role("button", name=re.compile(r"^Arrived\W+Jane Doyle$")).click()
    assert "Jane Doyle: arrived." in page.get_by_role("status").first.inner_text()


def test_the_desk_pages_through_everyones_day(page, live_server, make_user, make_client,  # noqa: F811
                                              app):
    from datetime import time

    from clinic.extensions import db
    from clinic.visits import services

    desk = make_user(Role.RECEPTION)
    with app.app_context():
        for hour, name in enumerate(("Ada Lind", "Bea Moss", "Cal Nye", "Dev Ong"), start=9):
            person = make_user(Role.THERAPIST, name=name)
            services.book(services.Booking(make_client(first_name="Client", last_name=name[:3]),
                                           person.id, "Facial massage", date.today(),
                                           time(hour), 60),
                          db.session.get(services.User, person.id))
    sign_in_through_the_form(page, live_server, desk.email, desk.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Cal Nye")).to_be_visible()
    expect(page.get_by_role("heading", name="Dev Ong")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next page").click()
    expect(page.get_by_role("heading", name="Dev Ong")).to_be_visible()
    expect(page.get_by_role("link", name="Client Dev")).to_be_visible()
    assert_accessible(page)
