"""How values read on pages: filters registered for every template."""

from decimal import Decimal

from flask import Flask


def plain_decimal(value: Decimal) -> str:
    """Without trailing zeros or exponent: 15.000 -> "15", 9.975 -> "9.975", 10 -> "10"."""
    return format(value.normalize(), "f")


def init_app(app: Flask) -> None:
    app.add_template_filter(plain_decimal)
