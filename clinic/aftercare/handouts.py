"""Handouts: built for one visit from the library, stored as the exact PDF handed out, and
delivered by email, by download link or on paper.

Who may build: the visit's therapist and the admin. Reception, like everyone on staff, may
print, email again and make links for a handout that exists.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from flask import current_app, render_template
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased, joinedload

from clinic import mail, paging
from clinic.admin.services import get_settings
from clinic.aftercare import documents
from clinic.aftercare.models import (
    DeliveryStatus,
    Handout,
    HandoutDelivery,
    HandoutLink,
    Technique,
    titles_of,
)
from clinic.aftercare.selection import Selection, select_techniques
from clinic.aftercare.services import library
from clinic.audit import services as audit
from clinic.auth.models import Role, User
from clinic.clients.models import Delivery, Intake
from clinic.clients.services import current_intake
from clinic.extensions import db
from clinic.paging import Listing
from clinic.pdf.render import RenderFailed
from clinic.tokens import keyed_hash, new_token
from clinic.types import utcnow
from clinic.validation import ValidationError, whole_number_or_none
from clinic.visits.models import TreatmentNote, Visit, VisitStatus
from clinic.visits.services import local

if TYPE_CHECKING:
    from clinic.visits.page import VisitFacts

log = logging.getLogger(__name__)

# More than this and a handout runs past two pages, and is rarely all done at home.
MAX_TECHNIQUES = 3
NOTE_LIMIT = 600
LINK_LIFETIME = timedelta(days=30)  # HANDOUT_LINK_LIFETIME overrides it
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class NotAllowed(Exception):
    """The user's role may build handouts, but not for this visit."""


# ---- building ----

def can_build(visit: "Visit | VisitFacts", user: User) -> bool:
    return user.role == Role.ADMIN or (
        user.role == Role.THERAPIST and visit.therapist_id == user.id)


@dataclass
class Draft:
    """What the builder's form holds: the chosen techniques in order, and the personal note."""

    technique_ids: list[int]
    personal_note: str = ""


@dataclass
class Builder:
    visit: Visit
    intake: Intake | None
    selection: Selection
    # The active library, by title.
    library: list[Technique]

    @property
    def offered(self) -> list[Technique]:
        """Techniques the therapist may put in: every active one the precautions allow."""
        excluded = self.selection.excluded_slugs
        return [technique for technique in self.library if technique.slug not in excluded]

    def split(self, draft: Draft) -> tuple[list[Technique], list[Technique]]:
        """The draft's techniques in its order, and the others that could be added."""
        by_id = {technique.id: technique for technique in self.offered}
        chosen = [by_id[tid] for tid in draft.technique_ids if tid in by_id]
        return chosen, [technique for technique in self.offered if technique not in chosen]

    def initial_draft(self) -> Draft:
        return Draft([pick.technique.id for pick in self.selection.chosen])

    def reasons(self) -> dict[int, tuple[str, ...]]:
        """Why each pre-selected technique was chosen, by id."""
        return {pick.technique.id: pick.because for pick in self.selection.chosen}


def builder(visit: Visit, user: User, today: date) -> Builder:
    if not can_build(visit, user):
        raise NotAllowed
    if visit.state in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW):
        raise ValidationError({"": f"This visit was {visit.state.label.lower()}: there is "
                                   "nothing to hand out."})
    intake = current_intake(visit.client_id)
    plan = db.session.scalar(select(TreatmentNote.plan).where(TreatmentNote.visit_id == visit.id))
    techniques = library()
    return Builder(visit, intake, select_techniques(techniques, intake, today, plan or ""),
                   techniques)


def arrange(order: list[int], ticked: list[int], move: str = "") -> list[int]:
    """The chosen techniques after a post of the builder: ticked ones in the order shown,
    newly ticked ones after them, then one moved up or down if a button asked for it."""
    ticked_set = set(ticked)
    chosen = [tid for tid in dict.fromkeys(order) if tid in ticked_set]
    chosen += [tid for tid in dict.fromkeys(ticked) if tid not in chosen]
    direction, _, moved_text = move.partition(":")
    moved = whole_number_or_none(moved_text)
    if moved in chosen and direction in ("up", "down"):
        at = chosen.index(moved)
        to = at - 1 if direction == "up" else at + 1
        if 0 <= to < len(chosen):
            chosen[at], chosen[to] = chosen[to], chosen[at]
    return chosen


def check_draft(built: Builder, draft: Draft) -> tuple[list[Technique], str]:
    """The techniques to print, in order, and the cleaned note; or every problem at once."""
    errors: dict[str, str] = {}
    by_id = {technique.id: technique for technique in built.library}
    reasons = {e.technique.slug: e.reason for e in built.selection.excluded}
    chosen = []
    for technique_id in draft.technique_ids:
        technique = by_id.get(technique_id)
        if technique is None:
            errors["technique"] = ("A technique you chose has left the library. "
                                   "Check the list and generate again.")
        elif technique.slug in reasons:
            errors["technique"] = (f"“{technique.title}” is ruled out for this client: "
                                   f"{reasons[technique.slug]}")
        else:
            chosen.append(technique)
    if not chosen and not errors:
        errors["technique"] = "Choose at least one technique for the handout."
    elif len(chosen) > MAX_TECHNIQUES:
        errors["technique"] = (f"Choose at most {MAX_TECHNIQUES} techniques: a handout fits on "
                               "two pages, and a few done well help more than many.")
    note = draft.personal_note.replace("\r\n", "\n").strip()
    if len(note) > NOTE_LIMIT:
        errors["personal_note"] = f"Keep the note to {NOTE_LIMIT:,} characters."
    if errors:
        raise ValidationError(errors)
    return chosen, note


def next_appointment(visit: Visit) -> str | None:
    """The client's next booked visit after this one, in words, or None."""
    after = max(visit.ends_at, utcnow())
    upcoming = db.session.scalars(
        select(Visit).where(Visit.client_id == visit.client_id,
                            Visit.status == VisitStatus.BOOKED.value, Visit.starts_at >= after)
        .options(joinedload(Visit.therapist)).order_by(Visit.starts_at).limit(1)
    ).first()
    if upcoming is None:
        return None
    start = local(upcoming.starts_at)
    return (f"{start:%A} {start.day} {start:%B %Y} at {start:%H:%M}, "
            f"with {upcoming.therapist.name}")


def document(built: Builder, techniques: list[dict], note: str, *,
             on_screen: bool = False) -> dict:
    visit = built.visit
    return documents.handout_document(
        get_settings(), first_name=visit.client.first_name,
        therapist_name=visit.therapist.name, visit_day=local(visit.starts_at).date(),
        techniques=techniques, advice=built.selection.notes, personal_note=note,
        next_appointment=next_appointment(visit), on_screen=on_screen,
    )


def preview(built: Builder, draft: Draft) -> dict:
    """The handout as the draft stands, for the page: unchecked, and nothing stored."""
    techniques = [documents.technique_snapshot(technique) for technique in built.split(draft)[0]]
    return document(built, techniques, draft.personal_note.strip(), on_screen=True)


def generate(built: Builder, draft: Draft, actor: User) -> Handout:
    """Render the handout's PDF and keep it with what it was built from, or store nothing."""
    if not can_build(built.visit, actor):
        raise NotAllowed
    chosen, note = check_draft(built, draft)
    settings = get_settings()
    snapshots = [documents.technique_snapshot(technique) for technique in chosen]
    try:
        data = documents.handout_pdf(document(built, snapshots, note), settings)
    except RenderFailed:
        log.exception("handout PDF for visit %s failed", built.visit.id)
        raise ValidationError({"": "The PDF could not be made, so nothing was saved. "
                                   "Try again; if it keeps failing, tell the admin."}) from None
    visit = built.visit
    handout = Handout(
        visit_id=visit.id, client_id=visit.client_id, therapist_id=visit.therapist_id,
        built_by_id=actor.id, personal_note=note, techniques=snapshots,
        advice=list(built.selection.notes), page_size=settings.page_size, pdf=data,
        pdf_sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(handout)
    db.session.flush()
    audit.record("handout.created", "handout", handout.id, client_id=handout.client_id,
                 detail={"visit": visit.id, "client": visit.client_id,
                         "techniques": [technique.slug for technique in chosen]})
    db.session.commit()
    return handout


# ---- reading ----

def get_handout(handout_id: int) -> Handout:
    return db.first_or_404(
        select(Handout).where(Handout.id == handout_id)
        .options(joinedload(Handout.client), joinedload(Handout.therapist))
    )


def visit_day(handout: Handout) -> date:
    visit = db.session.get(Visit, handout.visit_id)
    return local(visit.starts_at).date()


def pdf(handout: Handout, via: str, link: HandoutLink | None = None) -> tuple[bytes, str]:
    """The stored bytes, exactly as handed out, and their file name. Every download is noted."""
    detail = {"via": via} | ({"link": link.id} if link else {})
    audit.record("handout.downloaded", "handout", handout.id, client_id=handout.client_id,
                 detail=detail)
    db.session.commit()
    return handout.pdf, documents.pdf_file_name(handout.id, visit_day(handout))


class HandoutRow(NamedTuple):
    """A handout in a list: when it was made, what was on it, whether it reached the client."""

    id: int
    created_at: datetime
    technique_titles: list[str]
    delivered: bool


def _handout_columns() -> tuple:
    """The columns of a HandoutRow (not the handouts and every delivery of each as records)."""
    return (Handout.id, Handout.created_at, Handout.techniques,
            Handout.delivered_condition().label("delivered"))


def _handout_row(record) -> HandoutRow:
    return HandoutRow(record.id, record.created_at, titles_of(record.techniques),
                      record.delivered)


class LastHandout(NamedTuple):
    """What the last handout held (never how it was delivered)."""

    created_at: datetime
    technique_titles: list[str]


@dataclass(frozen=True)
class VisitHandouts:
    """The aftercare part of a visit page."""

    can_build: bool
    # This visit's handouts, oldest first.
    handouts: list[HandoutRow]
    # The client's last handout from an earlier visit, for whoever builds this one: "how did
    # the home care go?"
    previous: LastHandout | None


def _visit_handouts_columns() -> tuple:
    """The columns a VisitHandouts is made from (`visit_handouts`), a row per handout."""
    return (*_handout_columns(), Handout.visit_id)


def _of_visit_or_earlier(visit_id, client_id, before):
    """The condition on Handout for the handouts of a visit and the client's last one from a
    visit before it: the handouts `visit_handouts` is made from."""
    earlier, its_visit = aliased(Handout), aliased(Visit)
    last_before = (select(earlier.id)
                   .join(its_visit, its_visit.id == earlier.visit_id)
                   .where(earlier.client_id == client_id, its_visit.starts_at < before)
                   .order_by(its_visit.starts_at.desc(), earlier.id.desc()).limit(1)
                   .scalar_subquery())
    return or_(Handout.visit_id == visit_id, Handout.id == last_before)


@cache
def _visit_handouts_statement():
    """This visit's handouts and the client's last one from an earlier visit, in one statement
    (the note editor asks on every load): the earlier one is the row of another visit."""
    return select(*_visit_handouts_columns()).where(_of_visit_or_earlier(
        bindparam("visit"), bindparam("client"), bindparam("before")))


def visit_handouts_join(visit_id, client_id, before) -> tuple:
    """For a statement that reads a visit, its handouts and the client's last one from an
    earlier visit: the table to join, the join's condition, and the columns `visit_handouts`
    is made from."""
    return (Handout, _of_visit_or_earlier(visit_id, client_id, before),
            _visit_handouts_columns())


def visit_handouts(visit: "Visit | VisitFacts", user: User, rows) -> VisitHandouts:
    """The aftercare part of a visit page from rows of `visit_handouts_join`'s columns (a row whose
    handout id is None is no handout)."""
    rows = sorted((row for row in rows if row.id is not None), key=attrgetter("id"))
    builder = can_build(visit, user)
    earlier = next((row for row in rows if row.visit_id != visit.id), None)
    return VisitHandouts(
        builder, [_handout_row(row) for row in rows if row.visit_id == visit.id],
        LastHandout(earlier.created_at, titles_of(earlier.techniques))
        if builder and earlier else None)


def for_visit(visit: Visit, user: User) -> VisitHandouts:
    return visit_handouts(visit, user, db.session.connection().execute(
        _visit_handouts_statement(),
        {"visit": visit.id, "client": visit.client_id, "before": visit.starts_at}))


@cache
def _client_handouts_statement():
    return paging.paged(
        select(*_handout_columns()).where(Handout.client_id == bindparam("client")),
        (Handout.created_at.desc(), Handout.id.desc()),
    )


def for_client(client_id: int, *, page: int = 1, per_page: int) -> Listing:
    """The handouts the client was given, newest first."""
    return paging.read(client_list(client_id), page=page, per_page=per_page)


def client_list(client_id: int) -> paging.Query:
    """The list of for_client, to read with others."""
    return paging.Query(_client_handouts_statement(), {"client": client_id}, _handout_row)


# ---- delivery ----

AUDIT_ACTIONS = {Delivery.EMAIL: "handout.emailed", Delivery.LINK: "handout_link.created",
                 Delivery.PRINT: "handout.printed"}


def _deliver(handout: Handout, actor: User, method: Delivery, *, recipient: str = "",
             link: HandoutLink | None = None, error: str = "") -> HandoutDelivery:
    status = DeliveryStatus.FAILED if error else DeliveryStatus.DELIVERED
    delivery = HandoutDelivery(handout_id=handout.id, method=method.value, recipient=recipient,
                               link_id=link.id if link else None, status=status.value,
                               error=error, by_id=actor.id)
    db.session.add(delivery)
    db.session.flush()
    action = "handout.email_failed" if error else AUDIT_ACTIONS[method]
    audit.record(action, "handout", handout.id, client_id=handout.client_id,
                 detail={"delivery": delivery.id} | ({"link": link.id} if link else {}))
    db.session.commit()
    return delivery


def email(handout: Handout, actor: User) -> HandoutDelivery:
    """Send the stored PDF to the client. A failure is recorded, not raised: the handout is
    saved already and the page offers to try again."""
    client = handout.client
    if not client.email:
        raise ValidationError({"": f"There is no email address for {client.name}. Add one on "
                                   "the client's page, or make a link or print the handout."})
    if not mail.is_configured():
        raise ValidationError({"": "Email is not set up for this clinic (MAIL_SERVER and "
                                   "MAIL_SENDER). Make a link or print the handout instead."})
    settings = get_settings()
    day = visit_day(handout)
    body = render_template("aftercare/handout_email.txt", first_name=client.first_name,
                           day=day, therapist=handout.therapist.name, clinic=settings)
    attachment = mail.Attachment(documents.pdf_file_name(handout.id, day), handout.pdf,
                                 "application/pdf")
    # The handout row is committed before this: a slow or failing mail server loses nothing.
    try:
        mail.send(client.email, f"Your home-care sheet from {settings.name}", body,
                  [attachment])
    except mail.MailError as error:
        log.warning("handout %s: email failed: %s", handout.id, error)
        return _deliver(handout, actor, Delivery.EMAIL, recipient=client.email,
                        error=str(error) or error.__class__.__name__)
    return _deliver(handout, actor, Delivery.EMAIL, recipient=client.email)


def record_print(handout: Handout, actor: User) -> HandoutDelivery:
    return _deliver(handout, actor, Delivery.PRINT)


def _token_hash(token: str) -> str:
    return keyed_hash(token, "handout-link")


def create_link(handout: Handout, actor: User) -> tuple[HandoutLink, str]:
    """A new download link for the handout, and its token (shown once, never stored)."""
    token = new_token()
    now = utcnow()
    lifetime = current_app.config.get("HANDOUT_LINK_LIFETIME", LINK_LIFETIME)
    link = HandoutLink(handout_id=handout.id, token_hash=_token_hash(token), created_at=now,
                       created_by_id=actor.id, expires_at=now + lifetime)
    db.session.add(link)
    db.session.flush()
    _deliver(handout, actor, Delivery.LINK, link=link)
    return link, token


def open_links(handout: Handout) -> list[HandoutLink]:
    return list(db.session.scalars(
        select(HandoutLink).where(HandoutLink.handout_id == handout.id,
                                  HandoutLink.revoked_at.is_(None),
                                  HandoutLink.expires_at > utcnow())
        .order_by(HandoutLink.id)
    ))


def revoke_link(handout: Handout, link_id: int) -> HandoutLink:
    link = db.first_or_404(select(HandoutLink).where(HandoutLink.id == link_id,
                                                     HandoutLink.handout_id == handout.id))
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        audit.record("handout_link.revoked", "handout", handout.id,
                     client_id=handout.client_id, detail={"link": link.id})
        db.session.commit()
    return link


def find_link(token: str, now: datetime | None = None) -> HandoutLink | None:
    """The open link a token stands for; None for a wrong, expired or revoked one alike."""
    if not TOKEN_PATTERN.match(token):
        return None
    link = db.session.scalar(select(HandoutLink).where(
        HandoutLink.token_hash == _token_hash(token)))
    if link is None or not link.is_open(now or utcnow()):
        return None
    return link
