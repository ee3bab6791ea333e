"""Column types that keep time zones and exact decimals the same on SQLite and PostgreSQL."""

import time
from datetime import UTC, date, datetime
from datetime import time as dt_time
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(day: date, at: dt_time) -> datetime:
    """A wall-clock time at the clinic (the server's time zone) as an aware UTC datetime."""
    return datetime.combine(day, at).astimezone(UTC)


def current_timestamp() -> int:
    """Seconds since the epoch, small enough to keep in the session cookie."""
    return int(time.time())


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC; SQLite hands them back naive, so UTC is put back on."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # combine rather than replace(tzinfo=UTC): the same value at a fifth of the cost,
            # and a list of visits reads a few hundred of these.
            return datetime.combine(value, value.time(), UTC)
        return value.astimezone(UTC)


class ScaledDecimal(TypeDecorator):
    """An exact Decimal kept as an integer count of 10**-scale units (cents, thousandths...).

    Integers compare and sum exactly in every database; SQLite has no true decimal type.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value, dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-self.scale)
