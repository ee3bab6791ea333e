"""Visits, the treatment note written for each, addenda to signed notes, and note templates."""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from clinic.audit.content import hash_content
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.records import erasure_permitted
from clinic.types import UTCDateTime, utcnow


class VisitStatus(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {"no_show": "No-show"}.get(self.value, self.value.capitalize())

    @property
    def action_label(self) -> str:
        """The button that moves a visit into this status."""
        return {"arrived": "Client arrived", "completed": "Visit completed",
                "cancelled": "Cancel visit", "no_show": "Mark no-show"}.get(self.value, self.label)

    @property
    def needs_reason(self) -> bool:
        return self in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW)


# Which status may follow which. Completed, cancelled and no-show visits are history.
TRANSITIONS: dict[VisitStatus, tuple[VisitStatus, ...]] = {
    VisitStatus.BOOKED: (VisitStatus.ARRIVED, VisitStatus.CANCELLED, VisitStatus.NO_SHOW),
    VisitStatus.ARRIVED: (VisitStatus.COMPLETED, VisitStatus.CANCELLED),
    VisitStatus.COMPLETED: (),
    VisitStatus.CANCELLED: (),
    VisitStatus.NO_SHOW: (),
}

# A cancelled or missed visit frees its time for another booking.
OCCUPYING = (VisitStatus.BOOKED, VisitStatus.ARRIVED, VisitStatus.COMPLETED)


class VisitStates:
    """What a visit's status and times say, for the record and for a plain copy of it (the
    visit page's `VisitFacts`): each has status, starts_at and ends_at."""

    @property
    def state(self) -> VisitStatus:
        return VisitStatus(self.status)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def next_states(self) -> tuple[VisitStatus, ...]:
        return TRANSITIONS[self.state]


class Visit(VisitStates, db.Model):
    """One booked session of a client with a therapist."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_starts_at", "starts_at"),
        Index("ix_visit_therapist_id_starts_at", "therapist_id", "starts_at"),
        Index("ix_visit_client_id_starts_at", "client_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    # Free text until there is a service catalogue to point at.
    service_name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Kept rather than computed so an overlap is one indexed comparison.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=VisitStatus.BOOKED.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Reception and the therapist changing the status at once: the second is told, not lost.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)

    client: Mapped[Client] = relationship()
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    note: Mapped["TreatmentNote | None"] = relationship(back_populates="visit")


SOAP_FIELDS = (
    ("subjective", "Subjective",
     "What the client reports: reason for the visit, pain, how last time's home care went."),
    ("objective", "Objective",
     "Your findings: tension in masseter, temporalis or suboccipitals, sinus tenderness, skin."),
    ("assessment", "Assessment and treatment",
     "Techniques, areas, pressure, duration, products or oils used, the client's response."),
    ("plan", "Plan",
     "Next visit and home care. The aftercare handout starts from this."),
)


class SoapText:
    """The four SOAP sections as one dict, for notes and templates alike."""

    def text(self) -> dict[str, str]:
        return {name: getattr(self, name) for name, _, _ in SOAP_FIELDS}


class NoteSigning:
    """Whether a note is signed, for the record and for a plain copy of it (the visit page's
    `NoteFacts`): each has signed_at."""

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class NoteLocked(Exception):
    """A signed note was about to be changed. Corrections are addenda."""


class TreatmentNote(SoapText, NoteSigning, db.Model):
    """The SOAP note of one visit. Editable by its author until signed; locked for good after."""

    __tablename__ = "treatment_note"
    __table_args__ = (
        Index("ix_treatment_note_author_id_signed_at", "author_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # Sealed at signing (note_content_hash); `flask audit verify` recomputes it.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The draft open in two windows: a save from the older one is refused, never merged.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)

    visit: Mapped[Visit] = relationship(back_populates="note")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    addenda: Mapped[list["NoteAddendum"]] = relationship(
        lazy="selectin", order_by="NoteAddendum.id"
    )


class NoteAddendum(db.Model):
    """A correction or later finding, written under a signed note. Never edited."""

    __tablename__ = "note_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("treatment_note.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))

    author: Mapped[User] = relationship(lazy="joined")


def note_content_hash(note: TreatmentNote, client_id: int) -> str:
    """The seal of a signed note: its text, whose visit it was, who signed it and when."""
    return hash_content("treatment_note", [
        note.visit_id, client_id, note.author_id, note.signed_by_id, note.signed_at,
        note.subjective, note.objective, note.assessment, note.plan,
    ])


def addendum_content_hash(addendum: NoteAddendum) -> str:
    return hash_content("note_addendum", [
        addendum.note_id, addendum.author_id, addendum.created_at, addendum.reason,
        addendum.text,
    ])


class NoteTemplate(SoapText, db.Model):
    """Starting text for a common kind of session; the admin edits them. Retired, not deleted."""

    __tablename__ = "note_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)


# ---- the lock, in the model layer: no route, service or script can rewrite a signed note ----

def _was_signed(note: TreatmentNote) -> bool:
    history = inspect(note).attrs.signed_at.history
    before = [*history.unchanged, *history.deleted]
    return any(value is not None for value in before)


@event.listens_for(TreatmentNote, "before_update")
def _refuse_changing_a_signed_note(mapper, connection, note: TreatmentNote) -> None:
    # A new addendum marks the note dirty too; only a change to its own columns is refused.
    changed = object_session(note).is_modified(note, include_collections=False)
    if changed and _was_signed(note):
        raise NoteLocked(f"treatment note {note.id} is signed and cannot be changed")


@event.listens_for(TreatmentNote, "before_delete")
def _refuse_deleting_a_signed_note(mapper, connection, note: TreatmentNote) -> None:
    if _was_signed(note) and not erasure_permitted(object_session(note)):
        raise NoteLocked(f"treatment note {note.id} is signed and cannot be deleted")


@event.listens_for(NoteAddendum, "before_update")
def _refuse_rewriting_an_addendum(mapper, connection, addendum: NoteAddendum) -> None:
    raise NoteLocked(f"addendum {addendum.id} is part of a signed record and cannot be changed")


@event.listens_for(NoteAddendum, "before_delete")
def _refuse_deleting_an_addendum(mapper, connection, addendum: NoteAddendum) -> None:
    if not erasure_permitted(object_session(addendum)):
        raise NoteLocked(f"addendum {addendum.id} is part of a signed record and cannot be "
                         "deleted")
