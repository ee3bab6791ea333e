"""The admin keeps the technique library in a real browser; every page passes axe-core."""

from playwright.sync_api import expect

from clinic.auth.models import Role
from tests.aftercare.conftest import standard_library  # noqa: F401 (fixture)
from tests.browser.conftest import assert_accessible, sign_in_through_the_form


def test_the_admin_installs_edits_and_retires_techniques(page, live_server, make_user):
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.get_by_role("link", name="Techniques").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add the standard techniques").click()
    assert page.get_by_role("status").inner_text().startswith("Added 6 standard techniques")
    assert_accessible(page)

    page.get_by_role("link", name="Jaw release for clenching and grinding").click()
    drawing = page.get_by_role("img", name="Front view of a face. On each side")
    # decode() waits for the picture to load, and fails if it cannot be drawn.
    assert drawing.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")
    assert_accessible(page)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("")
    page.get_by_label("Temples").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a title")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill("Jaw release")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jaw release")
    assert "Cheeks, Jaw and chin" in page.locator(".facts").inner_text()

    page.get_by_role("button", name="Retire").click()
    assert "is retired" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="← Home-care techniques").click()
    expect(page.get_by_role("heading", name="Retired")).to_be_visible()


def test_a_therapist_reads_the_library_on_a_phone(phone_page, live_server, make_user,
                                                  standard_library):  # noqa: F811
    therapist = make_user(Role.THERAPIST)
    sign_in_through_the_form(phone_page, live_server, therapist.email, therapist.password)
    phone_page.goto(f"{live_server}/techniques/{standard_library['sinus-pressure']}")
    expect(phone_page.get_by_role("link", name="Edit")).to_have_count(0)
    assert_accessible(phone_page)
