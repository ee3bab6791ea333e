"""The admin manages staff accounts and the clinic's settings."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from clinic.admin.models import ClinicSettings
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.extensions import db
from tests.conftest import post_form, sign_in

NEW_STAFF = {
    "name": "Robin Achterberg",
    "email": "Robin@Clinic.example",
    "role": "therapist",
    "registration_number": "RMT-20417",
    "password": "a long enough password",
}


def staff_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def admin(signed_in):
    return signed_in(Role.ADMIN)


def test_admin_adds_a_therapist_who_can_then_sign_in(app, client, admin):
    response = post_form(client, "/admin/staff/new", NEW_STAFF, follow_redirects=True)
    assert "Robin Achterberg can now sign in as therapist." in response.get_data(as_text=True)
    assert "RMT-20417" in response.get_data(as_text=True)
    therapist_browser = app.test_client()
    response = post_form(
        therapist_browser,
        "/login",
        {"email": "robin@clinic.example", "password": NEW_STAFF["password"]},
        follow_redirects=True,
    )
    assert "Your visits today" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "staff.created")) == "staff.created"


@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"registration_number": ""}, "Therapists need their registration number"),
        ({"email": "not-an-email"}, "Enter an email like name@example.com."),
        ({"name": "   "}, "Enter a name."),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"role": "owner"}, "Not a valid choice"),
    ],
)
def test_bad_staff_details_are_refused_next_to_the_field(app, client, admin, change,
                                                         field_message):
    before = staff_count(app)
    response = post_form(client, "/admin/staff/new", {**NEW_STAFF, **change})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_message in page
    assert 'aria-invalid="true"' in page
    assert staff_count(app) == before


def test_an_email_already_in_use_is_refused(app, client, admin, make_user):
    taken = make_user(Role.RECEPTION)
    response = post_form(client, "/admin/staff/new", {**NEW_STAFF, "email": taken.email.upper()})
    assert "Another staff member already uses this email." in response.get_data(as_text=True)


def test_admin_edits_a_staff_member_and_sets_a_new_password(app, client, admin, make_user):
    member = make_user(Role.RECEPTION)
    response = post_form(
        client,
        f"/admin/staff/{member.id}",
        {"name": "Renamed Person", "email": member.email, "role": "reception",
         "registration_number": "", "password": "reset by the admin"},
    )
    assert response.status_code == 302
    assert "Renamed Person" in client.get("/admin/staff").get_data(as_text=True)
    assert sign_in(app.test_client(), member).status_code == 200
    fresh = app.test_client()
    assert post_form(fresh, "/login", {"email": member.email,
                                       "password": "reset by the admin"}).status_code == 302


def test_the_last_admin_cannot_be_demoted_or_deactivate_themselves(app, client, admin):
    response = post_form(
        client,
        f"/admin/staff/{admin.id}",
        {"name": admin.name, "email": admin.email, "role": "reception"},
    )
    assert "The clinic needs at least one active admin." in response.get_data(as_text=True)
    response = post_form(client, f"/admin/staff/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_deactivate_and_reactivate(app, client, admin, make_user):
    member = make_user(Role.THERAPIST)
    response = post_form(client, f"/admin/staff/{member.id}/deactivate", follow_redirects=True)
    assert "is deactivated and signed out everywhere" in response.get_data(as_text=True)
    assert "has been deactivated" in sign_in(app.test_client(), member).get_data(as_text=True)
    post_form(client, f"/admin/staff/{member.id}/reactivate")
    assert sign_in(app.test_client(), member).status_code == 302
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"staff.deactivated", "staff.activated"} <= actions


SETTINGS = {
    "name": "Seaside Facial Massage",
    "address": "1 Shore Road",
    "phone": "+44 20 7946 0000",
    "email": "hello@seaside.example",
    "tax_id": "GB123456789",
    "currency": "GBP",
    "default_tax_rate": "9.975",
    "invoice_prefix": "SFM",
    "page_size": "Letter",
    "retention_years": "12",
}


def png_bytes(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 95, 87)).save(buffer, "PNG")
    return buffer.getvalue()


def test_admin_saves_the_clinic_settings_and_a_logo(app, client, admin):
    data = {**SETTINGS, "logo_upload": (io.BytesIO(png_bytes()), "logo.png")}
    response = post_form(client, "/admin/settings", data, follow_redirects=True)
    assert "Clinic settings saved." in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(ClinicSettings, 1)
        assert saved.default_tax_rate == Decimal("9.975")
        assert (saved.currency, saved.page_size, saved.invoice_prefix) == ("GBP", "Letter", "SFM")
        assert saved.retention_years == 12
    logo = client.get("/clinic-logo")
    assert logo.mimetype == "image/png" and logo.data == png_bytes()
    assert "Seaside Facial Massage" in client.get("/").get_data(as_text=True)
    post_form(client, "/admin/settings", {**SETTINGS, "remove_logo": "y"})
    assert client.get("/clinic-logo").status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"default_tax_rate": "9.9751"}, "Use at most three decimals"),
        ({"default_tax_rate": "150"}, "Enter a rate between 0 and 100."),
        ({"default_tax_rate": "ten"}, "Not a valid decimal value"),
        ({"invoice_prefix": "inv 2026"}, "Use 1 to 10 capital letters or digits."),
        ({"name": ""}, "Enter the clinic&#39;s name."),
        ({"email": "desk@"}, "Enter an email like desk@example.com."),
        ({"retention_years": "0"}, "Enter a number of years between 1 and 100."),
        ({"retention_years": ""}, "Enter a number of years, e.g. 10."),
        ({"logo_upload": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.png")},
         "must be a PNG or JPEG"),
        ({"logo_upload": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 2000), "logo.png")},
         "must be a PNG or JPEG"),
        ({"logo_upload": (io.BytesIO(png_bytes((4500, 10))), "wide.png")}, "up to 4000 by 4000"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(app, client, admin, change, message):
    response = post_form(client, "/admin/settings", {**SETTINGS, **change})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ClinicSettings, 1) is None


@pytest.mark.parametrize("app_overrides", [{"LOGO_MAX_BYTES": 1000}])
def test_an_oversized_logo_is_refused(app, client, admin):
    big = png_bytes((400, 400))
    assert len(big) > 1000
    upload = {"logo_upload": (io.BytesIO(big), "a.png")}
    response = post_form(client, "/admin/settings", {**SETTINGS, **upload})
    assert "The logo must be at most 1000 bytes." in response.get_data(as_text=True)
