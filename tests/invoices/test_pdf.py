"""Invoice and receipt PDFs, read back as a client or an insurer would read them."""

import io
import logging
import re
import threading
import typing
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import weasyprint
from flask import current_app
from PIL import Image as PILImage
from pypdf import PdfReader

from clinic.admin import services as admin_services
from clinic.admin.models import DEFAULTS
from clinic.auth.models import Role
from clinic.pdf import render
from clinic.pdf.render import (
    FetchRefused,
    StaticOnlyFetcher,
    custom_properties_written_out,
    html_to_pdf,
)
from tests.invoices.conftest import line

SETTINGS = {**DEFAULTS, "name": "Harbourview Massage", "address": "214 Harbour Street\nHalifax",
            "tax_id": "GST 81234 5678 RT0001", "default_tax_rate": Decimal("15")}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squash(value: str) -> str:
    return " ".join(value.split())


@pytest.fixture
def settings(app):
    def save(**changes):
        with app.app_context():
            admin_services.update_settings({**SETTINGS, **changes.pop("values", {})}, **changes)

    save()
    return save


def test_an_issued_invoice_pdf_carries_what_an_insurer_needs(
    client, signed_in, settings, make_invoice, make_user, make_client
):
    signed_in(Role.RECEPTION)
    therapist = make_user(Role.THERAPIST, name="Maya Okafor", registration_number="RMT-10482")
    made = make_invoice(
        client_id=make_client(first_name="Jane", last_name="Smith",
                              address="12 Elm Street\nDartmouth NS"),
        therapist=therapist,
        lines=[line("Facial massage, 60 min", "1", "95.00", "15"),
               line("Jaw release add-on", "2", "12.50", "15")],
        issue=True,
    )
    response = client.get(f"/invoices/{made.id}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="invoice-INV-{date.today().year}-000001.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    text = squash(pdf_text(response.data))
    number = f"INV-{date.today().year}-000001"
    for expected in (number, "Harbourview Massage", "GST 81234 5678 RT0001",
                     "Jane Smith", "12 Elm Street", "Maya Okafor", "Registration no. RMT-10482",
                     "Facial massage, 60 min", "Subtotal 120.00", "Tax at 15 % 18.00",
                     "Total (CAD) 138.00", "Balance due 138.00", "Page 1 of 1"):
        assert expected in text, expected
    assert "DUPLICATE" not in text and "PAID" not in text


def test_a_reprint_says_duplicate_and_the_first_receipt_is_an_original(
    client, signed_in, settings, make_invoice
):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    url = f"/invoices/{made.id}.pdf"
    assert "DUPLICATE" not in pdf_text(client.get(url).data)
    assert "DUPLICATE" in pdf_text(client.get(url).data)
    from tests.conftest import post_form

    post_form(client, f"/invoices/{made.id}/payments",
              {"method": "card", "amount": "109.25", "received_on": date.today().isoformat()})
    receipt = client.get(url)
    assert receipt.headers["Content-Disposition"] == (
        f'inline; filename="receipt-INV-{date.today().year}-000001.pdf"')
    text = squash(pdf_text(receipt.data))
    assert "Receipt" in text and "PAID" in text and "DUPLICATE" not in text
    assert "Paid in full: CAD 109.25 received with thanks" in text
    assert "Card" in text
    assert "DUPLICATE" in pdf_text(client.get(url).data)


def test_invoices_are_pdf_a_with_every_font_embedded(client, signed_in, settings, make_invoice):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    reader = PdfReader(io.BytesIO(client.get(f"/invoices/{made.id}.pdf").data))
    metadata = reader.xmp_metadata
    assert metadata.get_nodes_in_namespace("", "http://www.aiim.org/pdfa/ns/id/")
    assert b"pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    # The colours are meant for sRGB screens and printers, a profile of three components.
    (intent,) = reader.trailer["/Root"]["/OutputIntents"]
    profile = intent.get_object()["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[16:20] == b"RGB "
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts", [font])
            for descendant in descendants:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                fonts.append(any(key in descriptor for key in ("/FontFile", "/FontFile2",
                                                               "/FontFile3")))
    assert fonts and all(fonts)


@pytest.mark.parametrize(("size", "points"), [("A4", (595, 842)), ("Letter", (612, 792))])
def test_the_paper_size_comes_from_the_settings(
    client, signed_in, settings, make_invoice, size, points
):
    settings(values={"page_size": size})
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    box = PdfReader(io.BytesIO(client.get(f"/invoices/{made.id}.pdf").data)).pages[0].mediabox
    assert (round(box.width), round(box.height)) == points


def test_the_logo_is_printed_on_the_letterhead(client, signed_in, settings, make_invoice):
    png = io.BytesIO()
    PILImage.new("RGB", (120, 40), (31, 95, 87)).save(png, "PNG")
    settings(logo_upload=png.getvalue())
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    page = PdfReader(io.BytesIO(client.get(f"/invoices/{made.id}.pdf").data)).pages[0]
    assert [image.image.size for image in page.images] == [(120, 40)]


def test_a_draft_prints_as_a_draft_and_is_not_marked_printed(
    client, signed_in, settings, make_invoice
):
    signed_in(Role.RECEPTION)
    made = make_invoice()
    response = client.get(f"/invoices/{made.id}.pdf")
    assert response.headers["Content-Disposition"].startswith(
        f'inline; filename="draft-invoice-{made.id}-')
    text = pdf_text(response.data)
    assert "DRAFT" in text and "not yet issued" in text
    assert "DUPLICATE" not in pdf_text(client.get(f"/invoices/{made.id}.pdf").data)


# ---- nothing outside static/ ----

class Recorder(BaseHTTPRequestHandler):
    requests: typing.ClassVar[list[str]] = []

    def do_GET(self):
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"fetched")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """An HTTP server on loopback that notes every request it gets."""
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join()


def _attachments(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    names = reader.trailer["/Root"].get("/Names")
    return list(reader.attachments) + ([names] if names and "/EmbeddedFiles" in names else [])


def test_markup_typed_into_an_invoice_is_printed_as_text_and_fetches_nothing(
    client, signed_in, settings, make_invoice, make_client, listener
):
    base, requests = listener
    hostile_name = '<img src="file:///etc/passwd">'
    hostile_line = f'<link rel=attachment href="{base}/leak"> see {base}/track.png'
    made = make_invoice(
        client_id=make_client(first_name=hostile_name, last_name="Smith",
                              address=f'<img src="{base}/pixel.png">'),
        lines=[line(hostile_line, "1", "10.00", "0")],
        issue=True,
    )
    signed_in(Role.RECEPTION)
    data = client.get(f"/invoices/{made.id}.pdf").data
    text = squash(pdf_text(data))
    assert 'img src="file:///etc/passwd"' in text
    # Long words wrap in the narrow column; compare without spaces.
    unbroken = "".join(text.split())
    assert f'<linkrel=attachmenthref="{base}/leak">see{base}/track.png' in unbroken
    assert f'<imgsrc="{base}/pixel.png">' in unbroken
    assert "root:" not in text
    assert requests == []
    assert _attachments(data) == []


def test_the_pipeline_itself_refuses_files_hosts_and_redirects(app, listener):
    """Even markup that reached the HTML unescaped cannot fetch or attach anything."""
    base, requests = listener
    html = (f'<html lang="en"><title>t</title><link rel="attachment" href="{base}/attach">'
            f'<link rel="attachment" href="file:///etc/passwd">'
            f'<img src="file:///etc/passwd"><img src="{base}/img.png">'
            f'<img src="../../../../etc/passwd"><p>text</p></html>')
    with app.test_request_context():
        data = html_to_pdf(html, pdf_variant="pdf/a-3b")
    assert requests == []
    assert _attachments(data) == []
    assert "root:" not in pdf_text(data)


def weasyprint_s_own(*, computed_styles, **document):
    """WeasyPrint's own document: its user-agent stylesheet, its parser, its own styles."""
    return weasyprint.HTML(**document)


@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1"])
def test_the_pipeline_s_own_user_agent_stylesheet_prints_what_weasyprint_s_does(
    app, monkeypatch, variant
):
    """It leaves out rules for pseudo-elements no document has: the PDF stays the same."""
    with app.test_request_context():
        html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready 0123"})
        html = html.replace("</article>", "<ul><li>Marker</li></ul><ol><li>One</li></ol>"
                                          "</article>", 1)
        ours = html_to_pdf(html, pdf_variant=variant)
        monkeypatch.setattr(render, "_Document", weasyprint_s_own)
        assert html_to_pdf(html, pdf_variant=variant) == ours


def test_the_pipeline_reads_its_user_agent_stylesheet_without_a_warning(caplog):
    render._user_agent_stylesheet.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert render._user_agent_stylesheet() is not None
    finally:
        render._user_agent_stylesheet.cache_clear()
    assert caplog.text == ""


def test_a_changed_weasyprint_stylesheet_falls_back_to_weasyprint_s_own(app, monkeypatch,
                                                                        caplog):
    """After an upgrade that rewrote the rules it edits, PDFs are still made, as before."""
    monkeypatch.setattr(render, "UA", render.UA.replace("::marker {", "::marker{"))
    render._user_agent_stylesheet.cache_clear()
    try:
        with app.test_request_context():
            html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready"})
            fallen_back = html_to_pdf(html, pdf_variant="pdf/a-3b")
            monkeypatch.setattr(render, "_Document", weasyprint_s_own)
            assert html_to_pdf(html, pdf_variant="pdf/a-3b") == fallen_back
        assert "user-agent stylesheet has changed" in caplog.text
    finally:
        render._user_agent_stylesheet.cache_clear()


def test_the_print_stylesheet_prints_the_same_with_its_custom_properties_written_out(
    app, monkeypatch
):
    with app.test_request_context():
        html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready"})
        written_out = html_to_pdf(html, pdf_variant="pdf/a-3b")
        monkeypatch.setattr(render, "custom_properties_written_out", lambda css: css)
        render._styles.cache_clear()
        try:
            resolved = html_to_pdf(html, pdf_variant="pdf/a-3b")
        finally:
            render._styles.cache_clear()
    assert "var(" not in custom_properties_written_out(
        (Path(app.static_folder) / render.PRINT_STYLESHEET).read_text(encoding="utf-8"))
    assert resolved == written_out


def test_custom_properties_are_written_out_only_where_var_would_give_the_same(caplog):
    css = ":root {\n  --ink: #1d2327;\n  --font: \"DejaVu Sans\", sans-serif;\n}\n" \
          "p { color: var(--ink); font-family: var( --font ); }"
    assert custom_properties_written_out(css).endswith(
        'p { color: #1d2327; font-family: "DejaVu Sans", sans-serif; }')
    modifier = css + '\n.note--boxed::after { content: ""; color: var(--ink); }'
    assert custom_properties_written_out(modifier).endswith('{ content: ""; color: #1d2327; }')
    for unlike in (css + "\n.note { --ink: #a4161a; }",
                   css.replace("var(--ink)", "var(--ink, black)"),
                   css.replace("var(--ink)", "var(--paper)"),
                   css.replace(":root", "html")):
        assert custom_properties_written_out(unlike) == unlike
    assert "WeasyPrint resolves them" in caplog.text


def _laid_out_otherwise(html: str) -> str:
    """The warm-up page with a second stamp, a heading with an id and a row more."""
    html = html.replace('<span class="doc-stamp">', '<span class="doc-stamp doc-stamp--paid">'
                        'Paid</span><span class="doc-stamp">', 1)
    html = html.replace("<h3>", '<h3 id="lines-heading">', 1)
    return html.replace("</tr></tbody></table><table class=\"doc-totals\">",
                        "</tr><tr><td>Another</td><td class=\"num\">1</td></tr></tbody></table>"
                        "<table class=\"doc-totals\">", 1)


@pytest.mark.parametrize(("limit", "all_kept"), [(render.SHARED_STYLES_LIMIT, True), (3, False)])
def test_documents_print_the_same_with_styles_shared_from_earlier_ones(
    app, monkeypatch, limit, all_kept
):
    """Also when the shared styles reach their limit and are let go in the middle of one."""
    monkeypatch.setattr(render, "SHARED_STYLES_LIMIT", limit)
    with app.test_request_context():
        html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready"})
        other = _laid_out_otherwise(html)
        assert other.count("doc-stamp") == 3 and "lines-heading" in other
        computed = render._styles(Path(app.static_folder), "A4").computed
        # Not the styles of the documents other tests printed in this process before: with
        # the small limit, where the styles are let go would depend on them.
        computed.clear()
        html_to_pdf(html, pdf_variant="pdf/a-3b")
        shared = html_to_pdf(other, pdf_variant="pdf/a-3b")
        kept = dict(computed)
        html_to_pdf(other, pdf_variant="pdf/a-3b")
        if all_kept:
            assert computed == kept, "the same document again computes no style"
        monkeypatch.setattr(render._SharedStyles, "set_computed_styles",
                            render._SharedStyles.__base__.set_computed_styles)
        assert html_to_pdf(other, pdf_variant="pdf/a-3b") == shared


def test_styles_are_computed_afresh_by_another_weasyprint(monkeypatch, caplog):
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    monkeypatch.setattr(weasyprint.css, "StyleFor", render._SharedStyles.__base__)
    render._share_styles.__wrapped__()
    assert weasyprint.css.StyleFor is render._SharedStyles.__base__
    assert "computed afresh" in caplog.text


def test_no_pdf_template_writes_a_value_into_an_attribute_weasyprint_styles_by():
    """WeasyPrint reads lang, id and style attributes as declarations, which documents share
    (render._SharedStyles): a client's text in one would be kept after its document."""
    for template in Path(__file__).parents[2].joinpath("templates", "pdf").glob("*.html"):
        assert not re.search(r"""\s(?:lang|id|name|style)=["'][^"']*[{][{%]""",
                             template.read_text(encoding="utf-8")), template.name


def test_the_first_pdf_of_a_process_is_the_same_file_as_the_next(app):
    """A stored state is the same file whichever process printed it, and whenever."""
    render._styles.cache_clear()
    with app.test_request_context():
        html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready"})
        first = html_to_pdf(html, pdf_variant="pdf/a-3b")
        assert html_to_pdf(html, pdf_variant="pdf/a-3b") == first


def test_the_whitespace_between_blocks_is_left_out_and_prints_nothing(app):
    """Text kept as typed (white-space: pre-line) keeps each of its line breaks."""
    context = {"title": "Ready", "sample": "Ready 0123"}
    address = ('<p class="doc-address"><strong>Jane Smith</strong>\n  12 Elm Street\n'
               '  Dartmouth NS</p>')
    with app.test_request_context():
        typed = current_app.jinja_env.get_template("pdf/warm_up.html").render(context)
        typed = typed.replace("</article>", f"{address}\n</article>", 1)
        html = render._BLOCK_WHITESPACE.sub(r"\1", typed)
        assert "<tr><td class=\"doc-letterhead\"><p" in html
        assert "</td></tr></tbody></table>" in html
        assert "</h1><span class=\"doc-stamp\">" in html
        assert f"</p>{address}</article><article" in html
        printed = pdf_text(html_to_pdf(html, pdf_variant="pdf/a-3b"))
        assert printed == pdf_text(html_to_pdf(typed, pdf_variant="pdf/a-3b"))
    assert "Jane Smith\n12 Elm Street\nDartmouth NS" in printed


def test_documents_are_read_by_expat_and_print_as_the_html5_parser_reads_them(app, monkeypatch):
    with app.test_request_context():
        html = render.document_html("pdf/warm_up.html", {"title": "Ready", "sample": "Ready"})
        assert render.well_formed_tree(html) is not None
        read_by_expat = html_to_pdf(html, pdf_variant="pdf/a-3b")
        monkeypatch.setattr(render, "well_formed_tree", lambda html: None)
        assert html_to_pdf(html, pdf_variant="pdf/a-3b") == read_by_expat


def test_markup_expat_would_read_differently_goes_to_the_html5_parser():
    assert render.well_formed_tree("<p>not well-formed<br></p>") is None
    assert render.well_formed_tree("<html><title>t</title><p>no head or body</p></html>") is None
    assert render.well_formed_tree(
        "<html><head></head><body><table><tr><td>a row straight in the table</td></tr>"
        "</table></body></html>") is None
    assert render.well_formed_tree(
        '<html><head></head><body><img alt="two\nlines" /></body></html>') is None


def test_the_fetcher_serves_static_files_and_nothing_else(app):
    static = Path(app.static_folder)
    fetcher = StaticOnlyFetcher(static)
    served = fetcher.fetch("https://clinic.invalid/static/css/print.css")
    assert served.read() == (static / "css" / "print.css").read_bytes()
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://clinic.invalid/etc/passwd",
                "https://clinic.invalid/static/../../etc/passwd",
                "https://clinic.invalid/static/%2e%2e/%2e%2e/etc/passwd",
                "https://clinic.invalid/image/logo", "data:text/plain,hi"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
