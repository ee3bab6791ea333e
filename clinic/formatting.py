"""How values read on pages: filters registered for every template."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask


def plain_decimal(value: Decimal) -> str:
    """Without trailing zeros or exponent: 15.000 -> "15", 9.975 -> "9.975", 10 -> "10"."""
    return format(value.normalize(), "f")


def clock(value: datetime) -> str:
    """A stored (UTC) time as the clinic's wall clock: "14:30"."""
    return value.astimezone().strftime("%H:%M")


def day_name(value: date | datetime) -> str:
    """ "Tuesday 3 December"; a stored time is read on the clinic's calendar."""
    if isinstance(value, datetime):
        value = value.astimezone()
    return f"{value:%A} {value.day} {value:%B}"


def long_date(value: date | datetime) -> str:
    """The way a person writes a date: 17 March 2026; a stored time on the clinic's calendar."""
    if isinstance(value, datetime):
        value = value.astimezone()
    return f"{value.day} {value:%B %Y}"


def money(value: Decimal) -> str:
    """An amount with cents and thousands separators: 1234.5 -> "1,234.50"."""
    return f"{value:,.2f}"


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(plain_decimal)
    app.add_template_filter(long_date)
    app.add_template_filter(clock)
    app.add_template_filter(day_name)
