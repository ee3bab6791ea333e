"""Clients, their intake forms (one version per submission), the consent text, intake links."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.types import UTCDateTime, utcnow


def search_key_type(length: int) -> String:
    """Search keys compare byte by byte, so a prefix is a range an index can answer."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Delivery(StrEnum):
    EMAIL = "email"
    LINK = "link"
    PRINT = "print"

    @property
    def label(self) -> str:
        return {"email": "By email", "link": "As a download link", "print": "Printed"}[self.value]


def full_name(first_name: str, last_name: str) -> str:
    return " ".join(part for part in (first_name, last_name) if part)


# Indexes of the clients who are not archived (the ones the desk searches), and of those who are.
CURRENT_ONLY = {"sqlite_where": text("archived_at IS NULL"),
                "postgresql_where": text("archived_at IS NULL")}
ARCHIVED_ONLY = {"sqlite_where": text("archived_at IS NOT NULL"),
                 "postgresql_where": text("archived_at IS NOT NULL")}


class ClientNaming:
    """What a client's columns say in words, for the record and for a plain copy of it (the
    client page's `ClientCard`): each has first_name, last_name, archived_at and
    handout_delivery."""

    @property
    def name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def delivery_label(self) -> str:
        return Delivery(self.handout_delivery).label


class Client(ClientNaming, db.Model):
    """Someone the clinic treats. Never deleted: archived, because records are kept for years."""

    __tablename__ = "client"
    __table_args__ = (
        Index("ix_client_name_key", "name_key"),
        Index("ix_client_sort_key", "sort_key"),
        Index("ix_client_email", "email"),
        Index("ix_client_phone_key", "phone_key"),
        # The search of current clients reads only these: each holds what a search by its
        # first column needs to tell whether a column searched before it matched already, and
        # where the client comes in name order. (The phone is left out: the four or more
        # digits a search needs match a few clients.)
        Index("ix_client_current_sort_key", "sort_key", "id", **CURRENT_ONLY),
        Index("ix_client_current_name_key", "name_key", "sort_key", "id", **CURRENT_ONLY),
        Index("ix_client_current_email", "email", "sort_key", "name_key", "id", **CURRENT_ONLY),
        # The archived clients in name order, without walking past every current one.
        Index("ix_client_archived_sort_key", "sort_key", "id", **ARCHIVED_ONLY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    # Folded, lower-case names: "jane smith" to search by first name, "smith jane" by last.
    name_key: Mapped[str] = mapped_column(search_key_type(170))
    sort_key: Mapped[str] = mapped_column(search_key_type(170))
    date_of_birth: Mapped[date] = mapped_column(Date)
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # The phone's digits last first: "555 0142" finds "+1 902 555 0142" by index prefix.
    phone_key: Mapped[str] = mapped_column(search_key_type(20), default="")
    email: Mapped[str] = mapped_column(search_key_type(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(120), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")
    handout_delivery: Mapped[str] = mapped_column(String(10), default=Delivery.EMAIL.value)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two people editing the same client: the second save is refused, not silently lost.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)


class ConsentText(db.Model):
    """The clinic's consent wording. Editing it adds a version; intakes name the one signed."""

    __tablename__ = "consent_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


@dataclass(frozen=True)
class Question:
    """One tick box of the intake form, with the detail asked for when it is ticked."""

    code: str
    label: str
    detail_label: str
    dated: bool = False

    @property
    def short_label(self) -> str:
        return self.label.split(" (")[0]


CONDITIONS = (
    Question("teeth_grinding", "Teeth grinding or clenching",
             "When does it happen? Do you wear a night guard?"),
    Question("jaw_pain", "Jaw pain or clicking (TMJ)", "Which side, and when does it hurt?"),
    Question("headaches", "Headaches (tension or migraine)", "Anything that brings them on?"),
    Question("sinus", "Sinus congestion or sinusitis", "Ongoing or now and then?"),
    Question("neck_tension", "Neck and shoulder tension", "Where is it worst?"),
    Question("puffiness", "Facial puffiness", "When do you notice it most?"),
    Question("fine_lines", "Fine lines or loss of skin firmness", "Which areas concern you?"),
    Question("skin_condition", "Skin condition or sensitivity (acne, rosacea, eczema)",
             "Which one, and where?"),
)

HEALTH_QUESTIONS = (
    Question("blood_thinners", "Blood thinners (e.g. warfarin, apixaban, daily aspirin)",
             "Which one?"),
    Question("medications", "Other current medications", "Which ones?"),
    Question("allergy_nut_oils", "Allergy to nut oils (almond, argan, apricot kernel…)",
             "Which nuts, and how severe?"),
    Question("allergy_fragrance", "Sensitive to fragrance or essential oils", "What happens?"),
    Question("allergy_lotions", "Reactions to lotions or creams", "Which products?"),
    Question("allergy_latex", "Latex allergy", "How severe?"),
    Question("allergy_other", "Other allergies", "What, and what happens?"),
    Question("injections", "Injections, fillers or Botox", "Which area of the face?", dated=True),
    Question("peel_laser", "Chemical peel, laser or microneedling", "Which area?", dated=True),
    Question("facial_surgery", "Facial surgery", "What, and where?", dated=True),
    Question("skin_infection", "Skin infection or cold sore right now", "Where?"),
    Question("pregnancy", "Pregnant", "How many weeks?"),
    Question("recent_illness", "Recent illness or fever", "What, and when?"),
)

QUESTIONS = {question.code: question for question in CONDITIONS + HEALTH_QUESTIONS}

HEADACHE_KINDS = {"tension": "Tension", "migraine": "Migraine", "both": "Both",
                  "unsure": "Not sure"}
HEADACHE_FREQUENCIES = {"daily": "Most days", "weekly": "Every week",
                        "monthly": "Every month", "rarely": "Less often"}
PRESSURES = {"light": "Light", "medium": "Medium", "firm": "Firm",
             "ask": "Ask me during the session"}


class IntakeItem(db.Model):
    """A ticked box: a condition or a health question, with the client's detail and date."""

    __tablename__ = "intake_item"
    __table_args__ = (UniqueConstraint("intake_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"))
    code: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    on_date: Mapped[date | None] = mapped_column(Date)

    @property
    def question(self) -> Question:
        return QUESTIONS[self.code]


class Intake(db.Model):
    """One submitted intake form. Never edited: a new submission is a new, current version."""

    __tablename__ = "intake"
    __table_args__ = (UniqueConstraint("client_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "desk" when staff typed it in, "link" when the client filled it through a link.
    source: Mapped[str] = mapped_column(String(10))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    headache_kind: Mapped[str] = mapped_column(String(10), default="")
    headache_frequency: Mapped[str] = mapped_column(String(10), default="")
    headache_recent: Mapped[bool] = mapped_column(Boolean, default=False)
    pressure: Mapped[str] = mapped_column(String(10), default="")
    areas_to_avoid: Mapped[str] = mapped_column(Text, default="")
    consent_text_id: Mapped[int] = mapped_column(ForeignKey("consent_text.id"))
    signature: Mapped[str] = mapped_column(String(120))
    signed_on: Mapped[date] = mapped_column(Date)

    items: Mapped[list[IntakeItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=IntakeItem.id
    )
    consent: Mapped[ConsentText] = relationship(lazy="joined")

    def item(self, code: str) -> IntakeItem | None:
        return next((item for item in self.items if item.code == code), None)

    @property
    def condition_codes(self) -> list[str]:
        """The conditions the client came with, in checklist order (aftercare starts here)."""
        ticked = {item.code for item in self.items}
        return [question.code for question in CONDITIONS if question.code in ticked]


class IntakeLink(db.Model):
    """A self-service link to the intake form. Only a keyed hash of its token is stored."""

    __tablename__ = "intake_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_to: Mapped[str | None] = mapped_column(String(254))
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"))

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"
