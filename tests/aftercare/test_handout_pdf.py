"""The handout PDF, read back as the client and a screen reader would read it."""

import io
import subprocess
from datetime import date, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clinic.admin import services as admin_services
from clinic.admin.models import DEFAULTS
from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.models import Handout
from clinic.extensions import db
from clinic.pdf import render
from tests.aftercare.test_builder import generate
from tests.conftest import sign_in
from tests.invoices.test_pdf import _attachments, listener, pdf_text, squash  # noqa: F401

CLINIC = {**DEFAULTS, "name": "Harbourview Massage", "phone": "+1 902 555 0142",
          "email": "desk@harbourview.example"}


@pytest.fixture
def settings(app):
    def save(**values):
        with app.app_context():
            admin_services.update_settings({**CLINIC, **values})

    save()
    return save


def stored_pdf(app) -> bytes:
    with app.app_context():
        return db.session.scalars(select(Handout.pdf).order_by(Handout.id.desc())).first()


@pytest.fixture
def jane_s_handout(app, client, settings, session_visit, make_visit):
    """Jane's handout: jaw release, then the skull-base release, with a personal note; her
    next visit is booked a week on. Returns the stored PDF."""
    made = session_visit()
    make_visit(made.therapist, client_id=made.client_id, day=date.today() + timedelta(days=7),
               at=time(14, 30))
    sign_in(client, made.therapist)
    response = generate(client, made.visit_id, [made.techniques["jaw-release"],
                                                made.techniques["skull-base-release"]],
                        "Keep your jaw loose at work, Jane.")
    assert response.status_code == 302
    return stored_pdf(app)


def pdfinfo(data: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "handout.pdf"
    path.write_bytes(data)
    output = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                            check=True).stdout
    return {key.strip(): value.strip() for key, _, value in
            (line.partition(":") for line in output.splitlines())}


def figures(data: bytes) -> list[str]:
    """The text alternative of every Figure in the PDF's structure tree, in reading order."""
    found = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get"):
            return
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt", "")))
        if "/K" in node:
            walk(node["/K"])

    walk(PdfReader(io.BytesIO(data)).trailer["/Root"]["/StructTreeRoot"])
    return found


def test_the_pdf_holds_the_client_s_techniques_and_nothing_ruled_out(jane_s_handout):
    text = squash(pdf_text(jane_s_handout))
    for expected in ("Harbourview Massage", "Home care for Jane", "with Maya Okafor",
                     "A note from Maya", "Keep your jaw loose at work, Jane.",
                     "1. Jaw release for clenching and grinding",
                     "2. Release at the base of the skull",
                     "Hold a warm cloth on your cheeks", "How often:",
                     "Press only to a feeling of stretch, never into pain.",
                     "Stop if anything hurts.", "Your next appointment:", "at 14:30",
                     "+1 902 555 0142", f"After your visit on {date.today().day} "):
        assert expected in text, expected
    # Ruled out by the Botox in her forehead, or simply not chosen: not on the sheet.
    for absent in ("Pressure points for sinus", "Smoothing strokes", "drainage strokes",
                   "Fairweather"):
        assert absent not in text, absent


def test_the_pdf_is_tagged_with_a_title_and_a_language(jane_s_handout, tmp_path):
    info = pdfinfo(jane_s_handout, tmp_path)
    assert info["Tagged"] == "yes"
    assert info["Title"] == "Home care for Jane · Harbourview Massage"
    assert int(info["Pages"]) == 1
    root = PdfReader(io.BytesIO(jane_s_handout)).trailer["/Root"]
    assert root["/Lang"] == "en"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()


def test_every_drawing_has_its_text_alternative(jane_s_handout):
    by_slug = {standard.slug: standard for standard in STANDARD_TECHNIQUES}
    assert figures(jane_s_handout) == [by_slug["jaw-release"].illustration_alt,
                                       by_slug["skull-base-release"].illustration_alt]


@pytest.mark.parametrize(("size", "points"), [("A4", (595, 842)), ("Letter", (612, 792))])
def test_three_long_techniques_a_full_note_and_every_warning_fit_on_two_pages(
    app, client, settings, session_visit, make_client, make_intake, size, points
):
    settings(page_size=size)
    client_id = make_client(first_name="Alexandrina")
    make_intake(client_id, teeth_grinding="", sinus="", puffiness="", blood_thinners="",
                allergy_nut_oils="", allergy_fragrance="", allergy_lotions="",
                skin_condition="", headaches="", headache_recent=True)
    made = session_visit(client_id=client_id)
    sign_in(client, made.therapist)
    longest = ["sinus-pressure", "jaw-release", "puffiness-drainage"]
    response = generate(client, made.visit_id, [made.techniques[slug] for slug in longest],
                        ("Word " * 120).strip())
    assert response.status_code == 302
    reader = PdfReader(io.BytesIO(stored_pdf(app)))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == points
    text = squash(pdf_text(stored_pdf(app)))
    assert "Use light pressure only" in text and "nut-free" in text
    assert "please have them checked by your doctor" in text


def test_markup_typed_by_the_client_or_therapist_is_printed_as_text_and_fetches_nothing(
    app, client, settings, session_visit, make_client, make_intake, listener  # noqa: F811
):
    base, requests = listener
    client_id = make_client(first_name='<img src="file:///etc/passwd">')
    make_intake(client_id, teeth_grinding="")
    made = session_visit(client_id=client_id)
    sign_in(client, made.therapist)
    note = f'<link rel=attachment href="{base}/leak"> <img src="{base}/pixel.png"> & more'
    generate(client, made.visit_id, [made.techniques["jaw-release"]], note)
    data = stored_pdf(app)
    unbroken = "".join(pdf_text(data).split())
    assert 'Homecarefor<imgsrc="file:///etc/passwd">' in unbroken
    assert f'<linkrel=attachmenthref="{base}/leak"><imgsrc="{base}/pixel.png">&more' in unbroken
    assert "root:" not in unbroken
    assert requests == []
    assert _attachments(data) == []
    # The drawing itself still arrives, from static/ only.
    assert len(figures(data)) == 1


def test_drawings_kept_from_the_warm_up_print_as_drawings_read_afresh(
    app, client, settings, session_visit, monkeypatch
):
    monkeypatch.setattr(render, "_drawings", {})
    monkeypatch.setattr(render, "_drawn_paths", {})
    made = session_visit()
    sign_in(client, made.therapist)
    chosen = [made.techniques["jaw-release"], made.techniques["skull-base-release"]]

    def printed() -> tuple[list[bytes], list[str]]:
        assert generate(client, made.visit_id, chosen, "").status_code == 302
        data = stored_pdf(app)
        return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages], \
            figures(data)

    afresh = printed()
    with app.test_request_context():
        render.warm_up()
    assert len(render._drawings) == len(STANDARD_TECHNIQUES)
    kept = printed()
    assert kept == afresh
    assert len(kept[1]) == 2
