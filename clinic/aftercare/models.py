"""The home-care technique library that handouts are built from."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
