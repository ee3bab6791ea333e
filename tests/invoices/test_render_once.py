"""Each state of an issued invoice is rendered once; printing it again serves the stored PDF."""

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import select

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices import services
from clinic.invoices.models import Invoice, InvoiceDocument
from clinic.pdf import render
from tests.conftest import post_form, sign_in
from tests.invoices.test_pdf import pdf_text, settings  # noqa: F401 (fixture)


@pytest.fixture
def renders(monkeypatch):
    """How many PDFs WeasyPrint made: the real renderer, counted."""
    made = []
    real = render.html_to_pdf

    def counted(html, **options):
        made.append(html)
        return real(html, **options)

    monkeypatch.setattr(render, "html_to_pdf", counted)
    return made


def stored(app, invoice_id: int) -> list[str]:
    """The SHA-256 of each PDF stored for the invoice."""
    with app.app_context():
        return list(db.session.scalars(select(InvoiceDocument.pdf_sha256)
                                       .where(InvoiceDocument.invoice_id == invoice_id)))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def reprinted(client, signed_in, settings, make_invoice, renders):  # noqa: F811
    """An issued invoice the desk printed twice, the original and a DUPLICATE: its id.
    `renders` counts from after these two prints."""
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    client.get(f"/invoices/{made.id}.pdf")
    client.get(f"/invoices/{made.id}.pdf")
    renders.clear()
    return made.id


def pay(client, invoice_id: int, amount: str):
    response = post_form(client, f"/invoices/{invoice_id}/payments",
                         {"method": "cash", "amount": amount,
                          "received_on": date.today().isoformat()})
    assert response.status_code == 302


def test_printing_the_same_state_again_serves_the_stored_pdf(
    app, client, signed_in, settings, make_invoice, renders  # noqa: F811
):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    url = f"/invoices/{made.id}.pdf"
    original = client.get(url).data
    first_copy = client.get(url).data
    assert len(renders) == 2
    again = [client.get(url) for _ in range(3)]
    assert len(renders) == 2
    assert all(response.status_code == 200 and response.data == first_copy
               for response in again)
    assert "DUPLICATE" not in pdf_text(original) and "DUPLICATE" in pdf_text(first_copy)
    # The DUPLICATE reprint is a state of its own; the original is never printed again.
    assert stored(app, made.id) == [sha256(first_copy)]


def test_every_print_is_still_in_the_audit_log(
    app, client, signed_in, settings, make_invoice, renders  # noqa: F811
):
    from clinic.audit.models import AuditEvent

    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    for _ in range(3):
        client.get(f"/invoices/{made.id}.pdf")
    with app.app_context():
        copies = [json.loads(event.detail)["copy"] for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invoice.printed")
            .order_by(AuditEvent.seq))]
    assert copies == ["original", "duplicate", "duplicate"]
    assert len(renders) == 2


def test_a_payment_is_a_new_state_rendered_once_and_the_old_one_is_dropped(
    app, client, reprinted, renders
):
    url = f"/invoices/{reprinted}.pdf"
    before = client.get(url).data
    pay(client, reprinted, "50.00")
    after = client.get(url).data
    assert len(renders) == 1
    assert "50.00" in pdf_text(after) and "Cash" in pdf_text(after)
    assert "Cash" not in pdf_text(before)
    assert client.get(url).data == after
    assert len(renders) == 1
    # The copy before the payment is never printed again: only the new one is kept.
    assert stored(app, reprinted) == [sha256(after)]

    pay(client, reprinted, "59.25")
    receipt = client.get(url).data
    assert "PAID" in pdf_text(receipt) and "DUPLICATE" not in pdf_text(receipt)
    assert len(renders) == 2


def move_the_clinic(client, settings, invoice_id: int) -> str:  # noqa: F811
    settings(values={"address": "9 Quarry Lane\nTruro"})
    return "9 Quarry Lane"


def void(client, settings, invoice_id: int) -> str:  # noqa: F811
    post_form(client, f"/invoices/{invoice_id}/void", {"reason": "Billed the wrong client"})
    return "Billed the wrong client"


@pytest.mark.parametrize("change", [move_the_clinic, void])
def test_a_new_letterhead_or_a_void_is_a_new_state_rendered_once(
    client, settings, reprinted, renders, change  # noqa: F811
):
    url = f"/invoices/{reprinted}.pdf"
    shown = change(client, settings, reprinted)
    changed = client.get(url).data
    assert shown in pdf_text(changed)
    assert client.get(url).data == changed
    assert len(renders) == 1


def test_a_draft_is_rendered_every_time_and_never_stored(
    app, client, signed_in, settings, make_invoice, renders  # noqa: F811
):
    signed_in(Role.RECEPTION)
    made = make_invoice()
    client.get(f"/invoices/{made.id}.pdf")
    client.get(f"/invoices/{made.id}.pdf")
    assert len(renders) == 2
    assert stored(app, made.id) == []


def test_two_servers_printing_the_same_state_at_once_serve_one_stored_pdf(
    app, client, signed_in, settings, make_invoice, build_app, monkeypatch  # noqa: F811
):
    """While this server renders, another renders the same state and stores it first."""
    desk = signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    url = f"/invoices/{made.id}.pdf"
    client.get(url)
    other = build_app().test_client()
    sign_in(other, desk)
    theirs = []
    real = render.html_to_pdf

    def render_while_the_other_server_prints(html, **options):
        if not theirs:
            theirs.append(None)  # the other server's own render goes straight through
            theirs[0] = other.get(url)
        return real(html, **options)

    monkeypatch.setattr(render, "html_to_pdf", render_while_the_other_server_prints)
    ours = client.get(url)
    assert ours.status_code == 200 and theirs[0].status_code == 200
    assert ours.data == theirs[0].data
    assert stored(app, made.id) == [sha256(ours.data)]


# ---- the batch command ----

def render_all(app, *options):
    return app.test_cli_runner().invoke(args=["invoices", "render", "--all", *options])


@pytest.fixture
def six_issued(app, settings, make_invoice, make_user):  # noqa: F811
    """Six issued invoices -- unpaid, paid, void -- and a draft, which is never stored."""
    made = [make_invoice(issue=True) for _ in range(4)] + [make_invoice(payments=["109.25"])]
    void = make_invoice(issue=True)
    with app.app_context():
        services.void(db.session.get(Invoice, void.id), "Entered twice",
                      make_user(Role.RECEPTION).id)
    make_invoice()
    return [invoice.id for invoice in [*made, void]]


def test_render_all_stores_every_issued_invoice_and_a_second_run_renders_nothing(
    app, client, signed_in, settings, six_issued, renders  # noqa: F811
):
    first = render_all(app, "--jobs", "2")
    assert first.exit_code == 0, first.output
    assert "Rendered 6 of 6 issued invoices (0 stored already)" in first.stdout
    assert "6/6 invoices" in first.stderr
    assert all(len(stored(app, invoice_id)) == 1 for invoice_id in six_issued)

    second = render_all(app, "--jobs", "2")
    assert "Rendered 0 of 6 issued invoices (6 stored already)" in second.stdout

    # What the batch stored is what the desk prints: no render at the counter.
    signed_in(Role.RECEPTION)
    assert client.get(f"/invoices/{six_issued[0]}.pdf").status_code == 200
    assert renders == []


def test_force_renders_what_is_stored_again(app, settings, six_issued):  # noqa: F811
    render_all(app, "--jobs", "2")
    assert "Rendered 6 of 6" in render_all(app, "--jobs", "2", "--force").stdout
    assert all(len(stored(app, invoice_id)) == 1 for invoice_id in six_issued)


def test_an_invoice_that_fails_to_render_is_named_and_the_others_are_stored(
    app, settings, six_issued, monkeypatch  # noqa: F811
):
    real = render.html_to_pdf

    def fails_for_the_void_one(html, **options):
        if "Entered twice" in html:
            raise RuntimeError("injected fault")
        return real(html, **options)

    monkeypatch.setattr(render, "html_to_pdf", fails_for_the_void_one)
    result = render_all(app, "--jobs", "2")
    assert result.exit_code == 1
    assert f"1 could not be rendered (see the log): invoice ids {six_issued[-1]}" in result.output
    assert "Rendered 5 of 6" in result.stdout
    assert stored(app, six_issued[-1]) == []


def test_render_without_all_says_what_to_do(app):
    result = app.test_cli_runner().invoke(args=["invoices", "render"])
    assert result.exit_code == 2
    assert "Say --all to render every issued invoice." in result.output
