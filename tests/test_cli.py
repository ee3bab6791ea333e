"""The command line a clinic's operator uses on a real install."""

from sqlalchemy import func, select

from clinic.auth.models import User
from clinic.extensions import db
from tests.conftest import post_form


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User)))


def test_users_create_makes_the_first_admin_who_can_sign_in(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Owner@Clinic.example", "--name", "Olive Owner",
              "--role", "admin", "--password-stdin"],
        input="the owner's passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin owner@clinic.example." in result.output
    [owner] = users(app)
    assert owner.password_hash.startswith("$argon2id$")
    response = post_form(
        app.test_client(),
        "/login",
        {"email": "owner@clinic.example", "password": "the owner's passphrase"},
        follow_redirects=True,
    )
    assert "Clinic overview" in response.get_data(as_text=True)


def test_users_create_prompts_for_the_password_twice(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "desk@clinic.example", "--name", "Desk",
              "--role", "reception"],
        input="front desk secret\nfront desk secret\n",
    )
    assert result.exit_code == 0, result.output
    assert len(users(app)) == 1


def test_users_create_refuses_bad_input_and_stores_nothing(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "--email", "a@clinic.example", "--name", "A", "--role", "admin",
              "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    no_number = runner.invoke(
        args=["users", "create", "--email", "t@clinic.example", "--name", "T",
              "--role", "therapist", "--password-stdin"],
        input="long enough password\n",
    )
    assert no_number.exit_code == 1
    assert "registration number" in no_number.output
    assert users(app) == []


def test_demo_seed_fills_an_empty_clinic_once_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0
    assert "admin@harbourview.example" in first.output and "demo-admin-pass" in first.output
    second = runner.invoke(args=["demo", "seed"])
    assert "Demo clinic created." not in second.output
    assert "demo-admin-pass" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 4
    response = post_form(
        app.test_client(),
        "/login",
        {"email": "maya@harbourview.example", "password": "demo-therapist-pass"},
        follow_redirects=True,
    )
    assert "Your visits today" in response.get_data(as_text=True)


def test_demo_seed_leaves_a_real_clinic_alone(app, make_user):
    make_user("admin")
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert "no demo data added" in result.output
    assert "demo-admin-pass" not in result.output
    assert len(users(app)) == 1
