"""Staff sign in and out in a real browser; the pages they land on pass axe-core."""

import pytest
from playwright.sync_api import expect

from clinic.auth.models import Role
from tests.browser.conftest import assert_accessible, sign_in_through_the_form
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)

HOME_HEADINGS = {
    Role.ADMIN: "Clinic overview",
    Role.THERAPIST: "Today,",
    Role.RECEPTION: "Front desk,",
}


def test_the_login_page_is_accessible(page, live_server):
    page.goto(f"{live_server}/login")
    assert page.title().startswith("Sign in")
    assert_accessible(page)


def test_a_failed_sign_in_says_so_and_stays_accessible(page, live_server, make_user):
    member = make_user(Role.RECEPTION)
    sign_in_through_the_form(page, live_server, member.email, "not my password")
    expect(page.get_by_role("alert")).to_have_text("The email or password is not right.")
    assert_accessible(page)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_lands_home_and_signs_out(page, live_server, make_user, role):
    member = make_user(role)
    sign_in_through_the_form(page, live_server, member.email, member.password)
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().startswith(HOME_HEADINGS[role])
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Home")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")


def test_admin_adds_a_therapist_in_the_browser(page, live_server, make_user):
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a staff member").click()
    page.get_by_label("Full name").fill("Noor Haddad")
    page.get_by_label("Email (used to sign in)").fill("noor@clinic.example")
    page.get_by_label("Role").select_option("therapist")
    page.get_by_role("button", name="Add staff member").click()
    # Refused without a registration number: the message sits next to the field.
    assert "registration number" in page.locator("#registration_number-error").inner_text()
    assert_accessible(page)
    page.get_by_label("Professional registration number").fill("RMT-30071")
    page.get_by_label("Initial password").fill("noor's first password")
    page.get_by_role("button", name="Add staff member").click()
    assert "Noor Haddad can now sign in as therapist." in page.get_by_role("status").inner_text()
    expect(page.get_by_role("cell", name="RMT-30071")).to_be_visible()


def test_the_settings_page_is_accessible(page, live_server, make_user):
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.get_by_role("link", name="Clinic settings").click()
    page.get_by_label("Clinic name").fill("Willow Facial Massage")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("link", name="Willow Facial Massage")).to_be_visible()
    assert_accessible(page)


def test_admin_filters_the_audit_log(page, live_server, make_user):
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("login.succeeded")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="login.succeeded")).to_have_count(1)
    assert_accessible(page)


def test_admin_opens_a_clients_audit_trail_from_the_client_page(
    page, live_server, make_user, make_client, make_intake  # noqa: F811
):
    client_id = make_client(first_name="Jane", last_name="Fairweather")
    make_intake(client_id, teeth_grinding="At night.")
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.goto(f"{live_server}/clients/{client_id}")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_label("Client number")).to_have_value(str(client_id))
    log = page.get_by_role("table")
    expect(log.get_by_role("cell", name="intake.viewed", exact=True)).to_be_visible()
    expect(log.get_by_role("link", name="Jane Fairweather").first).to_be_visible()
    assert_accessible(page)
