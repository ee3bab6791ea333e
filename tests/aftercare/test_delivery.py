"""Handouts reach the client: by email through a real SMTP server on loopback, by a download
link that works on a phone without signing in, or printed at the desk."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.aftercare.models import Handout, HandoutDelivery, HandoutLink
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.types import utcnow
from tests.aftercare.test_builder import generate, page_text
from tests.conftest import post_form, sign_in


@pytest.fixture
def handout(app, client, session_visit):
    """Jane's generated handout, with her therapist signed in on `client`; returns its id."""
    made = session_visit()
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"],
                                     made.techniques["skull-base-release"]])
    with app.app_context():
        return db.session.scalar(select(Handout.id))


def stored(app, handout_id: int) -> bytes:
    with app.app_context():
        return db.session.get(Handout, handout_id).pdf


def deliveries(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        return [(d.method, d.recipient, d.status, d.error) for d in
                db.session.scalars(select(HandoutDelivery).order_by(HandoutDelivery.id))]


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# ---- email ----

def test_the_handout_is_emailed_with_the_pdf_and_no_health_details(
    app, client, handout, mail_server
):
    response = post_form(client, f"/handouts/{handout}/email", follow_redirects=True)
    assert "Emailed the handout to jane@example.org." in page_text(response)
    (message,) = mail_server.inbox.messages
    assert message["To"] == "jane@example.org"
    assert message["Subject"] == "Your home-care sheet from My clinic"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Hello Jane,")
    for health in ("jaw", "Jaw", "skull", "grinding", "headache", "Botox", "clench"):
        assert health not in body, health
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert re.fullmatch(r"home-care-\d{4}-\d\d-\d\d-\d+\.pdf", attachment.get_filename())
    assert attachment.get_content() == stored(app, handout)
    assert deliveries(app) == [("email", "jane@example.org", "delivered", "")]
    assert "handout.emailed" in audit_actions(app)
    assert "Delivered" in page_text(client.get(f"/handouts/{handout}"))


def test_a_failed_email_keeps_the_handout_says_so_and_can_be_retried(
    app, client, handout, mail_server
):
    app.config.update(MAIL_PORT=1)  # nothing listens there
    response = post_form(client, f"/handouts/{handout}/email", follow_redirects=True)
    page = page_text(response)
    assert "The email to jane@example.org could not be sent. The handout is saved" in page
    assert "Not delivered yet" in page
    assert "Try the email again" in page
    ((method, recipient, status, error),) = deliveries(app)
    assert (method, recipient, status) == ("email", "jane@example.org", "failed")
    assert error
    assert stored(app, handout).startswith(b"%PDF-")
    assert "handout.email_failed" in audit_actions(app)

    app.config.update(MAIL_PORT=mail_server.port)
    response = post_form(client, f"/handouts/{handout}/email", follow_redirects=True)
    assert "Emailed the handout to jane@example.org." in page_text(response)
    assert [d[2] for d in deliveries(app)] == ["failed", "delivered"]
    assert len(mail_server.inbox.messages) == 1


def test_no_email_address_or_no_mail_server_is_said_plainly(
    app, client, session_visit, make_client, make_intake
):
    client_id = make_client(first_name="Nomail", email="", handout_delivery="print")
    make_intake(client_id, teeth_grinding="")
    made = session_visit(client_id=client_id)
    sign_in(client, made.therapist)
    generate(client, made.visit_id, [made.techniques["jaw-release"]])
    with app.app_context():
        handout_id = db.session.scalar(select(Handout.id))
    page = page_text(client.get(f"/handouts/{handout_id}"))
    assert "No email address on file" in page
    response = post_form(client, f"/handouts/{handout_id}/email", follow_redirects=True)
    assert "There is no email address for Nomail" in page_text(response)
    assert deliveries(app) == []


# ---- download links ----

def make_link(client, handout_id: int) -> str:
    response = post_form(client, f"/handouts/{handout_id}/links")
    assert response.status_code == 200
    url = re.search(r'id="handout-url"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    return url.group(1).removeprefix("http://localhost")


def test_a_link_works_on_a_phone_without_signing_in_and_serves_the_stored_pdf(
    app, client, handout
):
    path = make_link(client, handout)
    assert re.fullmatch(r"/h/[A-Za-z0-9_-]{32}", path)
    phone = app.test_client()
    page = phone.get(path)
    assert page.status_code == 200
    text = page_text(page)
    assert "Hello Jane." in text and "Jaw release for clenching and grinding" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    download = phone.get(f"{path}/handout.pdf")
    assert download.status_code == 200
    assert download.data == stored(app, handout)
    assert download.headers["Content-Disposition"].startswith('inline; filename="home-care-')
    assert download.headers["Cache-Control"] == "no-store"
    assert phone.get(f"{path}/handout.pdf").data == download.data
    with app.app_context():
        downloads = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "handout.downloaded")).all()
        link_id = db.session.scalar(select(HandoutLink.id))
    assert [event.detail for event in downloads] == [f'{{"link": {link_id}, "via": "link"}}'] * 2
    assert all(event.actor_id is None for event in downloads)
    assert deliveries(app) == [("link", "", "delivered", "")]


def test_only_a_keyed_hash_of_the_token_is_stored(app, client, handout):
    token = make_link(client, handout).removeprefix("/h/")
    with app.app_context():
        link = db.session.scalars(select(HandoutLink)).one()
    assert len(link.token_hash) == 64 and token not in link.token_hash
    assert (link.expires_at - link.created_at) == timedelta(days=30)


def test_tampered_expired_and_revoked_links_are_not_found(app, client, handout):
    path = make_link(client, handout)
    phone = app.test_client()
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    for url in (tampered, path + "x", "/h/short", f"{tampered}/handout.pdf"):
        assert phone.get(url).status_code == 404, url
    with app.app_context():
        link = db.session.scalars(select(HandoutLink)).one()
        link.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert phone.get(path).status_code == 404
    assert phone.get(f"{path}/handout.pdf").status_code == 404

    second = make_link(client, handout)
    assert phone.get(second).status_code == 200
    with app.app_context():
        link_id = db.session.scalars(select(HandoutLink.id).order_by(HandoutLink.id.desc())).first()
    response = post_form(client, f"/handouts/{handout}/links/{link_id}/revoke",
                         follow_redirects=True)
    assert "The download link no longer works." in page_text(response)
    assert phone.get(second).status_code == 404
    assert phone.get(f"{second}/handout.pdf").status_code == 404
    assert "handout_link.revoked" in audit_actions(app)


def test_a_link_of_another_handout_cannot_be_revoked_through_this_one(app, client, handout):
    make_link(client, handout)
    with app.app_context():
        link_id = db.session.scalar(select(HandoutLink.id))
    assert post_form(client, f"/handouts/{handout + 1}/links/{link_id}/revoke").status_code == 404


# ---- print ----

@pytest.mark.parametrize("role", [Role.RECEPTION, Role.THERAPIST])
def test_reception_or_a_therapist_prints_it_from_the_visit_page(
    app, client, make_user, handout, role
):
    desk = app.test_client()
    member = make_user(role)
    sign_in(desk, member)
    with app.app_context():
        visit_id = db.session.get(Handout, handout).visit_id
    visit_page = desk.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f'action="/handouts/{handout}/print"' in visit_page
    response = post_form(desk, f"/handouts/{handout}/print")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/handouts/{handout}.pdf"
    assert desk.get(response.headers["Location"]).data == stored(app, handout)
    with app.app_context():
        printed = db.session.scalars(select(HandoutDelivery)).one()
        assert (printed.method, printed.status, printed.by_id) == ("print", "delivered",
                                                                   member.id)


def test_the_client_s_handouts_read_delivered_only_once_one_reached_the_client(
    app, client, handout, mail_server
):
    with app.app_context():
        client_id = db.session.get(Handout, handout).client_id

    def listed() -> str:
        page = client.get(f"/clients/{client_id}/handouts").get_data(as_text=True)
        return page[page.index(f'href="/handouts/{handout}"'):]

    assert "Not delivered" in listed()
    app.config.update(MAIL_PORT=1)  # nothing listens there
    post_form(client, f"/handouts/{handout}/email")
    assert "Not delivered" in listed()
    printed = post_form(client, f"/handouts/{handout}/print")
    assert printed.location.endswith(f"/handouts/{handout}.pdf")
    assert "Delivered" in listed() and "Not delivered" not in listed()
