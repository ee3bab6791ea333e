"""Clients, their intake forms and self-service intake links: rules and database work."""

import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import joinedload, lazyload

from clinic import paging
from clinic.audit import services as audit
from clinic.clients.models import (
    HEADACHE_FREQUENCIES,
    HEADACHE_KINDS,
    PRESSURES,
    QUESTIONS,
    Client,
    ClientNaming,
    ConsentText,
    Delivery,
    Intake,
    IntakeItem,
    IntakeLink,
    full_name,
)
from clinic.clients.precautions import ItemAnswer
from clinic.extensions import db
from clinic.paging import LATEST, PER_PAGE, Listing
from clinic.records import apply_changes, check_version, commit_or_stale
from clinic.sql import json_rows
from clinic.tokens import keyed_hash, new_token
from clinic.types import UTCDateTime, utcnow
from clinic.validation import ValidationError

STALE_AFTER = timedelta(days=365)
OLDEST_BIRTH_YEAR = 1900

DEFAULT_CONSENT = (
    "I have answered these questions truthfully and to the best of my knowledge. I will tell "
    "my therapist about any change in my health. I understand that massage is not a substitute "
    "for medical care, that I may ask the therapist to change the pressure or stop at any time, "
    "and that my answers are kept confidential and seen only by the clinic's treating staff."
)


# ---- names, phones and emails ----

def fold(text: str) -> str:
    """Lower-case, accents removed, single spaces: "  Zoë  O'Brien" -> "zoe o'brien"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def phone_key(phone: str) -> str:
    return re.sub(r"\D", "", phone)[::-1]


def _past(prefix: str) -> str:
    """The first text after all those that start with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prefix(column, prefix: str):
    """`column` starts with `prefix`, as a range the column's index answers."""
    return and_(column >= prefix, column < _past(prefix))


PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")


def _phone_error(phone: str) -> str | None:
    digits = len(re.sub(r"\D", "", phone))
    if not PHONE_CHARACTERS.match(phone) or not 7 <= digits <= 15:
        return "Enter a phone number of 7 to 15 digits, e.g. +1 902 555 0142."
    return None


def _email_error(email: str) -> tuple[str, str | None]:
    """The normalised email and an error message, if it is not a usable address."""
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return email, "Enter an email like name@example.com."
    return checked.normalized.lower(), None


# ---- clients ----

@dataclass
class ContactDetails:
    """What a client may correct about themselves in the intake form."""

    pronouns: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""


def contact_of(client: Client) -> ContactDetails:
    return ContactDetails(**{f.name: getattr(client, f.name) for f in fields(ContactDetails)})


@dataclass
class ClientDetails(ContactDetails):
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    handout_delivery: str = Delivery.EMAIL.value


def _clean_contact(details: ContactDetails, errors: dict[str, str]) -> dict:
    values = {f.name: (getattr(details, f.name) or "").strip() for f in fields(ContactDetails)}
    if values["email"]:
        values["email"], problem = _email_error(values["email"])
        if problem:
            errors["email"] = problem
    for name in ("phone", "emergency_contact_phone"):
        if values[name] and (problem := _phone_error(values[name])):
            errors[name] = problem
    return values


def check_details(details: ClientDetails, today: date) -> dict:
    """The client's columns from what staff typed, or every problem with it at once."""
    errors: dict[str, str] = {}
    values = _clean_contact(details, errors)
    values["first_name"] = details.first_name.strip()
    values["last_name"] = details.last_name.strip()
    if not values["first_name"]:
        errors["first_name"] = "Enter the client's first name."
    born = details.date_of_birth
    if born is None:
        errors["date_of_birth"] = "Enter the date of birth, e.g. 1984-03-21."
    elif born > today:
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    elif born.year < OLDEST_BIRTH_YEAR:
        errors["date_of_birth"] = "Check the year of birth."
    if details.handout_delivery not in {delivery.value for delivery in Delivery}:
        errors["handout_delivery"] = "Choose email, link or print."
    if details.handout_delivery == Delivery.EMAIL and not values["email"]:
        errors.setdefault("email", "Add an email, or choose another way to receive handouts.")
    if errors:
        raise ValidationError(errors)
    first_then_last = f"{values['first_name']} {values['last_name']}"
    reversed_name = f"{values['last_name']} {values['first_name']}"
    return {
        **values,
        "date_of_birth": born,
        "handout_delivery": details.handout_delivery,
        "name_key": fold(first_then_last),
        "sort_key": fold(reversed_name),
        "phone_key": phone_key(values["phone"]),
    }


class PossibleDuplicates(ValidationError):
    """Other clients look like the same person; staff confirm before a new one is added."""

    def __init__(self, clients: list[Client]):
        super().__init__({"": "This may be someone the clinic already knows. Check the clients "
                              "below; add a new client only if this is a different person."})
        self.clients = clients


# A shared family phone or email can match many clients; a few are enough to decide.
DUPLICATES_SHOWN = 10


def possible_duplicates(values: dict) -> list[Client]:
    """Clients with the same name and date of birth, or the same email or phone (the first
    few of them)."""
    same = [and_(Client.name_key == values["name_key"],
                 Client.date_of_birth == values["date_of_birth"])]
    if values["email"]:
        same.append(Client.email == values["email"])
    if len(values["phone_key"]) >= 7:
        # The last ten digits: the same number with or without its country code.
        same.append(_prefix(Client.phone_key, values["phone_key"][:10]))
    return list(db.session.scalars(
        select(Client).where(or_(*same)).order_by(Client.id).limit(DUPLICATES_SHOWN)
    ))


def create_client(details: ClientDetails, *, duplicates_checked: bool = False) -> Client:
    values = check_details(details, date.today())
    if not duplicates_checked and (found := possible_duplicates(values)):
        raise PossibleDuplicates(found)
    client = Client(**values)
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", "client", client.id)
    db.session.commit()
    return client


def _save_changes(client: Client, values: dict, action: str) -> list[str]:
    changed = apply_changes(client, values)
    shown = [key for key in changed if not key.endswith("_key")]
    if shown:
        audit.record(action, "client", client.id, detail={"changed": shown})
    return shown


def update_client(client: Client, details: ClientDetails, seen_version: int | None) -> None:
    check_version(client, seen_version, "client")
    values = check_details(details, date.today())
    _save_changes(client, values, "client.updated")
    commit_or_stale("client")


def set_archived(client: Client, archived: bool) -> None:
    client.archived_at = utcnow() if archived else None
    audit.record("client.archived" if archived else "client.restored", "client", client.id)
    db.session.commit()


@cache
def _client_statement():
    return select(Client).where(Client.id == bindparam("client"))


def get_client(client_id: int) -> Client:
    # A statement built once: `session.get` builds a new one, and its cache key, on every call.
    client = db.session.scalar(_client_statement(), {"client": client_id})
    if client is None:
        abort(404)
    return client


class ClientRow(NamedTuple):
    """A client in a list: what tells them apart at the desk (columns, not the record)."""

    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    phone: str | None
    email: str | None
    last_intake: datetime | None

    @property
    def name(self) -> str:
        return full_name(self.first_name, self.last_name)


def _searched(query: str) -> dict[str, str]:
    """The client columns a search looks in, each with what it must start with: the name as
    "last first" (the list's order), then "first last", the email, the phone's last digits."""
    prefixes = {}
    if key := fold(query):
        prefixes = {"sort_key": key, "name_key": key, "email": query.lower()}
    digits = phone_key(query)
    if len(digits) >= 4:
        prefixes["phone_key"] = digits
    return prefixes


def _page_bound(name: str, value: int | None = None):
    # Written into the statement when it is sent: a plan made for any prefix (a prepared
    # statement's generic plan) then still knows the page is a few rows, not a fifth of them
    # all, and reads the page's clients by id rather than every client.
    return bindparam(name, value, type_=Integer, literal_execute=True)


# Built once for each kind of search (the columns looked in, current or archived clients), with
# the prefixes and the page as parameters: building it again cost about as much as running it.
@cache
def _search_statement(archived: bool, columns: tuple[str, ...]):
    """A page of clients from :offset to :page_end whose column starts with its
    :<column>_from (it lies before :<column>_to), in name order, with how many match in all."""
    kept = Client.archived_at.is_not(None) if archived else Client.archived_at.is_(None)
    matches = [and_(getattr(Client, column) >= bindparam(f"{column}_from"),
                    getattr(Client, column) < bindparam(f"{column}_to")) for column in columns]
    # Each column finds only the clients the columns before it did not, so no client is found
    # twice: the count is a sum of counts, and the page comes from each column's first clients
    # in name order, read from its index (ix_client_current_*). (An OR, or a UNION, read the
    # 1,200 clients whose name starts with "smi" from the table to count and sort them all.)
    ways = [and_(kept, match, *(not_(before) for before in matches[:n]))
            for n, match in enumerate(matches)] or [kept]
    # The first column is the list's order, so its index gives its first clients at once. The
    # others' matches are gathered first (MATERIALIZED) and only they are sorted: otherwise a
    # plan made for any prefix (a prepared statement's generic plan) walks the whole name
    # index in order, testing every client.
    found = [select(Client.sort_key, Client.id).where(ways[0]).subquery()] + [
        select(Client.sort_key, Client.id).where(way).cte(f"found_{n}")
        .prefix_with("MATERIALIZED", dialect="postgresql") for n, way in enumerate(ways[1:], 1)
    ]
    # Each limited on its own: PostgreSQL sorts every row of a UNION ALL before its LIMIT.
    firsts = [select(*each.c).order_by(each.c.sort_key, each.c.id)
              .limit(_page_bound("page_end")).subquery() for each in found]
    pages = union_all(*(select(*first.c) for first in firsts))
    shown = (pages.order_by(pages.selected_columns.sort_key, pages.selected_columns.id)
             .limit(_page_bound("per_page", PER_PAGE)).offset(_page_bound("offset"))
             .subquery("shown"))
    counts = [select(func.count()).select_from(each).scalar_subquery() for each in found]
    last_intake = (select(func.max(Intake.submitted_at)).where(Intake.client_id == Client.id)
                   .correlate(Client).scalar_subquery())
    return (
        select(Client.id, Client.first_name, Client.last_name, Client.date_of_birth,
               Client.phone, Client.email, type_coerce(last_intake, UTCDateTime),
               sum(counts[1:], counts[0]))
        .select_from(shown).join(Client, Client.id == shown.c.id)
        .order_by(shown.c.sort_key, shown.c.id)
    )


def search(query: str, page: int, archived: bool = False) -> Listing:
    """A page of clients whose name, email or phone starts with the query, in name order,
    and how many match in all (ClientRow rows)."""
    query = query.strip()
    prefixes = _searched(query)
    if query and not prefixes:  # accents alone, say: nothing a client's details start with
        return Listing([], 0, page=page, per_page=PER_PAGE)
    parameters = {"offset": (page - 1) * PER_PAGE, "page_end": page * PER_PAGE}
    for column, prefix in prefixes.items():
        parameters[f"{column}_from"], parameters[f"{column}_to"] = prefix, _past(prefix)
    records = db.session.connection().execute(
        _search_statement(archived, tuple(prefixes)), parameters).all()
    return Listing([ClientRow(*record[:-1]) for record in records],
                   records[0][-1] if records else 0, page=page, per_page=PER_PAGE)


# ---- intakes ----

@dataclass(frozen=True)
class Answer:
    detail: str = ""
    on_date: date | None = None


@dataclass
class IntakeAnswers:
    contact: ContactDetails
    reason: str = ""
    goals: str = ""
    # Ticked questions by code (see models.QUESTIONS), with the detail the client gave.
    items: dict[str, Answer] = field(default_factory=dict)
    headache_kind: str = ""
    headache_frequency: str = ""
    headache_recent: bool = False
    pressure: str = ""
    areas_to_avoid: str = ""
    consent_version: int | None = None
    agreed: bool = False
    signature: str = ""


def current_consent() -> tuple[int, str]:
    """The version and wording of the consent a new intake is signed against."""
    row = db.session.scalars(
        select(ConsentText).order_by(ConsentText.version.desc()).limit(1)).first()
    return (row.version, row.body) if row else (1, DEFAULT_CONSENT)


def update_consent(body: str, author_id: int) -> int:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Enter the consent wording clients sign."})
    version, current = current_consent()
    if body == current:
        return version
    row = ConsentText(version=version + 1, body=body, created_by_id=author_id)
    if db.session.scalar(select(func.count()).select_from(ConsentText)) == 0:
        db.session.add(ConsentText(version=1, body=DEFAULT_CONSENT))
    db.session.add(row)
    audit.record("consent.updated", "consent_text", row.version)
    db.session.commit()
    return row.version


def _consent_row(version: int | None) -> ConsentText:
    current_version, body = current_consent()
    if version != current_version:
        raise ValidationError({"agree": "The consent wording has changed since the form was "
                                        "opened. Read it again and sign below."})
    row = db.session.scalar(select(ConsentText).where(ConsentText.version == version))
    if row is None:
        row = ConsentText(version=version, body=body)
        db.session.add(row)
    return row


def _check_answers(answers: IntakeAnswers, errors: dict[str, str]) -> None:
    unknown = set(answers.items) - QUESTIONS.keys()
    if unknown:
        errors[""] = "The form had answers this clinic does not ask."
    for code, answer in answers.items.items():
        if answer.on_date and answer.on_date > date.today():
            errors[f"{code}_date"] = "This date is in the future."
    choices = ((answers.headache_kind, HEADACHE_KINDS, "headache_kind"),
               (answers.headache_frequency, HEADACHE_FREQUENCIES, "headache_frequency"),
               (answers.pressure, PRESSURES, "pressure"))
    for value, allowed, name in choices:
        if value and value not in allowed:
            errors[name] = "Choose one of the options."
    if not answers.agreed:
        errors["agree"] = "Tick the box to agree to the consent."
    if len(answers.signature.strip()) < 2:
        errors["signature"] = "Type your full name to sign."


def _next_version(client_id: int) -> int:
    latest = db.session.scalar(
        select(func.max(Intake.version)).where(Intake.client_id == client_id)
    )
    return (latest or 0) + 1


def _new_intake(client: Client, answers: IntakeAnswers, consent: ConsentText,
                **origin) -> Intake:
    headaches = "headaches" in answers.items
    intake = Intake(
        client_id=client.id,
        version=_next_version(client.id),
        reason=answers.reason.strip(),
        goals=answers.goals.strip(),
        headache_kind=answers.headache_kind if headaches else "",
        headache_frequency=answers.headache_frequency if headaches else "",
        headache_recent=bool(answers.headache_recent and headaches),
        pressure=answers.pressure,
        areas_to_avoid=answers.areas_to_avoid.strip(),
        consent=consent,
        signature=answers.signature.strip(),
        signed_on=date.today(),
        items=[
            IntakeItem(code=code, detail=answers.items[code].detail.strip()[:500],
                       on_date=answers.items[code].on_date)
            for code in QUESTIONS
            if code in answers.items
        ],
        **origin,
    )
    db.session.add(intake)
    return intake


def _record_intake(client: Client, answers: IntakeAnswers, **origin) -> Intake:
    """Check and add an intake and the contact changes that came with it; the caller commits."""
    errors: dict[str, str] = {}
    contact = _clean_contact(answers.contact, errors)
    if client.handout_delivery == Delivery.EMAIL and not contact["email"]:
        errors.setdefault("email", "Add an email: the clinic sends your handouts by email.")
    _check_answers(answers, errors)
    if errors:
        raise ValidationError(errors)
    consent = _consent_row(answers.consent_version)
    _save_changes(client, {**contact, "phone_key": phone_key(contact["phone"])}, "client.updated")
    intake = _new_intake(client, answers, consent, **origin)
    db.session.flush()
    audit.record("intake.submitted", "client", client.id,
                 detail={"version": intake.version, "source": intake.source})
    return intake


def submit_at_desk(client: Client, answers: IntakeAnswers, staff_id: int) -> Intake:
    intake = _record_intake(client, answers, source="desk", entered_by_id=staff_id)
    db.session.commit()
    return intake


def newest_intake_version(client_id: ColumnElement[int]) -> ScalarSelect[int]:
    """The version of the client's newest intake: the client a column of the statement around
    it, or a parameter. Its own intakes are read afresh, even where that statement joins one."""
    return (select(func.max(Intake.version)).where(Intake.client_id == client_id)
            .correlate_except(Intake).scalar_subquery())


def ticked_items_json() -> ScalarSelect:
    """The items ticked on the intake of the statement around it, as one JSON value
    (`json_rows`): for a list that reads many intakes, a value each rather than a line per
    item. `ticked_items` reads it back."""
    return (select(json_rows(IntakeItem.code, IntakeItem.detail, IntakeItem.on_date))
            .where(IntakeItem.intake_id == Intake.id).scalar_subquery())


def ticked_items(value: list | None) -> list[ItemAnswer]:
    """The items of `ticked_items_json`'s value (NULL on PostgreSQL when there are none)."""
    return [ItemAnswer(code, detail, on_date and date.fromisoformat(on_date))
            for code, detail, on_date in value or ()]


def is_current_intake(client_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The condition on Intake for the client's current (newest) intake: the client a column
    of the statement around it, or a parameter."""
    return (Intake.client_id == client_id) & (Intake.version == newest_intake_version(client_id))


# An intake with its ticked items. The consent's text is the form's, not the history's nor the
# summary's: it loads when a page reads it.
INTAKE_LOADING = (lazyload(Intake.consent), joinedload(Intake.items))


def _newest_first(statement: Select) -> Select:
    """A client's intakes in a statement, newest (current) first, with their ticked items."""
    return statement.order_by(Intake.version.desc()).options(*INTAKE_LOADING)


@cache
def _current_intake_statement():
    return select(Intake).where(is_current_intake(bindparam("client"))).options(*INTAKE_LOADING)


def current_intake(client_id: int) -> Intake | None:
    """The client's newest intake, with its ticked items; None before the first."""
    return db.session.scalars(_current_intake_statement(), {"client": client_id}).unique().first()


@cache
def _version_and_previous_statement():
    client = bindparam("client")
    return _newest_first(
        select(Intake, (Intake.version == newest_intake_version(client)).label("current"))
        .where(Intake.client_id == client, Intake.version <= bindparam("version")).limit(2)
    )


def intake_version(client_id: int, version: int) -> tuple[Intake, Intake | None, bool]:
    """The client's intake of that version (404 when there is none), the version before it
    (none before the first), and whether it is the current one. Two intakes read, however many
    the client has."""
    found = db.session.execute(_version_and_previous_statement(),
                               {"client": client_id, "version": version}).unique().all()
    if not found or found[0][0].version != version:
        abort(404)
    shown, is_current = found[0]
    previous = found[1][0] if len(found) > 1 else None
    return shown, previous, is_current


def intake_status(history: list[Intake], now: datetime) -> str:
    if not history:
        return "none"
    return "stale" if now - history[0].submitted_at > STALE_AFTER else "current"


def record_health_view(client: Client, intake: Intake, what: str) -> None:
    """Every look at health answers (the form, a version, the precautions) is on record."""
    add_health_view(client, intake, what)
    audit.journal_views()


def add_health_view(client: "Client | ClientCard", intake: "Intake | IntakeVersion",
                    what: str) -> None:
    """The health view's audit event, to be journaled with the page's other views."""
    audit.record("intake.viewed", "client", client.id,
                 detail={"version": intake.version, "view": what})


def _describe(item: IntakeItem | ItemAnswer) -> str:
    label = QUESTIONS[item.code].short_label
    return f"{label} ({item.detail})" if item.detail else label


SCALAR_CHANGES = (
    ("pressure", "pressure preference"),
    ("areas_to_avoid", "areas to avoid"),
    ("headache_kind", "kind of headache"),
    ("headache_frequency", "how often headaches come"),
    ("headache_recent", "headaches new or changed lately"),
)


def changes(previous: "Intake | IntakeVersion", current: "Intake | IntakeVersion") -> list[str]:
    """What the newer intake says differently, in plain words: "New: Blood thinners"."""
    before = {item.code: item for item in previous.items}
    after = {item.code: item for item in current.items}
    said = []
    for code in QUESTIONS:
        old, new = before.get(code), after.get(code)
        if new and not old:
            said.append(f"New: {_describe(new)}")
        elif old and not new:
            said.append(f"No longer: {QUESTIONS[old.code].short_label}")
        elif old and new and (old.detail, old.on_date) != (new.detail, new.on_date):
            said.append(f"Changed: {_describe(new)}")
    # How headaches behave is news only when both versions have headaches.
    both_headaches = "headaches" in before and "headaches" in after
    for name, label in SCALAR_CHANGES:
        if name.startswith("headache_") and not both_headaches:
            continue
        if getattr(previous, name) != getattr(current, name):
            said.append(f"Changed: {label}")
    return said


# ---- self-service links ----

class LinkRefused(Exception):
    """The link cannot be used: unknown, expired, used, revoked or paused after wrong answers."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _token_hash(token: str) -> str:
    return keyed_hash(token, "intake-link")


def create_link(client: Client, staff_id: int) -> tuple[IntakeLink, str]:
    """A new link for the client (any older open link stops working) and its token."""
    if client.archived:
        raise ValidationError({"": "Restore the client before sending an intake link."})
    now = utcnow()
    db.session.execute(
        update(IntakeLink)
        .where(IntakeLink.client_id == client.id, IntakeLink.used_at.is_(None),
               IntakeLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = new_token()
    link = IntakeLink(
        client_id=client.id,
        token_hash=_token_hash(token),
        created_at=now,
        created_by_id=staff_id,
        expires_at=now + current_app.config["INTAKE_LINK_LIFETIME"],
        failed_attempts=0,
    )
    db.session.add(link)
    db.session.flush()
    audit.record("intake_link.created", "client", client.id, detail={"link": link.id})
    db.session.commit()
    return link, token


def note_emailed(link: IntakeLink, address: str) -> None:
    link.emailed_to = address
    audit.record("intake_link.emailed", "client", link.client_id, detail={"link": link.id})
    db.session.commit()


class OpenLink(NamedTuple):
    """A link the client may still use, as the client page lists it."""

    id: int
    created_at: datetime
    emailed_to: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ClientCard(ClientNaming):
    """The client as their page shows them: plain values, read like a Client."""

    id: int
    first_name: str
    last_name: str
    pronouns: str
    date_of_birth: date
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    handout_delivery: str
    archived_at: datetime | None


class IntakeVersion(NamedTuple):
    """An intake as the client page reads it (to list, compare and flag precautions): plain
    values, read like an Intake."""

    version: int
    submitted_at: datetime
    source: str
    pressure: str
    areas_to_avoid: str
    headache_kind: str
    headache_frequency: str
    headache_recent: bool
    items: list[ItemAnswer]


class ClientRecord(NamedTuple):
    client: ClientCard
    # The newest LATEST intakes, newest (current) first.
    history: list[IntakeVersion]
    open_links: list[OpenLink]


def _open_link_of(client_id) -> tuple:
    """A link of the client's that can still be used: not used, not withdrawn, and not expired
    by the :now parameter."""
    return (IntakeLink.client_id == client_id, IntakeLink.used_at.is_(None),
            IntakeLink.revoked_at.is_(None), IntakeLink.expires_at > bindparam("now"))


# Where each part of a line of `_client_record_statement` starts: the card, whether there is an
# open link, the intake's own columns, its ticked item's.
_LINK = len(fields(ClientCard))
_VERSION = _LINK + 1
_ITEM = _VERSION + len(IntakeVersion._fields) - 1  # all but the items


@cache
def _client_record_statement():
    """The client, whether they have an open link, and their newest LATEST intakes with their
    ticked items, newest first: a line per ticked item (at least one an intake), in plain
    columns in the order of ClientCard's and IntakeVersion's fields. Not every intake: a
    client whose form is updated at each visit has a version a visit."""
    any_open_link = exists().where(*_open_link_of(Client.id)).label("any_open_link")
    return (
        select(*(getattr(Client, field.name) for field in fields(ClientCard)), any_open_link,
               *(getattr(Intake, name) for name in IntakeVersion._fields[:-1]),  # not items
               IntakeItem.code, IntakeItem.detail, IntakeItem.on_date)
        .outerjoin(Intake, (Intake.client_id == Client.id)
                   & (Intake.version > newest_intake_version(Client.id) - LATEST))
        .outerjoin(IntakeItem, IntakeItem.intake_id == Intake.id)
        .where(Client.id == bindparam("client"))
        .order_by(Intake.version.desc(), IntakeItem.id)
    )


@cache
def _open_links_statement():
    return (select(IntakeLink.id, IntakeLink.created_at, IntakeLink.emailed_to,
                   IntakeLink.expires_at)
            .where(*_open_link_of(bindparam("client"))).order_by(IntakeLink.id.desc()))


def client_record(client_id: int) -> ClientRecord:
    """The client with their intakes and open links, as the client page shows them. The links
    are read by a second statement only when there are any: most clients have none.

    Plain rows rather than records, read through the session's connection: the page reads
    them on every load, and records cost it more than the rest of the statement.
    """
    parameters = {"client": client_id, "now": utcnow()}
    connection = db.session.connection()
    lines = connection.execute(_client_record_statement(), parameters).all()
    if not lines:
        abort(404)
    history = []
    for version, group in groupby(lines, itemgetter(_VERSION)):
        if version is None:  # no intake yet
            break
        group = list(group)
        history.append(IntakeVersion(*group[0][_VERSION:_ITEM], [
            ItemAnswer(*line[_ITEM:]) for line in group if line[_ITEM] is not None]))
    links = [OpenLink(*row) for row in connection.execute(_open_links_statement(), parameters)
             ] if lines[0][_LINK] else []
    return ClientRecord(ClientCard(*lines[0][:_LINK]), history, links)


class IntakeListed(NamedTuple):
    version: int
    submitted_at: datetime
    source: str


def intake_versions(client_id: int, page: int) -> Listing:
    """Every intake of the client's, newest first, a page at a time: when and how each came."""
    return paging.fetch(
        select(Intake.version, Intake.submitted_at, Intake.source)
        .where(Intake.client_id == client_id).order_by(Intake.version.desc()),
        lambda row: IntakeListed(row.version, row.submitted_at, row.source),
        page=page, per_page=PER_PAGE,
    )


def revoke_link(client: Client, link_id: int) -> None:
    link = db.first_or_404(
        select(IntakeLink).where(IntakeLink.id == link_id, IntakeLink.client_id == client.id)
    )
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = utcnow()
        audit.record("intake_link.revoked", "client", client.id, detail={"link": link.id})
        db.session.commit()


REFUSALS = {
    "unknown": "This link does not work. Check that it was copied whole, or ask the clinic.",
    "used": "This link has already been used to send a form. Ask the clinic for a new one.",
    "revoked": "This link has been withdrawn. Ask the clinic for a new one.",
    "expired": "This link has expired. Ask the clinic for a new one.",
    "paused": "Too many wrong dates of birth. Wait fifteen minutes and try again, "
              "or ask the clinic for help.",
}


def find_link(token: str) -> IntakeLink:
    """The usable link for a token, or LinkRefused saying why it cannot be used."""
    link = None
    if TOKEN_PATTERN.match(token):
        link = db.session.scalar(
            select(IntakeLink).where(IntakeLink.token_hash == _token_hash(token))
        )
    if link is None:
        raise LinkRefused("unknown")
    state = link.state(utcnow())
    if state != "open":
        raise LinkRefused(state)
    return link


def confirm_birth_date(link: IntakeLink, answer: date | None) -> bool:
    """Check the date of birth the client typed. Wrong answers pause the link, then end it
    (LinkRefused); the answer that does so is refused with them."""
    if link.locked_until is not None and link.locked_until > utcnow():
        raise LinkRefused("paused")
    client = db.session.get(Client, link.client_id)
    if answer is not None and answer == client.date_of_birth:
        return True
    config = current_app.config
    link.failed_attempts += 1
    detail = {"link": link.id, "attempts": link.failed_attempts}
    audit.record("intake_link.birth_date_wrong", "client", link.client_id, detail=detail)
    refusal = None
    if link.failed_attempts >= config["INTAKE_LINK_MAX_FAILURES"]:
        link.revoked_at = utcnow()
        audit.record("intake_link.revoked", "client", link.client_id, detail=detail)
        refusal = "revoked"
    elif link.failed_attempts % config["INTAKE_LINK_FAILURES_BEFORE_PAUSE"] == 0:
        link.locked_until = utcnow() + config["INTAKE_LINK_PAUSE"]
        refusal = "paused"
    db.session.commit()
    if refusal:
        raise LinkRefused(refusal)
    return False


def submit_through_link(token: str, answers: IntakeAnswers) -> Intake:
    """Save the client's form and use up the link, both or neither."""
    link = find_link(token)
    client = db.session.get(Client, link.client_id)
    intake = _record_intake(client, answers, source="link")
    # Only one submission can win the link, however many arrive at once.
    claimed = db.session.execute(
        update(IntakeLink)
        .where(IntakeLink.id == link.id, IntakeLink.used_at.is_(None),
               IntakeLink.revoked_at.is_(None), IntakeLink.expires_at > utcnow())
        .values(used_at=utcnow(), intake_id=intake.id)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise LinkRefused("used")
    db.session.commit()
    return intake
