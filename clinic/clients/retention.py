"""How long a client's records are kept, and erasing them once that time is over.

A client's health record (intake forms, notes, handouts) is kept for the clinic's retention
period (ClinicSettings.retention_years, 10 by default) after the last time the clinic saw them,
or after their 18th birthday if that is later; the books (invoices, credit notes, payments)
for the same period after their last date. Until every part of it is past its time the client
can be archived, never deleted. After, the admin may erase all of it, together.
"""

from datetime import date

from sqlalchemy import func, or_, select

from clinic.admin.services import get_settings
from clinic.aftercare.models import Handout, HandoutDelivery, HandoutLink
from clinic.audit import services as audit
from clinic.clients.models import Client, Intake, IntakeLink
from clinic.extensions import db
from clinic.formatting import long_date
from clinic.invoices.models import CreditNote, Invoice, InvoiceDocument, Payment
from clinic.records import erasing_past_retention
from clinic.validation import ValidationError
from clinic.visits.models import NoteAddendum, TreatmentNote, Visit

ADULT_AGE = 18


def add_years(day: date, years: int) -> date:
    """The same day `years` later. 29 February falls on 1 March: a period is never cut short."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _last_dates(client_id: int):
    """The client's last visit, last intake form, and last date in the books, in one query."""
    invoices = select(Invoice.id).where(Invoice.client_id == client_id)
    credit_notes = select(CreditNote.id).where(CreditNote.invoice_id.in_(invoices))
    return db.session.execute(select(
        select(func.max(Visit.starts_at)).where(Visit.client_id == client_id).scalar_subquery(),
        select(func.max(Intake.submitted_at)).where(Intake.client_id == client_id)
        .scalar_subquery(),
        select(func.max(Invoice.issued_on)).where(Invoice.client_id == client_id)
        .scalar_subquery(),
        select(func.max(CreditNote.issued_on)).where(CreditNote.id.in_(credit_notes))
        .scalar_subquery(),
        select(func.max(Payment.received_on))
        .where(or_(Payment.invoice_id.in_(invoices), Payment.credit_note_id.in_(credit_notes)))
        .scalar_subquery(),
    )).one()


def retention_ends(client: Client, years: int | None = None) -> date:
    """The last day the client's records must be kept; they may be erased the day after.

    Counted from the last visit (or intake form, if one came later; from the day the client
    was added if there is neither), or from the 18th birthday if later; and from the last
    invoice, credit note or payment, as the books are kept as long.
    """
    if years is None:
        years = get_settings().retention_years
    last_visit, last_intake, *books = _last_dates(client.id)
    seen = [moment for moment in (last_visit, last_intake) if moment is not None]
    last_seen = max(seen) if seen else client.created_at
    counted = [last_seen.astimezone().date(), add_years(client.date_of_birth, ADULT_AGE)]
    counted += [day for day in books if day is not None]
    return add_years(max(counted), years)


class RetentionNotOver(ValidationError):
    """The client's records are still within their retention period: archive, do not delete."""

    def __init__(self, kept_until: date):
        super().__init__({"": f"This client's records must be kept until "
                              f"{long_date(kept_until)}. They cannot be deleted before then; "
                              "archive the client instead."})
        self.kept_until = kept_until


def _erase_stages(client_id: int) -> list[tuple[str, object, object]]:
    """What to delete, each stage before the records it points at."""
    handouts = select(Handout.id).where(Handout.client_id == client_id)
    visits = select(Visit.id).where(Visit.client_id == client_id)
    notes = select(TreatmentNote.id).where(TreatmentNote.visit_id.in_(visits))
    invoices = select(Invoice.id).where(Invoice.client_id == client_id)
    credit_notes = select(CreditNote.id).where(CreditNote.invoice_id.in_(invoices))
    return [
        ("handout_deliveries", HandoutDelivery, HandoutDelivery.handout_id.in_(handouts)),
        ("handout_links", HandoutLink, HandoutLink.handout_id.in_(handouts)),
        ("handouts", Handout, Handout.id.in_(handouts)),
        ("addenda", NoteAddendum, NoteAddendum.note_id.in_(notes)),
        ("notes", TreatmentNote, TreatmentNote.id.in_(notes)),
        ("payments", Payment, or_(Payment.invoice_id.in_(invoices),
                                  Payment.credit_note_id.in_(credit_notes))),
        ("credit_notes", CreditNote, CreditNote.id.in_(credit_notes)),
        ("invoice_prints", InvoiceDocument, InvoiceDocument.invoice_id.in_(invoices)),
        # An invoice's lines go with it (delete-orphan), as an intake's answers do.
        ("invoices", Invoice, Invoice.id.in_(invoices)),
        ("intake_links", IntakeLink, IntakeLink.client_id == client_id),
        ("intakes", Intake, Intake.client_id == client_id),
        ("visits", Visit, Visit.id.in_(visits)),
    ]


def erase(client: Client, confirm_name: str, today: date) -> dict[str, int]:
    """Delete the client and every record of theirs, for good, once all of it is past its
    retention period; before that, refuse and put the attempt on record. Returns how many
    records of each kind were erased."""
    kept_until = retention_ends(client)
    if today <= kept_until:
        audit.record("client.delete_refused", "client", client.id,
                     detail={"kept_until": kept_until.isoformat()})
        db.session.commit()
        raise RetentionNotOver(kept_until)
    if " ".join(confirm_name.split()).casefold() != client.name.casefold():
        raise ValidationError({"confirm_name": f"Type the client's name, {client.name}, to "
                                               "confirm."})
    counts = {}
    with erasing_past_retention(db.session):
        for name, model, condition in _erase_stages(client.id):
            rows = list(db.session.scalars(select(model).where(condition)))
            for row in rows:
                db.session.delete(row)
            # Each stage reaches the database before the next deletes what it pointed at.
            db.session.flush()
            counts[name] = len(rows)
        db.session.delete(client)
        db.session.flush()
    # Counts and dates only: nothing of the client's health or identity stays behind.
    audit.record("client.deleted", "client", client.id,
                 detail={"erased": counts, "kept_until": kept_until.isoformat()})
    db.session.commit()
    return counts
