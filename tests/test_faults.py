"""Faults in what the app relies on: the PDF engine breaking half-way through a document, the
database refusing a write, the whole database gone. Afterwards every committed record, audit
event and invoice number is still there, in order, and the user was told what happened.

The mail server being down is tested where mail is sent: a handout's email kept, said and
retried (tests/aftercare/test_delivery.py), an intake link's (tests/clients/test_links.py).
Two staff saving the same record: tests/clients/test_clients.py, tests/visits/test_notes.py.
"""

import re
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import event, func, select
from weasyprint import HTML

from clinic.aftercare.models import Handout
from clinic.audit import chain
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.invoices.models import Payment
from clinic.pdf import render
from clinic.visits.models import TreatmentNote, Visit
from tests.aftercare.conftest import session_visit, standard_library  # noqa: F401 (fixtures)
from tests.aftercare.test_builder import generate
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)
from tests.conftest import csrf_token, post_form, sign_in
from tests.invoices.conftest import load, make_invoice  # noqa: F401 (fixture)
from tests.invoices.test_pdf import pdf_text
from tests.visits.conftest import make_visit  # noqa: F401 (fixture)

NOTE = {"subjective": "Clenching at night.", "objective": "Right masseter hypertonic.",
        "assessment": "Masseter release, 10 min.", "plan": "Masseter strokes twice a day."}


def page_text(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def chain_is_intact(app) -> bool:
    with app.app_context():
        return chain.verify().intact


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# ---- the PDF engine ----

@pytest.fixture
def broken_pdf_engine(monkeypatch):
    """WeasyPrint reads and lays out each document for real, then fails before a PDF exists.
    `broken_pdf_engine.undo()` mends it."""

    def lay_out_then_fail(html: str, *, images=None, **options) -> bytes:
        fetcher = render.StaticOnlyFetcher(Path(current_app.static_folder), images)
        HTML(string=html, base_url=render.BASE_URL, url_fetcher=fetcher).render()
        raise RuntimeError("the PDF engine stopped half-way through the document")

    monkeypatch.setattr(render, "weasyprint_pdf", lay_out_then_fail)
    return monkeypatch


def test_a_pdf_that_fails_to_print_leaves_the_issued_invoice_as_it_was(
    app, client, signed_in, make_invoice, broken_pdf_engine  # noqa: F811
):
    signed_in(Role.RECEPTION)
    made = make_invoice()
    assert post_form(client, f"/invoices/{made.id}/issue").status_code == 302
    number = f"INV-{date.today().year}-000001"
    assert load(app, made.id).number == number

    response = client.get(f"/invoices/{made.id}.pdf")
    assert response.status_code == 503
    page = page_text(response)
    assert "The PDF could not be made" in page and "Nothing was changed" in page
    kept = load(app, made.id)
    assert (kept.number, kept.status, kept.printed_at) == (number, "issued", None)

    broken_pdf_engine.undo()
    printed = client.get(f"/invoices/{made.id}.pdf")
    assert printed.status_code == 200
    # The failed attempt printed nothing, so the first PDF that exists is the original.
    assert "DUPLICATE" not in pdf_text(printed.data)
    assert audit_actions(app).count("invoice.printed") == 1
    assert chain_is_intact(app)


def test_a_handout_whose_pdf_fails_is_not_stored_and_the_therapist_is_told(
    app, client, session_visit, broken_pdf_engine  # noqa: F811
):
    made = session_visit()
    sign_in(client, made.therapist)
    chosen = [made.techniques["jaw-release"]]
    response = generate(client, made.visit_id, chosen, note="Before bed.")
    assert response.status_code == 400
    assert "The PDF could not be made, so nothing was saved." in page_text(response)
    assert count(app, Handout) == 0
    assert "handout.created" not in audit_actions(app)

    broken_pdf_engine.undo()
    assert generate(client, made.visit_id, chosen, note="Before bed.").status_code == 302
    with app.app_context():
        handout = db.session.scalars(select(Handout)).one()
        assert handout.pdf.startswith(b"%PDF-") and handout.personal_note == "Before bed."
    assert chain_is_intact(app)


# ---- the database ----

@contextmanager
def refused_inserts(app, table: str):
    """The database refuses every INSERT into `table`, as a full disk or a broken connection
    would: the driver's own OperationalError, raised before the statement reaches it."""

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if re.match(rf"\s*INSERT INTO {table}\b", statement, re.IGNORECASE):
            raise conn.dialect.loaded_dbapi.OperationalError("disk I/O error")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def assert_told_nothing_was_saved(response) -> None:
    assert response.status_code == 503
    page = page_text(response)
    assert "The database did not answer" in page and "Nothing was saved" in page


def test_an_issue_the_database_refuses_takes_no_number_and_leaves_no_gap(
    app, client, signed_in, make_invoice  # noqa: F811
):
    signed_in(Role.RECEPTION)
    first, refused, third = make_invoice(), make_invoice(), make_invoice()
    assert post_form(client, f"/invoices/{first.id}/issue").status_code == 302
    with refused_inserts(app, "audit_event"):
        assert_told_nothing_was_saved(post_form(client, f"/invoices/{refused.id}/issue"))
    kept = load(app, refused.id)
    assert (kept.number, kept.status) == (None, "draft")

    for made in (third, refused):
        assert post_form(client, f"/invoices/{made.id}/issue").status_code == 302
    assert [load(app, made.id).number for made in (first, third, refused)] == [
        f"INV-{date.today().year}-{n:06d}" for n in (1, 2, 3)]
    assert audit_actions(app).count("invoice.issued") == 3
    assert chain_is_intact(app)


def test_a_payment_the_database_refuses_is_not_half_recorded(
    app, client, signed_in, make_invoice  # noqa: F811
):
    signed_in(Role.RECEPTION)
    made = make_invoice(issue=True)
    payment = {"method": "card", "amount": "50.00", "received_on": date.today().isoformat()}
    with refused_inserts(app, "payment"):
        assert_told_nothing_was_saved(post_form(client, f"/invoices/{made.id}/payments", payment))
    assert count(app, Payment) == 0
    assert load(app, made.id).status == "issued"
    assert "invoice.payment" not in audit_actions(app)

    response = post_form(client, f"/invoices/{made.id}/payments", payment, follow_redirects=True)
    assert "Payment of 50.00 recorded." in page_text(response)
    assert count(app, Payment) == 1
    assert chain_is_intact(app)


@pytest.fixture
def therapist_at_visit(app, client, make_user, make_visit):  # noqa: F811
    """A therapist signed in on `client`, their client arrived for today's visit: its id."""
    therapist = make_user(Role.THERAPIST)
    visit_id = make_visit(therapist)
    with app.app_context():
        db.session.get(Visit, visit_id).status = "arrived"
        db.session.commit()
    sign_in(client, therapist)
    return visit_id


def test_a_note_the_database_refuses_is_not_saved_and_the_editor_says_so(
    app, client, therapist_at_visit
):
    visit_id = therapist_at_visit
    draft = {**NOTE, "version": "", "action": "save"}
    with refused_inserts(app, "treatment_note"):
        assert_told_nothing_was_saved(post_form(client, f"/visits/{visit_id}/note", draft))
        # The editor's autosave asks for JSON and shows the message it gets back.
        autosave = client.post(f"/visits/{visit_id}/note/autosave",
                               data={**draft, "csrf_token": csrf_token(client)},
                               headers={"Accept": "application/json"})
        assert autosave.status_code == 503
        assert "Nothing was saved" in autosave.get_json()["error"]
    assert count(app, TreatmentNote) == 0
    assert "note.created" not in audit_actions(app)

    assert post_form(client, f"/visits/{visit_id}/note", draft).status_code == 302
    assert count(app, TreatmentNote) == 1
    assert chain_is_intact(app)


def test_with_the_database_gone_a_page_says_so_in_plain_words(app, client, signed_in):
    signed_in(Role.RECEPTION)

    def refuse_everything(conn, cursor, statement, parameters, context, executemany):
        raise conn.dialect.loaded_dbapi.OperationalError("could not connect to server")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse_everything)
    try:
        response = client.get("/clients")
    finally:
        event.remove(engine, "before_cursor_execute", refuse_everything)
    assert response.status_code == 503
    assert "The database did not answer. Nothing was saved." in page_text(response)
    assert client.get("/clients").status_code == 200
