"""The visit page: the visit, its note, the client's health summary, the invoice and the
aftercare, as the viewer may see them, with what it showed on record."""

from dataclasses import dataclass
from datetime import date

from clinic.aftercare import handouts
from clinic.aftercare.handouts import VisitHandouts
from clinic.auth.models import User
from clinic.clients.precautions import Precaution, precautions
from clinic.clients.services import intake_status
from clinic.invoices import services as invoice_services
from clinic.invoices.services import InvoiceRow
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
    invoice: InvoiceRow | None
    aftercare: VisitHandouts
    # The forms the page draws, so that it builds only those: most views show neither.
    changes_status: bool
    takes_addendum: bool


def visit_page(visit_id: int, viewer: User, today: date) -> VisitPage:
    notes_visible = can(viewer, "notes.read")
    visit, intake = services.visit_and_intake(visit_id, with_note=notes_visible)
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
        invoice=invoice_services.visit_invoice(visit.id, viewer),
        aftercare=handouts.for_visit(visit, viewer),
        changes_status=services.can_manage(visit, viewer) and bool(visit.next_states),
        takes_addendum=(is_author and note is not None and note.signed
                        and can(viewer, "notes.write")),
    )
    # Last, once the page has read all it shows: what it showed is known only then.
    services.record_page_views("visit page", note=note, client=visit.client,
                               intake=intake if health_visible else None)
    return page
