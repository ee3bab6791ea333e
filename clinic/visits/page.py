"""The visit page: the visit, its note, the client's health summary, the invoice and the
aftercare, as the viewer may see them, with what it showed on record."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from clinic import paging
from clinic.aftercare import handouts
from clinic.aftercare.handouts import VisitHandouts
from clinic.auth.models import User
from clinic.clients.models import Client, Intake, full_name
from clinic.clients.precautions import ItemAnswer, Precaution, precautions
from clinic.clients.services import (
    intake_status,
    is_current_intake,
    ticked_items,
    ticked_items_json,
)
from clinic.extensions import db
from clinic.invoices import services as invoice_services
from clinic.invoices.services import VisitInvoice
from clinic.permissions import can
from clinic.sql import json_rows
from clinic.types import utcnow
from clinic.visits import services
from clinic.visits.models import NoteAddendum, NoteSigning, TreatmentNote, Visit, VisitStates
from clinic.visits.services import IntakeSummary


class ClientRef(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class VisitFacts(VisitStates):
    """The visit as its page shows it: plain values, read like a Visit."""

    id: int
    version: int
    status: str
    status_reason: str
    starts_at: datetime
    ends_at: datetime
    service_name: str
    client: ClientRef
    therapist_id: int
    therapist_name: str


class AddendumFacts(NamedTuple):
    id: int
    created_at: datetime
    reason: str
    text: str
    author_name: str


@dataclass(frozen=True, slots=True)
class NoteFacts(NoteSigning):
    """The visit's note as its page shows it: plain values, read like a TreatmentNote."""

    id: int
    visit_id: int
    subjective: str
    objective: str
    assessment: str
    plan: str
    signed_at: datetime | None
    updated_at: datetime
    author_name: str
    # Oldest first.
    addenda: list[AddendumFacts]


class IntakeFacts(NamedTuple):
    """The client's current intake as the page reads it (to flag precautions and sum it up):
    plain values, read like an Intake."""

    version: int
    submitted_at: datetime
    reason: str
    goals: str
    pressure: str
    areas_to_avoid: str
    headache_kind: str
    headache_recent: bool
    items: list[ItemAnswer]


@dataclass(frozen=True)
class VisitPage:
    visit: VisitFacts
    note: NoteFacts | None
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


# The columns of the first fields of VisitFacts, IntakeFacts and NoteFacts, in their order.
_VISIT = (Visit.id, Visit.version, Visit.status, Visit.status_reason, Visit.starts_at,
          Visit.ends_at, Visit.service_name)
_INTAKE = (Intake.version, Intake.submitted_at, Intake.reason, Intake.goals, Intake.pressure,
           Intake.areas_to_avoid, Intake.headache_kind, Intake.headache_recent)
_NOTE = (TreatmentNote.id, TreatmentNote.visit_id, TreatmentNote.subjective,
         TreatmentNote.objective, TreatmentNote.assessment, TreatmentNote.plan,
         TreatmentNote.signed_at, TreatmentNote.updated_at)


class _Layout(NamedTuple):
    """Where each part of a line of `_statement` starts."""

    visit: int
    client: int
    intake: int
    items: int
    note: int


@cache
def _statement(with_note: bool, own_invoices_only: bool):
    """The visit's handouts with the client's last one before it, the visit's invoice, the
    visit with its client's and therapist's names, the client's current intake with the items
    ticked on it, and the note with its author's name and its addenda (`with_note`): a line
    per handout (at least one), and where each part starts in it. The handouts' columns come
    first, under their own names (`handouts.visit_handouts` reads them so); the items and the
    addenda come as one JSON value each.

    Plain columns rather than records: building the visit, its client, therapist, note,
    addenda and intake as records through the ORM cost the page more than its statement did.
    One statement, not one for each part: on PostgreSQL a statement costs the worker and the
    server about a quarter of a millisecond more however little it reads, and the invoice and
    the handouts alone made the page a tenth slower.
    """
    therapist = aliased(User)
    handout, handout_joined, handout_columns = handouts.visit_handouts_join(
        Visit.id, Visit.client_id, Visit.starts_at)
    invoice, invoice_joined, invoice_columns = invoice_services.visit_invoice_join(
        Visit.id, own_invoices_only)
    columns = [*handout_columns, *invoice_columns, *_VISIT, Client.id, Client.first_name,
               Client.last_name, therapist.id, therapist.name, *_INTAKE, ticked_items_json()]
    visit = len(handout_columns) + len(invoice_columns)
    client = visit + len(_VISIT)
    intake = client + 5
    layout = _Layout(visit, client, intake, intake + len(_INTAKE), intake + len(_INTAKE) + 1)
    if with_note:
        author, addendum_author = aliased(User), aliased(User)
        addenda = (select(json_rows(NoteAddendum.id, NoteAddendum.created_at,
                                    NoteAddendum.reason, NoteAddendum.text,
                                    addendum_author.name))
                   .join(addendum_author, addendum_author.id == NoteAddendum.author_id)
                   .where(NoteAddendum.note_id == TreatmentNote.id).scalar_subquery())
        columns += [*_NOTE, author.name, addenda]
    statement = (
        select(*columns)
        .select_from(Visit)
        .join(Client, Client.id == Visit.client_id)
        .join(therapist, therapist.id == Visit.therapist_id)
        .outerjoin(Intake, is_current_intake(Visit.client_id))
        .outerjoin(invoice, invoice_joined)
        .outerjoin(handout, handout_joined)
        .where(Visit.id == bindparam("visit"))
    )
    if with_note:
        statement = (statement.outerjoin(TreatmentNote, TreatmentNote.visit_id == Visit.id)
                     .outerjoin(author, author.id == TreatmentNote.author_id))
    return statement, layout


def _addendum_maker():
    """How an addendum is made from its JSON array: its time read as its column gives it."""
    created_at = paging.from_json(NoteAddendum.created_at.type, db.session.get_bind().dialect)

    def addendum(values: list) -> AddendumFacts:
        addendum_id, when, reason, text, author_name = values
        return AddendumFacts(addendum_id, created_at(when), reason, text, author_name)

    return addendum


def _read(line, layout: _Layout, notes_visible: bool) -> tuple:
    """The visit, the client's current intake and the note, from the first line."""
    client_id, first_name, last_name, therapist_id, therapist_name = (
        line[layout.client:layout.intake])
    visit = VisitFacts(*line[layout.visit:layout.client],
                       ClientRef(client_id, full_name(first_name, last_name)),
                       therapist_id, therapist_name)
    answers = line[layout.intake:layout.items]
    intake = None if answers[0] is None else IntakeFacts(*answers,
                                                         ticked_items(line[layout.items]))
    note = None
    if notes_visible and line[layout.note] is not None:
        *facts, author_name, addenda = line[layout.note:]
        addendum = _addendum_maker()
        note = NoteFacts(*facts, author_name, sorted(
            (addendum(values) for values in addenda or ()), key=lambda added: added.id))
    return visit, intake, note


def visit_page(visit_id: int, viewer: User, today: date) -> VisitPage:
    notes_visible = can(viewer, "notes.read")
    own_invoices_only = invoice_services.limited_to_own(viewer)
    statement, layout = _statement(notes_visible, own_invoices_only)
    lines = db.session.connection().execute(
        statement, {"visit": visit_id} | invoice_services.reader_parameters(viewer),
    ).all()  # a line per handout
    if not lines:
        abort(404)
    first = lines[0]
    visit, intake, note = _read(first, layout, notes_visible)
    health_visible = can(viewer, "intake.read")
    is_author = visit.therapist_id == viewer.id
    page = VisitPage(
        visit=visit,
        note=note,
        precautions=precautions(intake, today),
        health_visible=health_visible,
        intake=services.summarise(intake) if health_visible else None,
        intake_status=intake_status([intake] if intake else [], utcnow()),
        is_author=is_author,
        invoice=invoice_services.visit_invoice(first.invoice_id, first.invoice_number,
                                               first.invoice_status),
        aftercare=handouts.visit_handouts(visit, viewer, lines),
        changes_status=services.can_manage(visit, viewer) and bool(visit.next_states),
        takes_addendum=(is_author and note is not None and note.signed
                        and can(viewer, "notes.write")),
    )
    # Last, once the page has read all it shows: what it showed is known only then.
    services.record_page_views("visit page", note=note, client=visit.client,
                               intake=intake if health_visible else None)
    return page
