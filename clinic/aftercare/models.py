"""The home-care technique library, and the handouts built from it for one visit."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.auth.models import User
from clinic.clients.models import Client, Delivery
from clinic.extensions import db
from clinic.types import UTCDateTime, utcnow


class Area(StrEnum):
    """Where on the head and neck a technique puts hands: precautions rule out by area."""

    FOREHEAD = "forehead"
    BROWS = "brows"
    EYES = "eyes"
    NOSE = "nose"
    CHEEKS = "cheeks"
    MOUTH = "mouth"
    JAW = "jaw"
    TEMPLES = "temples"
    NECK = "neck"
    SKULL_BASE = "skull_base"

    @property
    def label(self) -> str:
        return {
            "forehead": "Forehead",
            "brows": "Eyebrows",
            "eyes": "Around the eyes",
            "nose": "Nose",
            "cheeks": "Cheeks",
            "mouth": "Lips and mouth",
            "jaw": "Jaw and chin",
            "temples": "Temples",
            "neck": "Neck",
            "skull_base": "Base of the skull",
        }[self.value]


FACE_AREAS = frozenset(Area) - {Area.NECK, Area.SKULL_BASE}


class Technique(db.Model):
    """A technique clients do at home. Retired, never deleted: handed-out PDFs name it."""

    __tablename__ = "technique"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text)
    # Plain sentences in the order the client does them.
    steps: Mapped[list[str]] = mapped_column(JSON)
    duration: Mapped[str] = mapped_column(String(80))
    frequency: Mapped[str] = mapped_column(String(120))
    cautions: Mapped[list[str]] = mapped_column(JSON)
    # Intake condition codes (clinic.clients.models.CONDITIONS) the technique helps.
    conditions: Mapped[list[str]] = mapped_column(JSON)
    areas: Mapped[list[str]] = mapped_column(JSON)
    # A file in static/img/techniques/, chosen from the drawings shipped with the app.
    illustration: Mapped[str] = mapped_column(String(80), default="")
    illustration_alt: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two admins editing the same technique: the second save is refused, not silently lost.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    @property
    def area_set(self) -> frozenset[Area]:
        return frozenset(Area(area) for area in self.areas)

    @property
    def area_labels(self) -> list[str]:
        return [area.label for area in Area if area in self.area_set]


def titles_of(techniques: list[dict]) -> list[str]:
    """The titles of a handout's techniques, as printed."""
    return [technique["title"] for technique in techniques]


class Handout(db.Model):
    """The sheet handed to a client after a visit: what it was built from, and the PDF itself.

    Never changed once made: the stored bytes are what the client got, whatever the library
    says later. A different sheet is a new handout.
    """

    __tablename__ = "handout"
    __table_args__ = (
        Index("ix_handout_visit_id", "visit_id"),
        Index("ix_handout_client_id_created_at", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    built_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    personal_note: Mapped[str] = mapped_column(Text, default="")
    # The chosen techniques in the order printed, each copied whole from the library.
    techniques: Mapped[list[dict]] = mapped_column(JSON)
    # What the client's precautions change about home care, as printed.
    advice: Mapped[list[str]] = mapped_column(JSON)
    page_size: Mapped[str] = mapped_column(String(6))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    deliveries: Mapped[list["HandoutDelivery"]] = relationship(
        lazy="selectin", order_by="HandoutDelivery.id"
    )

    @property
    def technique_titles(self) -> list[str]:
        return titles_of(self.techniques)

    @property
    def delivered(self) -> bool:
        return any(delivery.ok for delivery in self.deliveries)

    @classmethod
    def delivered_condition(cls):
        """`delivered` as SQL, for lists that read columns rather than handouts."""
        return (select(HandoutDelivery.id)
                .where(HandoutDelivery.handout_id == cls.id,
                       HandoutDelivery.status == DeliveryStatus.DELIVERED.value)
                .exists())

    @property
    def last_email(self) -> "HandoutDelivery | None":
        emails = [d for d in self.deliveries if d.method == Delivery.EMAIL.value]
        return emails[-1] if emails else None


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class HandoutLink(db.Model):
    """A download link for one handout. Only a keyed hash of its token is stored."""

    __tablename__ = "handout_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    handout_id: Mapped[int] = mapped_column(ForeignKey("handout.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def is_open(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


DELIVERY_METHOD_LABELS = {"email": "Emailed", "link": "Download link made", "print": "Printed"}


class HandoutDelivery(db.Model):
    """One attempt to put a handout in the client's hands: emailed, a link made, or printed."""

    __tablename__ = "handout_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    handout_id: Mapped[int] = mapped_column(ForeignKey("handout.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    # The email address, or "" for a link or a print.
    recipient: Mapped[str] = mapped_column(String(254), default="")
    link_id: Mapped[int | None] = mapped_column(ForeignKey("handout_link.id"))
    status: Mapped[str] = mapped_column(String(10))
    # Why it failed, as the mail server said it: for the retry.
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))

    by: Mapped[User] = relationship(lazy="joined")
    link: Mapped[HandoutLink | None] = relationship(lazy="joined")

    @property
    def ok(self) -> bool:
        return self.status == DeliveryStatus.DELIVERED.value

    @property
    def method_label(self) -> str:
        return DELIVERY_METHOD_LABELS[self.method]
