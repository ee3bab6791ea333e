"""The client page: the whole record at a glance, as the viewer may see it, its views on record."""

from dataclasses import dataclass, field
from datetime import date

from clinic import paging
from clinic.aftercare import handouts
from clinic.auth.models import User
from clinic.clients import services
from clinic.clients.precautions import Precaution, precautions
from clinic.invoices import services as invoice_services
from clinic.paging import LATEST, Listing
from clinic.permissions import can
from clinic.types import utcnow
from clinic.visits import services as visit_services


@dataclass(frozen=True)
class ClientPage:
    client: services.ClientCard
    # The newest few intakes, and how many there are in all.
    history: list[services.IntakeVersion]
    intake_count: int
    status: str
    open_links: list[services.OpenLink]
    precautions: list[Precaution]
    health_visible: bool
    visits: Listing
    invoices: Listing
    handouts: Listing
    changes: list[str] = field(default_factory=list)


def client_page(client_id: int, viewer: User, today: date) -> ClientPage:
    """What the page shows (the newest few of each list), with what it showed of health
    answers and notes put on record."""
    client, history, open_links = services.client_record(client_id)
    current = history[0] if history else None
    health_visible = can(viewer, "intake.read")
    visits, invoices, given = paging.first_pages(
        visit_services.client_history_list(client.id, can(viewer, "notes.read")),
        invoice_services.client_invoices_list(client.id, viewer),
        handouts.client_list(client.id),
        per_page=LATEST,
    )
    page = ClientPage(
        client=client,
        history=history,
        # Versions are numbered from 1 without a gap: the newest's number is the count.
        intake_count=current.version if current else 0,
        status=services.intake_status(history, utcnow()),
        open_links=open_links,
        precautions=precautions(current, today),
        health_visible=health_visible,
        visits=visits,
        invoices=invoices,
        handouts=given,
        changes=services.changes(history[1], current)
        if health_visible and len(history) > 1 else [],
    )
    visit_services.record_page_views("client page", client=client, history=page.visits.rows,
                                     intake=current if health_visible else None)
    return page
