from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clinic.extensions import db
from clinic.types import ScaledDecimal, UTCDateTime, utcnow


class PageSize(StrEnum):
    A4 = "A4"
    LETTER = "Letter"


DEFAULTS = {
    "name": "My clinic",
    "address": "",
    "phone": "",
    "email": "",
    "tax_id": "",
    "currency": "CAD",
    "default_tax_rate": Decimal("0"),
    "invoice_prefix": "INV",
    "page_size": PageSize.A4.value,
    "require_two_factor": False,
    "retention_years": 10,
}


class ClinicSettings(db.Model):
    """The clinic's identity on letterheads and its invoicing defaults. One row."""

    __tablename__ = "clinic_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    tax_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    # A percentage with up to three decimals (e.g. 9.975), kept exact.
    default_tax_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    invoice_prefix: Mapped[str] = mapped_column(String(10))
    page_size: Mapped[str] = mapped_column(String(6))
    # Every member of staff must enrol an authenticator before using the app.
    require_two_factor: Mapped[bool] = mapped_column(Boolean)
    # How long a client's records are kept before they may be erased (clients.retention).
    retention_years: Mapped[int] = mapped_column(Integer)
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_mime: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def with_defaults(cls) -> "ClinicSettings":
        return cls(id=1, **DEFAULTS)
