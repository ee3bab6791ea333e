"""Booking and the day's schedule, visit status, treatment notes, addenda and note templates.

Times are typed and shown in the clinic's local time (the server's time zone) and stored in UTC.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from flask import abort
from sqlalchemy import and_, bindparam, case, exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from clinic import paging
from clinic.audit import services as audit
from clinic.auth.models import Role, User
from clinic.clients.models import CONDITIONS, PRESSURES, Client, Intake, full_name
from clinic.clients.precautions import IntakeAnswers, Level, precautions
from clinic.clients.services import (
    ClientCard,
    IntakeVersion,
    add_health_view,
    intake_status,
    is_current_intake,
    ticked_items,
    ticked_items_json,
)
from clinic.extensions import db
from clinic.formatting import clock
from clinic.paging import Listing
from clinic.records import check_version
from clinic.types import to_utc, utcnow
from clinic.validation import OUTSIDE_CALENDAR, ValidationError, in_calendar
from clinic.visits.models import (
    OCCUPYING,
    SOAP_FIELDS,
    NoteAddendum,
    NoteLocked,
    NoteTemplate,
    TreatmentNote,
    Visit,
    VisitStatus,
    addendum_content_hash,
    note_content_hash,
)

if TYPE_CHECKING:
    from clinic.visits.page import ClientRef, IntakeFacts, NoteFacts, VisitFacts

DURATIONS = (30, 45, 60, 75, 90, 120)
SERVICE_NAMES = ("Facial massage", "Lifting facial", "TMJ and jaw release", "Sinus relief massage",
                 "Head, neck and shoulder massage")
TEXT_LIMIT = 10_000


class NotAllowed(Exception):
    """The user's role may do this in general, but not to this record."""


# ---- clinic time ----

def local(moment: datetime) -> datetime:
    return moment.astimezone()


def day_bounds(first: date, days: int = 1) -> tuple[datetime, datetime]:
    return to_utc(first, time()), to_utc(first + timedelta(days=days), time())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _span(visit: Visit) -> str:
    start, end = local(visit.starts_at), local(visit.ends_at)
    return f"{start:%H:%M}\u2013{end:%H:%M} on {start:%A} {start.day} {start:%B}"


# ---- booking ----

@dataclass
class Booking:
    client_id: int | None
    therapist_id: int | None
    service_name: str
    day: date | None
    start: time | None
    minutes: int | None


def therapists() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.THERAPIST, User.active.is_(True)).order_by(User.name)
    ))


def find_client(client_id: int | None) -> Client | None:
    return db.session.get(Client, client_id) if client_id else None


@cache
def visit_statement(with_note: bool):
    statement = (select(Visit).where(Visit.id == bindparam("visit"))
                 .options(joinedload(Visit.client), joinedload(Visit.therapist)))
    if with_note:
        # The note's author is the visit's therapist (only they write it), already loaded: read
        # from the session, not joined again.
        statement = statement.options(joinedload(Visit.note).options(
            lazyload(TreatmentNote.author), joinedload(TreatmentNote.addenda)))
    return statement


def get_visit(visit_id: int, *, with_note: bool = False) -> Visit:
    """The visit with its client and therapist; with its note and the note's addenda too, in
    the same statement, when asked (for whoever may read it)."""
    visit = db.session.scalars(visit_statement(with_note), {"visit": visit_id}).unique().first()
    if visit is None:
        abort(404)
    return visit


def _conflict(where, starts_at: datetime, ends_at: datetime) -> Visit | None:
    return db.session.scalars(
        select(Visit)
        .where(where, Visit.status.in_(OCCUPYING), Visit.starts_at < ends_at,
               Visit.ends_at > starts_at)
        .options(joinedload(Visit.client), joinedload(Visit.therapist))
        .order_by(Visit.starts_at)
    ).first()


def _check_booking(booking: Booking, actor: User) -> tuple[Client, User, str, datetime, datetime]:
    errors: dict[str, str] = {}
    client = find_client(booking.client_id)
    if client is None:
        errors["client_id"] = "Choose the client."
    elif client.archived:
        errors["client_id"] = f"{client.name} is archived. Restore the client before booking."
    therapist = db.session.get(User, booking.therapist_id) if booking.therapist_id else None
    if therapist is None or therapist.role != Role.THERAPIST or not therapist.active:
        errors["therapist_id"] = "Choose a therapist."
    elif actor.role == Role.THERAPIST and therapist.id != actor.id:
        errors["therapist_id"] = "You can book visits for yourself only."
    service_name = " ".join((booking.service_name or "").split())
    if not service_name:
        errors["service_name"] = "Enter the service, e.g. Facial massage."
    elif len(service_name) > 120:
        errors["service_name"] = "Use at most 120 characters."
    if booking.minutes not in DURATIONS:
        errors["minutes"] = "Choose how long the visit lasts."
    if booking.day is None:
        errors["day"] = "Enter the date of the visit."
    elif not in_calendar(booking.day):
        errors["day"] = OUTSIDE_CALENDAR
    if booking.start is None:
        errors["start"] = "Enter the start time, e.g. 10:30."
    if errors:
        raise ValidationError(errors)
    starts_at = to_utc(booking.day, booking.start)
    return client, therapist, service_name, starts_at, starts_at + timedelta(
        minutes=booking.minutes
    )


def book(booking: Booking, actor: User) -> Visit:
    """Add a visit, refused when the therapist or the client is already busy at that time."""
    client, therapist, service_name, starts_at, ends_at = _check_booking(booking, actor)
    # Bookings for one therapist queue on their row (PostgreSQL), so two desks cannot both
    # take the same slot between the check and the insert.
    db.session.execute(select(User.id).where(User.id == therapist.id).with_for_update())
    if busy := _conflict(Visit.therapist_id == therapist.id, starts_at, ends_at):
        raise ValidationError({"start": (
            f"{therapist.name} is already booked {_span(busy)} with {busy.client.name} "
            f"({busy.service_name}). Choose another time or therapist."
        )})
    if busy := _conflict(Visit.client_id == client.id, starts_at, ends_at):
        raise ValidationError({"start": (
            f"{client.name} already has a visit {_span(busy)} with {busy.therapist.name}."
        )})
    visit = Visit(client_id=client.id, therapist_id=therapist.id, service_name=service_name,
                  starts_at=starts_at, ends_at=ends_at, status=VisitStatus.BOOKED.value,
                  status_reason="", booked_by_id=actor.id)
    db.session.add(visit)
    db.session.flush()
    audit.record("visit.booked", "visit", visit.id, client_id=client.id,
                 detail={"client": client.id, "therapist": therapist.id})
    db.session.commit()
    return visit


def can_manage(visit: "Visit | VisitFacts", user: User) -> bool:
    """Reception and admins run every visit; a therapist, their own."""
    return user.role != Role.THERAPIST or visit.therapist_id == user.id


def change_status(visit: Visit, status: str, reason: str, actor: User,
                  seen_version: int | None) -> None:
    if not can_manage(visit, actor):
        raise NotAllowed
    current = visit.state
    if seen_version != visit.version:
        raise ValidationError({"": (
            f"Someone changed this visit a moment ago: it is now {current.label.lower()}. "
            "Check it and try again."
        )})
    try:
        new = VisitStatus(status)
    except ValueError:
        new = None
    if new not in visit.next_states:
        wanted = new.label.lower() if new else status
        raise ValidationError({"status": f"A {current.label.lower()} visit cannot be marked "
                                         f"{wanted}."})
    reason = (reason or "").strip()
    if new.needs_reason and not reason:
        raise ValidationError({"reason": "Say why, e.g. the client called in sick."})
    visit.status, visit.status_reason, visit.status_changed_at = new.value, reason, utcnow()
    audit.record("visit.status_changed", "visit", visit.id, client_id=visit.client_id,
                 detail={"from": current.value, "to": new.value})
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ValidationError({"": "Someone changed this visit a moment ago. Check it and try "
                                   "again."}) from None


# ---- what is known about the client, for lists ----

# Looked up once a row rather than building a VisitStatus for each.
STATUS_LABELS = {status.value: status.label for status in VisitStatus}


class VisitRow(NamedTuple):
    """One line of a visit list (the schedule, the home pages): plain values, ready to show.

    A tuple rather than a record or a dataclass: a list draws a hundred of these or more, and
    every attribute a template reads and every call made to build one is paid a hundred times.
    """

    id: int
    version: int
    status: str
    status_label: str
    starts_at: datetime
    # From start to end on the clinic's clock, "09:00" to "10:00" joined by an en dash.
    span: str
    service_name: str
    client_name: str
    therapist_id: int
    therapist_name: str
    # The most serious precaution on the current intake, or None.
    flag: Level | None
    intake: str  # "current", "stale" or "none"
    note: str  # "none", "draft" or "signed"; "" where notes may not be shown


def _written(connection) -> bool:
    """Whether the lists' statements write their values in as they are sent: on PostgreSQL,
    which then plans a prepared statement once for the values, where parameters would have
    it plan again on every run. SQLite plans alike either way, and is spared writing them in
    on every run."""
    return connection.dialect.name == "postgresql"


def _in_range(written: bool) -> tuple:
    """Visits starting in [:start, :end), written in when `written` (`_written`): PostgreSQL's
    plan for any range of visits expects five times a day's."""
    return (Visit.starts_at >= bindparam("start", literal_execute=written),
            Visit.starts_at < bindparam("end", literal_execute=written))


class Therapist(NamedTuple):
    id: int
    name: str
    bookable: bool


def _visit_columns() -> tuple:
    """What a visit list shows of each visit, after its therapist's id and name and in the
    order `_visit_row` reads them, from the tables `_with_visit_details` joins to the visit.

    The client's newest intake comes with the items ticked on it as one JSON value
    (`json_rows`), not a line each: a busy day's lines were twice its visits, and every line's
    times were read again."""
    note = case((TreatmentNote.id.is_(None), "none"), (TreatmentNote.signed_at.is_(None), "draft"),
                else_="signed")
    return (Visit.id, Visit.version, Visit.status, Visit.starts_at, Visit.ends_at,
            Visit.service_name, Client.first_name, Client.last_name, note.label("note"),
            Intake.submitted_at, Intake.headache_kind, Intake.headache_recent,
            Intake.areas_to_avoid, ticked_items_json().label("items"))


def _with_visit_details(statement):
    return (statement
            .outerjoin(Client, Client.id == Visit.client_id)
            .outerjoin(TreatmentNote, TreatmentNote.visit_id == Visit.id)
            .outerjoin(Intake, is_current_intake(Visit.client_id)))


def _visit_row(line, today: date, now: datetime, with_notes: bool) -> VisitRow:
    """A visit list's row from its therapist's id and name, the values of `_visit_columns`,
    and any after them."""
    (therapist_id, therapist_name, visit_id, version, status, starts_at, ends_at, service_name,
     first_name, last_name, note, submitted_at, headache_kind, headache_recent, areas_to_avoid,
     items, *_) = line
    intake = None if submitted_at is None else IntakeAnswers(
        submitted_at, headache_kind, headache_recent, areas_to_avoid,
        ticked_items(items))
    found = precautions(intake, today)
    return VisitRow(
        visit_id, version, status, STATUS_LABELS[status], starts_at,
        f"{clock(starts_at)}\u2013{clock(ends_at)}", service_name,
        full_name(first_name, last_name), therapist_id, therapist_name,
        found[0].level if found else None,
        intake_status([intake] if intake else [], now), note if with_notes else "",
    )


# Built once each, with the therapists as parameters: building a statement (and its cache key
# from scratch) cost about as much as running it. Everyone's names and the client's newest
# intake are joined rather than read by statements of their own: round trips fewer, and since
# the range is written in, PostgreSQL plans the tables once rather than on every run.
@cache
def _plan_statement(shown: str, written: bool):
    """Everyone who can be booked, and anyone else with a visit starting in [:start, :end) (a
    therapist who has left keeps a column for the visits they had), each with their `place` in
    the schedule's order: bookable first, then by name. Beside them, the visits in the range
    of those `shown`: the places :from_place to :to_place ("page") or one :therapist ("one").
    A line per visit, in order of time, and one for each person without."""
    bookable = (User.role == Role.THERAPIST) & User.active.is_(True)
    people = (
        select(User.id, User.name, bookable.label("bookable"),
               func.row_number().over(order_by=(bookable.desc(), User.name)).label("place"))
        # A probe of a therapist's visits for each person not bookable, rather than reading
        # the therapist of every visit in the range.
        .where(bookable | exists().where(Visit.therapist_id == User.id, *_in_range(written)))
        .subquery("people")
    )
    of_shown = {"page": people.c.place.between(bindparam("from_place"), bindparam("to_place")),
                "one": people.c.id == bindparam("therapist")}[shown]
    return _with_visit_details(
        select(people.c.place, people.c.bookable, people.c.id, people.c.name,
               *_visit_columns())
        .select_from(people)
        .outerjoin(Visit, and_(Visit.therapist_id == people.c.id, of_shown,
                               *_in_range(written)))
    ).order_by(Visit.starts_at, Visit.id)


def _plan(start: datetime, end: datetime, today: date, with_notes: bool, shown: str,
          **parameters) -> tuple[list[Therapist], list[VisitRow]]:
    """Everyone in the schedule's order, and the visits of those `shown` (`_plan_statement`)
    starting in [start, end) in order, each with its client's health flags.

    Plain rows rather than records, read through the session's connection (the ORM would
    wrap every line again): a busy day is a hundred visits or more, and building each visit,
    client and therapist as a record cost more than the rest of the page.
    """
    connection = db.session.connection()
    lines = connection.execute(_plan_statement(shown, _written(connection)),
                               {"start": start, "end": end, **parameters}).all()
    now = utcnow()
    people: dict[int, Therapist] = {}
    rows: list[VisitRow] = []
    for line in lines:
        place, bookable, therapist_id, therapist_name, visit_id = line[:5]
        if place not in people:
            people[place] = Therapist(therapist_id, therapist_name, bookable)
        if visit_id is not None:
            rows.append(_visit_row(line[2:], today, now, with_notes))
    return [people[place] for place in sorted(people)], rows


# ---- the schedule ----

# Everyone's schedule shows this many therapists a page. In the day view, one row of the
# schedule's grid: three 20rem columns across the 72rem page, and a size of page that a busy
# location's dozen or more therapists would make unreadable all at once (and slow: every
# column is about seven visits, each with its health flags). In the week view, their visits:
# a location of 16 therapists had 784 visits in a week, a page of 465 KB.
THERAPISTS_PER_PAGE = 3


@dataclass(frozen=True)
class Column:
    """One heading of the schedule (a therapist in the day view, a day in the week view)."""

    title: str
    day: date
    rows: list[VisitRow]


@dataclass(frozen=True)
class Schedule:
    day: date
    week: bool
    therapist: Therapist | None
    # Everyone who can be booked, for choosing whose schedule to show.
    therapists: list[Therapist]
    # Whose visits the page shows: the one chosen, or a page of everyone.
    shown: list[Therapist]
    # The columns (a therapist's or a day's), counting and paging the therapists.
    columns: Listing
    previous: date
    next: date
    first: date
    last: date


def _chosen(therapist_id: int, people: list[Therapist]) -> Therapist | None:
    for person in people:
        if person.id == therapist_id:
            return person
    user = db.session.get(User, therapist_id)
    if user is None or user.role != Role.THERAPIST:
        return None
    return Therapist(user.id, user.name, user.active)


def schedule(day: date, week: bool, therapist_id: int | None, today: date,
             with_notes: bool, page: int = 1) -> Schedule:
    first = week_start(day) if week else day
    length = 7 if week else 1
    start, end = day_bounds(first, length)
    therapist = None
    if therapist_id is not None:
        people, rows = _plan(start, end, today, with_notes, "one", therapist=therapist_id)
        therapist = _chosen(therapist_id, people)
    if therapist:
        everyone, shown, per_page = [therapist], [therapist], 0
    else:
        # Everyone's, a page of them: also for an id that is no therapist's, read again (only
        # a mistyped link). `people` is in the order of its places, from 1.
        skipped, per_page = (page - 1) * THERAPISTS_PER_PAGE, THERAPISTS_PER_PAGE
        people, rows = _plan(start, end, today, with_notes, "page",
                             from_place=skipped + 1, to_place=skipped + per_page)
        everyone, shown = people, people[skipped:skipped + per_page]
    if not shown:  # a page past the last therapist
        columns = []
    elif week:
        by_day: dict[date, list[VisitRow]] = {}
        for row in rows:
            by_day.setdefault(local(row.starts_at).date(), []).append(row)
        columns = [Column(f"{d:%A} {d.day} {d:%B}", d, by_day.get(d, []))
                   for d in (first + timedelta(days=n) for n in range(7))]
    else:
        by_therapist: dict[int, list[VisitRow]] = {person.id: [] for person in shown}
        for row in rows:
            by_therapist[row.therapist_id].append(row)
        columns = [Column(person.name, day, by_therapist[person.id]) for person in shown]
    listing = Listing(columns, len(everyone), page=page if per_page else 1, per_page=per_page)
    bookable = [person for person in people if person.bookable]
    step = timedelta(days=length)
    return Schedule(day, week, therapist, bookable, shown, listing, first - step, first + step,
                    first, first + step - timedelta(days=1))


# ---- home pages ----

# The front desk's home lists this many of the day's visits still to come or in the building:
# a location of 16 therapists has a hundred visits a day, and the desk looks for the next few.
ARRIVALS_ON_HOME = 12
EXPECTED = (VisitStatus.BOOKED, VisitStatus.ARRIVED)


@cache
def _day_statement(desk: bool, written: bool):
    """The visits starting in [:start, :end), in order of time: one :therapist's, or for the
    `desk` everyone's still expected or in the building, a page of them (:limit, :offset) with
    how many there are in all."""
    # Written in, as the range and the page are: with the statuses as parameters PostgreSQL
    # planned the statement afresh on every run, 1.0 ms where a run takes 0.25.
    expected = [literal(status.value, literal_execute=written) for status in EXPECTED]
    conditions = (*_in_range(written), Visit.status.in_(expected) if desk
                  else Visit.therapist_id == bindparam("therapist"))
    statement = _with_visit_details(
        select(Visit.therapist_id, User.name, *_visit_columns())
        .join(User, User.id == Visit.therapist_id)
    ).where(*conditions).order_by(Visit.starts_at, Visit.id)
    if desk:
        statement = paging.one_page(statement.add_columns(*paging.totals_of(Visit, *conditions)),
                                    written=written)
    return statement


def therapist_day(therapist_id: int, today: date) -> list[VisitRow]:
    """The therapist's visits today, every one: a therapist's day holds a few."""
    connection = db.session.connection()
    start, end = day_bounds(today)
    lines = connection.execute(_day_statement(False, _written(connection)),
                               {"start": start, "end": end, "therapist": therapist_id}).all()
    now = utcnow()
    return [_visit_row(line, today, now, True) for line in lines]


def arrivals(today: date) -> Listing:
    """The desk's next visits today, booked or arrived, soonest first (a client running late
    first of all), and how many there are: no note states, precautions only as a flag."""
    start, end = day_bounds(today)
    now = utcnow()
    return paging.read(paging.Query(_day_statement(True, _written(db.session.connection())),
                                    {"start": start, "end": end},
                                    lambda line: _visit_row(line, today, now, False)),
                       page=1, per_page=ARRIVALS_ON_HOME)


def notes_to_sign(therapist_id: int, per_page: int) -> Listing:
    """Visits whose note the therapist has started and not signed: the oldest few, and how
    many there are in all."""
    return paging.fetch(
        select(Visit)
        .join(TreatmentNote, TreatmentNote.visit_id == Visit.id)
        .where(TreatmentNote.author_id == therapist_id, TreatmentNote.signed_at.is_(None))
        .options(joinedload(Visit.client))
        .order_by(Visit.starts_at, Visit.id),
        lambda record: record.Visit, per_page=per_page,
    )


# ---- the visit page ----

@dataclass(frozen=True)
class IntakeSummary:
    version: int
    submitted_at: datetime
    status: str
    reason: str
    goals: str
    pressure: str
    areas_to_avoid: str
    conditions: list[str]


def summarise(intake: Intake | None) -> IntakeSummary | None:
    if intake is None:
        return None
    ticked = {item.code: item for item in intake.items}
    conditions = [
        f"{question.short_label} ({ticked[question.code].detail})"
        if ticked[question.code].detail else question.short_label
        for question in CONDITIONS if question.code in ticked
    ]
    return IntakeSummary(
        intake.version, intake.submitted_at, intake_status([intake], utcnow()), intake.reason,
        intake.goals, PRESSURES.get(intake.pressure, "Not said"), intake.areas_to_avoid,
        conditions,
    )


# ---- treatment notes ----

class StaleNote(ValidationError):
    """The draft was saved elsewhere after this copy was opened."""

    def __init__(self, note: TreatmentNote | None):
        when = f" at {local(note.updated_at):%H:%M}" if note else ""
        super().__init__({"": (
            f"This note was saved from another window or device{when}, after you opened it. "
            "Your text below was NOT saved. Copy what you need, open the saved version and "
            "add it there."
        )})


@cache
def _note_statement():
    return (select(TreatmentNote).where(TreatmentNote.visit_id == bindparam("visit"))
            .options(joinedload(TreatmentNote.addenda)))


def get_note(visit: Visit) -> TreatmentNote | None:
    return db.session.scalars(_note_statement(), {"visit": visit.id}).unique().one_or_none()


def record_note_view(note: TreatmentNote, where: str) -> None:
    """Every look at a note is on record, whoever looks."""
    record_page_views(where, note=note, client=note.visit.client)


def record_page_views(where: str, *, note: "TreatmentNote | NoteFacts | None" = None,
                      client: "Client | ClientCard | ClientRef | None" = None,
                      intake: "Intake | IntakeVersion | IntakeFacts | None" = None,
                      history: Iterable["HistoryRow"] = ()) -> None:
    """What a page showed of the `client`'s records (a note, health answers, note summaries
    in their history), on record in one write to the journal."""
    recorded = False
    if note is not None:
        audit.record("note.viewed", "treatment_note", note.id, client_id=client.id,
                     detail={"visit": note.visit_id, "view": where})
        recorded = True
    if summarised := [row.id for row in history if row.summary]:
        audit.record("note.summaries_viewed", "client", client.id,
                     detail={"visits": summarised})
        recorded = True
    if intake is not None:
        add_health_view(client, intake, where)
        recorded = True
    if recorded:
        audit.journal_views()


def _writable_note(visit: Visit, author: User, seen_version: int | None) -> TreatmentNote:
    """The note the visit's therapist may write now (new if none), or why not."""
    if visit.therapist_id != author.id:
        raise NotAllowed
    note = get_note(visit)
    if note is not None and note.signed:
        raise NoteLocked(f"treatment note {note.id} is signed")
    if visit.state in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW):
        raise ValidationError({"": f"This visit is {visit.state.label.lower()}: it has no note."})
    if (note.version if note else None) != seen_version:
        raise StaleNote(note)
    if note is None:
        note = TreatmentNote(visit_id=visit.id, author_id=author.id)
        db.session.add(note)
    return note


def _clean(text: dict[str, str]) -> dict[str, str]:
    cleaned = {name: (text.get(name) or "").replace("\r\n", "\n").strip()
               for name, _, _ in SOAP_FIELDS}
    too_long = {name: f"Use at most {TEXT_LIMIT:,} characters." for name, value in cleaned.items()
                if len(value) > TEXT_LIMIT}
    if too_long:
        raise ValidationError(too_long)
    return cleaned


def _commit_note(note: TreatmentNote) -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # Saved (or first created) from another window between our read and our write.
        db.session.rollback()
        raise StaleNote(None) from None


def save_draft(visit: Visit, author: User, text: dict[str, str],
               seen_version: int | None) -> TreatmentNote:
    cleaned = _clean(text)
    note = _writable_note(visit, author, seen_version)
    created = note.id is None
    for name, value in cleaned.items():
        setattr(note, name, value)
    db.session.flush()
    # Drafts change every few seconds while the therapist types; what counts is the signed
    # text, so only the note's creation and signing are recorded.
    if created:
        audit.record("note.created", "treatment_note", note.id, client_id=visit.client_id,
                     detail={"visit": visit.id})
    _commit_note(note)
    return note


def sign(visit: Visit, author: User, text: dict[str, str],
         seen_version: int | None) -> TreatmentNote:
    """Save the text and lock it, in one step: what is signed is exactly what was on screen."""
    cleaned = _clean(text)
    errors = {}
    if not cleaned["subjective"]:
        errors["subjective"] = "Write what the client reported before signing."
    if not cleaned["assessment"]:
        errors["assessment"] = "Write the treatment you gave before signing."
    if visit.state not in (VisitStatus.ARRIVED, VisitStatus.COMPLETED):
        errors[""] = "Mark the client as arrived before signing the note."
    note = _writable_note(visit, author, seen_version)
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    for name, value in cleaned.items():
        setattr(note, name, value)
    note.signed_at, note.signed_by_id = utcnow(), author.id
    note.content_hash = note_content_hash(note, visit.client_id)
    db.session.flush()
    # The hash goes into the chained log too: rewriting the note and its hash would break it.
    audit.record("note.signed", "treatment_note", note.id, client_id=visit.client_id,
                 detail={"visit": visit.id, "content_hash": note.content_hash})
    _commit_note(note)
    return note


def add_addendum(visit: Visit, author: User, reason: str, text: str) -> NoteAddendum:
    if visit.therapist_id != author.id:
        raise NotAllowed
    note = get_note(visit)
    if note is None or not note.signed:
        raise ValidationError({"": "Addenda are for signed notes: edit the draft itself."})
    reason, text = " ".join((reason or "").split()), (text or "").replace("\r\n", "\n").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why you are adding to the note, e.g. a correction."
    elif len(reason) > 200:
        errors["reason"] = "Keep the reason to 200 characters."
    if not text:
        errors["text"] = "Write the addendum."
    elif len(text) > TEXT_LIMIT:
        errors["text"] = f"Use at most {TEXT_LIMIT:,} characters."
    if errors:
        raise ValidationError(errors)
    addendum = NoteAddendum(note_id=note.id, author_id=author.id, created_at=utcnow(),
                            reason=reason, text=text)
    addendum.content_hash = addendum_content_hash(addendum)
    db.session.add(addendum)
    db.session.flush()
    audit.record("note.addendum_added", "treatment_note", note.id, client_id=visit.client_id,
                 detail={"visit": visit.id, "addendum": addendum.id,
                         "content_hash": addendum.content_hash})
    db.session.commit()
    return addendum


def with_template(text: dict[str, str], template: NoteTemplate) -> dict[str, str]:
    """The note's text with the template's added below whatever is written already."""
    merged = {}
    for name, _, _ in SOAP_FIELDS:
        mine, theirs = (text.get(name) or "").strip(), getattr(template, name).strip()
        merged[name] = f"{mine}\n\n{theirs}" if mine and theirs and theirs not in mine else (
            mine or theirs
        )
    return merged


# ---- note templates ----

DEFAULT_TEMPLATES = (
    {
        "name": "Jaw / teeth grinding",
        "subjective": "Clenching / grinding: day / night. Night guard: yes / no.\n"
                      "Jaw pain or clicking: side ..., worst when ...\n"
                      "Home care since last visit: ...",
        "objective": "Masseter: L ... / R ... (tender, hypertonic, trigger points).\n"
                     "Temporalis: L ... / R ...\nJaw opening: ... fingers, deviation: ...",
        "assessment": "Masseter release, cheekbone to jaw angle, both sides, ... min.\n"
                      "Temporalis small circles over the temple, ... min.\n"
                      "Pressure: ... Warmth before: yes / no. Oil or product: ...\n"
                      "Client response: ...",
        "plan": "Home care: masseter strokes from cheekbone down to jawline, 2 to 3 min, once or "
                "twice a day; temporalis circles; warmth before. Only to a stretch, never pain.\n"
                "Next visit: ...",
    },
    {
        "name": "Tension headache",
        "subjective": "Headaches: how often ..., where ..., what brings them on ...\n"
                      "Today: pain ... / 10.\nHome care since last visit: ...",
        "objective": "Suboccipitals: ... Upper trapezius: ... Temporalis: ...\n"
                     "Neck range of motion: ...",
        "assessment": "Suboccipital release under the base of the skull, head supported, ... min.\n"
                      "Neck and shoulders: ... Temples: small circles.\nPressure: ...\n"
                      "Client response: ...",
        "plan": "Home care: fingertip pressure or small circles under the base of the skull, "
                "head supported; circles at the temples.\nSee a doctor if headaches are new, "
                "sudden or changing.\nNext visit: ...",
    },
    {
        "name": "Sinus congestion",
        "subjective": "Congestion: ongoing / now and then, side ...\nPressure or pain at: brow / "
                      "under the eyes / bridge of the nose.\nHome care since last visit: ...",
        "objective": "Tender over frontal ... maxillary ... ethmoid ...\nSkin: ...",
        "assessment": "Held pressure at the inner brow, then stepwise outwards to the temples; "
                      "under the eyes along the cheekbone towards the ears; circles at the "
                      "temples; strokes down the neck.\nPressure: gentle. Product: ...\n"
                      "Client response: ...",
        "plan": "Home care: gentle pressure from the brow outwards, then under the eyes and at "
                "the temples, finishing with strokes down the neck, once or twice a day.\n"
                "Next visit: ...",
    },
    {
        "name": "Lifting facial",
        "subjective": "Goals: firmness / puffiness / fine lines, areas ...\n"
                      "Recent injections, fillers, peels: none / ... (date).\n"
                      "Home care since last visit: ...",
        "objective": "Skin: type ..., sensitivity ..., areas to avoid ...\nPuffiness: ...",
        "assessment": "Upward strokes from the collarbone up the neck and along the jawline "
                      "from chin to ear, alternating hands; forehead strokes from the centre "
                      "outwards; outwards from the sides of the nose over the cheeks.\n"
                      "Oil or cream: ... Duration: ... min.\nClient response: ...",
        "plan": "Home care: lifting strokes up the neck and along the jawline; light inward "
                "and outward strokes for fine lines with a little oil or cream.\n"
                "Next visit: ...",
    },
)


def note_templates(include_retired: bool = False) -> list[NoteTemplate]:
    """The quick templates, by name. A clinic that never had any starts with the standard four."""
    statement = select(NoteTemplate).order_by(NoteTemplate.name)
    found = list(db.session.scalars(statement))
    if not found:
        try:
            db.session.add_all(NoteTemplate(**values) for values in DEFAULT_TEMPLATES)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another request added them first
        found = list(db.session.scalars(statement))
    return found if include_retired else [template for template in found if template.active]


def get_template(template_id: int) -> NoteTemplate:
    return db.get_or_404(NoteTemplate, template_id)


def save_template(template: NoteTemplate | None, values: dict,
                  seen_version: int | None) -> NoteTemplate:
    """Add a template (template None) or change one; `values` has name, SOAP text, active."""
    name = " ".join((values.get("name") or "").split())
    errors = {}
    if not name:
        errors["name"] = "Name the template, e.g. Tension headache."
    elif len(name) > 80:
        errors["name"] = "Use at most 80 characters."
    else:
        taken = db.session.scalar(select(NoteTemplate.id).where(NoteTemplate.name == name))
        if taken is not None and (template is None or taken != template.id):
            errors["name"] = "Another template has this name."
    if errors:
        raise ValidationError(errors)
    text = _clean(values)
    if template is None:
        template = NoteTemplate(name=name, active=True, **text)
        db.session.add(template)
    else:
        check_version(template, seen_version, "template")
        template.name, template.active = name, bool(values.get("active", True))
        for key, value in text.items():
            setattr(template, key, value)
    db.session.flush()
    audit.record("note_template.saved", "note_template", template.id)
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise ValidationError({"": "Someone saved this template at the same moment. "
                                   "Open it again and check."}) from None
    return template


# ---- a client's history ----

SUMMARY_LENGTH = 140


@dataclass(frozen=True)
class HistoryRow:
    id: int
    starts_at: datetime
    service_name: str
    therapist_name: str
    status: str
    note: str  # "none", "draft" or "signed"; "" where notes may not be shown
    summary: str

    @property
    def state(self) -> VisitStatus:
        return VisitStatus(self.status)


def _summary(text: str) -> str:
    """A note's gist on one line."""
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1].rstrip() + "…"


@cache
def _history_statement(with_notes: bool):
    # What was done, else what the client reported.
    gist = func.coalesce(func.nullif(TreatmentNote.assessment, ""), TreatmentNote.subjective, "")
    return paging.paged(
        select(Visit.id, Visit.starts_at, Visit.service_name, Visit.status,
               User.name.label("therapist_name"), TreatmentNote.id.label("note_id"),
               TreatmentNote.signed_at, *([gist.label("gist")] if with_notes else []))
        .join(User, User.id == Visit.therapist_id)
        .outerjoin(TreatmentNote, TreatmentNote.visit_id == Visit.id)
        .where(Visit.client_id == bindparam("client")),
        (Visit.starts_at.desc(), Visit.id.desc()),
    )


def client_history(client_id: int, with_notes: bool, *, page: int = 1,
                   per_page: int) -> Listing:
    """The client's visits, newest first, with note summaries for those who may read notes
    (record_page_views puts the summaries shown on record)."""
    return paging.read(client_history_list(client_id, with_notes), page=page, per_page=per_page)


def client_history_list(client_id: int, with_notes: bool) -> paging.Query:
    """The list of client_history, to read with others."""

    def row(record) -> HistoryRow:
        note, summary = "", ""
        if with_notes:
            note = "none" if record.note_id is None else "signed" if record.signed_at else "draft"
            summary = _summary(record.gist or "")
        return HistoryRow(record.id, record.starts_at, record.service_name,
                          record.therapist_name, record.status, note, summary)

    return paging.Query(_history_statement(with_notes), {"client": client_id}, row)
