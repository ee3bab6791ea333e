"""Two-factor sign-in: enrolment, a code after the password, replay and guessing refused,
recovery codes, the clinic's requirement, the admin's reset, and the audit trail."""

import re
import threading
import time
from datetime import timedelta

import pyotp
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from clinic.audit.models import AuditEvent
from clinic.auth.models import RecoveryCode, Role, User
from clinic.auth.passwords import hash_password
from clinic.extensions import db
from clinic.types import utcnow
from tests.conftest import PASSWORD, TEST_CONFIG, StaffMember, csrf_token, post_form, sign_in

SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
ENROLMENT_TOKEN = re.compile(r'name="enrolment" type="hidden" value="([^"]+)"')
RECOVERY_CODES = re.compile(r"<li><code>([A-Z2-7-]+)</code></li>")


def audit_actions(app, prefix: str = "") -> list[str]:
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
        return [action for action in actions if action.startswith(prefix)]


def next_code(secret: str) -> str:
    """The code of the next time step: still accepted, and never the one enrolment used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol(client) -> tuple[str, list[str]]:
    """Set up an authenticator as a signed-in member would; returns its secret and the codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    response = post_form(
        client, "/account/two-factor",
        {"enrolment": ENROLMENT_TOKEN.search(page).group(1),
         "code": pyotp.TOTP(secret).now()},
    )
    assert response.status_code == 200
    codes = RECOVERY_CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def sign_out(client) -> None:
    assert post_form(client, "/logout").status_code == 302


def verify(client, code: str, **kwargs):
    return post_form(client, "/login/verify", {"code": code}, **kwargs)


@pytest.fixture
def enrolled(client, signed_in):
    """A therapist with an authenticator, signed out again: (member, secret, recovery codes)."""
    member = signed_in(Role.THERAPIST)
    secret, codes = enrol(client)
    sign_out(client)
    return member, secret, codes


def test_staff_enrol_and_then_sign_in_with_a_code(app, client, enrolled):
    member, secret, _ = enrolled
    response = sign_in(client, member)
    assert response.headers["Location"] == "/login/verify"
    # The right password alone opens nothing.
    assert client.get("/").headers["Location"].startswith("/login")
    assert "Two-factor sign-in" in client.get("/login/verify").get_data(as_text=True)
    response = verify(client, next_code(secret))
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert audit_actions(app, "two_factor.") == ["two_factor.enrolled", "two_factor.verified"]
    assert audit_actions(app)[-1] == "login.succeeded"


def test_the_page_a_member_asked_for_opens_after_the_code(client, enrolled):
    member, secret, _ = enrolled
    sign_in(client, member, query_string={"next": "/clients"})
    assert verify(client, next_code(secret)).headers["Location"] == "/clients"


def test_a_code_works_only_once(client, enrolled):
    member, secret, _ = enrolled
    code = next_code(secret)
    sign_in(client, member)
    assert verify(client, code).status_code == 302
    sign_out(client)
    sign_in(client, member)
    response = verify(client, code)
    assert response.status_code == 200
    assert "has been used already" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_one_code_sent_twice_at_the_same_moment_signs_in_once(app, enrolled):
    member, secret, _ = enrolled
    code = next_code(secret)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        sign_in(browser, member)
    start = threading.Barrier(len(browsers))
    answers = []

    def send(browser, token):
        start.wait()
        answers.append(browser.post("/login/verify", data={"csrf_token": token, "code": code}))

    threads = [threading.Thread(target=send, args=(browser, csrf_token(browser)))
               for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [200, 302]
    assert audit_actions(app, "two_factor.") == ["two_factor.enrolled", "two_factor.verified",
                                                 "two_factor.failed"]


def test_the_code_used_to_enrol_cannot_sign_in(client, enrolled):
    member, secret, _ = enrolled
    sign_in(client, member)
    assert verify(client, pyotp.TOTP(secret).at(time.time() - 30)).status_code == 200
    assert client.get("/").status_code == 302


def test_wrong_codes_are_refused_and_then_throttled(app, client, enrolled):
    member, secret, _ = enrolled
    sign_in(client, member)
    for guess in ["000000", "123456", "999999", "not a code", "111111"]:
        response = verify(client, guess)
        assert response.status_code == 200
        assert "That code is not right" in response.get_data(as_text=True)
    response = verify(client, next_code(secret))
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions(app, "two_factor.failed") == ["two_factor.failed"] * 5
    assert audit_actions(app)[-1] == "login.throttled"


def test_wrong_passwords_and_wrong_codes_share_one_allowance(client, enrolled):
    member, secret, _ = enrolled
    for _ in range(3):
        post_form(client, "/login", {"email": member.email, "password": "a wrong guess"})
    sign_in(client, member)
    verify(client, "000000")
    verify(client, "000001")
    assert verify(client, next_code(secret)).status_code == 429


def test_a_recovery_code_works_once(app, client, enrolled):
    member, _, codes = enrolled
    sign_in(client, member)
    assert verify(client, codes[0]).status_code == 302
    sign_out(client)
    sign_in(client, member)
    assert verify(client, codes[0]).status_code == 200
    # Typed without dashes and in lower case, another code still works.
    assert verify(client, codes[1].replace("-", "").lower()).status_code == 302
    assert audit_actions(app, "two_factor.recovery_used") == ["two_factor.recovery_used"] * 2
    assert "Recovery codes left: 8 of 10" in client.get("/account/two-factor").get_data(
        as_text=True
    )


def test_recovery_codes_are_stored_hashed(app, enrolled):
    member, _, codes = enrolled
    with app.app_context():
        stored = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == member.id)
        ).all()
        user = db.session.get(User, member.id)
        row = " ".join(str(value) for value in vars(user).values())
    assert len(stored) == 10
    for code in codes:
        bare = code.replace("-", "")
        assert not any(code in value or bare in value for value in stored)
        assert bare not in row
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)
    assert len(set(codes)) == 10
    assert all(len(code.replace("-", "")) == 16 for code in codes)


def test_a_wrong_code_at_enrolment_stores_nothing_and_keeps_the_same_key(app, client, signed_in):
    member = signed_in(Role.RECEPTION)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1)
    response = post_form(
        client, "/account/two-factor",
        {"enrolment": ENROLMENT_TOKEN.search(page).group(1), "code": "000000"},
    )
    text = response.get_data(as_text=True)
    assert "That code is not right" in text
    assert SECRET_ON_PAGE.search(text).group(1) == secret
    with app.app_context():
        user = db.session.get(User, member.id)
        assert not user.two_factor_enabled and user.totp_secret is None
    assert audit_actions(app, "two_factor.") == ["two_factor.failed"]


def test_a_forged_enrolment_key_is_refused(app, client, signed_in):
    signed_in(Role.RECEPTION)
    secret = pyotp.random_base32()
    response = post_form(
        client, "/account/two-factor",
        {"enrolment": "forged." + secret, "code": pyotp.TOTP(secret).now()},
    )
    assert "This page was open too long" in response.get_data(as_text=True)
    assert audit_actions(app, "two_factor.enrolled") == []


@pytest.mark.parametrize("app_overrides", [{"SECOND_FACTOR_WAIT": timedelta(seconds=-1)}])
def test_the_code_page_waits_only_a_few_minutes(client, enrolled):
    member, secret, _ = enrolled
    sign_in(client, member)
    response = verify(client, next_code(secret))
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_a_member_deactivated_between_password_and_code_is_not_signed_in(app, client, enrolled):
    member, secret, _ = enrolled
    sign_in(client, member)
    with app.app_context():
        db.session.get(User, member.id).active = False
        db.session.commit()
    assert verify(client, next_code(secret)).headers["Location"] == "/login"


def test_the_code_page_without_a_password_first_sends_to_sign_in(client):
    assert client.get("/login/verify").headers["Location"] == "/login"


def test_a_member_turns_two_factor_off_with_password_and_code(app, client, enrolled):
    member, secret, codes = enrolled
    sign_in(client, member)
    verify(client, next_code(secret))
    wrong = post_form(client, "/account/two-factor/disable",
                      {"current_password": member.password, "code": "000000"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    wrong = post_form(client, "/account/two-factor/disable",
                      {"current_password": "not my password", "code": "000000"})
    assert "That is not your current password." in wrong.get_data(as_text=True)
    response = post_form(
        client, "/account/two-factor/disable",
        {"current_password": member.password, "code": codes[0]},
        follow_redirects=True,
    )
    assert "Two-factor sign-in is off for your account." in response.get_data(as_text=True)
    sign_out(client)
    assert sign_in(client, member).headers["Location"] == "/"
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode)).all() == []
    assert audit_actions(app, "two_factor.")[-1] == "two_factor.disabled"


SETTINGS = {
    "name": "Seaside Facial Massage",
    "currency": "GBP",
    "default_tax_rate": "0",
    "invoice_prefix": "SFM",
    "page_size": "A4",
    "retention_years": "10",
}


def test_the_clinic_can_require_two_factor_of_everyone(app, client, make_user):
    admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    response = post_form(client, "/admin/settings", {**SETTINGS, "require_two_factor": "y"})
    assert response.status_code == 302
    # The admin who turned it on is the first to be asked.
    assert client.get("/").headers["Location"] == "/account/two-factor"

    therapist = make_user(Role.THERAPIST)
    other = app.test_client()
    assert sign_in(other, therapist).status_code == 302
    for url in ["/", "/clients", "/account/password"]:
        assert other.get(url).headers["Location"] == "/account/two-factor", url
    assert "The clinic requires two-factor sign-in" in other.get(
        "/account/two-factor"
    ).get_data(as_text=True)
    secret, _ = enrol(other)
    assert other.get("/clients").status_code == 200
    # Required, so it cannot be turned off.
    assert "cannot be turned off" in other.get("/account/two-factor").get_data(as_text=True)
    response = post_form(other, "/account/two-factor/disable",
                         {"current_password": therapist.password, "code": next_code(secret)})
    assert "requires two-factor sign-in for all staff" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, therapist.id).two_factor_enabled
    # Signing out still works for someone who has not enrolled.
    sign_out(client)
    assert client.get("/").headers["Location"].startswith("/login")


def test_the_admin_resets_a_lost_authenticator(app, client, enrolled, make_user):
    member, _, _ = enrolled
    admin = make_user(Role.ADMIN)
    desk = app.test_client()
    sign_in(desk, admin)
    assert "Reset two-factor" in desk.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    response = post_form(desk, f"/admin/staff/{member.id}/two-factor/reset",
                         follow_redirects=True)
    assert "authenticator is removed" in response.get_data(as_text=True)
    assert "Reset two-factor" not in response.get_data(as_text=True)
    # The member signs in with their password alone and may enrol again.
    assert sign_in(client, member).headers["Location"] == "/"
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "two_factor.reset")
        ).one()
        assert (event.actor_id, event.object_id) == (admin.id, str(member.id))
        assert db.session.scalars(select(RecoveryCode)).all() == []
    again = post_form(desk, f"/admin/staff/{member.id}/two-factor/reset", follow_redirects=True)
    assert "has no authenticator to reset" in again.get_data(as_text=True)


def test_every_two_factor_event_is_audited(app, client, enrolled, make_user):
    member, secret, codes = enrolled
    sign_in(client, member)
    verify(client, "000000")
    verify(client, next_code(secret))
    sign_out(client)
    sign_in(client, member)
    verify(client, codes[0])
    post_form(client, "/account/two-factor/disable",
              {"current_password": member.password, "code": codes[1]})
    enrol(client)
    admin_client = app.test_client()
    sign_in(admin_client, make_user(Role.ADMIN))
    post_form(admin_client, f"/admin/staff/{member.id}/two-factor/reset")
    assert audit_actions(app, "two_factor.") == [
        "two_factor.enrolled",
        "two_factor.failed",
        "two_factor.verified",
        "two_factor.recovery_used",
        "two_factor.disabled",
        "two_factor.enrolled",
        "two_factor.reset",
    ]
    assert audit_actions(app, "login.password_accepted") == ["login.password_accepted"] * 2


# ---- the secret at rest ----

def stored_secret(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(
            text("SELECT totp_secret FROM staff_user WHERE id = :id"), {"id": user_id}
        ).scalar_one()


def test_the_authenticator_secret_is_stored_encrypted(app, enrolled):
    member, secret, _ = enrolled
    stored = stored_secret(app, member.id)
    assert stored.startswith("v1:")
    assert secret not in stored.upper()


def test_with_another_key_codes_are_refused_with_a_reason_and_recovery_codes_still_work(
    build_app, enrolled
):
    member, secret, codes = enrolled
    rekeyed = build_app(TOTP_ENCRYPTION_KEY="not the key the secret was stored with")
    browser = rekeyed.test_client()
    sign_in(browser, member)
    response = verify(browser, next_code(secret))
    assert response.status_code == 200
    assert ("Codes from your authenticator app cannot be checked at the moment"
            in response.get_data(as_text=True))
    assert browser.get("/").status_code == 302
    assert verify(browser, codes[0]).headers["Location"] == "/"
    with rekeyed.app_context():
        reasons = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "two_factor.failed")
        ).all()
    assert reasons == ['{"reason": "authenticator secret unreadable"}']


def test_a_secret_copied_onto_another_account_opens_nothing(app, client, enrolled, make_user):
    member, secret, _ = enrolled
    other = make_user(Role.RECEPTION)
    with app.app_context():
        db.session.execute(
            text("UPDATE staff_user SET totp_secret = :secret, totp_enabled_at = :now "
                 "WHERE id = :id"),
            {"secret": stored_secret(app, member.id), "now": utcnow(), "id": other.id},
        )
        db.session.commit()
    sign_in(client, other)
    response = verify(client, next_code(secret))
    assert "cannot be checked at the moment" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_upgrade_encrypts_secrets_kept_before_it_and_sign_in_goes_on(build_app, tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    secret = pyotp.random_base32()
    with app.app_context():
        upgrade(revision="0008")
        user = User(role=Role.THERAPIST, email="maya@clinic.example", name="Maya Okafor",
                    password_hash=hash_password(PASSWORD), active=True,
                    totp_secret=secret, totp_enabled_at=utcnow())
        db.session.add(user)
        db.session.commit()
        member = StaffMember(user.id, user.email, PASSWORD, user.role, user.name)
        upgrade()
    assert secret not in stored_secret(app, member.id)
    browser = app.test_client()
    sign_in(browser, member)
    assert verify(browser, pyotp.TOTP(secret).now()).headers["Location"] == "/"
    with app.app_context():
        downgrade(revision="0008")
    assert stored_secret(app, member.id) == secret


def reencrypt(app, old_key: str):
    return app.test_cli_runner().invoke(
        args=["users", "reencrypt-two-factor", "--old-key-stdin"], input=old_key + "\n"
    )


def test_after_a_key_change_the_secrets_move_to_the_new_key(build_app, enrolled):
    member, secret, _ = enrolled
    rekeyed = build_app(TOTP_ENCRYPTION_KEY="the clinic's new two-factor key")
    wrong = reencrypt(rekeyed, "a key that was never used")
    assert wrong.exit_code == 1
    assert f"reset their two-factor sign-in: {member.email}" in wrong.output
    result = reencrypt(rekeyed, TEST_CONFIG["SECRET_KEY"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 authenticator secret(s)" in result.output
    browser = rekeyed.test_client()
    sign_in(browser, member)
    assert verify(browser, next_code(secret)).headers["Location"] == "/"
    assert "Re-encrypted 0" in reencrypt(rekeyed, TEST_CONFIG["SECRET_KEY"]).output
