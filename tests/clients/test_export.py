"""The client's whole record leaves the clinic as one zip: a PDF to read, a JSON file for
computers and each handout exactly as handed out; nothing of anyone else is in it."""

import io
import json
import zipfile
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from clinic.aftercare.models import Handout
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.clients import export
from clinic.extensions import db
from tests.clients.records import (  # noqa: F401 (fixtures)
    full_record,
    make_client,
    make_intake,
    make_invoice,
    make_visit,
    standard_library,
)
from tests.conftest import sign_in


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())


def download(client, client_id: int):
    """The export's response, read whole and closed (which closes the file it streamed)."""
    response = client.get(f"/clients/{client_id}/export")
    response.get_data()
    response.close()
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def unpacked(response) -> tuple[dict, str, dict[str, bytes]]:
    """The record's JSON, its PDF's text, and every file in the zip by name."""
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    (json_name,) = [name for name in files if name.endswith(".json")]
    (pdf_name,) = [name for name in files if name.endswith("-record.pdf")]
    return json.loads(files[json_name]), pdf_text(files[pdf_name]), files


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_admin_exports_the_whole_record_in_one_zip(
    app, client, make_user, full_record  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    sign_in(client, make_user(Role.ADMIN))
    response = download(client, jane.client_id)

    stem = f"client-{jane.client_id}-record"
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={stem}-{date.today().isoformat()}.zip")
    assert response.headers["Cache-Control"] == "no-store"
    record, text, files = unpacked(response)
    (handout_file,) = [name for name in files if name.startswith("handouts/")]
    assert sorted(files) == sorted([f"{stem}.pdf", f"{stem}.json", handout_file])
    with app.app_context():
        assert files[handout_file] == db.session.scalar(select(Handout.pdf))

    assert record["client"]["first_name"] == "Jane"
    assert record["client"]["date_of_birth"].count("-") == 2
    assert [intake["version"] for intake in record["intakes"]] == [1, 2]
    assert record["intakes"][0]["answers"][0]["detail"] == "Marigold at night"
    (visit,) = record["visits"]
    assert visit["note"]["assessment"] == "Marigold release, moderate pressure."
    assert visit["note"]["signed_at"].endswith("+00:00")
    assert visit["note"]["addenda"][0]["text"] == "Marigold left side, not right."
    (invoice,) = record["invoices"]
    assert (invoice["number"], invoice["currency"]) == (jane.invoice_number, "CAD")
    assert invoice["lines"][0]["unit_price_cents"] == 9550
    assert invoice["total_cents"] == 10983  # 95.50 and 15 % tax, rounded once
    assert invoice["payments"][0]["amount_cents"] == 5000
    assert record["all_invoices"] is True
    (handout,) = record["handouts"]
    assert handout["file"] == handout_file
    assert handout["personal_note"] == "Marigold twice a day."

    for heading in ("Contact details", "Intake forms", "Visits and treatment notes",
                    "Invoices and payments", "Aftercare handouts"):
        assert heading in text
    for shown in ("Client record: Jane Fairweather", "Version 2", "Marigold worse",
                  "Marigold release, moderate pressure.", "Marigold left side, not right.",
                  f"Invoice {jane.invoice_number}", "CAD 109.83", "Paid 50.00",
                  "Marigold twice a day."):
        assert shown in text, shown

    (event,) = audit_events(app, "client.exported")
    assert event.object_id == str(jane.client_id)
    assert json.loads(event.detail) | {"json_sha256": None} == {
        "intakes": 2, "visits": 1, "invoices": 1, "handouts": 1, "json_sha256": None}
    assert "Marigold" not in event.detail


def test_nothing_of_another_client_appears_in_either_export(
    app, client, make_user, full_record  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    otto = full_record("Otto", "Quillfeather", "Zanzibar")
    sign_in(client, make_user(Role.ADMIN))
    for mine, theirs in ((jane, otto), (otto, jane)):
        record, text, files = unpacked(download(client, mine.client_id))
        whole_json = json.dumps(record)
        assert mine.word in whole_json and mine.word in text
        other_name = "Quillfeather" if theirs is otto else "Fairweather"
        for leak in (theirs.word, other_name, theirs.invoice_number):
            assert leak not in whole_json, leak
            assert leak not in text, leak
        handout_texts = [pdf_text(data) for name, data in files.items()
                         if name.startswith("handouts/")]
        assert handout_texts and all(theirs.word not in page for page in handout_texts)


def test_the_pdf_is_archival_and_tagged_for_screen_readers(
    app, client, make_user, full_record  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    sign_in(client, make_user(Role.ADMIN))
    _, _, files = unpacked(download(client, jane.client_id))
    reader = PdfReader(io.BytesIO(files[f"client-{jane.client_id}-record.pdf"]))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog and catalog["/Lang"] == "en"
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="A"' in xmp
    assert reader.metadata.title == "Client record: Jane Fairweather"


def test_a_therapist_s_export_holds_the_invoices_of_their_own_visits_only(
    app, client, make_user, make_invoice, full_record  # noqa: F811
):
    jane = full_record("Jane", "Fairweather", "Marigold")
    colleague = make_user(Role.THERAPIST)
    make_invoice(client_id=jane.client_id, therapist=colleague, issue=True)
    sign_in(client, jane.therapist)
    record, text, _ = unpacked(download(client, jane.client_id))
    assert [invoice["number"] for invoice in record["invoices"]] == [jane.invoice_number]
    assert record["all_invoices"] is False
    assert "Only the invoices of the exporting therapist's own visits" in text
    assert record["visits"][0]["note"]["plan"] == "Jaw release at home."


def test_reception_cannot_export_a_record(app, client, signed_in, make_client):  # noqa: F811
    client_id = make_client()
    signed_in(Role.RECEPTION)
    assert client.get(f"/clients/{client_id}/export").status_code == 403
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Export record" not in page
    assert audit_events(app, "client.exported") == []


def test_a_pdf_that_fails_exports_nothing_and_says_so(
    app, client, make_user, make_client, monkeypatch  # noqa: F811
):
    client_id = make_client()

    def broken(record):
        raise RuntimeError("the PDF engine fell over")

    monkeypatch.setattr(export, "record_pdf", broken)
    sign_in(client, make_user(Role.ADMIN))
    response = client.get(f"/clients/{client_id}/export", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "could not be made, so nothing was exported" in response.get_data(as_text=True)
    assert audit_events(app, "client.exported") == []


def test_the_client_page_offers_the_export_to_admins_and_therapists(
    client, signed_in, make_client  # noqa: F811
):
    client_id = make_client()
    signed_in(Role.THERAPIST)
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert f'href="/clients/{client_id}/export"' in page
