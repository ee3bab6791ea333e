"""A therapist sets up an authenticator in the browser, signs out, and signs in with a code."""

import time

import pyotp
from playwright.sync_api import expect

from clinic.auth.models import Role
from tests.browser.conftest import assert_accessible, sign_in_through_the_form


def test_a_therapist_enrols_and_signs_in_with_a_code(page, live_server, make_user):
    member = make_user(Role.THERAPIST)
    sign_in_through_the_form(page, live_server, member.email, member.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Two-factor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)

    # Typed into the app by hand instead of scanning: the key shown under the QR code.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret
    assert_accessible(page)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them").click()

    page.get_by_role("button", name="Sign out").click()
    sign_in_through_the_form(page, live_server, member.email, member.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    assert page.url == f"{live_server}/login/verify"
    assert_accessible(page)
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today,")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Two-factor").click()
    expect(page.get_by_text("Recovery codes left: 10 of 10.")).to_be_visible()
    assert_accessible(page)
