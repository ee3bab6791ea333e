"""How long one invoice PDF takes, next to WeasyPrint's own floor, measured in the same run.

    .venv/bin/python bench/invoice_pdf.py [--runs 30]

The floor is WeasyPrint rendering a one-line page with no stylesheet and no shared state.
The invoice goes through the app's whole pipeline (plain-dict context, Jinja, the shared
print stylesheet and font configuration, the static-only fetcher, PDF/A) for a realistic
invoice with a logo, five lines and two payments. Nothing touches a database.
"""

import argparse
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image as PILImage

from bench import timing
from clinic import create_app
from clinic.admin.models import ClinicSettings
from clinic.invoices.documents import invoice_document, logo_image
from clinic.invoices.models import PaymentMethod
from clinic.invoices.money import line_amounts
from clinic.pdf import render


def settings_with_logo() -> ClinicSettings:
    logo = io.BytesIO()
    PILImage.new("RGB", (300, 100), (31, 95, 87)).save(logo, "PNG")
    return ClinicSettings(
        name="Harbourview Massage & Facial Therapy",
        address="214 Harbour Street, Suite 3\nHalifax, NS B3J 1A1", phone="+1 902 555 0142",
        email="desk@harbourview.example", tax_id="GST/HST 81234 5678 RT0001", currency="CAD",
        default_tax_rate=Decimal(15), invoice_prefix="INV", page_size="Letter",
        logo=logo.getvalue(), logo_mime="image/png",
    )


def _invoice():
    """An issued, paid invoice shaped like the ORM object the document builder reads."""
    lines = []
    for n, (text, quantity, price) in enumerate([
        ("Lifting facial, 75 min", "1", "120.00"), ("TMJ and jaw release add-on", "1", "35.00"),
        ("Sinus relief, 15 min", "1", "25.00"), ("Take-home jaw oil", "2", "18.50"),
        ("Loyalty discount", "1", "-20.00"),
    ], 1):
        amounts = line_amounts(Decimal(quantity), Decimal(price), Decimal(15))
        lines.append(SimpleNamespace(id=n, description=text, quantity=Decimal(quantity),
                                     unit_price=Decimal(price), tax_rate=Decimal(15),
                                     net_amount=amounts.net, tax_amount=amounts.tax))
    subtotal = sum(line.net_amount for line in lines)
    tax = sum(line.tax_amount for line in lines)
    payments = [
        SimpleNamespace(received_on=date(2026, 3, 2), method_label=PaymentMethod.CARD.label,
                        reference="Slip 0412", amount=Decimal("100.00")),
        SimpleNamespace(received_on=date(2026, 3, 2), method_label=PaymentMethod.INSURANCE.label,
                        reference="Claim 55-1093", amount=subtotal + tax - Decimal("100.00")),
    ]
    return SimpleNamespace(
        status="paid", is_draft=False, number="INV-2026-000042", currency="CAD",
        seller_tax_id="GST/HST 81234 5678 RT0001", issued_on=date(2026, 3, 2),
        service_date=date(2026, 3, 2), bill_to_name="Jane Smith",
        bill_to_address="12 Elm Street\nDartmouth, NS B2Y 3Z4", therapist_name="Maya Okafor",
        therapist_registration="RMT-10482", lines=lines, notes="Thank you!",
        subtotal=subtotal, tax_total=tax, total=subtotal + tax, payments=payments,
        paid=subtotal + tax, credit_note=None,
    )


FLOOR = timing.FLOOR
INVOICE = "invoice PDF (pipeline)"


def _invoice_pdf():
    """The render to time: a realistic invoice through the whole pipeline (in a request)."""
    settings, invoice = settings_with_logo(), _invoice()
    doc = invoice_document(invoice, settings, client_name="", client_address="",
                           therapist_name="", therapist_registration="")
    doc["logo_src"] = "image/logo"

    def invoice_pdf() -> bytes:
        return render.render("pdf/invoice.html", {"doc": doc, "title": "Receipt"},
                             page_size="Letter", images=logo_image(settings),
                             pdf_variant="pdf/a-3b")

    return invoice_pdf


def measure(runs: int) -> dict[str, timing.Runs]:
    """The floor's runs and the invoice's, taken in turns."""
    app = create_app({"SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        return timing.against_floor(INVOICE, _invoice_pdf(), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        timing.compare(INVOICE, _invoice_pdf(), args.runs)


if __name__ == "__main__":
    main()
