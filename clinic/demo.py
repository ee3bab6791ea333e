"""A demo clinic for trying the app: settings and one login per role."""

from decimal import Decimal

from sqlalchemy import func, select

from clinic.admin import services as admin_services
from clinic.auth.models import Role, User
from clinic.extensions import db

CLINIC = {
    "name": "Harbourview Massage & Facial Therapy",
    "address": "214 Harbour Street, Suite 3\nHalifax, NS B3J 1A1",
    "phone": "+1 902 555 0142",
    "email": "desk@harbourview.example",
    "tax_id": "GST/HST 81234 5678 RT0001",
    "currency": "CAD",
    "default_tax_rate": Decimal("15"),
    "invoice_prefix": "INV",
    "page_size": "Letter",
}

THERAPIST_PASSWORD = "demo-therapist-pass"  # noqa: S105 (published demo login)

STAFF = [
    ("Avery Lindqvist", "admin@harbourview.example", Role.ADMIN, None, "demo-admin-pass"),
    ("Maya Okafor", "maya@harbourview.example", Role.THERAPIST, "RMT-10482", THERAPIST_PASSWORD),
    ("Jonah Reyes", "jonah@harbourview.example", Role.THERAPIST, "RMT-11907", THERAPIST_PASSWORD),
    ("Priya Nandakumar", "desk@harbourview.example", Role.RECEPTION, None, "demo-reception-pass"),
]


LOGINS = [(role.value, email, password) for _, email, role, _, password in STAFF]


def is_present() -> bool:
    return db.session.scalar(select(User.id).where(User.email == STAFF[0][1])) is not None


def seed() -> bool:
    """Fill an empty database and say so; a database that has staff is left alone."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return False
    admin_services.update_settings(CLINIC)
    for name, email, role, registration_number, password in STAFF:
        admin_services.create_staff(
            admin_services.StaffDetails(name, email, role, registration_number), password
        )
    return True
