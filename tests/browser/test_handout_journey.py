"""Journey 3 in Chromium: from the visit to the aftercare builder, adjust the techniques with
plain buttons, generate, email it through a real SMTP server and make a link that the client
opens on a phone without signing in. The builder and the client's page pass axe-core."""

import re

from playwright.sync_api import expect

from tests.aftercare.conftest import (  # noqa: F401 (fixtures)
    mail_server,
    make_client,
    make_intake,
    make_visit,
    session_visit,
    smtp_server,
    standard_library,
)
from tests.browser.conftest import assert_accessible, sign_in_through_the_form


def chosen(page) -> list[str]:
    return page.locator(".pick-order .pick label").all_inner_texts()


def press(page, name) -> None:
    """Click a button that posts the builder, and wait for the page it answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_build_adjust_generate_email_and_share_a_handout(
    page, phone_page, live_server, session_visit, mail_server  # noqa: F811
):
    made = session_visit()
    sign_in_through_the_form(page, live_server, made.therapist.email, made.therapist.password)
    page.goto(f"{live_server}/visits/{made.visit_id}")
    page.get_by_role("link", name="Build the aftercare handout").click()
    page.wait_for_url(f"**/visits/{made.visit_id}/aftercare")

    # Pre-selected from the intake and plan; the Botox rules out the sinus points, saying why.
    assert chosen(page) == ["Jaw release for clenching and grinding",
                            "Release at the base of the skull",
                            "Gentle drainage strokes for puffiness"]
    left_out = page.get_by_role("region", name="Left out for this client")
    assert "Pressure points for sinus congestion and headaches" in left_out.inner_text()
    assert "Injections, fillers or Botox on" in left_out.inner_text()
    assert_accessible(page)

    # Adjust: drop the drainage strokes, put the skull release first, write a note.
    page.get_by_label("Gentle drainage strokes for puffiness").uncheck()
    press(page, "Update preview")
    assert chosen(page) == ["Jaw release for clenching and grinding",
                            "Release at the base of the skull"]
    press(page, re.compile(r"^Up\W+move Release at the base of the skull up$"))
    assert chosen(page) == ["Release at the base of the skull",
                            "Jaw release for clenching and grinding"]
    page.get_by_label("A personal note for the client").fill("Little and often, Jane.")
    press(page, "Update preview")
    preview = page.locator(".handout-paper")
    assert "Little and often, Jane." in preview.inner_text()
    assert preview.inner_text().index("1. Release at the base") < preview.inner_text().index(
        "2. Jaw release")
    drawing = preview.get_by_role("img", name=re.compile(r"^The head and neck seen from behind"))
    assert drawing.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)

    press(page, "Generate handout")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Home-care handout for Jane Fairweather")
    expect(page.locator(".page-head")).to_contain_text("Not delivered yet")
    assert_accessible(page)

    # Email, through the loopback SMTP server.
    press(page, "Email to jane@example.org")
    expect(page.get_by_role("status").first).to_have_text(
        "Emailed the handout to jane@example.org.")
    (message,) = mail_server.inbox.messages
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF-")

    # A link for the phone.
    press(page, "Make a download link")
    url = page.get_by_label("Link", exact=True).input_value()
    assert re.fullmatch(rf"{live_server}/h/[A-Za-z0-9_-]{{32}}", url)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)

    phone_page.goto(url)
    expect(phone_page.get_by_role("heading", name="Your home-care sheet")).to_be_visible()
    expect(phone_page.get_by_role("navigation")).to_have_count(0)
    assert_accessible(phone_page)
    download = phone_page.get_by_role("link", name="Download your sheet (PDF)")
    fits = download.evaluate("a => a.getBoundingClientRect().right <= window.innerWidth")
    assert fits
    response = phone_page.request.get(live_server + download.get_attribute("href"))
    assert response.ok and response.body() == attachment.get_content()
