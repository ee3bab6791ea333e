"""A large clinic written straight into a migrated database with bulk inserts (Core, no ORM).

Ids are given here rather than read back, so visits, notes, invoices, lines and payments can
point at each other without a round trip per row. The database must be empty.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import Connection, Table

from clinic.admin.models import DEFAULTS, ClinicSettings
from clinic.aftercare.documents import technique_snapshot
from clinic.aftercare.library import STANDARD_TECHNIQUES
from clinic.aftercare.models import DeliveryStatus, Handout, HandoutDelivery, Technique
from clinic.auth.models import Role, User
from clinic.clients.models import QUESTIONS, Client, ConsentText, Delivery, Intake, IntakeItem
from clinic.clients.services import fold, phone_key
from clinic.invoices.models import (
    DocumentCounter,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Series,
    invoice_content_hash,
)
from clinic.invoices.money import line_amounts
from clinic.visits.models import TreatmentNote, Visit, VisitStatus, note_content_hash
from clinic.visits.services import local, to_utc

FIRST = ["Jane", "Robin", "Zoë", "Marcus", "Aiyana", "Tom", "Elena", "Priya", "Noor", "Sam",
         "Grace", "Sofia", "Liam", "Mei", "Omar", "Ines", "Kwame", "Hana", "Lucas", "Ava"]
LAST = ["Smith", "Okonkwo", "Brooks", "Marsh", "Ramos", "Lee", "Whitfield", "Haddad", "Nguyen",
        "O'Brien", "García", "Kowalski", "Tremblay", "MacLeod", "Singh", "Dubois", "Rossi"]
SERVICES = [("Lifting facial, 75 min", 75, "120.00"), ("TMJ and jaw release", 60, "95.00"),
            ("Sinus relief facial, 45 min", 45, "70.00"),
            ("Neck and shoulders, 60 min", 60, "90.00")]
NOTE = {
    "subjective": "Jaw tight on waking, clenching worse with deadlines; headaches twice a week. "
                  "Did the jaw release at home most evenings.",
    "objective": "Masseter hypertonic bilaterally, R > L; temporalis tender; mild sinus "
                 "tenderness over maxillary area; skin calm, no contraindications.",
    "assessment": "Intra-oral and external masseter release, temporalis and suboccipital work, "
                  "lymphatic drainage of the face, medium pressure, 60 min; client relaxed, "
                  "jaw opening improved from two to three fingers.",
    "plan": "Return in two weeks. Home care: jaw release each evening, sinus drainage strokes "
            "in the shower, tongue posture reminders.",
}
# Not an argon2 hash: seeded therapists cannot sign in.
NO_PASSWORD = "!"  # noqa: S105
# The stored PDF of every seeded handout: no page reads a handout's bytes (they are loaded
# only for a download), so a stand-in keeps the database small.
HANDOUT_PDF = b"%PDF-1.7\n% a seeded handout\n%%EOF\n"
HANDOUT_SHA256 = hashlib.sha256(HANDOUT_PDF).hexdigest()
BATCH = 5000


@dataclass(frozen=True)
class Size:
    clients: int
    visits: int
    invoices: int
    therapists: int
    # Bookings run this many days past today; the rest of the visits go back from there.
    days_ahead: int = 14
    # Aftercare handouts, spread over the completed visits from the newest back.
    handouts: int = 0


DEFAULT = Size(clients=20_000, visits=100_000, invoices=60_000, therapists=16, handouts=20_000)
SMALL = Size(clients=2_000, visits=10_000, invoices=6_000, therapists=8, handouts=2_000)


@dataclass(frozen=True)
class Seeded:
    """What the runner needs to point the load generator at."""

    size: Size
    today: date
    client_id: int  # a client with visits, notes and invoices
    visit_id: int  # a completed visit with a signed note
    search: str  # a name prefix that matches many clients


def _insert(connection: Connection, table: Table, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)


def _staff(connection: Connection, admin_email: str, admin_hash: str, size: Size,
           now: datetime) -> list[int]:
    rows = [{"id": 1, "email": admin_email, "name": "Bench Admin", "role": Role.ADMIN,
             "registration_number": None, "password_hash": admin_hash, "active": True,
             "created_at": now, "updated_at": now}]
    rows += [{"id": n, "email": f"therapist{n}@bench.example", "name": f"{FIRST[n % 20]} T{n}",
              "role": Role.THERAPIST, "registration_number": f"RMT-{n:05d}",
              "password_hash": NO_PASSWORD, "active": True, "created_at": now,
              "updated_at": now} for n in range(2, size.therapists + 2)]
    _insert(connection, User.__table__, rows)
    return [row["id"] for row in rows[1:]]


def clients(rng: random.Random, count: int, now: datetime):
    """`count` clients with ids from 1, names drawn from a few common ones (searches match)."""
    for n in range(1, count + 1):
        first = rng.choice(FIRST)
        last = f"{rng.choice(LAST)}{'' if n % 3 else rng.randint(1, 999)}"
        phone = f"+1 902 555 {n % 10000:04d}"
        yield {
            "id": n, "first_name": first, "last_name": last,
            "name_key": fold(f"{first} {last}"), "sort_key": fold(f"{last} {first}"),
            "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randint(0, 25000)),
            "pronouns": "", "phone": phone, "phone_key": phone_key(phone),
            "email": f"c{n}@example.org", "address": "12 Elm Street\nDartmouth, NS",
            "emergency_contact_name": "", "emergency_contact_phone": "",
            "handout_delivery": "email", "archived_at": None, "created_at": now,
            "updated_at": now, "version": 1,
        }


def _intakes(connection: Connection, rng: random.Random, size: Size, now: datetime) -> None:
    codes = list(QUESTIONS)
    intakes, items = [], []
    for n in range(1, size.clients + 1):
        submitted = now - timedelta(days=rng.randint(1, 500))
        intakes.append({
            "id": n, "client_id": n, "version": 1, "submitted_at": submitted, "source": "desk",
            "entered_by_id": 1, "reason": "Jaw tension and headaches", "goals": "Less clenching",
            "headache_kind": "tension", "headache_frequency": "weekly", "headache_recent": False,
            "pressure": "medium", "areas_to_avoid": "", "consent_text_id": 1,
            "signature": "Signed", "signed_on": submitted.date(),
        })
        for code in rng.sample(codes, rng.randint(0, 3)):
            items.append({"intake_id": n, "code": code, "detail": "Since last year",
                          "on_date": None})
    _insert(connection, Intake.__table__, intakes)
    _insert(connection, IntakeItem.__table__, items)


def _visit_times(size: Size, today: date, therapist_ids: list[int]):
    """Visits day by day, back from today, on the hour, no therapist booked twice at once."""
    per_day = max(len(therapist_ids) * 7, 1)
    slots = [(therapist, hour) for hour in range(9, 17) for therapist in therapist_ids]
    count, day = 0, today + timedelta(days=size.days_ahead)
    while count < size.visits:
        for therapist, hour in slots[:per_day]:
            if count == size.visits:
                return
            yield day, therapist, hour
            count += 1
        day -= timedelta(days=1)


def seed(connection: Connection, size: Size, admin_email: str, admin_hash: str) -> Seeded:
    rng = random.Random(8)  # noqa: S311 (repeatable sample data, not secrets)
    now = datetime.now(UTC)
    today = date.today()
    _insert(connection, ClinicSettings.__table__,
            [{"id": 1, **DEFAULTS, "name": "Bench Clinic", "default_tax_rate": Decimal(15),
              "logo": None, "logo_mime": None, "updated_at": now}])
    therapist_ids = _staff(connection, admin_email, admin_hash, size, now)
    _insert(connection, ConsentText.__table__,
            [{"id": 1, "version": 1, "body": "I consent to treatment.", "created_at": now,
              "created_by_id": 1}])
    _insert(connection, Client.__table__, clients(rng, size.clients, now))
    _intakes(connection, rng, size, now)

    visits, notes, past = [], [], []
    for n, (day, therapist, hour) in enumerate(_visit_times(size, today, therapist_ids), 1):
        service, minutes, _ = SERVICES[n % len(SERVICES)]
        starts = to_utc(day, time(hour))
        client_id = rng.randint(1, size.clients)
        if day > today:
            status = VisitStatus.BOOKED
        else:
            status = rng.choices([VisitStatus.COMPLETED, VisitStatus.CANCELLED,
                                  VisitStatus.NO_SHOW], [90, 6, 4])[0]
        visits.append({
            "id": n, "client_id": client_id, "therapist_id": therapist, "service_name": service,
            "starts_at": starts, "ends_at": starts + timedelta(minutes=minutes),
            "status": status.value, "status_reason": "", "status_changed_at": None,
            "booked_by_id": 1, "created_at": now, "updated_at": now, "version": 1,
        })
        if status == VisitStatus.COMPLETED:
            note = {"visit_id": n, "author_id": therapist, **NOTE, "created_at": starts,
                    "updated_at": starts, "signed_at": starts + timedelta(hours=1),
                    "signed_by_id": therapist, "version": 1}
            note["content_hash"] = note_content_hash(SimpleNamespace(**note), client_id)
            notes.append(note)
            past.append(visits[-1])
    _insert(connection, Visit.__table__, visits)
    _insert(connection, TreatmentNote.__table__, notes)
    _invoices(connection, rng, past[: size.invoices], today, now)
    _handouts(connection, rng, past, size.handouts)
    chosen = past[0]  # the newest completed visit: its client has invoices too
    return Seeded(size, today, chosen["client_id"], chosen["id"], "smi")


def _invoices(connection: Connection, rng: random.Random, visits: list[dict], today: date,
              now: datetime) -> None:
    """One invoice per completed visit, newest first; nearly all old ones are paid."""
    invoices, lines, payments = [], [], []
    rate = Decimal(15)
    for n, visit in enumerate(visits, 1):
        day = local(visit["starts_at"]).date()
        name, _, price = next(s for s in SERVICES if s[0] == visit["service_name"])
        rows = [(name, Decimal(1), Decimal(price))]
        if n % 4 == 0:
            rows.append(("Take-home jaw oil", Decimal(2), Decimal("18.50")))
        amounts = [line_amounts(quantity, unit, rate) for _, quantity, unit in rows]
        subtotal = sum(a.net for a in amounts)
        tax = sum(a.tax for a in amounts)
        # Recent invoices are sometimes still owed; older ones almost never.
        owed = rng.random() < (0.15 if (today - day).days < 14 else 0.0005)
        status = InvoiceStatus.ISSUED if owed else InvoiceStatus.PAID
        invoice = {
            "id": n, "number": f"INV-{day.year}-{n:06d}", "status": status.value,
            "client_id": visit["client_id"], "therapist_id": visit["therapist_id"],
            "visit_id": visit["id"], "service_date": day, "notes": "", "currency": "CAD",
            "subtotal": subtotal, "tax_total": tax, "total": subtotal + tax,
            "paid": Decimal(0) if owed else subtotal + tax, "issued_on": day,
            "issued_at": visit["ends_at"], "bill_to_name": "Client", "bill_to_address": "",
            "therapist_name": "Therapist", "therapist_registration": "RMT-00001",
            "seller_tax_id": "GST/HST 81234 5678 RT0001", "printed_at": None,
            "receipt_printed_at": None, "voided_at": None, "created_by_id": 1,
            "created_at": now, "updated_at": now, "version": 1,
        }
        own_lines = [
            {"invoice_id": n, "position": position, "service_id": None, "description": text,
             "quantity": quantity, "unit_price": unit, "tax_rate": rate, "net_amount": a.net,
             "tax_amount": a.tax}
            for position, ((text, quantity, unit), a)
            in enumerate(zip(rows, amounts, strict=True), 1)
        ]
        invoice["content_hash"] = invoice_content_hash(SimpleNamespace(
            **invoice, lines=[SimpleNamespace(**row) for row in own_lines]
        ))
        invoices.append(invoice)
        lines.extend(own_lines)
        if not owed:
            payments.append({"invoice_id": n, "credit_note_id": None,
                             "method": rng.choice(list(PaymentMethod)).value,
                             "amount": subtotal + tax, "received_on": day, "reference": "",
                             "recorded_at": visit["ends_at"], "recorded_by_id": 1})
    _insert(connection, Invoice.__table__, invoices)
    _insert(connection, InvoiceLine.__table__, lines)
    _insert(connection, Payment.__table__, payments)
    _insert(connection, DocumentCounter.__table__,
            [{"series": Series.INVOICE.value, "year": today.year, "last_number": len(visits)}])


def _handouts(connection: Connection, rng: random.Random, visits: list[dict],
              count: int) -> None:
    """`count` handouts of one to three standard techniques, from every few completed visits
    (the newest first, so the busiest pages have one), each printed once."""
    if not count or not visits:
        return
    techniques = [standard.as_model() for standard in STANDARD_TECHNIQUES]
    for n, technique in enumerate(techniques, 1):
        technique.id, technique.version = n, 1
    _insert(connection, Technique.__table__, [
        {column.key: getattr(technique, column.key) for column in Technique.__table__.columns}
        | {"created_at": visits[-1]["starts_at"], "updated_at": visits[-1]["starts_at"]}
        for technique in techniques
    ])
    snapshots = [technique_snapshot(technique) for technique in techniques]
    step = max(len(visits) // count, 1)
    handouts, deliveries = [], []
    for n, visit in enumerate(visits[::step][:count], 1):
        made = visit["ends_at"]
        handouts.append({
            "id": n, "visit_id": visit["id"], "client_id": visit["client_id"],
            "therapist_id": visit["therapist_id"], "built_by_id": visit["therapist_id"],
            "personal_note": "Jaw release each evening; tell me next time how it went.",
            "techniques": rng.sample(snapshots, rng.randint(1, 3)), "advice": [],
            "page_size": "A4", "pdf": HANDOUT_PDF, "pdf_sha256": HANDOUT_SHA256,
            "created_at": made,
        })
        deliveries.append({"handout_id": n, "method": Delivery.PRINT.value, "recipient": "",
                           "link_id": None, "status": DeliveryStatus.DELIVERED.value,
                           "error": "", "created_at": made, "by_id": visit["therapist_id"]})
    _insert(connection, Handout.__table__, handouts)
    _insert(connection, HandoutDelivery.__table__, deliveries)
