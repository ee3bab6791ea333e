"""Journey 1 in a real browser: reception adds a client and makes an intake link, the client
fills the form on a 360 px phone, the therapist sees the precautions.

The client's pages carry no script at all, which is what makes them work with JavaScript off;
the browser keeps it on only because axe-core runs as a script."""

import re

from playwright.sync_api import expect

from clinic.auth.models import Role
from clinic.paging import LATEST
from tests.browser.conftest import PHONE, assert_accessible, sign_in_through_the_form
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)


def test_first_visit_intake_from_the_desk_to_the_phone_to_the_therapist(
    page, phone_page, live_server, make_user
):
    reception = make_user(Role.RECEPTION)
    sign_in_through_the_form(page, live_server, reception.email, reception.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a client").click()
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Client")
    page.get_by_label("Date of birth").fill("2999-01-02")
    page.get_by_label("Email", exact=True).fill("robin@example.org")
    page.get_by_role("button", name="Add client").click()
    assert "cannot be in the future" in page.locator("#date_of_birth-error").inner_text()
    assert_accessible(page)
    page.get_by_label("Date of birth").fill("1980-01-02")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Robin Client")
    assert_accessible(page)
    page.get_by_role("button", name="Send an intake link").click()
    link = page.locator("#intake-url").input_value()
    assert re.fullmatch(rf"{live_server}/intake/[A-Za-z0-9_-]{{32}}", link)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)

    form = phone_page
    form.goto(link)
    expect(form.locator("script")).to_have_count(0)
    assert_accessible(form)
    form.get_by_label("Your date of birth").fill("1981-01-02")
    form.get_by_role("button", name="Continue").click()
    assert "does not match" in form.locator("#date_of_birth-error").inner_text()
    form.get_by_label("Your date of birth").fill("1980-01-02")
    form.get_by_role("button", name="Continue").click()
    expect(form.get_by_role("heading", level=1)).to_have_text("Your health form")
    assert form.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(form.locator("script")).to_have_count(0)
    assert_accessible(form)

    # Detail boxes open under a tick, without any script.
    detail = form.get_by_label("Which one?", exact=True)
    expect(detail).to_be_hidden()
    form.get_by_label("Blood thinners (e.g. warfarin, apixaban, daily aspirin)").check()
    detail.fill("warfarin")
    form.get_by_label("Headaches (tension or migraine)").check()
    form.get_by_label("Migraine", exact=True).check()
    form.get_by_label("Every week").check()
    form.get_by_label("They began or changed in the last three months").check()
    form.get_by_label("Light", exact=True).check()
    form.get_by_role("button", name="Send my form").click()
    assert "Tick the box to agree" in form.locator("#agree-error").inner_text()
    assert_accessible(form)
    form.get_by_label("I have read the consent above and agree to it").check()
    form.get_by_label("Type your full name as your signature").fill("Robin Client")
    form.get_by_role("button", name="Send my form").click()
    expect(form.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert_accessible(form)
    form.goto(link)
    assert "already been used" in form.locator("main").inner_text()

    page.get_by_role("button", name="Sign out").click()
    therapist = make_user(Role.THERAPIST)
    sign_in_through_the_form(page, live_server, therapist.email, therapist.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_label("Search by name, email or phone").fill("robin")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Client, Robin").click()
    banner = page.get_by_role("region", name="Precautions")
    assert "Light pressure only" in banner.inner_text()
    assert "Ask before treating" in banner.inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Version 1").click()
    assert "warfarin" in page.locator("main").inner_text()
    assert_accessible(page)


def test_a_therapist_goes_back_through_every_version_of_a_long_kept_intake(
    page, live_server, make_user, make_client, make_intake  # noqa: F811 (the fixtures)
):
    client_id = make_client(first_name="Kept", last_name="Long")
    make_intake(client_id, blood_thinners="warfarin")
    for _ in range(LATEST + 1):
        make_intake(client_id)
    therapist = make_user(Role.THERAPIST)
    sign_in_through_the_form(page, live_server, therapist.email, therapist.password)
    page.goto(f"{live_server}/clients/{client_id}")
    page.get_by_role("link", name=f"All {LATEST + 2} versions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake versions of Kept Long")
    assert_accessible(page)
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake, version 1")
    assert "warfarin" in page.locator("main").inner_text()
