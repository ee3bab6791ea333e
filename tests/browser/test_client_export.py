"""The admin takes a client's whole record from the client page in Chromium, and sees how long
the clinic must keep it; the page and the delete page pass axe-core."""

import json
import zipfile

from playwright.sync_api import expect

from clinic.auth.models import Role
from tests.browser.conftest import assert_accessible, sign_in_through_the_form
from tests.clients.records import (  # noqa: F401 (fixtures)
    full_record,
    make_client,
    make_intake,
    make_invoice,
    make_visit,
    standard_library,
)


def test_the_admin_downloads_the_record_and_finds_the_delete_refused(
    page, live_server, make_user, full_record, tmp_path  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    admin = make_user(Role.ADMIN)
    sign_in_through_the_form(page, live_server, admin.email, admin.password)
    page.goto(f"{live_server}/clients/{jane.client_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jane Fairweather")
    expect(page.get_by_role("link", name="Delete client…")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export record").click()
    download = download_info.value
    stem = f"client-{jane.client_id}-record"
    assert download.suggested_filename.startswith(f"{stem}-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        record = json.loads(archive.read(f"{stem}.json"))
        pdf = archive.read(f"{stem}.pdf")
    assert {f"{stem}.pdf", f"{stem}.json"} <= set(names)
    assert pdf.startswith(b"%PDF-")
    assert record["client"]["last_name"] == "Fairweather"

    page.get_by_role("link", name="Delete client…").click()
    expect(page.get_by_text("The clinic keeps these records until")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Type the client's full name to confirm").fill("Jane Fairweather")
    page.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_role("alert")).to_contain_text("This client's records must be kept until")
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jane Fairweather")
