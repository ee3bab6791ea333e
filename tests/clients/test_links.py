"""Self-service intake links: made by staff, used once by the client, refused otherwise."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.clients.models import Client, Intake, IntakeLink
from clinic.extensions import db
from clinic.types import utcnow
from tests.conftest import csrf_token, post_form

BORN = "1980-01-02"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def intake_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Intake))


def client_answers(client, **extra) -> dict:
    return {
        "csrf_token": csrf_token(client),
        "email": "robin@example.org",
        "phone": "+1 902 555 0123",
        "emergency_contact_name": "Sam Client",
        "emergency_contact_phone": "902 555 0124",
        "sinus": "y",
        "sinus_detail": "every winter",
        "blood_thinners": "y",
        "blood_thinners_detail": "apixaban",
        "pressure": "light",
        "consent_version": "1",
        "agree": "y",
        "signature": "Robin Client",
        **extra,
    }


def confirm_birth_date(client, token: str, born: str = BORN):
    return post_form(client, f"/intake/{token}", {"date_of_birth": born})


@pytest.fixture
def robin(make_client):
    return make_client(first_name="Robin", last_name="Client", email="robin@example.org",
                       date_of_birth=date(1980, 1, 2))


def test_the_client_confirms_their_birth_date_fills_the_form_once_and_it_becomes_current(
    app, client, robin, make_link
):
    token = make_link(robin)
    opening = client.get(f"/intake/{token}")
    assert opening.status_code == 200
    assert "confirm your date of birth" in page_text(opening)
    confirmed = confirm_birth_date(client, token)
    assert confirmed.headers["Location"] == f"/intake/{token}/form"
    form = page_text(client.get(f"/intake/{token}/form"))
    assert "Hello Robin" in form and "Sinus congestion or sinusitis" in form
    sent = client.post(f"/intake/{token}/form", data=client_answers(client))
    assert sent.headers["Location"] == "/intake/thanks"
    assert "Your form has reached the clinic" in page_text(client.get("/intake/thanks"))
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        assert (intake.version, intake.source, intake.entered_by_id) == (1, "link", None)
        assert {item.code: item.detail for item in intake.items} == {
            "blood_thinners": "apixaban", "sinus": "every winter"}
        saved = db.session.get(Client, robin)
        assert (saved.phone, saved.emergency_contact_name) == ("+1 902 555 0123", "Sam Client")
        assert db.session.scalars(select(IntakeLink)).one().intake_id == intake.id


def test_a_used_link_is_refused_and_a_second_submission_saves_nothing(
    app, client, robin, make_link
):
    token = make_link(robin)
    confirm_birth_date(client, token)
    answers = client_answers(client)
    assert client.post(f"/intake/{token}/form", data=answers).status_code == 302
    again = client.post(f"/intake/{token}/form", data=answers)
    assert again.status_code == 410
    assert "already been used" in page_text(again)
    assert client.get(f"/intake/{token}").status_code == 410
    assert intake_count(app) == 1


def test_a_tampered_token_is_refused_and_saves_nothing(app, client, robin, make_link):
    token = make_link(robin)
    confirm_birth_date(client, token)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/intake/{tampered}").status_code == 404
    assert client.get(f"/intake/{token}x").status_code == 404
    refused = client.post(f"/intake/{tampered}/form", data=client_answers(client))
    assert refused.status_code == 404
    assert intake_count(app) == 0


def test_an_expired_link_is_refused_and_saves_nothing(app, client, robin, make_link):
    token = make_link(robin)
    confirm_birth_date(client, token)
    with app.app_context():
        db.session.execute(update(IntakeLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    refused = client.post(f"/intake/{token}/form", data=client_answers(client))
    assert refused.status_code == 410
    assert "expired" in page_text(refused)
    assert intake_count(app) == 0


def test_links_expire_after_seven_days_by_default(app, robin, make_link):
    make_link(robin)
    with app.app_context():
        link = db.session.scalars(select(IntakeLink)).one()
        assert link.expires_at - link.created_at == timedelta(days=7)


def test_a_withdrawn_link_is_refused_and_saves_nothing(
    app, client, signed_in, robin, make_link
):
    token = make_link(robin)
    visitor = app.test_client()
    confirm_birth_date(visitor, token)
    signed_in(Role.RECEPTION)
    with app.app_context():
        link_id = db.session.scalar(select(IntakeLink.id))
    assert post_form(client, f"/clients/{robin}/intake-links/{link_id}/revoke").status_code == 302
    refused = visitor.post(f"/intake/{token}/form", data=client_answers(visitor))
    assert refused.status_code == 410
    assert "withdrawn" in page_text(refused)
    assert intake_count(app) == 0


def test_a_new_link_withdraws_the_one_before(client, robin, make_link):
    first = make_link(robin)
    second = make_link(robin)
    assert client.get(f"/intake/{first}").status_code == 410
    assert client.get(f"/intake/{second}").status_code == 200


def test_the_client_page_lists_the_links_still_open_and_no_others(
    app, client, signed_in, robin, make_link
):
    signed_in(Role.RECEPTION)
    assert "Withdraw link" not in page_text(client.get(f"/clients/{robin}"))
    make_link(robin)
    make_link(robin)  # withdraws the first
    page = page_text(client.get(f"/clients/{robin}"))
    assert page.count("Withdraw link") == 1 and "Send a new link" in page
    with app.app_context():
        db.session.execute(update(IntakeLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = page_text(client.get(f"/clients/{robin}"))
    assert "Withdraw link" not in page and "Send an intake link" in page


def test_the_form_does_not_open_or_save_before_the_birth_date_is_confirmed(
    app, client, robin, make_link
):
    token = make_link(robin)
    assert client.get(f"/intake/{token}/form").headers["Location"] == f"/intake/{token}"
    skipped = client.post(f"/intake/{token}/form", data=client_answers(client))
    assert skipped.status_code == 302
    assert intake_count(app) == 0


def test_wrong_birth_dates_pause_the_link_then_end_it(app, client, robin, make_link):
    token = make_link(robin)
    for _ in range(2):
        wrong = confirm_birth_date(client, token, "1980-02-01")
        assert "does not match our records" in page_text(wrong)
    assert confirm_birth_date(client, token, "1980-02-01").status_code == 429
    # Paused: even the right answer waits.
    assert confirm_birth_date(client, token).status_code == 429
    for _ in range(3):
        with app.app_context():
            db.session.execute(update(IntakeLink).values(locked_until=None))
            db.session.commit()
        for _ in range(3):
            response = confirm_birth_date(client, token, "1999-09-09")
            if response.status_code == 410:
                break
    assert response.status_code == 410
    assert client.get(f"/intake/{token}").status_code == 410
    with app.app_context():
        wrong_answers = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "intake_link.birth_date_wrong")
        )
    assert wrong_answers == 10


def test_only_a_keyed_hash_of_the_token_is_stored(app, robin, make_link):
    token = make_link(robin)
    assert len(token) >= 32  # 192 random bits, URL-safe
    with app.app_context():
        link = db.session.scalars(select(IntakeLink)).one()
        assert link.token_hash != token and token not in link.token_hash
        assert len(link.token_hash) == 64


@pytest.fixture
def app_overrides(request):
    if "smtp_server" not in request.fixturenames:
        return {}
    server = request.getfixturevalue("smtp_server")
    return {"MAIL_SERVER": server.hostname, "MAIL_PORT": server.port,
            "MAIL_SENDER": "desk@clinic.example"}


def test_reception_emails_the_link_and_also_sees_it_with_a_qr_code(
    client, signed_in, robin, smtp_server
):
    signed_in(Role.RECEPTION)
    response = post_form(client, f"/clients/{robin}/intake-links", {"email_it": "y"})
    page = page_text(response)
    assert "Emailed to robin@example.org" in page
    url = re.search(r'id="intake-url"[^>]*value="([^"]+)"', page).group(1)
    assert re.fullmatch(r"http://localhost/intake/[A-Za-z0-9_-]{32}", url)
    assert 'src="data:image/svg+xml' in page
    (message,) = smtp_server.inbox.messages
    assert message["To"] == "robin@example.org"
    assert url in message.get_content()
    assert client.get(url.removeprefix("http://localhost")).status_code == 200


def test_a_failed_email_keeps_the_link_says_so_and_can_be_sent_again(
    app, client, signed_in, robin, smtp_server
):
    app.config.update(MAIL_PORT=1)  # the mail server is down: nothing listens there
    signed_in(Role.RECEPTION)
    page = page_text(post_form(client, f"/clients/{robin}/intake-links", {"email_it": "y"}))
    assert "The email could not be sent" in page
    url = re.search(r'id="intake-url"[^>]*value="([^"]+)"', page).group(1)
    assert app.test_client().get(url.removeprefix("http://localhost")).status_code == 200
    assert smtp_server.inbox.messages == []

    app.config.update(MAIL_PORT=smtp_server.port)
    page = page_text(post_form(client, f"/clients/{robin}/intake-links", {"email_it": "y"}))
    assert "Emailed to robin@example.org" in page
    url = re.search(r'id="intake-url"[^>]*value="([^"]+)"', page).group(1)
    (message,) = smtp_server.inbox.messages
    assert url in message.get_content()
    assert app.test_client().get(url.removeprefix("http://localhost")).status_code == 200


def test_an_archived_client_gets_no_link(client, signed_in, robin):
    signed_in(Role.RECEPTION)
    post_form(client, f"/clients/{robin}/archive")
    response = post_form(client, f"/clients/{robin}/intake-links", follow_redirects=True)
    assert "Restore the client before sending an intake link." in page_text(response)
