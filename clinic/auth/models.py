from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.types import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    THERAPIST = "therapist"
    RECEPTION = "reception"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def needs_registration_number(self) -> bool:
        """Therapists' numbers are printed on receipts so clients can claim from insurers."""
        return self is Role.THERAPIST


REGISTRATION_NUMBER_REQUIRED = (
    "Therapists need their registration number: it is printed on insurance receipts."
)


class User(UserMixin, db.Model):
    """A member of staff who signs in. Clients never have accounts."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(String(20))
    registration_number: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two-factor sign-in: the authenticator's shared secret, encrypted (it has to be readable
    # to check a code: see auth.totp_secrets), and the last time step accepted, so a code seen
    # once is refused after that.
    totp_secret: Mapped[str | None] = mapped_column(String(128))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class StaffSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its hash is stored here.

    Every request is checked against this row, which is what makes a cookie useless after
    sign-out, deactivation or a password change, on every app server.
    """

    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator. Only its hash is kept."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
