"""The visit page: the visit, its note, the client's health summary, the invoice and the
aftercare, as the viewer may see them, with what it showed on record."""

from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import attrgetter

from flask import abort

from clinic.aftercare import handouts
from clinic.aftercare.handouts import VisitHandouts
from clinic.auth.models import User
from clinic.clients.models import Intake
from clinic.clients.precautions import Precaution, precautions
from clinic.clients.services import INTAKE_LOADING, intake_status, is_current_intake
from clinic.extensions import db
from clinic.invoices import services as invoice_services
from clinic.invoices.services import VisitInvoice
from clinic.permissions import can
from clinic.types import utcnow
from clinic.visits import services
from clinic.visits.models import TreatmentNote, Visit
from clinic.visits.services import IntakeSummary


@dataclass(frozen=True)
class VisitPage:
    visit: Visit
    note: TreatmentNote | None
    precautions: list[Precaution]
    health_visible: bool
    intake: IntakeSummary | None
    intake_status: str
    is_author: bool
    invoice: VisitInvoice | None
    aftercare: VisitHandouts
    # The forms the page draws, so that it builds only those: most views show neither.
    changes_status: bool
    takes_addendum: bool


@cache
def _statement(with_note: bool, own_invoices_only: bool):
    """The visit with its client, therapist and note (`visit_statement`), the client's current
    intake, the visit's invoice and its handouts with the client's last one before it: a line
    per handout (at least one), each line repeated for the note's addenda and the intake's items.

    One statement, not one for each part: on PostgreSQL a statement costs the worker and the
    server about a quarter of a millisecond more however little it reads, and the invoice and
    the handouts alone made the page a tenth slower.
    """
    invoice, invoice_joined, invoice_columns = invoice_services.visit_invoice_join(
        Visit.id, own_invoices_only)
    handout, handout_joined, handout_columns = handouts.visit_handouts_join(
        Visit.id, Visit.client_id, Visit.starts_at)
    return (
        services.visit_statement(with_note)
        .add_columns(Intake, *invoice_columns, *handout_columns)
        .outerjoin(Intake, is_current_intake(Visit.client_id))
        .outerjoin(invoice, invoice_joined)
        .outerjoin(handout, handout_joined)
        .options(*INTAKE_LOADING)
    )


def visit_page(visit_id: int, viewer: User, today: date) -> VisitPage:
    notes_visible = can(viewer, "notes.read")
    own_invoices_only = invoice_services.limited_to_own(viewer)
    lines = db.session.execute(
        _statement(notes_visible, own_invoices_only),
        {"visit": visit_id} | invoice_services.reader_parameters(viewer),
    ).unique(strategy=attrgetter("id")).all()  # a line per handout
    if not lines:
        abort(404)
    visit, intake = lines[0][0], lines[0][1]
    health_visible = can(viewer, "intake.read")
    note = visit.note if notes_visible else None
    is_author = visit.therapist_id == viewer.id
    page = VisitPage(
        visit=visit,
        note=note,
        precautions=precautions(intake, today),
        health_visible=health_visible,
        intake=services.summarise(intake) if health_visible else None,
        intake_status=intake_status([intake] if intake else [], utcnow()),
        is_author=is_author,
        invoice=invoice_services.visit_invoice(lines[0].invoice_id, lines[0].invoice_number,
                                               lines[0].invoice_status),
        aftercare=handouts.visit_handouts(visit, viewer, lines),
        changes_status=services.can_manage(visit, viewer) and bool(visit.next_states),
        takes_addendum=(is_author and note is not None and note.signed
                        and can(viewer, "notes.write")),
    )
    # Last, once the page has read all it shows: what it showed is known only then.
    services.record_page_views("visit page", note=note, client=visit.client,
                               intake=intake if health_visible else None)
    return page
