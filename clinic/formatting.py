"""How values read on pages: filters registered for every template.

Dates and times may come as objects or as ISO 8601 text (as an exported record holds them).
"""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from flask import Flask


def plain_decimal(value: Decimal) -> str:
    """Without trailing zeros or exponent: 15.000 -> "15", 9.975 -> "9.975", 10 -> "10"."""
    return format(value.normalize(), "f")


def _on_clinic_calendar(value: date | datetime | str) -> date | datetime:
    """A date as it is; a stored (UTC) time in the clinic's time zone."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    return value.astimezone() if isinstance(value, datetime) else value


# Remembered: finding the clinic's offset for a moment costs more than the rest of a line of a
# visit list, which shows two times a line, and a day's visits start and end at a few dozen
# times. (strftime, too, cost four times what formatting the two numbers does.)
@lru_cache(maxsize=4096)
def clock(value: datetime | str) -> str:
    """A stored (UTC) time as the clinic's wall clock: "14:30"."""
    value = _on_clinic_calendar(value)
    return f"{value.hour:02}:{value.minute:02}"


# Remembered, as the clock is: 7 µs a day named (a visit page names four), 0.2 µs remembered.
@lru_cache(maxsize=4096)
def day_name(value: date | datetime | str) -> str:
    """ "Tuesday 3 December"; a stored time is read on the clinic's calendar."""
    value = _on_clinic_calendar(value)
    return f"{value:%A} {value.day} {value:%B}"


# Remembered, as the clock is: a list of invoices or visits shows a date a line, most of them
# the same few days, at 2.5 µs each to format (0.2 µs remembered).
@lru_cache(maxsize=4096)
def long_date(value: date | datetime | str | None) -> str:
    """The way a person writes a date: 17 March 2026; a stored time on the clinic's calendar;
    a dash for none."""
    if value is None:
        return "\u2014"
    value = _on_clinic_calendar(value)
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime) -> str:
    """A stored (UTC) time to the second on the clinic's clock, with its zone, as a log
    reads: "2026-11-25 14:30:05 AST"."""
    value = value.astimezone()
    return f"{value:%Y-%m-%d %H:%M:%S} {value.tzname()}"


def money(value: Decimal) -> str:
    """An amount with cents and thousands separators: 1234.5 -> "1,234.50"."""
    return f"{value:,.2f}"


def cents(value: int) -> str:
    """An amount kept as whole cents, written as money: 123450 -> "1,234.50"."""
    return money(Decimal(value).scaleb(-2))


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(cents)
    app.add_template_filter(plain_decimal)
    app.add_template_filter(long_date)
    app.add_template_filter(clock)
    app.add_template_filter(day_name)
    app.add_template_filter(moment)
