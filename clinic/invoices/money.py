"""Money arithmetic: exact decimals and the one rounding rule every invoice follows.

The rule: each line's net amount (quantity x unit price) is rounded to the cent, then its tax
(net x rate) is rounded to the cent, both half-up -- halves go away from zero, so a discount
line mirrors the line it discounts. The invoice's subtotal, tax and total are plain sums of
those rounded amounts: what is printed on each line always adds up to the printed total.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    tax_rate: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> LineAmounts:
    """`tax_rate` is a percentage: 15 means 15 %."""
    net = to_cents(quantity * unit_price)
    return LineAmounts(net=net, tax=to_cents(net * tax_rate / HUNDRED), tax_rate=tax_rate)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    # Tax per rate, as receipts show it: {Decimal("15"): Decimal("13.50")}.
    tax_by_rate: dict[Decimal, Decimal]

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def totals(lines: Iterable[LineAmounts]) -> Totals:
    subtotal, tax = ZERO, ZERO
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        subtotal += line.net
        tax += line.tax
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, ZERO) + line.tax
    return Totals(subtotal=subtotal, tax=tax, tax_by_rate=dict(sorted(by_rate.items())))
