"""A demo week: visits for the demo therapists and clients, past ones with signed notes and
a few drafts left to sign."""

from datetime import date, time, timedelta

from sqlalchemy import select

from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.visits import services
from clinic.visits.models import VisitStatus

# (therapist index, start, client index, service, template name)
DAY_PLAN = [
    (0, time(9, 0), 0, "TMJ and jaw release", "Jaw / teeth grinding"),
    (0, time(11, 0), 2, "Sinus relief massage", "Sinus congestion"),
    (1, time(10, 0), 1, "Head, neck and shoulder massage", "Tension headache"),
    (1, time(14, 0), 3, "Lifting facial", "Lifting facial"),
    (0, time(15, 30), 5, "Lifting facial", "Lifting facial"),
]


def _write_note(visit, therapist: User, template, sign: bool) -> None:
    text = services.with_template({}, template)
    note = services.save_draft(visit, therapist, text, None)
    if sign:
        services.sign(visit, therapist, text, note.version)


def _move(visit, status: VisitStatus, actor: User, reason: str = "") -> None:
    services.change_status(visit, status.value, reason, actor, visit.version)


def seed_week(today: date, desk: User) -> int:
    """Book a week of visits around today, Sundays off; returns how many were booked."""
    therapists = services.therapists()
    clients = list(db.session.scalars(
        select(Client).where(Client.archived_at.is_(None)).order_by(Client.id).limit(6)
    ))
    if len(therapists) < 2 or len(clients) < 5:
        return 0
    templates = {template.name: template for template in services.note_templates()}
    days = [today + timedelta(days=offset) for offset in range(-4, 3)]
    days = [day for day in days if day.weekday() != 6]
    last_past = max(day for day in days if day < today)
    booked = 0
    for offset, day in enumerate(days):
        for n, (who, start, client_index, service, template_name) in enumerate(DAY_PLAN):
            therapist = therapists[who]
            client = clients[(client_index + offset) % len(clients)]
            visit = services.book(services.Booking(client.id, therapist.id, service, day, start,
                                                   60), desk)
            booked += 1
            if day > today or (day == today and n > 0):
                continue
            if day < today and n == 4 and offset % 2:
                _move(visit, VisitStatus.CANCELLED, desk, "Client called in sick.")
                continue
            _move(visit, VisitStatus.ARRIVED, desk)
            if day == today:
                continue
            # The last past day's afternoon notes are left as drafts, to show "notes to sign".
            draft = day == last_past and n >= 3
            _write_note(visit, therapist, templates[template_name], sign=not draft)
            _move(visit, VisitStatus.COMPLETED, desk)
    return booked
