"""The rounding rule: tax per line, half-up, and totals that always add up."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from clinic.invoices.money import CENT, line_amounts, to_cents, totals

D = Decimal


def test_halves_round_up_and_away_from_zero():
    assert to_cents(D("0.125")) == D("0.13")
    assert to_cents(D("0.124999")) == D("0.12")
    assert to_cents(D("-0.125")) == D("-0.13")


def test_tax_is_rounded_once_per_line():
    # 15 % of 9.99 is 1.4985: the line's tax is 1.50.
    line = line_amounts(D("1"), D("9.99"), D("15"))
    assert (line.net, line.tax, line.total) == (D("9.99"), D("1.50"), D("11.49"))


def test_a_rate_with_three_decimals_stays_exact():
    # Quebec's QST 9.975 % on 100.00 is exactly 9.975, rounded half-up to 9.98.
    assert line_amounts(D("1"), D("100.00"), D("9.975")).tax == D("9.98")


def test_a_discount_line_mirrors_the_line_it_discounts():
    charge = line_amounts(D("1"), D("10.10"), D("15"))
    discount = line_amounts(D("1"), D("-10.10"), D("15"))
    assert (discount.net, discount.tax) == (-charge.net, -charge.tax)


def test_tax_is_shown_per_rate():
    result = totals([line_amounts(D("1"), D("95.00"), D("15")),
                     line_amounts(D("2"), D("12.00"), D("0")),
                     line_amounts(D("1"), D("20.00"), D("15"))])
    assert result.tax_by_rate == {D("0"): D("0.00"), D("15"): D("17.25")}
    assert (result.subtotal, result.tax, result.total) == (D("139.00"), D("17.25"), D("156.25"))


quantities = st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2)
prices = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("100"), places=3)


@given(st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=30))
def test_totals_always_equal_the_lines_plus_their_tax(lines):
    amounts = [line_amounts(q, p, r) for q, p, r in lines]
    result = totals(amounts)
    assert result.subtotal == sum(line.net for line in amounts)
    assert result.tax == sum(line.tax for line in amounts)
    assert result.total == sum(line.net + line.tax for line in amounts)
    assert sum(result.tax_by_rate.values()) == result.tax
    for (quantity, price, rate), line in zip(lines, amounts, strict=True):
        # Whole cents, each within half a cent of the exact amount.
        assert line.net == line.net.quantize(CENT) and line.tax == line.tax.quantize(CENT)
        assert abs(line.net - quantity * price) <= D("0.005")
        assert abs(line.tax - line.net * rate / 100) <= D("0.005")
