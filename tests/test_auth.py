"""Signing in and out, sessions that end when they should, and the login throttle."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, StaffSession, User
from clinic.extensions import db
from clinic.types import utcnow
from tests.conftest import post_form, sign_in


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    ("role", "heading"),
    [(Role.ADMIN, "Clinic overview"), (Role.THERAPIST, "Today,"), (Role.RECEPTION, "Front desk")],
)
def test_each_role_lands_on_its_own_home_page(client, make_user, role, heading):
    response = sign_in(client, make_user(role), follow_redirects=True)
    assert response.status_code == 200
    assert f"<h1>{heading}" in response.get_data(as_text=True)


def test_sign_in_is_case_insensitive_on_the_email(client, make_user):
    member = make_user(Role.RECEPTION)
    response = post_form(
        client, "/login", {"email": member.email.upper(), "password": member.password}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("email_known", [True, False])
def test_a_wrong_password_or_unknown_email_gets_the_same_message(client, make_user, email_known):
    member = make_user(Role.THERAPIST)
    email = member.email if email_known else "nobody@clinic.example"
    response = post_form(client, "/login", {"email": email, "password": "wrong password!"})
    assert response.status_code == 200
    assert "The email or password is not right." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_deactivated_account_cannot_sign_in(client, make_user):
    member = make_user(Role.THERAPIST, active=False)
    response = sign_in(client, member)
    assert "has been deactivated" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_passwords_are_stored_as_argon2id(app, make_user):
    member = make_user(Role.ADMIN)
    with app.app_context():
        stored = db.session.get(User, member.id).password_hash
    assert stored.startswith("$argon2id$")
    assert member.password not in stored


def test_every_attempt_is_in_the_audit_log(app, client, make_user):
    member = make_user(Role.RECEPTION)
    post_form(client, "/login", {"email": member.email, "password": "not the password"})
    sign_in(client, member)
    post_form(client, "/logout")
    assert audit_actions(app) == ["login.failed", "login.succeeded", "logout"]


def test_sign_out_is_a_post_and_a_captured_cookie_is_useless_after_it(client, make_user):
    sign_in(client, make_user(Role.THERAPIST))
    assert client.get("/logout").status_code == 405
    captured = client.get_cookie("clinic_session").value
    response = post_form(client, "/logout", follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    client.set_cookie("clinic_session", captured)
    assert client.get("/").status_code == 302


def test_sign_in_starts_a_fresh_session(client, make_user):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, make_user(Role.THERAPIST))
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
    post_form(client, "/logout")
    sign_in(client, make_user(Role.THERAPIST))
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_idle_browser_is_signed_out(client, make_user):
    sign_in(client, make_user(Role.RECEPTION))
    with client.session_transaction() as session:
        session["seen"] -= 16 * 60
    response = client.get("/", follow_redirects=True)
    assert "signed out after a period without activity" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"IDLE_TIMEOUT": timedelta(minutes=30)}])
def test_idle_timeout_is_configurable(client, make_user):
    sign_in(client, make_user(Role.RECEPTION))
    with client.session_transaction() as session:
        session["seen"] -= 16 * 60
    assert client.get("/").status_code == 200


def test_a_session_ends_at_its_absolute_lifetime(app, client, make_user):
    sign_in(client, make_user(Role.ADMIN))
    with app.app_context():
        db.session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_live_sessions(app, make_user):
    therapist = make_user(Role.THERAPIST)
    therapist_browser = app.test_client()
    sign_in(therapist_browser, therapist)
    admin_browser = app.test_client()
    sign_in(admin_browser, make_user(Role.ADMIN))
    post_form(admin_browser, f"/admin/staff/{therapist.id}/deactivate")
    assert therapist_browser.get("/").status_code == 302


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app, make_user):
    member = make_user(Role.THERAPIST)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, member)
    sign_in(phone, member)
    response = post_form(
        laptop,
        "/account/password",
        {
            "current_password": member.password,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    fresh = app.test_client()
    assert post_form(fresh, "/login", {"email": member.email, "password": member.password}
                     ).status_code == 200
    assert post_form(fresh, "/login", {"email": member.email,
                                       "password": "a brand new passphrase"}).status_code == 302


@pytest.mark.parametrize(
    ("new_password", "accepted"),
    [
        ("nine char", False),
        ("ten chars!", True),
        ("x" * 64, True),
        ("all lowercase words ok", True),
    ],
)
def test_password_policy_is_length_only(client, signed_in, new_password, accepted):
    member = signed_in(Role.RECEPTION)
    response = post_form(
        client,
        "/account/password",
        {"current_password": member.password, "new_password": new_password,
         "confirm_password": new_password},
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "at least 10 characters" in response.get_data(as_text=True)


def test_wrong_current_password_is_refused_next_to_the_field(client, signed_in):
    signed_in(Role.RECEPTION)
    response = post_form(
        client,
        "/account/password",
        {"current_password": "not my password", "new_password": "another passphrase",
         "confirm_password": "another passphrase"},
    )
    assert "That is not your current password." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "next_url",
    ["//evil.example/", "javascript:alert(1)", "http://evil.example/", "/\\evil.example",
     "https:evil.example"],
)
def test_an_unsafe_next_falls_back_to_home(client, make_user, next_url):
    response = sign_in(client, make_user(Role.ADMIN), query_string={"next": next_url})
    assert response.headers["Location"] == "/"


def test_a_safe_next_is_followed(client, make_user):
    assert client.get("/admin/staff").headers["Location"] == "/login?next=%2Fadmin%2Fstaff"
    response = sign_in(client, make_user(Role.ADMIN), query_string={"next": "/admin/staff"})
    assert response.headers["Location"] == "/admin/staff"


class TestThrottle:
    @staticmethod
    def fail(client, email, ip="10.0.0.1"):
        return post_form(
            client, "/login", {"email": email, "password": "guessing wrong"},
            environ_base={"REMOTE_ADDR": ip},
        )

    def test_repeated_failures_on_one_account_answer_429_even_with_the_right_password(
        self, app, client, make_user
    ):
        member = make_user(Role.RECEPTION)
        for _ in range(5):
            assert self.fail(client, member.email).status_code == 200
        response = sign_in(client, member, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
        assert audit_actions(app)[-1] == "login.throttled"

    def test_the_throttle_lifts_when_the_window_has_passed(self, app, client, make_user):
        member = make_user(Role.RECEPTION)
        for _ in range(5):
            self.fail(client, member.email)
        with app.app_context():
            db.session.execute(
                update(AuditEvent).values(occurred_at=utcnow() - timedelta(minutes=16))
            )
            db.session.commit()
        assert sign_in(client, member).status_code == 302

    @pytest.mark.parametrize("app_overrides", [{"LOGIN_MAX_FAILURES_PER_IP": 3}])
    def test_many_accounts_tried_from_one_address_are_throttled(self, client, make_user):
        for n in range(3):
            self.fail(client, f"guess{n}@clinic.example")
        member = make_user(Role.ADMIN)
        assert sign_in(client, member, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
        other_place = client.application.test_client()
        assert sign_in(other_place, member,
                       environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
