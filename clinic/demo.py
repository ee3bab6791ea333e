"""A demo clinic for trying the app: settings and one login per role."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from clinic.admin import services as admin_services
from clinic.aftercare import demo as aftercare_demo
from clinic.aftercare import services as aftercare_services
from clinic.auth.models import Role, User
from clinic.clients import services as client_services
from clinic.clients.services import Answer, ClientDetails, IntakeAnswers
from clinic.extensions import db
from clinic.invoices import demo as invoices_demo
from clinic.types import utcnow
from clinic.visits import demo as visits_demo

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

# Published demo login, printed by `flask demo seed`.
THERAPIST_PASSWORD = "demo-therapist-pass"  # noqa: S105  # nosec B105

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
    staff = [
        admin_services.create_staff(
            admin_services.StaffDetails(name, email, role, registration_number), password
        )
        for name, email, role, registration_number, password in STAFF
    ]
    _seed_clients(entered_by=staff[1].id)
    _seed_aftercare()
    visits_demo.seed_week(date.today(), desk=staff[3])
    invoices_demo.seed(desk=staff[3], today=date.today())
    aftercare_demo.seed_handouts(date.today())
    return True


def _days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


# Clients whose intakes, between them, tick every condition and every health question.
# Each intake: (ticked {code: detail or (detail, date)}, other answers).
CLIENTS = [
    (
        ClientDetails(first_name="Elena", last_name="Marsh", date_of_birth=date(1979, 6, 14),
                      pronouns="she/her", phone="+1 902 555 0181", email="elena@example.org",
                      emergency_contact_name="Paul Marsh", emergency_contact_phone="902 555 0182"),
        [
            ({"teeth_grinding": "At night; my dentist noticed worn teeth."},
             {"reason": "Sore jaw every morning.", "pressure": "medium"}),
            ({"teeth_grinding": "At night; I now wear a night guard.",
              "jaw_pain": "Clicks on the left when I chew.",
              "headaches": "Usually start at the temples.",
              "allergy_nut_oils": "Almond: hives.",
              "injections": ("Lip filler.", _days_ago(5))},
             {"reason": "Sore jaw every morning and new migraines.",
              "goals": "Less clenching; fewer headaches.", "pressure": "light",
              "headache_kind": "migraine", "headache_frequency": "weekly",
              "headache_recent": True}),
        ],
    ),
    (
        ClientDetails(first_name="Tom", last_name="Okonkwo", date_of_birth=date(1961, 11, 2),
                      pronouns="he/him", phone="+1 902 555 0147", email="tom.ok@example.org",
                      handout_delivery="print"),
        [
            ({"sinus": "Blocked every winter.", "neck_tension": "Desk job, right side worst.",
              "headaches": "Late afternoon.", "blood_thinners": "Apixaban since March.",
              "medications": "Metoprolol.", "allergy_fragrance": "Lavender makes me sneeze."},
             {"reason": "Sinus pressure and a stiff neck.", "pressure": "ask",
              "headache_kind": "tension", "headache_frequency": "daily",
              "areas_to_avoid": "Left shoulder (bursitis)."}),
        ],
    ),
    (
        ClientDetails(first_name="Aiyana", last_name="Brooks", date_of_birth=date(1991, 2, 27),
                      phone="902-555-0163", email="aiyana.b@example.org",
                      handout_delivery="link"),
        [
            ({"puffiness": "Mornings, under the eyes.", "fine_lines": "Forehead.",
              "skin_condition": "Rosacea on the cheeks.", "peel_laser": ("Chemical peel.",
                                                                        _days_ago(10)),
              "facial_surgery": ("Eyelid surgery.", _days_ago(400)),
              "allergy_lotions": "Heavy creams break me out.", "allergy_latex": "Rash.",
              "pregnancy": "24 weeks."},
             {"reason": "Puffiness and a relaxing facial.", "pressure": "light"}),
        ],
    ),
    (
        ClientDetails(first_name="Sofia", last_name="Ramos", date_of_birth=date(1986, 8, 9),
                      phone="+1 902 555 0110", email="sofia.ramos@example.org"),
        [
            ({"skin_infection": "Cold sore on the upper lip.",
              "recent_illness": "Flu last week, no fever now.",
              "allergy_other": "Penicillin."},
             {"reason": "Tension after a long week.", "pressure": "firm"}),
        ],
    ),
    (
        ClientDetails(first_name="Grace", last_name="Whitfield", date_of_birth=date(1954, 4, 30),
                      phone="+1 902 555 0175", email="grace.w@example.org"),
        [({"neck_tension": "Both sides."}, {"reason": "Neck stiffness.", "pressure": "medium"})],
    ),
    (
        ClientDetails(first_name="Marcus", last_name="Lee", date_of_birth=date(2001, 12, 19),
                      phone="+1 902 555 0139", email="marcus.lee@example.org"),
        [],
    ),
]


def _seed_clients(entered_by: int) -> None:
    consent_version = client_services.current_consent()[0]
    for details, intakes in CLIENTS:
        client = client_services.create_client(details, duplicates_checked=True)
        for ticked, answers in intakes:
            items = {
                code: Answer(*value) if isinstance(value, tuple) else Answer(value)
                for code, value in ticked.items()
            }
            answers = IntakeAnswers(
                contact=client_services.contact_of(client), items=items,
                consent_version=consent_version, agreed=True, signature=client.name, **answers,
            )
            intake = client_services.submit_at_desk(client, answers, entered_by)
        if client.last_name == "Whitfield":
            # An intake from more than a year ago, to show the "please update" status.
            intake.submitted_at = utcnow() - timedelta(days=420)
            db.session.commit()


def _seed_aftercare() -> None:
    aftercare_services.install_standard_techniques()
